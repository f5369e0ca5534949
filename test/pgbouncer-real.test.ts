// The plan's PgBouncer run for real: Debian's pgbouncer started with the rendered pgbouncer.ini
// (paths, listen port and server address mapped to this machine; settings the local version does
// not know left out by the same renderer), in front of a real PostgreSQL started with the plan's
// server-side max_connections and superuser_reserved_connections. Every planned client connection
// is opened at once with the startup parameters Dify really sends; PostgreSQL must never hold more
// than the planned server connections, and one client beyond max_client_conn is refused.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFor } from '../src/core/resolve.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import type { Plan } from '../src/core/sizing.js';
import { parse as parseYaml } from 'yaml';
import { renderFiles } from '../src/render/index.js';
import { PGBOUNCER_AUTH_FILE, PGBOUNCER_CONFIG_PATH, poolerUser, renderPgbouncerIni } from '../src/render/pgbouncer.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { freePort } from './helpers/free-port.js';
import { requirePostgres, startPostgres, type PgServer } from './helpers/postgres.js';
import { withStateChoices } from './helpers/state-choices.js';

const PGBOUNCER = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p) => spawnSync(p, ['--version']).status === 0);
if (!PGBOUNCER && process.env.CI === 'true') throw new Error("pgbouncer is required under CI (Debian package pgbouncer; .ci/run installs it)");
const maybe = PGBOUNCER && requirePostgres() ? describe : describe.skip;

/** With a quote and a dollar: the start script must write them as PgBouncer reads them. */
const PASSWORD = 'pooler-"test"-$ecret';

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: PASSWORD, database: 'pgbouncer' });
    try {
      await c.connect();
      await c.end();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`pgbouncer did not listen on ${port}`);
}

