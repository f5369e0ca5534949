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

/** libpq's sslmode in node-postgres terms: require encrypts without checking the certificate, verify-* check it. */
function tlsOf(sslMode: string | undefined): ClientConfig['ssl'] {
  switch (sslMode) {
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      // The chain is checked, the host name is not (libpq's verify-ca).
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
    default:
      // disable, and allow/prefer: node-postgres cannot fall back between the two, so these connect in the clear.
      return false;
  }
}

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
      case '28000':
        return `${where}: authentication failed for user ${source.user}; check the password (DB_PASSWORD, or the one in --db)`;
      case '3D000':
        return `${where}: database ${source.database} does not exist; pass the Dify database's name (DB_DATABASE)`;
      case '42501':
        return `${where}: permission denied (${msg}); the user needs SELECT on Dify's tables (docs/measure.md: a read-only role)`;
      case '57014':
        return `${where}: a query ran past the ${timeoutSeconds} s statement timeout and was cancelled; raise --timeout or shorten --since`;
      case '55P03':
        return `${where}: a lock was not granted within the lock timeout (a migration running?); try again later`;
    }
    if (/does not support SSL/i.test(msg)) return `${where}: the server does not accept TLS; use sslmode=disable (or DB_SSL_MODE=disable)`;
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
export async function withReadOnlySession<T>(source: DbSource, timeoutSeconds: number, work: (s: ReadOnlySession) => Promise<T>): Promise<T> {
  // required here, at first use (pg is CommonJS): the bundle leaves it out and no other command loads it.
  const pg = createRequire(import.meta.url)('pg') as typeof Pg;
  const client: Client = new pg.Client({
    host: source.host,
    port: source.port,
    user: source.user,
    password: source.password ?? '',
    database: source.database,
    ssl: tlsOf(source.sslMode),
    application_name: 'dify-deploy measure',
    connectionTimeoutMillis: 15_000,
  });
  // A server that drops the connection later emits 'error' on the client; the query in flight rejects with it.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw connectionError(e, source, timeoutSeconds);
  }
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
