// What the CLI tells a first-time operator: its own version, next steps that fit the targets
// written, and a spec file that pins every default (the release first).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PACKAGE_ROOT, defaultReleaseVersion, releaseVersions } from '../src/core/data.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import { renderFiles } from '../src/render/index.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { runCli } from './helpers/cli.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'dd-cli-'));

describe('--version', () => {
  it("prints this package's version, whatever project npx runs in", () => {
    const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'dify-deploy.cjs'), '--version'], { encoding: 'utf8', env: { ...process.env, npm_package_version: '9.9.9-other-project' } });
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version);
  });
});

describe('next steps fit the targets written', () => {
  it.each([
    ['compose', ['docker compose up -d'], ['helm upgrade']],
    ['helm', ['helm upgrade --install dify', 'helm/README.md'], ['docker compose']],
    ['all', ['docker compose up -d', 'helm upgrade --install dify'], []],
  ])('--target %s', async (target, wanted, unwanted) => {
    const out = fresh();
    const r = await runCli(['render', '--tier', '10qps', '--target', target, '--out', out, ...(target === 'compose' ? [] : ['--config', s3Spec()])]);
    expect(r.code, r.stderr).toBe(0);
    const next = r.stdout.split('\n').filter((l) => l.startsWith('Next:')).join('\n');
    for (const w of wanted) expect(next).toContain(w);
    for (const u of unwanted) expect(next).not.toContain(u);
  });
});

/** Helm needs a store every node reaches. */
function s3Spec(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'dd-spec-')), 'spec.yaml');
  writeFileSync(file, 'storage: { type: s3, bucket: dify, region: us-east-1, useIam: true }\n');
  return file;
}

describe('the spec a render writes', () => {
  it('pins the release, first, when the spec did not name one', async () => {
    const out = fresh();
    expect((await runCli(['render', '--tier', '10qps', '--out', out])).code).toBe(0);
    const text = readFileSync(join(out, 'dify-deploy.yaml'), 'utf8');
    const doc = parse(text) as Record<string, unknown>;
    expect(Object.keys(doc)[0]).toBe('release');
    expect(doc.release).toBe(defaultReleaseVersion());
  });
});

describe('one request-body limit per deployment, whatever the target', () => {
  it.each(releaseVersions())('%s: compose nginx, the chart proxy and the ingress agree', (release) => {
    const spec = parseSpecData({ tier: '50qps', release, targets: ['compose', 'helm'], storage: { type: 's3', bucket: 'b', region: 'eu-west-1', useIam: true } }, 'test');
    const { files } = renderFiles(spec, 'all', resolveSecrets({}, spec));
    const text = (p: string) => files.filter((f) => f.path.startsWith(p)).map((f) => f.content).join('\n');
    const nginx = /client_max_body_size\s+(\d+)([mM])/.exec(text('nginx/'))!;
    const values = parse(text('helm/values.yaml')) as { proxy?: { clientMaxBodySize?: string }; ingress: { annotations: Record<string, string> } };
    const ingress = values.ingress.annotations['nginx.ingress.kubernetes.io/proxy-body-size'];
    expect(ingress.toLowerCase()).toBe(`${nginx[1]}m`);
    if (values.proxy?.clientMaxBodySize) expect(values.proxy.clientMaxBodySize.toLowerCase()).toBe(`${nginx[1]}m`);
  });
});

describe('plan --target helm', () => {
  it('prints cluster totals, not a single-host line', async () => {
    const helm = await runCli(['plan', '--tier', '100qps', '--target', 'helm']);
    expect(helm.stdout).not.toMatch(/^Host:/m);
    expect(helm.stdout).toMatch(/^Totals: .*\(cluster, at maxReplicas\)/m);
    expect((await runCli(['plan', '--tier', '100qps', '--target', 'compose'])).stdout).toMatch(/^Host: needs/m);
  });
});
