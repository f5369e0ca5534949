// One read-only session on a Dify database: the driver loaded only here (other commands never
// load it), TLS as libpq's sslmode means it, and every failure as one line naming the source
// (host:port/database — never the password or the URL).
import { createRequire } from 'node:module';
import type * as Pg from 'pg';
import type { Client, ClientConfig } from 'pg';
import { UserError } from '../io/errors.js';
import type { DbSource } from './source.js';

export interface ReadOnlySession {
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

type Tls = ClientConfig['ssl'];
/** TLS that encrypts without checking the certificate (libpq's require, and the TLS try of prefer and allow). */
const UNVERIFIED: Tls = { rejectUnauthorized: false };

/**
 * libpq's sslmode as the TLS settings to try, in order: require encrypts without checking the
 * certificate, verify-* check it; prefer (libpq's default, so also no sslmode) tries TLS first and
 * then the clear, allow the other way round — a server that requires TLS (a managed database's
 * default) is reached without an sslmode, as Dify's own API reaches it.
 */
function tlsAttempts(sslMode: string | undefined): Tls[] {
  switch (sslMode) {
    case 'disable':
      return [false];
    case 'allow':
      return [false, UNVERIFIED];
    case 'require':
      return [UNVERIFIED];
    case 'verify-ca':
      // The chain is checked, the host name is not (libpq's verify-ca).
      return [{ rejectUnauthorized: true, checkServerIdentity: () => undefined }];
    case 'verify-full':
      return [{ rejectUnauthorized: true }];
    default:
      return [UNVERIFIED, false];
  }
}

const NO_TLS = /does not support SSL/i;
/** pg_hba.conf refused the connection (e.g. hostssl lines only, and this try was in the clear): the other try may pass. */
const REJECTED_BY_HBA = '28000';

/** A driver or server error as the one line the user sees. */
export function connectionError(e: unknown, source: DbSource, timeoutSeconds: number): UserError {
  const err = e as { code?: string; message?: string };
  const where = source.label;
  const msg = (err.message ?? String(e)).split('\n')[0];
  const line = (() => {
    switch (err.code) {
      case 'ECONNREFUSED':
        return `${where}: connection refused; is the database reachable from here? (Helm: kubectl port-forward, see docs/measure.md)`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `${where}: host ${source.host} not found; a compose DB_HOST is a service name only other containers resolve: publish the port and pass --host, or use --db`;
      case 'ETIMEDOUT':
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return `${where}: no route to the database (${err.code}); check the host, port and firewall`;
      case '28P01':
        return `${where}: authentication failed for user ${source.user}; check the password (DB_PASSWORD, or the one in --db)`;
      case REJECTED_BY_HBA:
        return `${where}: the server refused the connection (${msg}); its pg_hba.conf does not admit this user, database and address${source.sslMode === 'disable' ? ' in the clear: drop sslmode=disable' : ''}`;
      case '3D000':
        return `${where}: database ${source.database} does not exist; pass the Dify database's name (DB_DATABASE)`;
      case '42501':
        return `${where}: permission denied (${msg}); the user needs SELECT on Dify's tables (docs/measure.md: a read-only role)`;
      case '57014':
        return `${where}: a query ran past the ${timeoutSeconds} s statement timeout and was cancelled; raise --timeout or shorten --since`;
      case '55P03':
        return `${where}: a lock was not granted within the lock timeout (a migration running?); try again later`;
    }
    // The driver's words when the server asks for a password and there is none.
    if (/client password must be a string/i.test(msg))
      return `${where}: the server asks user ${source.user} for a password and none was given; put it in PGPASSWORD or ~/.pgpass (or --db, percent-encoded; DB_PASSWORD with --from)`;
    if (NO_TLS.test(msg)) return `${where}: the server does not accept TLS; use sslmode=disable (or DB_SSL_MODE=disable)`;
    if (/timeout/i.test(msg)) return `${where}: the connection timed out; check the host, port and firewall`;
    if (/self[- ]signed|certificate|SSL|TLS/i.test(msg)) return `${where}: TLS failed: ${msg}; sslmode=require encrypts without checking the certificate`;
    return `${where}: ${err.code ? `${err.code} ` : ''}${msg}`;
  })();
  return new UserError([line]);
}

/**
 * Runs `work` in one transaction that cannot write (READ ONLY, one snapshot for every query),
 * with a statement timeout and a short lock timeout, and always ends it with ROLLBACK: nothing
 * the session did can commit. No temporary tables, no locks beyond a reader's ACCESS SHARE.
 */
/** pgpass's entry point: the password of ~/.pgpass (or $PGPASSFILE) matching the connection, or undefined. */
type PgPassLookup = (connection: { host: string; port: number; database: string; user: string }, done: (password: string | undefined) => void) => void;

/**
 * A password neither --db nor DB_PASSWORD gives, where libpq looks: PGPASSWORD, then ~/.pgpass.
 * pg reads ~/.pgpass itself only through a path it deprecates (a warning on the user's stderr,
 * removed in pg 9); a password function asking the pgpass module is its documented way.
 */
function environmentPassword(source: DbSource): Promise<string | undefined> {
  if (process.env.PGPASSWORD !== undefined) return Promise.resolve(process.env.PGPASSWORD);
  const lookup = createRequire(import.meta.url)('pgpass') as PgPassLookup;
  return new Promise((resolve) => lookup({ host: source.host, port: source.port, database: source.database, user: source.user }, resolve));
}

/** A connected client: each TLS setting of the sslmode in turn, as libpq falls back; the error that says most when none connects. */
async function connect(source: DbSource, timeoutSeconds: number): Promise<Client> {
  // required here, at first use (pg is CommonJS): the bundle leaves it out and no other command loads it.
  const pg = createRequire(import.meta.url)('pg') as typeof Pg;
  const errors: { code?: string; message?: string }[] = [];
  for (const ssl of tlsAttempts(source.sslMode)) {
    const client: Client = new pg.Client({
      host: source.host,
      port: source.port,
      user: source.user,
      // pg takes undefined from the function as "no password" (client.js _getPassword); its types say string only.
      password: source.password ?? ((() => environmentPassword(source)) as () => Promise<string>),
      database: source.database,
      ssl,
      ...(source.options ? { options: source.options } : {}),
      application_name: 'dify-deploy measure',
      connectionTimeoutMillis: 15_000,
    });
    // A server that drops the connection later emits 'error' on the client; the query in flight rejects with it.
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (e) {
      await client.end().catch(() => undefined);
      const err = e as { code?: string; message?: string };
      errors.push(err);
      // Only the server's answer to this try (no TLS here, or not this way by pg_hba.conf) makes the other try worth it.
      if (!(err.code === REJECTED_BY_HBA || NO_TLS.test(err.message ?? ''))) break;
    }
  }
  // A wrong password says more than the refusal of the try in the clear, or of TLS, beside it.
  throw connectionError(errors.find((e) => e.code !== REJECTED_BY_HBA && !NO_TLS.test(e.message ?? '')) ?? errors.at(-1), source, timeoutSeconds);
}

/**
 * Runs `work` in one transaction that cannot write (READ ONLY, one snapshot for every query),
 * with a statement timeout and a short lock timeout, and always ends it with ROLLBACK: nothing
 * the session did can commit. No temporary tables, no locks beyond a reader's ACCESS SHARE.
 */
export async function withReadOnlySession<T>(source: DbSource, timeoutSeconds: number, work: (s: ReadOnlySession) => Promise<T>): Promise<T> {
  const client = await connect(source, timeoutSeconds);
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET LOCAL statement_timeout = '${Math.round(timeoutSeconds * 1000)}ms'`);
    await client.query(`SET LOCAL lock_timeout = '5s'`);
    const session: ReadOnlySession = {
      query: async <R>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as R[],
    };
    return await work(session);
  } catch (e) {
    throw e instanceof UserError ? e : connectionError(e, source, timeoutSeconds);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
