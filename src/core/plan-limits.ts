// Every number in a plan is finite and within what its consumer accepts, or the plan has a
// problem: one check over the plan's outputs, independent of how the sizing computed them. A
// NaN (api.replicas: 0 divides by zero) or a max_connections PostgreSQL refuses to start with
// would otherwise be written into the files as they are.
import type { Plan } from './sizing/types.js';

interface Limit {
  /** What the value is, for the message. */
  what: string;
  /** The number at this limit's place in the plan (undefined: not in this plan). */
  value: (p: Plan) => number | undefined;
  max: number;
  /** Who refuses larger values, and where that is written. */
  source: string;
  fix: string;
}

/** The largest machine one can rent (AWS u7in-32tb.224xlarge: 896 vCPUs, 32 TiB; aws.amazon.com/ec2/instance-types/high-memory). */
const LARGEST_MACHINE = { cpus: 896, memoryGiB: 32768 };
/** Linux's ceiling on one process's open files (fs.nr_open default 1048576; kernel Documentation/admin-guide/sysctl/fs.rst). */
const NR_OPEN = 1048576;

const LOWER_LOAD = 'lower qps or latencySeconds, or check the spec for a mistyped number';

const LIMITS: Limit[] = [
  {
    what: 'PgBouncer max_client_conn',
    value: (p) => p.database.pooler?.maxClientConn,
    max: NR_OPEN,
    source: "PgBouncer holds one file descriptor per client; Linux allows one process at most fs.nr_open = 1048576",
    fix: LOWER_LOAD,
  },
  {
    what: 'Redis maxclients',
    value: (p) => p.redis.server?.maxclients,
    max: NR_OPEN - 32,
    source: 'Redis needs maxclients + 32 file descriptors (redis.conf); Linux allows one process at most fs.nr_open = 1048576',
    fix: `${LOWER_LOAD}; or an external Redis Cluster (redis.mode: external)`,
  },
  {
    what: 'event-bus Redis maxclients',
    value: (p) => p.redis.eventBus.server?.maxclients,
    max: NR_OPEN - 32,
    source: 'Redis needs maxclients + 32 file descriptors (redis.conf); Linux allows one process at most fs.nr_open = 1048576',
    fix: `${LOWER_LOAD}; or an external event bus on a Redis Cluster (redis.eventBus)`,
  },
  {
    what: 'vCPUs of the one host docker compose runs on',
    value: (p) => (p.target === 'compose' ? p.host.required.cpus : undefined),
    max: LARGEST_MACHINE.cpus,
    source: 'no machine for rent has more (AWS u7in-32tb.224xlarge: 896 vCPUs)',
    fix: 'deploy with the Helm target (targets: [helm]) across several nodes, or lower qps',
  },
  {
    what: 'memory (GiB) of the one host docker compose runs on',
    value: (p) => (p.target === 'compose' ? p.host.required.memoryGiB : undefined),
    max: LARGEST_MACHINE.memoryGiB,
    source: 'no machine for rent has more (AWS u7in-32tb.224xlarge: 32 TiB)',
    fix: 'deploy with the Helm target (targets: [helm]) across several nodes, or lower qps',
  },
];

/** PostgreSQL: MAX_BACKENDS = 2^18 − 1 (src/include/postmaster/postmaster.h; max_connections' upper bound in guc_tables.c). MySQL: 100000 (max_connections, MySQL 8 reference). */
const DATABASE_MAX = { postgresql: 262143, mysql: 100000 } as const;

function limitsOf(plan: Plan): Limit[] {
  const engine = plan.database.engine;
  const database: Limit = {
    what: `${engine === 'mysql' ? 'MySQL' : 'PostgreSQL'} max_connections`,
    value: (p) => p.database.maxConnections,
    max: DATABASE_MAX[engine],
    source: engine === 'postgresql' ? 'PostgreSQL refuses to start above MAX_BACKENDS = 262143 (src/include/postmaster/postmaster.h)' : 'MySQL 8 max_connections range 1–100000 (MySQL reference manual)',
    fix: `${LOWER_LOAD}; put PgBouncer in front (database.pooler: pgbouncer) so the server needs only its pools`,
  };
  const perComponent: Limit[] = plan.components.flatMap((c) => [
    {
      what: `${c.name} vCPUs per replica`,
      value: (p: Plan) => p.components.find((x) => x.name === c.name)?.cpu,
      max: LARGEST_MACHINE.cpus,
      source: 'no machine for rent has more (AWS u7in-32tb.224xlarge: 896 vCPUs)',
      fix: `lower overrides.components.${c.name}.cpu`,
    },
    {
      what: `${c.name} memory (GiB) per replica`,
      value: (p: Plan) => gibOf(p.components.find((x) => x.name === c.name)?.memory),
      max: LARGEST_MACHINE.memoryGiB,
      source: 'no machine for rent has more (AWS u7in-32tb.224xlarge: 32 TiB)',
      fix: `lower overrides.components.${c.name}.memoryGiB`,
    },
  ]);
  return [database, ...LIMITS, ...perComponent];
}

function gibOf(memory: string | undefined): number | undefined {
  if (memory === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(Gi|Mi)$/.exec(memory);
  return m ? Number(m[1]) / (m[2] === 'Mi' ? 1024 : 1) : Number.NaN;
}

/** Paths of numbers that are not finite, and of env/settings text that spells one (NaN, Infinity). */
function nonFinite(value: unknown, path: string, out: string[]): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) out.push(`${path} = ${value}`);
  } else if (typeof value === 'string') {
    if (/(^|[^A-Za-z])(NaN|-?Infinity)([^A-Za-z]|$)/.test(value)) out.push(`${path} = ${value}`);
  } else if (Array.isArray(value)) value.forEach((v, i) => nonFinite(v, `${path}[${i}]`, out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) nonFinite(v, path ? `${path}.${k}` : k, out);
}

/** The plan's problems with its own numbers: not finite, or beyond what their consumer accepts. */
export function planLimitProblems(plan: Plan): string[] {
  const problems: string[] = [];
  const bad: string[] = [];
  // Prose (sources, notes, warnings) may say "Infinity"; the numbers and settings may not.
  const { sources: _s, warnings: _w, problems: _p, ...numbers } = plan;
  nonFinite(numbers, '', bad);
  if (bad.length)
    problems.push(
      `plan: ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ` and ${bad.length - 5} more` : ''} — not a number a consumer can take; a zero replica count or an infinite input divides through the sizing: check overrides.components (replicas ≥ 1 for every component that runs) and the spec's numbers`,
    );
  for (const l of limitsOf(plan)) {
    const v = l.value(plan);
    if (v !== undefined && Number.isFinite(v) && v > l.max) problems.push(`plan: ${l.what} = ${v} exceeds ${l.max}: ${l.source}. Fix: ${l.fix}`);
  }
  return problems;
}
