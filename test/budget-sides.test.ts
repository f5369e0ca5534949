// Issue 26 item 6: the connection budget has two sides once PgBouncer is on — the components
// against PgBouncer's max_client_conn, the pools and direct users against the database's
// max_connections. Every budget sentence the rendered READMEs and .env state is read back here
// and checked against the limit the rendered files themselves set (pgbouncer.ini, .env, the
// Helm values, or the external server's declared max_connections), and it must hold: no text
// may put one side's number under the other's name, or state a sum that does not fit.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planFor } from '../src/core/resolve.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import type { SpecInput } from '../src/core/spec.js';
import { renderDeployment } from '../src/render/index.js';
import { withStateChoices } from './helpers/state-choices.js';

type Limit = 'max_client_conn' | 'max_connections';

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });

/** The limits the rendered files set (independent of the plan): PgBouncer's and the database server's. */
function limitsInFiles(dir: string, externalMax?: number): Partial<Record<Limit, number>> {
  const text = filesUnder(dir)
    .filter((f) => !/README|RUNBOOK/.test(f))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const one = (re: RegExp) => {
    const values = new Set([...text.matchAll(re)].map((m) => Number(m[1])));
    expect(values.size, `${re} set to one value`).toBeLessThanOrEqual(1);
    return [...values][0];
  };
  const clientConn = one(/^\s*max_client_conn\s*=\s*(\d+)/gm);
  const server = externalMax ?? one(/(?:^POSTGRES_MAX_CONNECTIONS=|max_connections\s*=\s*)(\d+)/gm);
  return { ...(clientConn !== undefined ? { max_client_conn: clientConn } : {}), ...(server !== undefined ? { max_connections: server } : {}) };
}

interface Statement {
  file: string;
  line: string;
  required: number;
  reserved: number;
  limit: Limit;
  value: number;
}

/** Every "… N … ≤ max_client_conn|max_connections M" in the human-facing texts, with its left side's sum. */
function budgetStatements(dir: string): Statement[] {
  return filesUnder(dir)
    .filter((f) => /README\.md$|RUNBOOK\.md$|\.env$/.test(f))
    .flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line) => {
          const m = /^(.*)≤ (max_client_conn|max_connections) (\d+)/.exec(line);
          if (!m) return [];
          // The left side: after the label (last ": ") and after any arithmetic's "=".
          const left = m[1].split(': ').pop()!.split('=').pop()!;
          const required = Number(/\d+/.exec(left)?.[0]);
          const reserved = Number(/(\d+) reserved/.exec(left)?.[1] ?? 0);
          return [{ file, line, required, reserved, limit: m[2] as Limit, value: Number(m[3]) }];
        }),
    );
}

const S3 = { type: 's3', bucket: 'dify-files', region: 'us-east-1', useIam: true } as const;
const RDS_MAX = 1000;
const cases: { name: string; input: SpecInput; target: 'compose' | 'helm'; pooled: boolean; externalMax?: number }[] = [
  { name: 'compose 10qps (no pooler)', input: { tier: '10qps' }, target: 'compose', pooled: false },
  { name: 'compose 200qps (PgBouncer)', input: { tier: '200qps' }, target: 'compose', pooled: true },
  { name: 'helm 10qps (no pooler)', input: { tier: '10qps', targets: ['helm'], storage: S3 }, target: 'helm', pooled: false },
  { name: 'helm 200qps (PgBouncer)', input: { tier: '200qps', targets: ['helm'], storage: S3 }, target: 'helm', pooled: true },
  {
    name: 'helm 200qps, PgBouncer in front of an RDS with max_connections 1000',
    input: { tier: '200qps', targets: ['helm'], storage: S3, database: { mode: 'external', host: 'rds.example.com', password: 'Rds-Pass-0123456789abc', maxConnections: RDS_MAX, pooler: 'pgbouncer' } },
    target: 'helm',
    pooled: true,
    externalMax: RDS_MAX,
  },
];

describe('the connection budget names its two sides', () => {
  for (const c of cases)
    it(`${c.name}: every budget sentence names the limit the files set, and holds`, async () => {
      const spec = parseSpecData(withStateChoices(c.input, c.target), 'test');
      const dir = mkdtempSync(join(tmpdir(), 'dd-budget-sides-'));
      const report = await renderDeployment({ spec, outDir: dir, target: c.target });
      expect(report.refused).toEqual([]);
      const limits = limitsInFiles(dir, c.externalMax);
      const statements = budgetStatements(dir);
      // The README states both sides when pooled, the server side always.
      const readme = statements.filter((s) => s.file.endsWith('README.md'));
      expect(new Set(readme.map((s) => s.limit))).toEqual(new Set(c.pooled ? ['max_client_conn', 'max_connections'] : ['max_connections']));
      for (const s of statements) {
        expect(limits[s.limit], `${s.file}: ${s.line}`).toBe(s.value);
        expect(s.required + s.reserved, `${s.file}: ${s.line}`).toBeLessThanOrEqual(s.value);
      }
      // The JSON says which limit budget.maxConnections is, and carries the other one too.
      const plan = planFor(spec, c.target);
      expect(plan.budget.limit).toBe(c.pooled ? 'max_client_conn' : 'max_connections');
      expect(plan.budget.side).toBe(c.pooled ? 'client' : 'server');
      expect(plan.budget.maxConnections).toBe(limits[plan.budget.limit]);
      expect(plan.budget.databaseMaxConnections).toBe(limits.max_connections);
      expect(plan.budget.maxClientConn).toBe(limits.max_client_conn);
      if (plan.budget.server) expect(plan.budget.server.limit).toBe('max_connections');
    });
});
