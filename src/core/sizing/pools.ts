// SQLAlchemy pool settings of a Dify Python process (api, workers, beat).
import type { ComponentOverride } from '../spec.js';

/** Each in-flight request may hold one pooled DB connection for its whole life (dify#6589, #16223: "1:1+"). */
export const DB_HOLD_PER_REQUEST = 1;
/** Share of a process's pool kept open when idle; the rest is overflow, closed on return (dify#20366). */
const POOL_SHARE = 0.75;

function poolSplit(total: number): { pool: number; overflow: number } {
  const pool = Math.max(1, Math.ceil(total * POOL_SHARE));
  return { pool, overflow: Math.max(0, total - pool) };
}

/** Pool env for a process that may hold `total` connections at once. */
export function sqlalchemyEnv(total: number, o: ComponentOverride | undefined, external: boolean): Record<string, string> {
  const split = poolSplit(total);
  const pool = o?.poolSize ?? split.pool;
  const overflow = o?.maxOverflow ?? (o?.poolSize !== undefined ? Math.max(0, total - pool) : split.overflow);
  return {
    SQLALCHEMY_POOL_SIZE: String(pool),
    SQLALCHEMY_MAX_OVERFLOW: String(overflow),
    SQLALCHEMY_POOL_TIMEOUT: '30',
    // Managed servers and proxies drop idle connections: recycle below their idle timeouts and ping on checkout.
    SQLALCHEMY_POOL_RECYCLE: external ? '1800' : '3600',
    SQLALCHEMY_POOL_PRE_PING: external ? 'true' : 'false',
  };
}
