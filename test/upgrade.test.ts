// upgrade from every known release to every later one: the diff, then the write — validate is
// clean afterwards, the secrets store is byte-identical, overrides are kept; --dry-run writes
// nothing; bad input (unknown release, downgrade, no spec, no terminal without --yes) exits 2.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { releaseVersions } from '../src/core/data.js';
import { compareVersions } from '../src/validate/release.js';
import { runCli } from './helpers/cli.js';

const OVERRIDES = { env: { LOG_LEVEL: 'DEBUG', UPLOAD_FILE_SIZE_LIMIT: '40', VIKINGDB_SCHEMA: 'https' }, components: { api: { replicas: 2 } } };

/** A rendered deployment of `release` whose spec carries overrides (and a comment of the user's). */
async function deployed(release: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `dd-upgrade-${release}-`));
  const spec = join(dir, 'dify-deploy.yaml');
  writeFileSync(spec, `# ours: keep this comment\nrelease: ${release}\ntier: 10qps\noverrides: ${JSON.stringify(OVERRIDES)}\n`);
  const r = await runCli(['render', '--config', spec]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return dir;
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[p] = createHash('sha256').update(readFileSync(p)).digest('hex') + statSync(p).mode;
    }
  };
  walk(dir);
  return out;
}

const pairs = releaseVersions().flatMap((a) => releaseVersions().filter((b) => compareVersions(b, a) > 0).map((b) => [a, b] as const));