maybe('PgBouncer with the rendered settings, in front of a real PostgreSQL', () => {
  // 10 QPS on Kubernetes with the pooler on: a few hundred planned client connections, all opened at once. (At
  // 100 QPS the plan now has ~1600 — 6–15 s requests — and that many simultaneous connects overflow the
  // loopback listen backlog of this test, not anything the plan sizes.)
  const spec = parseSpecData(withStateChoices({ tier: '10qps', targets: ['helm'], database: { pooler: 'pgbouncer' } }, 'helm'), 'test');
  const plan: Plan = planFor(spec, 'helm');
  const pooler = plan.database.pooler!;
  const version = execFileSync(PGBOUNCER!, ['--version'], { encoding: 'utf8' }).match(/PgBouncer (\d+\.\d+\.\d+)/)![1];
  let server: PgServer;
  let bouncer: ChildProcess;
  let dir: string;
  let port: number;
  let log = '';

  beforeAll(async () => {
    // Server side as planned; a non-UTC default proves the pooler sets Dify's timezone itself.
    server = await startPostgres({ max_connections: plan.database.maxConnections, superuser_reserved_connections: plan.database.reserved, timezone: "'Asia/Tokyo'" });
    const psql = (sql: string) => execFileSync(server.bin('psql'), ['-h', server.host, '-p', String(server.port), '-U', server.superuser, '-d', 'postgres', '-qAtc', sql], { encoding: 'utf8' });
    for (const d of pooler.databases) psql(`CREATE DATABASE ${d.name}`);
    dir = mkdtempSync(join(tmpdir(), 'dd-pgbouncer-'));
    chmodSync(dir, 0o777); // the start script, run as the unprivileged user, writes the auth file here
    port = await freePort();
    const authFile = join(dir, 'userlist.txt');
    const iniPath = join(dir, 'pgbouncer.ini');
    const ini = renderPgbouncerIni(spec, pooler, { host: server.host, port: server.port, version, listenAddr: '127.0.0.1', listenPort: port, authFile });
    writeFileSync(iniPath, ini, { mode: 0o644 });
    // The compose service's own start script (it writes the auth file from the .env password),
    // with its container paths mapped and compose's `$$` escapes undone.
    const { files } = renderFiles(spec, 'compose', resolveSecrets({}));
    const compose = parseYaml(files.find((f) => f.path === 'docker-compose.yaml')!.content) as { services: Record<string, { command: string[] }> };
    const script = compose.services.pgbouncer.command[0]
      .replaceAll('$$', '$')
      .replaceAll(PGBOUNCER_AUTH_FILE, authFile)
      .replace(`exec pgbouncer ${PGBOUNCER_CONFIG_PATH}`, `exec ${PGBOUNCER} ${iniPath}`);
    const env = { ...process.env, PGBOUNCER_AUTH_USER: poolerUser(spec), PGBOUNCER_AUTH_PASSWORD: PASSWORD };
    // PgBouncer refuses to run as root, like PostgreSQL: the same unprivileged user.
    const asRoot = process.getuid?.() === 0;
    bouncer = spawn(asRoot ? 'runuser' : 'sh', asRoot ? ['-u', 'difytest', '--', 'sh', '-c', script] : ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'], env });
    bouncer.stdout!.on('data', (d) => (log += d));
    bouncer.stderr!.on('data', (d) => (log += d));
    await waitForPort(port).catch((e) => {
      throw new Error(`${e.message}\n${log}`);
    });
  }, 60_000);

  afterAll(() => {
    bouncer?.kill('SIGTERM');
    server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('plans far fewer server connections than clients', () => {
    expect(pooler.maxClientConn).toBe(plan.budget.maxConnections);
    expect(plan.budget.required).toBeLessThanOrEqual(pooler.maxClientConn);
    expect(plan.budget.server!.required).toBeLessThan(plan.budget.required / 4);
    expect(plan.budget.server!.fits).toBe(true);
  });

  it('holds every planned client at once, with no more server connections than planned, and refuses one more', async () => {
    const apiClients = pooler.databases.find((d) => d.name === spec.database.database)!.clients;
    const clients: pg.Client[] = [];
    // Dify's API (psycopg2): options=-c timezone=UTC in the startup packet. The plugin daemon
    // (pgx via GORM, DB_TYPE=pgbouncer): no options, unnamed extended-protocol statements.
    for (let i = 0; i < pooler.maxClientConn; i++) {
      const api = i < apiClients || i >= pooler.maxClientConn - 10;
      clients.push(
        new pg.Client({ host: '127.0.0.1', port, user: poolerUser(spec), password: PASSWORD, database: api ? spec.database.database : spec.database.pluginDatabase, ...(api ? { options: '-c timezone=UTC' } : {}) }),
      );
    }
    await Promise.all(clients.map((c) => c.connect()));
    const direct = new pg.Client({ host: server.host, port: server.port, user: server.superuser, database: 'postgres' });
    await direct.connect();
    let peak = 0;
    const perDb = new Map<string, number>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const r = await direct.query("SELECT datname, count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY datname");
        const total = r.rows.reduce((n, row) => n + row.n, 0);
        peak = Math.max(peak, total);
        for (const row of r.rows) perDb.set(row.datname, Math.max(perDb.get(row.datname) ?? 0, row.n));
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    const timezones = new Set<string>();
    await Promise.all(
      clients.map(async (c, i) => {
        for (let round = 0; round < 3; round++) {
          await c.query('BEGIN');
          await c.query('SELECT pg_sleep(0.02), $1::int AS n', [i]);
          if (round === 0) timezones.add((await c.query('SHOW timezone')).rows[0].TimeZone);
          await c.query('COMMIT');
        }
      }),
    );
    // One client more than max_client_conn.
    const extra = new pg.Client({ host: '127.0.0.1', port, user: poolerUser(spec), password: PASSWORD, database: spec.database.database });
    const refused = await extra.connect().then(
      () => 'accepted',
      (e: Error) => e.message,
    );
    sampling = false;
    await sampler;
    await Promise.all(clients.map((c) => c.end()));
    await direct.end();

    expect(timezones).toEqual(new Set(['UTC']));
    expect(refused).toMatch(/max_client_conn/);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(plan.budget.server!.required);
    for (const d of pooler.databases) expect(perDb.get(d.name) ?? 0).toBeLessThanOrEqual(d.poolSize + d.reservePoolSize);
    console.log(`pgbouncer ${version}: ${pooler.maxClientConn} clients, peak ${peak} server connections (planned ≤ ${plan.budget.server!.required}, max_connections ${plan.database.maxConnections}); per database ${JSON.stringify(Object.fromEntries(perDb))}`);
  }, 120_000);

  it('runs a migration-style transaction directly against PostgreSQL', async () => {
    const c = new pg.Client({ host: server.host, port: server.port, user: server.superuser, database: spec.database.database });
    await c.connect();
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock(42)');
    await c.query('CREATE TABLE alembic_version_test (version_num varchar(32) PRIMARY KEY)');
    await c.query("INSERT INTO alembic_version_test VALUES ('abc123')");
    await c.query('ALTER TABLE alembic_version_test ADD COLUMN note text');
    await c.query('COMMIT');
    const r = await c.query('SELECT version_num FROM alembic_version_test');
    await c.end();
    expect(r.rows).toEqual([{ version_num: 'abc123' }]);
  });
});
