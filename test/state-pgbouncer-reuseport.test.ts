// PgBouncer beyond one core, for real: at 1000 QPS the compose plan runs several PgBouncer processes in
// one container sharing the port (so_reuseport). The rendered start script and pgbouncer.ini (paths
// and ports mapped to this machine) start Debian's pgbouncer in front of a real PostgreSQL: all the
// processes listen on the one port, every client the test opens at once is served through it, and
// PostgreSQL never holds more server connections than the plan's server side (both processes' pools).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { planFor } from '../src/core/resolve.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import { renderFiles } from '../src/render/index.js';
import { PGBOUNCER_AUTH_FILE, PGBOUNCER_CONFIG_PATH, poolerUser, renderPgbouncerIni } from '../src/render/pgbouncer.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { freePort } from './helpers/free-port.js';
import { requirePostgres, startPostgres, type PgServer } from './helpers/postgres.js';
import { withStateChoices } from './helpers/state-choices.js';

const PGBOUNCER = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p) => spawnSync(p, ['--version']).status === 0);
if (!PGBOUNCER && process.env.CI === 'true') throw new Error('pgbouncer is required under CI (Debian package pgbouncer; .ci/run installs it)');
const maybe = PGBOUNCER && requirePostgres() ? describe : describe.skip;
const PASSWORD = 'reuseport-test';
/** Clients opened at once through the shared port. */
const CLIENTS = 200;

maybe('several PgBouncer processes behind one port (so_reuseport), as the 1000 QPS compose plan runs them', () => {
  const spec = parseSpecData(withStateChoices({ tier: '1000qps', database: { pooler: 'pgbouncer' } }), 'test');
  const plan = planFor(spec, 'compose');
  const pooler = plan.database.pooler!;
  const version = execFileSync(PGBOUNCER!, ['--version'], { encoding: 'utf8' }).match(/PgBouncer (\d+\.\d+\.\d+)/)![1];
  let server: PgServer;
  let bouncer: ChildProcess;
  let dir: string;
  let port: number;
  let iniPath: string;

  beforeAll(async () => {
    server = await startPostgres({ max_connections: plan.database.maxConnections, superuser_reserved_connections: plan.database.reserved });
    const psql = (sql: string) => execFileSync(server.bin('psql'), ['-h', server.host, '-p', String(server.port), '-U', server.superuser, '-d', 'postgres', '-qAtc', sql], { encoding: 'utf8' });
    for (const d of pooler.databases) psql(`CREATE DATABASE ${d.name}`);
    dir = mkdtempSync(join(tmpdir(), 'dd-reuseport-'));
    chmodSync(dir, 0o777);
    port = await freePort();
    const authFile = join(dir, 'userlist.txt');
    iniPath = join(dir, 'pgbouncer.ini');
    writeFileSync(iniPath, renderPgbouncerIni(spec, pooler, { host: server.host, port: server.port, version, listenAddr: '127.0.0.1', listenPort: port, authFile }), { mode: 0o644 });
    // The compose service's start script, container paths mapped, compose's `$$` undone; nofile as the container's ulimits give it.
    const { files } = renderFiles(spec, 'compose', resolveSecrets({}));
    const compose = parseYaml(files.find((f) => f.path === 'docker-compose.yaml')!.content) as { services: Record<string, { command: string[] }> };
    const script = compose.services.pgbouncer.command[0]
      .replaceAll('$$', '$')
      .replaceAll(PGBOUNCER_AUTH_FILE, authFile)
      .replaceAll(`pgbouncer ${PGBOUNCER_CONFIG_PATH}`, `${PGBOUNCER} ${iniPath}`);
    const env = { ...process.env, PGBOUNCER_AUTH_USER: poolerUser(spec), PGBOUNCER_AUTH_PASSWORD: PASSWORD };
    const asRoot = process.getuid?.() === 0;
    bouncer = spawn(asRoot ? 'runuser' : 'sh', asRoot ? ['-u', 'difytest', '--', 'sh', '-c', script] : ['-c', script], { stdio: 'ignore', env, detached: true });
    for (let i = 0; i < 100 && listeners().length < pooler.layout!.processesPerReplica; i++) await new Promise((r) => setTimeout(r, 100));
  }, 60_000);

  afterAll(() => {
    // The script's process group: the exec'd PgBouncer and the restart loop of the other one.
    if (bouncer?.pid) process.kill(-bouncer.pid, 'SIGKILL');
    server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Listening sockets on the port (one per process with so_reuseport). */
  const listeners = () => execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' }).split('\n').filter((l) => l.trim());

  const processes = pooler.layout!.processesPerReplica;

  it('the plan asks for several processes sharing the port', () => {
    expect(processes).toBeGreaterThanOrEqual(2);
    expect(pooler.layout!.soReuseport).toBe(true);
  });

  it('as many PgBouncer processes listen on the one port', () => {
    expect(listeners().length).toBe(processes);
  });

  it(`${CLIENTS} clients at once are all served through it, and PostgreSQL holds no more than the planned server connections`, async () => {
    const clients = Array.from({ length: CLIENTS }, () => new pg.Client({ host: '127.0.0.1', port, user: poolerUser(spec), password: PASSWORD, database: spec.database.database }));
    try {
      await Promise.all(clients.map((c) => c.connect()));
      const rows = await Promise.all(clients.map((c) => c.query('SELECT 1 AS one, pg_sleep(0.05)')));
      expect(rows.every((r) => r.rows[0].one === 1)).toBe(true);
      const held = execFileSync(server.bin('psql'), ['-h', server.host, '-p', String(server.port), '-U', server.superuser, '-d', 'postgres', '-qAtc', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"], { encoding: 'utf8' });
      expect(Number(held)).toBeLessThanOrEqual(pooler.serverRequired);
      // None of them fell over under the load.
      expect(listeners().length).toBe(processes);
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    }
  }, 60_000);
});
