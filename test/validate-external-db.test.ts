// A user's own .env pointing at an external PostgreSQL: the worst case is reported even
// though the files cannot state the server's max_connections, and --db-max-connections
// turns it into a real check.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { describeUpstream, UPSTREAM, UPSTREAM_REQUIRED } from './helpers/upstream.js';

function userDir(edits: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dd-extdb-'));
  const src = `${UPSTREAM}dify-1.16.1/docker/`;
  copyFileSync(`${src}docker-compose.yaml`, join(dir, 'docker-compose.yaml'));
  let env = readFileSync(`${src}.env.example`, 'utf8');
  for (const [k, v] of Object.entries(edits)) env = env.replace(new RegExp(`^${k}=.*$`, 'm'), `${k}=${v}`);
  writeFileSync(join(dir, '.env'), env);
  return dir;
}

const budget = (stdout: string) => JSON.parse(stdout).diagnostics.filter((d: { rule: string }) => d.rule === 'connection-budget');

describeUpstream('external metadata database', () => {
  // api 4 × (50 + 10) + api_websocket 60 + worker 60 + beat 60 + plugin daemon 30 = 450
  const dir = UPSTREAM_REQUIRED ? userDir({ DB_HOST: 'pg.prod.internal', SERVER_WORKER_AMOUNT: '4', SQLALCHEMY_POOL_SIZE: '50' }) : '';

  it('reports the worst case as a warning naming the flag, without inventing a limit', async () => {
    const [finding] = budget((await runCli(['validate', dir, '--format', 'json'])).stdout);
    expect(finding).toMatchObject({ severity: 'warning', data: { required: 450 } });
    expect(finding.fix).toContain('--db-max-connections');
    expect(finding.fix).toContain('≥ 453');
  });

  it('checks the budget against --db-max-connections', async () => {
    const small = await runCli(['validate', dir, '--format', 'json', '--db-max-connections', '300']);
    expect(budget(small.stdout)).toMatchObject([{ severity: 'error', data: { required: 450, available: 297 } }]);
    expect(small.code).toBe(1);
    expect(budget((await runCli(['validate', dir, '--format', 'json', '--db-max-connections', '1000'])).stdout)).toEqual([]);
  });

  it('rejects a bad value naming the flag', async () => {
    const r = await runCli(['validate', dir, '--db-max-connections', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--db-max-connections: expected a whole number/);
  });
});
