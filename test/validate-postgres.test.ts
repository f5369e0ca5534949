// The connection budget proven on a real PostgreSQL: for the smallest and the largest tier,
// render the compose deployment, read its budget back from the files with validate, start a
// throwaway server with the files' max_connections, open every process's pool at its peak
// concurrently as an ordinary (non-superuser) role — all succeed — fill the admin headroom,
// and show the next connection is refused while a superuser still gets a reserved slot.
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
import { loadDeployment } from '../src/validate/load.js';
import { connectionBreakdown } from '../src/validate/rules/connection-budget.js';
import { requirePostgres, startPostgres } from './helpers/postgres.js';

/** The test machine is not the largest tier's 128 GiB DB host: above this, shared_buffers is scaled down (max_connections never is). */
const TEST_SHARED_BUFFERS_CAP_MB = 1024;
const SCALED_SHARED_BUFFERS = '128MB';
const megabytes = (setting: string) => Number(/^(\d+)MB$/.exec(setting)?.[1] ?? NaN);
const ROLE = 'dify_app';

const tiers = tierNames();
const smallestAndLargest = [tiers[0], tiers[tiers.length - 1]];

describe('connection budget on a real PostgreSQL', () => {
  for (const tier of smallestAndLargest) {
    it(`${tier}: the planned peak fits as a non-superuser, one more beyond the usable budget is refused`, async (ctx) => {
      if (!requirePostgres()) return ctx.skip();
      const dir = mkdtempSync(join(tmpdir(), 'dd-pgproof-'));
      // Without a pooler every planned connection reaches the server (test/pgbouncer-real.test.ts covers the pooled side).
      const spec = parseSpecData({ tier, database: { pooler: 'none' } }, 'test');
      expect((await renderDeployment({ spec, outDir: dir, target: 'compose' })).refused).toEqual([]);

      // Everything below comes from the rendered files, read back the way validate reads them.
      const { deployment } = loadDeployment({ dir });
      const breakdown = connectionBreakdown(deployment);
      const db = deployment.database!;
      const required = breakdown.reduce((n, u) => n + u.total!, 0);
      expect(required).toBe(planFor(spec, 'compose').budget.required);
      const sharedBuffers = megabytes(deployment.vars.POSTGRES_SHARED_BUFFERS);
      expect(sharedBuffers).toBeGreaterThan(0);
      const server = await startPostgres({
        max_connections: db.maxConnections!,
        superuser_reserved_connections: db.reserved,
        shared_buffers: sharedBuffers > TEST_SHARED_BUFFERS_CAP_MB ? SCALED_SHARED_BUFFERS : deployment.vars.POSTGRES_SHARED_BUFFERS,
      });
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

        // Every process's pool at its maximum, all at once.
        const opening: Promise<unknown>[] = [];
        for (const u of breakdown)
          for (let p = 0; p < u.replicas * u.processes; p++) {
            const pool = newPool(u.perProcess!);
            for (let c = 0; c < u.perProcess!; c++) opening.push(connect(pool));
          }
        const results = await Promise.allSettled(opening);
        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
        expect(clients).toHaveLength(required);

        // The admin headroom is usable too, up to max_connections − reserved …
        const headroom = newPool(db.maxConnections! - db.reserved - required + 1);
        for (let i = required; i < db.maxConnections! - db.reserved; i++) await connect(headroom);
        expect(clients).toHaveLength(db.maxConnections! - db.reserved);
        // … and not one connection more for an ordinary role.
        await expect(connect(headroom)).rejects.toThrow(/remaining connection slots are reserved/);

        // The reserved slots still admit a superuser (how an operator gets in during an incident).
        const admin = new pg.Client({ host: server.host, port: server.port, user: server.superuser, database: 'postgres' });
        await admin.connect();
        const { rows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE usename = '${ROLE}'`);
        expect(Number(rows[0].n)).toBe(db.maxConnections! - db.reserved);
        await admin.end();
      } finally {
        for (const c of clients) c.release();
        await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
        server.stop();
      }
    }, 300_000);
  }
});
