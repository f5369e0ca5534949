// The metadata-DB connection budget: the one implementation that `plan` and `validate`
// share. It reads each process's *effective* environment (what the container sees),
// so the same arithmetic judges our plans and users' hand-written files.
import type { DbConnectionModel, Release } from './data.js';
import type { ComponentName } from './spec.js';
import { intVariable } from './python-int.js';

/** SQLAlchemy's own defaults (api/configs/middleware DatabaseConfig). */
const SQLALCHEMY_DEFAULT_POOL = 30;
const SQLALCHEMY_DEFAULT_OVERFLOW = 10;

export interface ConnectionUser {
  component: string;
  replicas: number;
  processes: number;
  /** Maximum connections one process can open; null = no limit. */
  perProcess: number | null;
  /** replicas × processes × perProcess; null = unbounded. */
  total: number | null;
  /** Where the numbers come from, e.g. "SERVER_WORKER_AMOUNT=1 × (SQLALCHEMY_POOL_SIZE 30 + MAX_OVERFLOW 10)". */
  formula: string;
}

export interface BudgetInput {
  component: ComponentName | string;
  replicas: number;
  /** The process environment of this component (merged .env + service environment). */
  env: Record<string, string>;
}

/** The celery pool class the entrypoint picks: CELERY_WORKER_POOL, else CELERY_WORKER_CLASS, else gevent. */
export function celeryPoolClass(env: Record<string, string>): string {
  return (env.CELERY_WORKER_POOL?.trim() || env.CELERY_WORKER_CLASS?.trim() || 'gevent').toLowerCase();
}

function processesOf(model: DbConnectionModel, env: Record<string, string>, release: Release): { n: number; why: string } {
  const p = model.processes ?? {};
  if (p.fixed !== undefined) return { n: p.fixed, why: `${p.fixed}` };
  if (p.celery) {
    const pool = celeryPoolClass(env);
    if (pool === 'prefork' || pool === 'processes') {
      if ((env.CELERY_AUTO_SCALE ?? '').toLowerCase() === 'true') {
        const max = intVariable(env, 'CELERY_MAX_WORKERS', intVariable(env, 'CELERY_WORKER_AMOUNT', 1));
        return { n: max, why: `CELERY_MAX_WORKERS=${max} (prefork, autoscale)` };
      }
      const fallback = Number(release.entrypointFallbacks.CELERY_WORKER_AMOUNT ?? '1');
      const n = intVariable(env, 'CELERY_WORKER_AMOUNT', fallback);
      return { n, why: `CELERY_WORKER_AMOUNT=${n} (prefork: one engine per child)` };
    }
    return { n: 1, why: `1 (${pool} pool: greenlets share one engine)` };
  }
  const fallback = Number(release.entrypointFallbacks[p.var ?? ''] ?? p.default ?? 1);
  const n = p.var ? intVariable(env, p.var, fallback) : (p.default ?? 1);
  return { n: Math.max(n, 0), why: `${p.var ?? 'processes'}=${n}` };
}

function perProcessOf(model: DbConnectionModel, env: Record<string, string>): { n: number | null; why: string } {
  if (model.pool === 'go-sql') {
    const spec = model.maxOpen!;
    const raw = env[spec.var];
    if ((raw === undefined || raw.trim() === '') && spec.default === null) return { n: null, why: `${spec.var} unset: unlimited on this release` };
    const n = intVariable(env, spec.var, spec.default ?? 0);
    // database/sql treats MaxOpenConns <= 0 as "no limit".
    if (n <= 0) return { n: null, why: `${spec.var}=${n}: unlimited` };
    return { n, why: `${spec.var}=${n}` };
  }
  const pool = intVariable(env, 'SQLALCHEMY_POOL_SIZE', SQLALCHEMY_DEFAULT_POOL);
  const overflow = intVariable(env, 'SQLALCHEMY_MAX_OVERFLOW', SQLALCHEMY_DEFAULT_OVERFLOW);
  // SQLAlchemy: max_overflow = -1 removes the cap.
  if (overflow < 0) return { n: null, why: `SQLALCHEMY_MAX_OVERFLOW=${overflow}: unlimited` };
  return { n: pool + overflow, why: `(SQLALCHEMY_POOL_SIZE ${pool} + SQLALCHEMY_MAX_OVERFLOW ${overflow})` };
}

/**
 * How many processes of one replica open pools of their own (gunicorn workers, Celery prefork
 * children), per the release table; 1 for a component the table lacks. Redis clients count per process too.
 */
export function processCount(release: Release, component: string, env: Record<string, string>): number {
  const model = release.dbConnections.find((m) => m.component === component);
  return model ? processesOf(model, env, release).n : 1;
}

/**
 * Every process that opens metadata-DB connections, per the release table.
 * Components absent from `inputs` are not deployed and open nothing.
 */
export function connectionUsers(release: Release, inputs: BudgetInput[], extra: ConnectionUser[] = []): ConnectionUser[] {
  const users: ConnectionUser[] = [];
  for (const model of release.dbConnections) {
    const input = inputs.find((i) => i.component === model.component);
    if (!input || input.replicas === 0) continue;
    const procs = processesOf(model, input.env, release);
    const per = perProcessOf(model, input.env);
    const total = per.n === null ? null : input.replicas * procs.n * per.n;
    users.push({
      component: model.component,
      replicas: input.replicas,
      processes: procs.n,
      perProcess: per.n,
      total,
      formula: `${input.replicas} replica(s) × ${procs.why} × ${per.why}`,
    });
  }
  return [...users, ...extra];
}

/**
 * Which limit a budget is judged against. Without a pooler the components connect to the
 * database itself (server side: its max_connections). With PgBouncer they connect to the pooler
 * (client side: its max_client_conn), and the server side is the pools plus the direct users.
 */
export type BudgetSide = 'client' | 'server';
export const LIMIT_OF_SIDE = { client: 'max_client_conn', server: 'max_connections' } as const;

export interface ConnectionBudget {
  /** Σ of every user's maximum; null when a user is unbounded. */
  required: number | null;
  reserved: number;
  /** The limit of this side: the database's max_connections (server side) or PgBouncer's max_client_conn (client side); `limit` names it. */
  maxConnections: number;
  side: BudgetSide;
  limit: (typeof LIMIT_OF_SIDE)[BudgetSide];
  /** maxConnections − reserved: what non-superuser clients can open. */
  available: number;
  fits: boolean;
  /** maxConnections − required − reserved (negative when it does not fit). */
  headroom: number | null;
}

export function connectionBudget(users: ConnectionUser[], maxConnections: number, reserved: number, side: BudgetSide = 'server'): ConnectionBudget {
  const unbounded = users.some((u) => u.total === null);
  const required = unbounded ? null : users.reduce((sum, u) => sum + (u.total ?? 0), 0);
  const available = maxConnections - reserved;
  return {
    required,
    reserved,
    maxConnections,
    side,
    limit: LIMIT_OF_SIDE[side],
    available,
    fits: required !== null && required <= available,
    headroom: required === null ? null : maxConnections - required - reserved,
  };
}
