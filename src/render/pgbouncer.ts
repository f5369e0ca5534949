// pgbouncer/pgbouncer.ini: PgBouncer's final config from the plan's pooler (one file for the compose
// service and the Helm ConfigMap). The auth file holds the DB password, so it is never rendered to
// disk: the compose service writes it inside the container at start, from .env.
import { BOOTSTRAP_POOL, PGBOUNCER_PORT, type PoolerPlan } from '../core/pooler.js';
import type { Spec } from '../core/spec.js';
import { renderTemplate } from './template.js';

/** PgBouncer 1.21 added max_prepared_statements (transaction-mode prepared statements). */
const PREPARED_STATEMENTS_SINCE = [1, 21];
const MAX_PREPARED_STATEMENTS = 200;
export const PGBOUNCER_AUTH_FILE = '/tmp/pgbouncer-userlist.txt';
export const PGBOUNCER_CONFIG_PATH = '/etc/pgbouncer/pgbouncer.ini';

export interface PgbouncerIniOptions {
  /** The PostgreSQL server PgBouncer connects to. */
  host: string;
  port: number;
  /** PgBouncer's version where it runs: settings it does not know are left out. */
  version: string;
  listenAddr?: string;
  listenPort?: number;
  authFile?: string;
}

const atLeast = (version: string, [major, minor]: number[]) => {
  const [a, b] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
};

/** The server-side user PgBouncer logs in as: the one Dify uses. */
export const poolerUser = (spec: Spec) => (spec.database.mode === 'bundled' ? 'postgres' : (spec.database.user ?? 'postgres'));

export function renderPgbouncerIni(spec: Spec, pooler: PoolerPlan, o: PgbouncerIniOptions): string {
  return renderTemplate('pgbouncer/pgbouncer.ini.hbs', {
    ...pooler,
    version: o.version,
    host: o.host,
    port: o.port,
    user: poolerUser(spec),
    pluginDatabase: spec.database.pluginDatabase,
    listenAddr: o.listenAddr ?? '0.0.0.0',
    listenPort: o.listenPort ?? PGBOUNCER_PORT,
    authFile: o.authFile ?? PGBOUNCER_AUTH_FILE,
    reservePoolTimeout: 3,
    bootstrapPool: BOOTSTRAP_POOL,
    sslMode: spec.database.mode === 'external' ? spec.database.sslMode : undefined,
    maxPreparedStatements: atLeast(o.version, PREPARED_STATEMENTS_SINCE) ? MAX_PREPARED_STATEMENTS : undefined,
    soReuseport: pooler.layout?.soReuseport ?? false,
  });
}

/**
 * The container's start: the auth file from PGBOUNCER_AUTH_USER / PGBOUNCER_AUTH_PASSWORD (a `"`
 * doubled, PgBouncer's quoting), readable only by PgBouncer's user, then PgBouncer itself.
 */
export function pgbouncerStartScript(layout?: { processesPerReplica: number; nofile: number }): string {
  const extra = (layout?.processesPerReplica ?? 1) - 1;
  return [
    'umask 077',
    `q() { printf '%s' "$1" | sed 's/"/""/g'; }`,
    `printf '"%s" "%s"\\n' "$(q "$PGBOUNCER_AUTH_USER")" "$(q "$PGBOUNCER_AUTH_PASSWORD")" > ${PGBOUNCER_AUTH_FILE}`,
    // max_client_conn clients plus the server connections, per process (PgBouncer checks it at start).
    ...(layout ? [`ulimit -n ${layout.nofile} 2>/dev/null || echo "pgbouncer: cannot raise nofile to ${layout.nofile} (hard limit $(ulimit -Hn)); raise the container's nofile limit" >&2`] : []),
    // so_reuseport: the other processes share the port, each restarted if it exits; the last is the container's own.
    ...(extra > 0 ? [`i=0; while [ $i -lt ${extra} ]; do (while true; do pgbouncer ${PGBOUNCER_CONFIG_PATH}; sleep 1; done) & i=$((i + 1)); done`] : []),
    `exec pgbouncer ${PGBOUNCER_CONFIG_PATH}`,
  ].join('\n');
}
export const PGBOUNCER_START_SCRIPT = pgbouncerStartScript();

