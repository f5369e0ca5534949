// --chart: a dify-helm chart newer than the ones dify-deploy ships (synthetic, from the 0.38.0-rc2
// fixture: version bumped, `global.edition` COMMUNITY with a schema that refuses SELF_HOSTED as the
// 1.17 chart does) defines the chart for the run: values rendered for it, checked against its own
// schema, and `helm template`d by real Helm; as a directory and as the .tgz `helm pull` gives.
import { cpSync, chmodSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { chartDir, helmBinary, runHelm } from './helpers/helm.js';
import { UPSTREAM_REQUIRED } from './helpers/upstream-path.js';
import { SYNTHETIC_VERSION, syntheticCheckout } from './helpers/synthetic-release.js';

const CHART_VERSION = '0.39.0-rc9';

function writable(dir: string): void {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    chmodSync(p, statSync(p).isDirectory() ? 0o755 : 0o644);
    if (statSync(p).isDirectory()) writable(p);
  }
}

/** The synthetic chart as `helm pull` unpacks it: a folder named dify. */
function syntheticChart(): string {
  const root = mkdtempSync(join(tmpdir(), 'dd-chart-'));
  const dir = join(root, 'dify');
  cpSync(chartDir('0.38.0-rc2'), dir, { recursive: true });
  chmodSync(dir, 0o755);
  writable(dir);
  const chart = readFileSync(join(dir, 'Chart.yaml'), 'utf8').replace(/^version: .*$/m, `version: ${CHART_VERSION}`).replace(/^appVersion: .*$/m, `appVersion: "${SYNTHETIC_VERSION}"`);
  writeFileSync(join(dir, 'Chart.yaml'), chart);
  writeFileSync(join(dir, 'values.yaml'), readFileSync(join(dir, 'values.yaml'), 'utf8').replace('edition: "SELF_HOSTED"', 'edition: "COMMUNITY"'));
  const schema = JSON.parse(readFileSync(join(dir, 'values.schema.json'), 'utf8'));
  schema.properties.global.properties.edition = { type: 'string', enum: ['COMMUNITY', 'CLOUD'] };
  writeFileSync(join(dir, 'values.schema.json'), JSON.stringify(schema, null, 2));
  return dir;
}

const helm = UPSTREAM_REQUIRED ? helmBinary() : undefined;

/** Helm needs a store every node reaches. */
function helmSpec(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'dd-spec-')), 'dify-deploy.yaml');
  writeFileSync(file, `release: ${SYNTHETIC_VERSION}\ntier: 10qps\ntargets: [helm]\nstorage: { type: s3, bucket: dify, region: us-east-1, useIam: true }\n`);
  return file;
}

describe.runIf(UPSTREAM_REQUIRED)(`--chart: dify-helm ${CHART_VERSION} (newer than the shipped charts)`, () => {
  beforeAll(async () => {
    process.env.DIFY_DEPLOY_CONFIG_DIR = mkdtempSync(join(tmpdir(), 'dd-config-'));
    expect((await runCli(['release', 'add', syntheticCheckout()])).code).toBe(0);
  });

  it('without --chart, the release names a chart dify-deploy does not ship: exit 2 with how to get it', async () => {
    const r = await runCli(['render', '--config', helmSpec(), '--out', mkdtempSync(join(tmpdir(), 'dd-h-')), '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/dify-helm chart 0\.39\.0-rc1: not known .* pass it with --chart/);
  });

  for (const form of ['directory', '.tgz'] as const)
    it(`render, validate and helm template with the chart as a ${form}`, async () => {
      const dir = syntheticChart();
      let chart = dir;
      if (form === '.tgz') {
        chart = join(dir, '..', `dify-${CHART_VERSION}.tgz`);
        execFileSync('tar', ['-czf', chart, '-C', join(dir, '..'), 'dify']);
      }
      const out = mkdtempSync(join(tmpdir(), 'dd-helm-'));
      const r = await runCli(['render', '--config', helmSpec(), '--chart', chart, '--out', out]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const values = join(out, 'helm', 'values.yaml');
      expect(readFileSync(join(out, 'helm', 'README.md'), 'utf8')).toContain(CHART_VERSION);

      // Its own schema: our values pass; a SELF_HOSTED edition (valid for 0.38) does not.
      const v = await runCli(['validate', '--helm-values', values, '--release', SYNTHETIC_VERSION, '--chart', chart, '--json']);
      const report = JSON.parse(v.stdout);
      expect(report.diagnostics.filter((d: { severity: string }) => d.severity === 'error'), v.stdout).toEqual([]);
      const selfHosted = join(out, 'self-hosted.yaml');
      writeFileSync(selfHosted, `${readFileSync(values, 'utf8')}\nglobal:\n  edition: SELF_HOSTED\n`.replace(/^global:\n(?=[\s\S]*^global:)/m, 'globalOld:\n'));
      const bad = JSON.parse((await runCli(['validate', '--helm-values', selfHosted, '--release', SYNTHETIC_VERSION, '--chart', chart, '--json'])).stdout);
      expect(bad.diagnostics.map((d: { message: string }) => d.message)).toContainEqual(expect.stringMatching(new RegExp(`global\\.edition .*allowed values.*chart ${CHART_VERSION.replaceAll('.', '\\.')} values\\.schema\\.json`)));

      if (!helm) return;
      const t = await runHelm(['template', 'dify', dir, '--namespace', 'dify', '-f', values]);
      expect(t.code, t.stderr).toBe(0);
      expect(t.stdout).toContain(`langgenius/dify-api:${SYNTHETIC_VERSION}`);
    });

  it('a path that is not the chart: exit 2, one message', async () => {
    const r = await runCli(['render', '--config', helmSpec(), '--chart', tmpdir(), '--dry-run', '--out', mkdtempSync(join(tmpdir(), 'dd-h-'))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--chart .*: no Chart\.yaml; give the dify-helm chart/);
  });
});
