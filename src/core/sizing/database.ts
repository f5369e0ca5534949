// The metadata database: its size (declared or bundled-and-tuned) and the judgement of the connection budget.
import { LIMIT_OF_SIDE, type ConnectionBudget, type ConnectionUser } from '../budget.js';
import type { Tier } from '../data.js';
import { postgresSettings, ramGiBFor } from '../pgtune.js';
import { POOLER_THRESHOLD, type PoolerPlan } from '../pooler.js';
import type { Spec } from '../spec.js';
import type { DatabaseWork } from './database-cpu.js';
import type { DatabasePlan } from './types.js';

/** psql sessions, migrations, pg_dump and monitoring need slots of their own. */
const MIN_ADMIN_HEADROOM = 5;

/** The database's size: an external server as declared; a bundled one sized to the budget (PGTune) and to the peak's work (statements and writes, database-cpu.ts). */
export function planDatabase(spec: Spec, tier: Tier, required: number, problems: string[], warnings: string[], work: DatabaseWork): DatabasePlan {
  const isPg = spec.database.engine === 'postgresql';
  // MySQL has no superuser-reserved pool (it admits one extra SUPER connection beyond max_connections).
  const reserved = isPg ? spec.database.reservedConnections : 0;
  const adminHeadroom = spec.overrides.database?.adminHeadroom ?? Math.max(MIN_ADMIN_HEADROOM, Math.ceil(required * 0.05));
  if (spec.database.mode === 'external')
    return { engine: spec.database.engine, mode: 'external', maxConnections: spec.database.maxConnections!, reserved, adminHeadroom, work };
  const max = spec.overrides.database?.maxConnections ?? required + reserved + adminHeadroom;
  // Without a given DB host, take the tier's and grow its RAM until it holds the connections, its CPU
  // until it runs the peak's statements and writes (costs/state.json).
  const cpusNeeded = work.cpus;
  const hostSize = spec.database.hostSize ?? {
    cpus: Math.max(tier.bundledDatabase.cpus, cpusNeeded),
    memoryGiB: Math.max(tier.bundledDatabase.memoryGiB, 2 ** Math.ceil(Math.log2(ramGiBFor(max)))),
  };
  if (hostSize.cpus < cpusNeeded)
    warnings.push(`database: a ${hostSize.cpus} vCPU DB host is short for the peak's work: ${work.formula}; give database.hostSize.cpus ≥ ${cpusNeeded}`);
  if (!isPg)
    return {
      engine: 'mysql',
      mode: 'bundled',
      maxConnections: max,
      reserved,
      adminHeadroom,
      hostSize,
      work,
      settings: { max_connections: max, innodb_buffer_pool_size: `${Math.max(128, Math.floor(hostSize.memoryGiB * 1024 * 0.5))}M` },
    };
  const { settings, memory } = postgresSettings(hostSize.memoryGiB, max);
  if (!memory.fits)
    problems.push(
      `database: a ${hostSize.memoryGiB} GiB DB host cannot hold max_connections=${max} (≈${Math.ceil(memory.neededMB / 1024)} GiB with shared_buffers at 25 % and ~10 MB per connection); give database.hostSize.memoryGiB ≥ ${ramGiBFor(max)}, or use an external database`,
    );
  return { engine: 'postgresql', mode: 'bundled', maxConnections: max, reserved, adminHeadroom, hostSize, settings, memory, work };
}

/** A budget that does not fit becomes a problem with concrete ways out; a tight one a warning. */
export function judgeBudget(budget: ConnectionBudget, users: ConnectionUser[], database: DatabasePlan, problems: string[], warnings: string[]): void {
  const required = budget.required ?? 0;
  const { reserved, adminHeadroom } = database;
  if (!budget.fits && budget.required !== null) {
    const daemon = users.find((u) => u.component === 'plugin_daemon');
    const need = required + reserved + adminHeadroom;
    const options = [
      `raise the server's max_connections to at least ${need} (needs ≈${ramGiBFor(need)} GiB of RAM; managed PostgreSQL such as RDS allows ~100 connections per GB)`,
    ];
    if (daemon && daemon.total !== null && daemon.total > 20)
      options.push(`put PgBouncer (transaction mode) in front of the plugin daemon with DB_TYPE=pgbouncer and a 20-connection server pool: saves ${daemon.total - 20}`);
    options.push('lower latencySeconds or qps: API pools follow in-flight requests (Little\'s law)');
    options.push('set smaller pools with overrides.components.api.poolSize / maxOverflow, accepting QueuePool waits under burst');
    problems.push(
      `database: the deployment can open ${required} connections but the server allows ${database.maxConnections} − ${reserved} reserved = ${budget.available}. Options: ${options.map((x, i) => `(${i + 1}) ${x}`).join('; ')}`,
    );
  } else if (budget.fits && budget.headroom !== null && budget.headroom < adminHeadroom) {
    warnings.push(`database: only ${budget.headroom} spare connection(s) beyond the pools; keep ≥ ${adminHeadroom} for psql, migrations and backups`);
  }
  if (database.engine === 'postgresql' && database.maxConnections > POOLER_THRESHOLD)
    warnings.push(
      `database: ${database.maxConnections} server connections is many for process-per-connection PostgreSQL; set database.pooler: pgbouncer (transaction mode; the server then holds only the active transactions)`,
    );
}

/** The PostgreSQL side behind a pooler: pools + reserve pools + direct users against the server. */
export function serverBudget(pooler: PoolerPlan, database: DatabasePlan, problems: string[]): ConnectionBudget & { required: number; headroom: number } {
  const required = pooler.serverRequired;
  const available = database.maxConnections - database.reserved;
  if (required > available)
    problems.push(
      `database: PgBouncer's pools (${pooler.databases.map((d) => `${d.name} ${d.poolSize} + reserve ${d.reservePoolSize}`).join(', ')}) and direct users (migration, backup) need ${required} server connections but the server allows ${database.maxConnections} − ${database.reserved} reserved = ${available}; raise its max_connections or lower database.dbTimePerRequestMs`,
    );
  return { required, reserved: database.reserved, maxConnections: database.maxConnections, side: 'server', limit: LIMIT_OF_SIDE.server, available, fits: required <= available, headroom: available - required };
}
