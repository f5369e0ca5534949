// database.sslMode, to every process that opens a connection to an external PostgreSQL: the
// plugin daemon reads DB_SSL_MODE (upstream's compose passes it; its own default is "disable",
// which a server that forces TLS — RDS PostgreSQL 15+ by default — refuses), and libpq in the
// api image (psycopg2) and pg_dump read PGSSLMODE. A process behind PgBouncer talks to PgBouncer,
// which has no client-side TLS here; PgBouncer itself takes sslMode to the server (pgbouncer.ts).
import { componentsWhere } from '../dify/components.js';
import type { RenderContext } from './types.js';

/** Processes that reach PostgreSQL through the pooler when there is one. */
export const THROUGH_POOLER: readonly string[] = componentsWhere((c) => c.throughPooler);

/** The TLS setting `component` (a plan component, or the migrate/backup jobs) must be given. */
export function databaseTlsEnv(ctx: RenderContext, component: string): Record<string, string> {
  const db = ctx.spec.database;
  if (db.mode !== 'external' || db.engine !== 'postgresql' || !db.sslMode) return {};
  if (ctx.plan.database.pooler && THROUGH_POOLER.includes(component)) return {};
  return component === 'plugin_daemon' ? { DB_SSL_MODE: db.sslMode } : { PGSSLMODE: db.sslMode };
}

/**
 * The api pods' env list for a Helm job that must hold one server session (migrations, pg_dump):
 * without the pooler's address (helmPoolerEnv), so the chart's ConfigMap gives PostgreSQL's, and
 * with the job's TLS mode.
 */
export function directJobEnv<E extends { name: string }>(env: E[], ctx: RenderContext, job: 'migrate' | 'backup'): (E | { name: string; value: string })[] {
  const tls = databaseTlsEnv(ctx, job);
  const pooled = ctx.plan.database.pooler ? POOLER_ADDRESS : [];
  return [...env.filter((e) => !(e.name in tls) && !pooled.includes(e.name)), ...Object.entries(tls).map(([name, value]) => ({ name, value }))];
}

/** What helmPoolerEnv points at PgBouncer. */
const POOLER_ADDRESS = ['DB_HOST', 'DB_PORT', 'DB_TYPE'];
