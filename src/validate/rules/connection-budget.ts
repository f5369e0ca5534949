// connection-budget: the worst case of metadata-DB connections the files allow, through
// the one budget implementation (core/budget.ts), against max_connections − reserved.
import { connectionBudget, connectionUsers, LIMIT_OF_SIDE, type ConnectionUser } from '../../core/budget.js';
import { vectorStoreBackend } from '../../backends/vector-stores.js';
import { at, type Diagnostic } from '../diagnostics.js';
import { envVarOrigin, type DatabaseModel, type Deployment, type ServiceModel } from '../deployment.js';
import type { Rule } from './rule.js';
import { DIRECT_USERS } from '../../core/pooler.js';
import { intVariable } from '../../core/python-int.js';
import { helmPoolerSettings, poolerSettings, throughPooler, type PoolerSettings } from '../pooler-settings.js';

export interface BreakdownEntry extends ConnectionUser {
  service: string;
}

/** The services and database one set of files describes: the compose/.env view or the Helm view. */
export interface BudgetView {
  services: ServiceModel[];
  database?: DatabaseModel;
}

/** Every process that can open a metadata-DB connection, one entry per service. */
export function connectionBreakdown(d: Deployment, view: BudgetView = d): BreakdownEntry[] {
  const entries: BreakdownEntry[] = [];
  for (const s of view.services) {
    if (!s.active || !s.component || s.replicas === 0) continue;
    for (const u of connectionUsers(d.release, [{ component: s.component, replicas: s.replicas, env: s.env }]))
      entries.push({ ...u, service: s.name });
  }
  const pgvector = pgvectorOnMetadataServer(view, entries);
  return pgvector ? [...entries, pgvector] : entries;
}

/** pgvector opens its own pool in every api and worker process; it counts when it shares the metadata server. */
function pgvectorOnMetadataServer(d: BudgetView, entries: BreakdownEntry[]): BreakdownEntry | undefined {
  const api = d.services.find((s) => s.active && s.component === 'api');
  const pool = vectorStoreBackend('pgvector').postgresPool;
  if (!api || !pool || !d.database || (api.env.VECTOR_STORE ?? '').toLowerCase() !== 'pgvector') return undefined;
  const sameServer = (api.env.PGVECTOR_HOST ?? '') === d.database.host && (api.env.PGVECTOR_PORT ?? '5432') === (api.env.DB_PORT ?? '5432');
  if (!sameServer) return undefined;
  const perProcess = intVariable(api.env, pool.maxVar, pool.default);
  const processes = entries.filter((e) => e.component === 'api' || e.component === 'worker' || e.component === 'worker_runs').reduce((n, e) => n + e.replicas * e.processes, 0);
  return {
    service: 'pgvector pools',
    component: 'pgvector pools',
    replicas: 1,
    processes,
    perProcess,
    total: processes * perProcess,
    formula: `${processes} api/worker processes × ${pool.maxVar}=${perProcess} (same server as the metadata DB)`,
  };
}

export const connectionBudgetRule: Rule = {
  id: 'connection-budget',
  summary: 'worst-case metadata-DB connections of every process against max_connections minus reserved slots',
  check(d) {
    return [d, ...(d.helm ? [d.helm] : [])].flatMap((view) => budgetFindings(d, view));
  },
};

/**
 * An external server whose max_connections the files cannot tell: the worst case is still
 * worth knowing, and one flag makes it a real check (a warning, since nothing is known broken).
 */
function unknownServerFinding(d: Deployment, db: NonNullable<BudgetView['database']>, breakdown: BreakdownEntry[]): Diagnostic[] {
  if (db.bundled || breakdown.some((b) => b.total === null)) return [];
  const required = breakdown.reduce((n, b) => n + (b.total ?? 0), 0);
  return [
    {
      rule: 'connection-budget',
      severity: 'warning',
      ...at(db.maxConnectionsOrigin ?? envVarOrigin(d.envFile, 'DB_HOST')),
      message: `server side (no pooler): worst case ${required} metadata-DB connections (${breakdown.map((b) => `${b.service} ${b.total}`).join(' + ')}) on the external server at DB_HOST, whose max_connections these files do not state`,
      fix: `run SHOW max_connections; on it and pass --db-max-connections N (it needs ≥ ${required + db.reserved}), or give database.maxConnections in dify-deploy.yaml`,
      data: { side: 'server', limit: LIMIT_OF_SIDE.server, required, available: null, breakdown: breakdown.map((b) => ({ service: b.service, component: b.component, replicas: b.replicas, processes: b.processes, perProcess: b.perProcess, total: b.total, formula: b.formula })) },
    },
  ];
}

/** The server's max_connections is set to something the budget cannot be judged against: said, not skipped. */
function unreadableLimitFinding(unreadable: NonNullable<DatabaseModel['maxConnectionsUnreadable']>): Diagnostic {
  return {
    rule: 'connection-budget',
    severity: 'error',
    ...at(unreadable.origin),
    message: `${unreadable.variable} is not a plain decimal integer: PostgreSQL refuses a non-number at start and reads 010 as 8, 0x10 as 16, 1e3 as 1000, so the connection budget cannot be checked`,
    fix: `write ${unreadable.variable} as a decimal integer, e.g. ${unreadable.variable}=200`,
    data: { side: 'server', limit: LIMIT_OF_SIDE.server, variable: unreadable.variable },
  };
}

/**
 * Behind a PgBouncer both sides are judged: the clients that connect through it against its
 * max_client_conn, and its server pools plus whoever connects directly against max_connections.
 */
