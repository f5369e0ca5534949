// The connection budget proven on a real PostgreSQL, with a bounded number of connections.
//
// For the smallest and the largest tier the budget is read back from the rendered compose files
// the way validate reads them, equals the plan's, fits max_connections − superuser_reserved_connections,
// and a real server starts with the files' settings and reports them back. That arithmetic is only
// right if PostgreSQL admits exactly max_connections − reserved ordinary connections: the smallest
// tier, whose peak fits this machine (~100 backends), proves it end to end — every process's pool
// at its peak as an ordinary role, the admin headroom, one more refused, a superuser still admitted.
// (The largest tier's peak is ~5,000 backends: opening them proved nothing more and made CI red
// under load.)
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { tierNames } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import { renderDeployment } from '../src/render/index.js';
import { withStateChoices } from './helpers/state-choices.js';
import type { Deployment } from '../src/validate/deployment.js';
import { loadDeployment } from '../src/validate/load.js';
import { connectionBreakdown } from '../src/validate/rules/connection-budget.js';
import { type PgServer, requirePostgres, startPostgres } from './helpers/postgres.js';

/** The test machine is not the largest tier's 128 GiB DB host: above this, shared_buffers is scaled down (max_connections never is). */
const TEST_SHARED_BUFFERS_CAP_MB = 1024;
const SCALED_SHARED_BUFFERS = '128MB';
const megabytes = (setting: string) => Number(/^(\d+)MB$/.exec(setting)?.[1] ?? NaN);
const ROLE = 'dify_app';
/** Connections opened at a time: the server holds them all at once, without a stampede of start-ups on a loaded machine. */
const OPEN_AT_ONCE = 8;
/** The end-to-end proof opens at most this many backends. */
const MACHINE_CONNECTIONS = 400;

async function renderedBudget(tier: string) {
  const dir = mkdtempSync(join(tmpdir(), 'dd-pgproof-'));
  // Without a pooler every planned connection reaches the server (test/pgbouncer-real.test.ts covers the pooled side).
  const spec = parseSpecData(withStateChoices({ tier, database: { pooler: 'none' } }), 'test');
  expect((await renderDeployment({ spec, outDir: dir, target: 'compose' })).refused).toEqual([]);
  // Everything below comes from the rendered files, read back the way validate reads them.
  const { deployment } = loadDeployment({ dir });
  const breakdown = connectionBreakdown(deployment);
  const db = deployment.database!;
  const required = breakdown.reduce((n, u) => n + u.total!, 0);
  expect(required).toBe(planFor(spec, 'compose').budget.required);
  return { deployment, breakdown, required, maxConnections: db.maxConnections!, reserved: db.reserved };
}

function serverWith(deployment: Deployment): Promise<PgServer> {
  const sharedBuffers = megabytes(deployment.vars.POSTGRES_SHARED_BUFFERS);
  expect(sharedBuffers).toBeGreaterThan(0);
  return startPostgres({
    max_connections: deployment.database!.maxConnections!,
    superuser_reserved_connections: deployment.database!.reserved,
    shared_buffers: sharedBuffers > TEST_SHARED_BUFFERS_CAP_MB ? SCALED_SHARED_BUFFERS : deployment.vars.POSTGRES_SHARED_BUFFERS,
  });
}

const tiers = tierNames();
const smallestAndLargest = [tiers[0], tiers[tiers.length - 1]];

describe('connection budget on a real PostgreSQL', () => {
  for (const tier of smallestAndLargest) {
    it(`${tier}: the files' budget is the plan's, fits max_connections − reserved, and a server runs with the files' settings`, async (ctx) => {
      if (!requirePostgres()) return ctx.skip();
      const { required, maxConnections, reserved, deployment } = await renderedBudget(tier);
      expect(required).toBeLessThanOrEqual(maxConnections - reserved);
      const server = await serverWith(deployment);
      const admin = new pg.Client({ host: server.host, port: server.port, user: server.superuser, database: 'postgres' });
      try {
        await admin.connect();
        const setting = async (name: string) => Number((await admin.query<{ v: string }>('SELECT current_setting($1) AS v', [name])).rows[0].v);
        expect(await setting('max_connections')).toBe(maxConnections);
        expect(await setting('superuser_reserved_connections')).toBe(reserved);
      } finally {
        await admin.end().catch(() => undefined);
        server.stop();
      }
    }, 120_000);
  }

  it(`${tiers[0]}: the planned peak opens as a non-superuser, the headroom too, and one more is refused`, async (ctx) => {
    if (!requirePostgres()) return ctx.skip();
    const { deployment, breakdown, required, maxConnections, reserved } = await renderedBudget(tiers[0]);
    expect(maxConnections).toBeLessThanOrEqual(MACHINE_CONNECTIONS);
    const server = await serverWith(deployment);
    const pools: pg.Pool[] = [];
    const clients: pg.PoolClient[] = [];
    try {
      execFileSync(server.bin('psql'), ['-h', server.host, '-p', String(server.port), '-U', server.superuser, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE ROLE ${ROLE} LOGIN`]);
      const connect = (pool: pg.Pool) => pool.connect().then((c) => (clients.push(c), c));
      const newPool = (max: number) => {
        const pool = new pg.Pool({ host: server.host, port: server.port, user: ROLE, database: 'postgres', max });
        pool.on('error', () => undefined);
        pools.push(pool);
        return pool;
      };
      // Each batch settles before the next (and before a failure is reported), so every opened client is released in `finally`.
      const openAll = async (slots: pg.Pool[]) => {
        for (let i = 0; i < slots.length; i += OPEN_AT_ONCE) {
          const failed = (await Promise.allSettled(slots.slice(i, i + OPEN_AT_ONCE).map(connect))).find((r) => r.status === 'rejected');
          if (failed) throw failed.reason;
        }
      };

      // Every process's pool at its maximum, all held at the same time.
      const slots: pg.Pool[] = [];
      for (const u of breakdown)
        for (let p = 0; p < u.replicas * u.processes; p++) {
          const pool = newPool(u.perProcess!);
          for (let c = 0; c < u.perProcess!; c++) slots.push(pool);
        }
      await openAll(slots);
      expect(clients).toHaveLength(required);

      // The admin headroom is usable too, up to max_connections − reserved …
      const headroom = newPool(maxConnections - reserved - required + 1);
      await openAll(Array.from({ length: maxConnections - reserved - required }, () => headroom));
      expect(clients).toHaveLength(maxConnections - reserved);
      // … and not one connection more for an ordinary role.
      await expect(connect(headroom)).rejects.toThrow(/remaining connection slots are reserved/);

      // The reserved slots still admit a superuser (how an operator gets in during an incident).
      const admin = new pg.Client({ host: server.host, port: server.port, user: server.superuser, database: 'postgres' });
      await admin.connect();
      const { rows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE usename = '${ROLE}'`);
      expect(Number(rows[0].n)).toBe(maxConnections - reserved);
      await admin.end();
    } finally {
      for (const c of clients) c.release();
      await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
      server.stop();
    }
  }, 180_000);
});
