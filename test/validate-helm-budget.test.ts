// Helm values judged like compose: an external database takes --db-max-connections (else the
// "limit unknown" warning), and a bundled PostgreSQL whose values state no max_connections runs
// PostgreSQL's default of 100 — as knowable as compose's ${POSTGRES_MAX_CONNECTIONS:-100}.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from './helpers/cli.js';

type Diag = { rule: string; severity: string; message: string; data?: { required?: number; maxConnections?: number } };
const values = (v: unknown) => {
  const file = join(mkdtempSync(join(tmpdir(), 'dd-helm-budget-')), 'values.yaml');
  writeFileSync(file, stringify(v));
  return file;
};
const budget = async (args: string[]) => (JSON.parse((await runCli(['validate', ...args, '--format', 'json', '--release', '1.16.1'])).stdout).diagnostics as Diag[]).filter((d) => d.rule === 'connection-budget');
const sized = { api: { replicas: 4, extraEnv: [{ name: 'SERVER_WORKER_AMOUNT', value: '4' }] } };

describe('Helm values: connection budget', () => {
  const external = { ...sized, postgresql: { enabled: false }, externalPostgres: { enabled: true, address: 'pg.prod.internal', port: 5432 } };

  it('external database without a limit: the worst case as a warning naming the flag', async () => {
    const [w] = await budget(['--helm-values', values(external)]);
    expect(w).toMatchObject({ severity: 'warning' });
    // The server is named by its variable, never by the value from the files (#24).
    expect(w.message).toContain('at DB_HOST');
    expect(w.message).not.toContain('pg.prod.internal');
  });

  it('external database with --db-max-connections too small: an error with both numbers', async () => {
    const [e] = await budget(['--helm-values', values(external), '--db-max-connections', '100']);
    expect(e).toMatchObject({ severity: 'error', data: { maxConnections: 100 } });
    expect((await budget(['--helm-values', values(external), '--db-max-connections', '100000']))).toEqual([]);
  });

  it('bundled PostgreSQL with no max_connections in the values: judged against 100', async () => {
    const [e] = await budget(['--helm-values', values({ ...sized, postgresql: { enabled: true } })]);
    expect(e).toMatchObject({ severity: 'error', data: { maxConnections: 100 } });
    expect(e.message).toContain("PostgreSQL's default");
  });
});

describe('Helm values: an enabled external block left at the chart sample values', () => {
  it.each(['0.37.0', '0.38.0-rc2'])('chart %s: every "your-…" sample of each external block is a finding once the block is on', async (chart) => {
    const { loadChart } = await import('../src/helm/chart.js');
    const defaults = loadChart(chart).defaults as Record<string, unknown>;
    const release = chart === '0.37.0' ? '1.13.3' : '1.16.1';
    const samples = (node: unknown, path: string[]): string[] =>
      node && typeof node === 'object' && !Array.isArray(node)
        ? Object.entries(node).flatMap(([k, v]) => samples(v, [...path, k]))
        : typeof node === 'string' && /your[-_]/i.test(node)
          ? [path.join('.')]
          : [];
    const blocks = Object.keys(defaults).filter((k) => k.startsWith('external') && samples(defaults[k], [k]).length > 0);
    expect(blocks.length).toBeGreaterThan(3);
    for (const block of blocks) {
      const r = await runCli(['validate', '--helm-values', values({ [block]: { enabled: true } }), '--format', 'json', '--release', release]);
      const reported = (JSON.parse(r.stdout).diagnostics as { rule: string; data?: { path?: string[] } }[])
        .filter((d) => d.rule === 'missing-variable' || d.rule === 'insecure-secret')
        .map((d) => d.data?.path?.join('.'));
      for (const path of samples(defaults[block], [block])) expect(reported, `${block}: ${path}`).toContain(path);
    }
  });
});
