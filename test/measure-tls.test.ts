// `dify-deploy measure` against a PostgreSQL server that takes TLS connections only (pg_hba.conf:
// hostssl lines, the rest rejected) — a managed database's usual setting. libpq's sslmode is what
// the user gives: without one (libpq's default, prefer) or with prefer/allow, TLS is tried as libpq
// tries it; with disable the refusal is named for what it is, not a wrong password.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { runCli } from './helpers/cli.js';
import { requirePostgres, startPostgres, type PgServer } from './helpers/postgres.js';
import { DEFAULT_TRAFFIC, DIFY_DDL, fillTraffic } from './helpers/dify-db.js';

const TRAFFIC = { ...DEFAULT_TRAFFIC, minutes: 60, burst: { start: 30, length: 5, factor: 3 } };
let server: PgServer | undefined;
let total = 0;

beforeAll(async () => {
  if (!requirePostgres()) return;
  // A self-signed certificate the server reads: its key owned by the server's user, mode 0600.
  const dir = mkdtempSync(join(tmpdir(), 'dd-measure-tls-'));
  chmodSync(dir, 0o755);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.crt')], { stdio: 'pipe' });
  chmodSync(join(dir, 'server.key'), 0o600);
  if (process.getuid?.() === 0) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'difytest'], { encoding: 'utf8' }).trim());
    for (const f of ['server.key', 'server.crt']) chownSync(join(dir, f), id('-u'), id('-g'));
  }
  server = await startPostgres({ ssl: 'on', ssl_cert_file: join(dir, 'server.crt'), ssl_key_file: join(dir, 'server.key') });
  const admin = (database: string) => new pg.Client({ host: server!.host, port: server!.port, user: server!.superuser, database });
  const c0 = admin('postgres');
  await c0.connect();
  await c0.query('CREATE DATABASE dify');
  await c0.end();
  const c = admin('dify');
  await c.connect();
  try {
    await c.query(DIFY_DDL);
    total = (await fillTraffic(c, TRAFFIC)).perMinuteTotal.reduce((a, b) => a + b, 0);
  } finally {
    await c.end();
  }
  // From now on TCP connections are taken over TLS only.
  const hba = join(server.dataDir, 'pg_hba.conf');
  writeFileSync(hba, `hostssl all all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject\n${readFileSync(hba, 'utf8')}`);
  const r = new pg.Client({ host: server.host, port: server.port, user: server.superuser, database: 'postgres', ssl: { rejectUnauthorized: false } });
  await r.connect();
  await r.query('SELECT pg_reload_conf()');
  await r.end();
}, 300_000);

afterAll(() => server?.stop());

const measureWith = (query: string, ...flags: string[]) =>
  runCli(['measure', '--db', `postgresql://${server!.superuser}@127.0.0.1:${server!.port}/dify${query}`, '--until', TRAFFIC.until, '--since', '1h', ...flags]);

describe('measure against a server that takes TLS only', () => {
  it.each(['', '?sslmode=prefer', '?sslmode=allow', '?sslmode=require'])('--db …/dify%s connects over TLS and measures', async (query) => {
    if (!server) return;
    const r = await measureWith(query, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).total.total).toBe(total);
  });

  it('sslmode=disable: the refusal of pg_hba.conf named (one line, exit 2), not taken for a wrong password', async (ctx) => {
    if (!server) return ctx.skip();
    const r = await measureWith('?sslmode=disable');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/the server refused the connection \(pg_hba\.conf rejects connection for host "127\.0\.0\.1".*no encryption\); its pg_hba\.conf does not admit this user, database and address in the clear: drop sslmode=disable/);
    expect(r.stderr).not.toMatch(/password/);
  });
});
