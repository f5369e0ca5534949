// The writer and the secrets store through renderDeployment: idempotent re-renders, secrets
// kept, user edits refused without --force, dry runs write nothing, modes.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { parseSpecData } from '../src/core/spec-parse.js';
import { renderDeployment } from '../src/render/index.js';
import { withStateChoices } from './helpers/state-choices.js';

const spec = parseSpecData({ tier: '50qps', release: '1.16.1' }, 'test');
const fresh = () => mkdtempSync(join(tmpdir(), 'dify-render-'));

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

describe('render to disk', () => {
  it('rendering twice gives byte-identical files and the same secrets', async () => {
    const dir = fresh();
    const first = await renderDeployment({ spec, outDir: dir, target: 'compose' });
    expect(first.written).toBe(true);
    const before = snapshot(dir);
    const second = await renderDeployment({ spec, outDir: dir, target: 'compose' });
    expect(second.files.every((f) => f.status === 'unchanged')).toBe(true);
    expect(snapshot(dir)).toEqual(before);
    expect(parseDotenv(before['.env']).SECRET_KEY).toMatch(/^sk-.{40,}/);
  });

  it.each(['compose', 'helm'] as const)('%s: an external database password comes from the spec or the secrets store, never invented', async (target) => {
    const external = parseSpecData(
      { tier: '10qps', database: { mode: 'external', host: 'pg.internal', maxConnections: 500 }, redis: { mode: 'external', host: 'redis.internal' }, storage: { type: 's3', bucket: 'b', region: 'us-east-1', useIam: true } },
      'test',
    );
    const dir = fresh();
    await expect(renderDeployment({ spec: external, outDir: dir, target })).rejects.toThrow(/database\.password: the external database's password is needed/);
    expect(existsSync(join(dir, '.env'))).toBe(false);
    // The operator puts the server's password in the private store; the render uses exactly it.
    mkdirSync(join(dir, '.dify-deploy'), { recursive: true });
    writeFileSync(join(dir, '.dify-deploy/secrets.env'), 'DB_PASSWORD=the-servers-own-password\n', { mode: 0o600 });
    const report = await renderDeployment({ spec: external, outDir: dir, target });
    expect(report.written).toBe(true);
    const written = snapshot(dir);
    const main = target === 'compose' ? written['.env'] : written['helm/values.yaml'];
    expect(main).toContain('the-servers-own-password');
    // An external Redis without a password is used without AUTH, not with a generated one.
    const store = parseDotenv(written['.dify-deploy/secrets.env']);
    expect(store.DB_PASSWORD).toBe('the-servers-own-password');
    expect(store.REDIS_PASSWORD).toBeUndefined();
  });

  it('secret-bearing files are 0600', async () => {
    const dir = fresh();
    await renderDeployment({ spec, outDir: dir, target: 'compose' });
    expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, '.dify-deploy/secrets.env')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'docker-compose.yaml')).mode & 0o777).toBe(0o644);
  });

  it('an edited file is refused without --force, stays intact, and nothing else is written', async () => {
    const dir = fresh();
    await renderDeployment({ spec, outDir: dir, target: 'compose' });
    const edited = `${readFileSync(join(dir, 'docker-compose.yaml'), 'utf8')}# my edit\n`;
    writeFileSync(join(dir, 'docker-compose.yaml'), edited);
    // The state model asks 200qps to choose where workflow logs go (helpers/state-choices.ts); without it the plan is refused before any file is compared.
    const other = parseSpecData(withStateChoices({ tier: '200qps', release: '1.16.1' }), 'test');
    const before = snapshot(dir);
    const refused = await renderDeployment({ spec: other, outDir: dir, target: 'compose' });
    expect(refused.written).toBe(false);
    expect(refused.conflicts.map((c) => c.path)).toEqual(['docker-compose.yaml']);
    expect(snapshot(dir)).toEqual(before);

    const forced = await renderDeployment({ spec: other, outDir: dir, target: 'compose', force: true });
    expect(forced.written).toBe(true);
    expect(readFileSync(join(dir, 'docker-compose.yaml'), 'utf8')).not.toContain('# my edit');
    // A re-size keeps every secret.
    expect(parseDotenv(readFileSync(join(dir, '.env'), 'utf8')).DB_PASSWORD).toBe(parseDotenv(before['.env']).DB_PASSWORD);
  });

  it('adopts the secrets of an existing hand-made .env', async () => {
    const dir = fresh();
    writeFileSync(join(dir, '.env'), 'SECRET_KEY=sk-my-live-key-0123456789\nDB_PASSWORD=live-db-password\n');
    const refused = await renderDeployment({ spec, outDir: dir, target: 'compose' });
    expect(refused.conflicts.map((c) => c.path)).toEqual(['.env']);
    await renderDeployment({ spec, outDir: dir, target: 'compose', force: true });
    const env = parseDotenv(readFileSync(join(dir, '.env'), 'utf8'));
    expect(env.SECRET_KEY).toBe('sk-my-live-key-0123456789');
    expect(env.DB_PASSWORD).toBe('live-db-password');
  });

  it('--dry-run lists what would change and writes nothing', async () => {
    const dir = fresh();
    const report = await renderDeployment({ spec, outDir: dir, target: 'compose', dryRun: true });
    expect(report.written).toBe(false);
    expect(new Set(report.files.map((f) => f.status))).toEqual(new Set(['wouldCreate']));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a plan with problems renders nothing', async () => {
    const dir = fresh();
    const bad = parseSpecData(withStateChoices({ tier: '500qps', database: { mode: 'external', host: 'db', maxConnections: 50 } }), 'test');
    const report = await renderDeployment({ spec: bad, outDir: dir, target: 'compose' });
    expect(report.refused.length).toBeGreaterThan(0);
    expect(existsSync(join(dir, '.env'))).toBe(false);
  });
});