function pooledFindings(view: BudgetView, db: DatabaseModel, breakdown: BreakdownEntry[], pooler: PoolerSettings): Diagnostic[] {
  const through = new Set(view.services.filter((s) => throughPooler(s, pooler)).map((s) => s.name));
  const clients = breakdown.filter((b) => through.has(b.service));
  const direct = breakdown.filter((b) => !through.has(b.service));
  const sum = (xs: BreakdownEntry[]) => xs.reduce((n, b) => n + (b.total ?? 0), 0);
  const origin = pooler.file ? { file: pooler.file } : undefined;
  const out: Diagnostic[] = [];
  const clientTotal = sum(clients);
  if (pooler.maxClientConn !== undefined && clientTotal > pooler.maxClientConn)
    out.push({
      rule: 'connection-budget',
      severity: 'error',
      ...at(origin),
      message: `client side: worst case ${clientTotal} connections of the components to PgBouncer (${clients.map((b) => `${b.service} ${b.total}`).join(' + ')}) against its max_client_conn ${pooler.maxClientConn}: the rest are refused`,
      fix: `raise max_client_conn to ≥ ${clientTotal} (plus a few for psql), or lower the pools; \`dify-deploy plan\` sizes both`,
      data: { side: 'client', limit: LIMIT_OF_SIDE.client, required: clientTotal, maxClientConn: pooler.maxClientConn },
    });
  if (pooler.serverConnections !== undefined && db.maxConnections !== undefined) {
    // The migration and pg_dump connect directly too, one session each (core/pooler.ts).
    const server = pooler.serverConnections + sum(direct) + DIRECT_USERS.migration + DIRECT_USERS.backup;
    const available = db.maxConnections - db.reserved;
    if (server > available)
      out.push({
        rule: 'connection-budget',
        severity: 'error',
        ...at(db.maxConnectionsOrigin),
        message: `server side: PgBouncer's server pools (${pooler.serverConnections}), direct connections (${sum(direct)}) and the migration and backup need ${server} connections to the database against its max_connections ${db.maxConnections} − ${db.reserved} reserved = ${available}`,
        fix: `raise max_connections to ≥ ${server + db.reserved}, or lower pool_size / reserve_pool in ${pooler.file}`,
        data: { side: 'server', limit: LIMIT_OF_SIDE.server, required: server, available, maxConnections: db.maxConnections, reserved: db.reserved },
      });
  }
  return out;
}

function budgetFindings(d: Deployment, view: BudgetView): Diagnostic[] {
  const db = view.database;
  if (!db) return [];
  const breakdown = connectionBreakdown(d, view);
  if (breakdown.length === 0) return [];
  const pooler = view === d ? poolerSettings(d) : helmPoolerSettings(d, view.services);
  if (pooler && view.services.some((s) => s.active && s.component === 'api' && throughPooler(s, pooler))) return pooledFindings(view, db, breakdown, pooler);
  if (db.maxConnectionsUnreadable) return [unreadableLimitFinding(db.maxConnectionsUnreadable)];
  if (db.maxConnections === undefined) return unknownServerFinding(d, db, breakdown);
  const budget = connectionBudget(breakdown, db.maxConnections, db.reserved);
  const data = {
    side: budget.side,
    limit: budget.limit,
    required: budget.required,
    available: budget.available,
    maxConnections: db.maxConnections,
    reserved: db.reserved,
    breakdown: breakdown.map((b) => ({ service: b.service, component: b.component, replicas: b.replicas, processes: b.processes, perProcess: b.perProcess, total: b.total, formula: b.formula })),
  };
  const setting = view === d ? (db.engine === 'mysql' ? 'MYSQL_MAX_CONNECTIONS' : 'POSTGRES_MAX_CONNECTIONS') : 'max_connections in postgresql.primary.extendedConfiguration';
  if (budget.required === null) {
    const unbounded = breakdown.filter((b) => b.total === null);
    return [
      {
        rule: 'connection-budget',
        severity: 'error',
        ...at(db.maxConnectionsOrigin),
        message: `no upper bound on metadata-DB connections: ${unbounded.map((u) => `${u.service} (${u.formula})`).join('; ')}`,
        fix: `give every pool a finite size (e.g. DB_MAX_OPEN_CONNS for the plugin daemon, SQLALCHEMY_MAX_OVERFLOW ≥ 0), then size ${setting} to the sum`,
        data,
      },
    ];
  }
  if (budget.fits) return [];
  const need = budget.required + db.reserved;
  const parts = breakdown.map((b) => `${b.service} ${b.total}`).join(' + ');
  return [
    {
      rule: 'connection-budget',
      severity: 'error',
      ...at(db.maxConnectionsOrigin),
      message: `server side (no pooler): worst case ${budget.required} metadata-DB connections (${parts}) against max_connections ${db.maxConnections}${db.maxConnectionsDefaulted ? " (PostgreSQL's default: the values set none)" : ''} − ${db.reserved} reserved = ${budget.available} usable: under load PostgreSQL answers "too many clients already"`,
      fix: db.bundled
        ? `set ${setting} ≥ ${need} (plus a few for psql and backups), or lower SQLALCHEMY_POOL_SIZE / SQLALCHEMY_MAX_OVERFLOW / DB_MAX_OPEN_CONNS; \`dify-deploy plan\` sizes both`
        : `raise the server's max_connections to ≥ ${need}, or lower SQLALCHEMY_POOL_SIZE / SQLALCHEMY_MAX_OVERFLOW / DB_MAX_OPEN_CONNS, or put PgBouncer in front of the plugin daemon`,
      data,
    },
  ];
}
