// PgBouncer in transaction mode between Dify and PostgreSQL. Pure: sized components in, the
// pooler's settings and both sides of the connection budget out. Components connect to the
// pooler (the client side: Σ peakDbConnections, whatever components exist); PostgreSQL holds
// only the pools, sized from the transactions that are really active (qps × DB time per request).
import type { ConnectionUser } from './budget.js';
import { serversFor, type ServiceLevel } from './sizing/queueing.js';
import type { PoolerLayout } from './sizing/pooler-capacity.js';

/** Above this many direct connections one PostgreSQL should get a pooler (the default turns it on). */
export const POOLER_THRESHOLD = 500;
/** DB time one request spends inside transactions: a chatflow runs ~25–40 statements, ~50–100 ms (execution-model.md §5, inference). */
export const DEFAULT_DB_TIME_PER_REQUEST_MS = 100;
/** The plugin daemon's share of the active transactions (installation and endpoint lookups per invocation; inference). */
const PLUGIN_DB_SHARE = 0.5;
/** Never smaller: the plugin daemon's own CI runs PgBouncer with DEFAULT_POOL_SIZE=20. */
const MIN_POOL = 20;
/** Extra server connections a pool may open after reserve_pool_timeout (s) when clients wait. */
const RESERVE_SHARE = 0.25;
/** Connections that bypass the pooler: the migration (Alembic, one connection) and pg_dump (one). psql and monitoring are the database's admin headroom. */
export const DIRECT_USERS = { migration: 1, backup: 1 } as const;
/** PgBouncer's `postgres` entry: the plugin daemon's first start creates its database from there (internal/db/pg/pg.go). */
export const BOOTSTRAP_POOL = 1;
/** psql and monitoring sessions through the pooler, beyond the components' pools. */
const CLIENT_ADMIN = 10;
/** The edoburu/pgbouncer image's PgBouncer (src/render/compose/services.ts runs it). */
export const PGBOUNCER_IMAGE_VERSION = '1.24.1';
export const PGBOUNCER_PORT = 6432;

export type PoolerKind = 'none' | 'pgbouncer';

export interface PoolerDatabase {
  name: string;
  /** Who connects to it through the pooler. */
  clients: number;
  poolSize: number;
  reservePoolSize: number;
}

export interface PoolerPlan {
  kind: 'pgbouncer';
  poolMode: 'transaction';
  maxClientConn: number;
  defaultPoolSize: number;
  reservePoolSize: number;
  databases: PoolerDatabase[];
  /** Mean transactions in progress at the tier's peak: qps × burst × dbTimePerRequestMs. */
  activeTransactions: number;
  dbTimePerRequestMs: number;
  /** What the server must admit: pools + reserves + direct users (superuser slots and admin headroom come on top). */
  serverRequired: number;
  direct: typeof DIRECT_USERS;
  /** PgBouncer processes (replicas × processes); databases[].poolSize is each one's. */
  instances?: number;
  /** Replicas, processes, CPU, memory and nofile (src/core/sizing/pooler-capacity.ts). */
  layout?: PoolerLayout;
}

export interface PoolerInput {
  /** Every process that opens metadata-DB connections (plan.connections). */
  users: ConnectionUser[];
  qps: number;
  burstFactor: number;
  dbTimePerRequestMs: number;
  database: string;
  pluginDatabase: string;
  /** Each pool is a queue of transactions (Poisson at the peak, DB time each): Erlang C sizes it to this level. */
  serviceLevel: ServiceLevel;
  /** PgBouncer processes sharing the clients (each keeps its own pools); default 1. */
  instances?: number;
  /** The pools are sized so instances − 1 carry the load (Helm replicas under HA). */
  survivesLoss?: boolean;
}

/** The pooler, or none: the spec's choice, else PgBouncer once the direct budget passes the threshold. */
export function poolerKind(choice: PoolerKind | undefined, engine: string, directRequired: number): PoolerKind {
  if (engine !== 'postgresql') return 'none';
  return choice ?? (directRequired > POOLER_THRESHOLD ? 'pgbouncer' : 'none');
}

/** Users that connect straight to the server even with a pooler (pgvector on the metadata server). */
export const bypassesPooler = (u: ConnectionUser) => u.component === 'pgvector pools';

/** Mean transactions in progress at the peak (Little's law): qps × burst × DB time per request. */
export const activeTransactionsAt = (qps: number, burstFactor: number, dbTimePerRequestMs: number) => Math.ceil((qps * burstFactor * dbTimePerRequestMs) / 1000);

export function sizePooler(x: PoolerInput): PoolerPlan {
  const through = x.users.filter((u) => !bypassesPooler(u));
  const clientsOf = (plugin: boolean) => through.filter((u) => (u.component === 'plugin_daemon') === plugin).reduce((n, u) => n + (u.total ?? 0), 0);
  const activeTransactions = activeTransactionsAt(x.qps, x.burstFactor, x.dbTimePerRequestMs);
  const instances = x.instances ?? 1;
  const sharing = x.survivesLoss && instances > 1 ? instances - 1 : instances;
  // Each instance keeps its own pools, so each is its own queue: it gets its share of the transactions
  // (split over all instances, or all but a lost one) and Erlang C sizes its pool to the service level.
  const transactions = (share: number) => ({ arrivalRate: (x.qps * x.burstFactor * share) / sharing, serviceSeconds: x.dbTimePerRequestMs / 1000, serviceScv: 1 });
  const pool = (clients: number, share: number) => Math.min(clients, Math.max(Math.ceil(MIN_POOL / sharing), serversFor(transactions(share), x.serviceLevel)));
  const databases = [
    { name: x.database, clients: clientsOf(false), share: 1 },
    { name: x.pluginDatabase, clients: clientsOf(true), share: PLUGIN_DB_SHARE },
  ]
    .filter((d) => d.clients > 0)
    .map(({ share, ...d }) => {
      const poolSize = pool(d.clients, share);
      return { ...d, poolSize, reservePoolSize: Math.ceil(poolSize * RESERVE_SHARE) };
    });
  const clients = databases.reduce((n, d) => n + d.clients, 0);
  const direct = x.users.filter(bypassesPooler).reduce((n, u) => n + (u.total ?? 0), 0);
  const serverRequired =
    instances * (databases.reduce((n, d) => n + d.poolSize + d.reservePoolSize, 0) + BOOTSTRAP_POOL) + DIRECT_USERS.migration + DIRECT_USERS.backup + direct;
  return {
    kind: 'pgbouncer',
    poolMode: 'transaction',
    maxClientConn: clients + CLIENT_ADMIN,
    defaultPoolSize: databases[0]?.poolSize ?? MIN_POOL,
    reservePoolSize: databases[0]?.reservePoolSize ?? Math.ceil(MIN_POOL * RESERVE_SHARE),
    databases,
    activeTransactions,
    dbTimePerRequestMs: x.dbTimePerRequestMs,
    serverRequired,
    direct: DIRECT_USERS,
    ...(instances > 1 ? { instances } : {}),
  };
}