describe.concurrent('upgrade between every pair of known releases', () => {
  for (const [from, to] of pairs) {
    it(`${from} → ${to}: diff, write, validate clean; secrets and overrides untouched`, async () => {
      const dir = await deployed(from);
      const spec = join(dir, 'dify-deploy.yaml');
      const secretsBefore = readFileSync(join(dir, '.dify-deploy', 'secrets.env'));
      const before = snapshot(dir);
      const dry = await runCli(['upgrade', '--to', to, '--config', spec, '--dry-run', '--json']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(snapshot(dir)).toEqual(before);
      const { diff } = JSON.parse(dry.stdout);
      expect(diff).toMatchObject({ from, to, direction: 'upgrade' });
      expect(diff.images.find((i: { image: string }) => i.image === 'api')).toMatchObject({ from: `langgenius/dify-api:${from}`, to: `langgenius/dify-api:${to}` });
      // VIKINGDB_SCHEMA became VIKINGDB_SCHEME in 1.14.2: reported with the rename, never dropped.
      const renamed = diff.overridesNotRead.find((o: { name: string }) => o.name === 'VIKINGDB_SCHEMA');
      if (from === '1.13.3') expect(renamed).toMatchObject({ renamedTo: 'VIKINGDB_SCHEME' });
      for (const c of [...diff.variables.added, ...diff.variables.removed, ...diff.variables.changedDefault]) expect(c.source).toMatch(/^release data .+ ← dify-.+:\d+$/);

      const up = await runCli(['upgrade', '--to', to, '--config', spec, '--yes']);
      expect(up.code, up.stdout + up.stderr).toBe(0);
      expect(readFileSync(join(dir, '.dify-deploy', 'secrets.env')).equals(secretsBefore)).toBe(true);
      const text = readFileSync(spec, 'utf8');
      expect(text).toContain('# ours: keep this comment');
      expect(parse(text)).toEqual({ release: to, tier: '10qps', overrides: OVERRIDES });
      expect(readFileSync(join(dir, 'docker-compose.yaml'), 'utf8')).toContain(`langgenius/dify-api:${to}`);
      expect(readFileSync(join(dir, 'RUNBOOK.md'), 'utf8')).toMatch(/## Upgrading Dify[\s\S]*cannot be rolled back/);
      const env = readFileSync(join(dir, '.env'), 'utf8');
      for (const [k, v] of Object.entries(OVERRIDES.env)) expect(env).toMatch(new RegExp(`^${k}=${v}$`, 'm'));
      const validated = await runCli(['validate', dir, '--format', 'json']);
      const report = JSON.parse(validated.stdout);
      expect(report.diagnostics.filter((d: { severity: string }) => d.severity === 'error')).toEqual([]);
      expect(report.release.version).toBe(to);
      expect(validated.code).toBe(0);
    });
  }
});

describe('upgrade: new secrets', () => {
  it('a secret the new release needs and the store lacks is generated once, named but never printed; the others stay', async () => {
    const dir = await deployed('1.15.0');
    const store = join(dir, '.dify-deploy', 'secrets.env');
    const kept = readFileSync(store, 'utf8').split('\n').filter((l) => !l.startsWith('DIFY_AGENT_'));
    writeFileSync(store, kept.join('\n'));
    const spec = join(dir, 'dify-deploy.yaml');
    const dry = await runCli(['upgrade', '--to', '1.16.1', '--config', spec, '--dry-run', '--json']);
    expect(JSON.parse(dry.stdout).diff.newSecrets).toEqual(expect.arrayContaining(['DIFY_AGENT_API_TOKEN', 'DIFY_AGENT_SERVER_SECRET_KEY']));
    const up = await runCli(['upgrade', '--to', '1.16.1', '--config', spec, '--yes']);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    const after = readFileSync(store, 'utf8');
    const token = /^DIFY_AGENT_API_TOKEN=(.+)$/m.exec(after)![1];
    expect(up.stdout + dry.stdout).not.toContain(token);
    for (const line of kept.filter((l) => /^[A-Z_]+=/.test(l))) expect(after).toContain(line);
    // Generated once: a second render keeps it.
    expect((await runCli(['render', '--config', spec])).code).toBe(0);
    expect(readFileSync(store, 'utf8')).toContain(`DIFY_AGENT_API_TOKEN=${token}`);
  });
});

describe('upgrade: bad input exits 2 and writes nothing', () => {
  it('unknown release, downgrade without --force, no spec, no terminal without --yes', async () => {
    const dir = await deployed('1.15.0');
    const spec = join(dir, 'dify-deploy.yaml');
    const before = snapshot(dir);
    const unknown = await runCli(['upgrade', '--to', '1.99.0', '--config', spec]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown Dify release "1\.99\.0".*known releases: 1\.13\.3/);
    const down = await runCli(['upgrade', '--to', '1.14.2', '--config', spec, '--yes']);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/downgrade from 1\.15\.0.*migrations only go forward.*--force/);
    const empty = mkdtempSync(join(tmpdir(), 'dd-upgrade-empty-'));
    const none = await runCli(['upgrade', '--to', '1.16.1', '--config', join(empty, 'dify-deploy.yaml')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no dify-deploy spec here.*dify-deploy import/);
    const noTty = await runCli(['upgrade', '--to', '1.16.1', '--config', spec]);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toMatch(/pass --yes/);
    const badFlag = await runCli(['upgrade', '--to', 'latest', '--config', spec]);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/--to: expected a Dify release like 1\.16\.1/);
    for (const r of [unknown, down, none, noTty, badFlag]) expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(snapshot(dir)).toEqual(before);
    // With --force the downgrade is written (after the operator restored the old backup).
    const forced = await runCli(['upgrade', '--to', '1.14.2', '--config', spec, '--yes', '--force']);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(parse(readFileSync(spec, 'utf8')).release).toBe('1.14.2');
  });

  it('a file edited since the last render is kept: nothing written, exit 1', async () => {
    const dir = await deployed('1.14.2');
    writeFileSync(join(dir, 'docker-compose.yaml'), `${readFileSync(join(dir, 'docker-compose.yaml'), 'utf8')}# hand edit\n`);
    const before = snapshot(dir);
    const r = await runCli(['upgrade', '--to', '1.16.1', '--config', join(dir, 'dify-deploy.yaml'), '--yes']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/KEEP\s+docker-compose\.yaml/);
    expect(snapshot(dir)).toEqual(before);
  });
});
