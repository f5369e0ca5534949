// The sizing engine: spec + release + tier → plan. Pure and deterministic: every number
// in the plan is derived here from data files, and `plan` prints where it came from.
import { connectionBudget, connectionUsers, type BudgetInput, type ConnectionBudget, type ConnectionUser } from './budget.js';
import type { Release, Tier, TierComponent } from './data.js';
import { postgresSettings, ramGiBFor, type PostgresMemoryCheck, type PostgresSettings } from './pgtune.js';
import type { ComponentName, ComponentOverride, Spec, Target } from './spec.js';
import { vectorStoreBackend } from '../backends/vector-stores.js';
import { redisPoolEnv, sizeRedis, type RedisPlan } from './redis.js';
import { bypassesPooler, POOLER_THRESHOLD, poolerKind, sizePooler, type PoolerPlan } from './pooler.js';
import { HA_COMPONENTS, highAvailability, observabilityEnv, recoveryPlan, redisProblems, topologyProblems, workflowLogEffect, type RecoveryPlan } from './topology.js';

/** Each in-flight request may hold one pooled DB connection for its whole life (dify#6589, #16223: "1:1+"). */
const DB_HOLD_PER_REQUEST = 1;
/** Share of a process's pool kept open when idle; the rest is overflow, closed on return (dify#20366). */
const POOL_SHARE = 0.75;
/** Below upstream's own default there is no point: 10 greenlets per process. */
const MIN_GREENLETS = 10;
/** Above this a single gevent process spends its time switching greenlets: add replicas instead. */
const MAX_GREENLETS = 500;
/** psql sessions, migrations, pg_dump and monitoring need slots of their own. */
const MIN_ADMIN_HEADROOM = 5;
/** Dify's maximum app/workflow run time (APP_MAX_EXECUTION_TIME, WORKFLOW_MAX_EXECUTION_TIME defaults). */
const MAX_EXECUTION_SECONDS = 1200;
/** Components the dify-helm chart can autoscale (templates/hpa.yaml). */
const HPA_COMPONENTS: readonly ComponentName[] = ['api', 'worker', 'web', 'sandbox'];

export interface PlanComponent {
  name: ComponentName;
  replicas: number;
  /** Helm: HPA maxReplicas (the budget holds at this count). Compose: = replicas. */
  maxReplicas: number;
  processesPerReplica: number;
  connectionsPerProcess: number;
  /** Worst case at maxReplicas. */
  peakDbConnections: number;
  /** Worst case at replicas (differs from peakDbConnections only under autoscaling). */
  peakDbConnectionsAtReplicas: number;
  cpu: number;
  memory: string;
  requests: { cpu: number; memory: string };
  env: Record<string, string>;
  /** Non-env settings (rendered into config files), e.g. nginx worker_connections. */
  settings?: Record<string, number | string>;
}

export interface InfraComponent {
  name: string;
  cpu: number;
  memory: string;
}

export interface DatabasePlan {
  engine: 'postgresql' | 'mysql';
  mode: 'bundled' | 'external';
  maxConnections: number;
  reserved: number;
  adminHeadroom: number;
  hostSize?: { cpus: number; memoryGiB: number };
  settings?: PostgresSettings | Record<string, string | number>;
  memory?: PostgresMemoryCheck;
  /** PgBouncer between the components and the server; maxConnections is then sized from its pools. */
  pooler?: PoolerPlan;
}

export interface Plan {
  release: string;
  tier: string;
  qps: number;
  latencySeconds: number;
  burstFactor: number;
  target: Target;
  inFlight: number;
  collaboration: boolean;
  /** ≥ 2 replicas of api, web, worker and plugin daemon. */
  highAvailability: boolean;
  components: PlanComponent[];
  infrastructure: InfraComponent[];
  connections: ConnectionUser[];
  /** With a pooler: the client side (components → PgBouncer), and `server` the PostgreSQL side. */
  budget: ConnectionBudget & { required: number; headroom: number; requiredAtReplicas: number; server?: ConnectionBudget & { required: number; headroom: number } };
  capacity: { concurrentRequests: number; sustainableQps: number };
  database: DatabasePlan;
  redis: RedisPlan;
  /** Deployment-wide env every Dify API process gets (observability, migrations). */
  sharedEnv: Record<string, string>;
  /** Migrations run once per deploy as a one-shot job (MODE=migration), never racing in every replica. */
  migration: 'job';
  recovery: RecoveryPlan;
  observability: { workflowLogs: string };
  /** Whole-deployment totals (app components at maxReplicas plus bundled infrastructure). */
  totals: { replicas: number; cpuLimits: number; memoryLimitsGiB: number; cpuRequests: number; memoryRequestsGiB: number };
  host: { required: { cpus: number; memoryGiB: number }; given?: { cpus: number; memoryGiB: number }; fits?: boolean };
  /** Things that make this plan unsafe to deploy; render refuses while any is present. */
  problems: string[];
  warnings: string[];
  sources: string[];
}

export interface SizingInput {
  spec: Spec;
  release: Release;
  tier: Tier;
  target: Target;
}

/** GiB as a Kubernetes memory quantity: whole GiB as `8Gi`, fractions in MiB (`512Mi`). */
export const gib = (n: number) => (Number.isInteger(n) ? `${n}Gi` : `${Math.round(n * 1024)}Mi`);
const round2 = (n: number) => Math.round(n * 100) / 100;

function poolSplit(total: number): { pool: number; overflow: number } {
  const pool = Math.max(1, Math.ceil(total * POOL_SHARE));
  return { pool, overflow: Math.max(0, total - pool) };
}

function sqlalchemyEnv(total: number, o: ComponentOverride | undefined, external: boolean): Record<string, string> {
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

/** Which components this release deploys, in display order. */
function deployedComponents(release: Release, target: Target, collaboration: boolean): ComponentName[] {
  const list: ComponentName[] = ['nginx', 'api'];
  if (collaboration) list.push('api_websocket');
  list.push('worker', 'worker_beat', 'web', 'plugin_daemon', 'sandbox');
  if (release.agentBackend && (target === 'compose' || release.helm.agentBackend)) list.push('agent_backend', 'local_sandbox');
  return list;
}

export function collaborationEnabled(spec: Spec, release: Release, target: Target): boolean {
  if (!release.collaboration) return false;
  if (target === 'helm' && !release.helm.apiWebsocket) return false;
  return spec.collaboration ?? release.collaboration.defaultEnabled;
}

/** What sizing one component needs to know about the load and the deployment. */
interface SizingContext {
  spec: Spec;
  release: Release;
  tier: Tier;
  inFlight: number;
  external: boolean;
}

/** A component's sized processes, env and config settings (replicas may grow, see api). */
interface Sized {
  replicas: number;
  processes?: number;
  env: Record<string, string>;
  settings?: Record<string, number | string>;
}

type Sizer = (c: { replicas: number; cpu: number; o?: ComponentOverride }, x: SizingContext) => Sized;

/** Per component: how its processes, pools and limits follow from the load. Others need no env. */
const SIZERS: Partial<Record<ComponentName, Sizer>> = {
  api: ({ replicas, cpu, o }, { inFlight, external }) => {
    // A gevent process uses about one core (the GIL): one process per core of the instance.
    const processes = o?.processesPerReplica ?? Math.max(1, Math.floor(cpu));
    let greenlets = o?.connectionsPerProcess ?? Math.max(MIN_GREENLETS, Math.ceil(inFlight / (replicas * processes)));
    if (o?.connectionsPerProcess === undefined && o?.replicas === undefined && greenlets > MAX_GREENLETS) {
      replicas = Math.ceil(inFlight / (processes * MAX_GREENLETS));
      greenlets = Math.max(MIN_GREENLETS, Math.ceil(inFlight / (replicas * processes)));
    }
    const total = Math.max(2, Math.ceil(greenlets * DB_HOLD_PER_REQUEST));
    return {
      replicas,
      processes,
      env: {
        SERVER_WORKER_AMOUNT: String(processes),
        SERVER_WORKER_CLASS: 'gevent',
        SERVER_WORKER_CONNECTIONS: String(greenlets),
        // Chain: nginx read timeout (3600 s) ≥ GUNICORN_TIMEOUT ≥ the longest app/workflow run.
        GUNICORN_TIMEOUT: String(MAX_EXECUTION_SECONDS),
        APP_MAX_EXECUTION_TIME: String(MAX_EXECUTION_SECONDS),
        WORKFLOW_MAX_EXECUTION_TIME: String(MAX_EXECUTION_SECONDS),
        ...sqlalchemyEnv(total, o, external),
      },
    };
  },
  // The chart and upstream compose both run one GeventWebSocketWorker process; it touches the DB rarely.
  api_websocket: ({ replicas, o }, { inFlight, external }) => ({
    replicas,
    env: {
      SERVER_WORKER_AMOUNT: '1',
      SERVER_WORKER_CLASS: 'geventwebsocket.gunicorn.workers.GeventWebSocketWorker',
      SERVER_WORKER_CONNECTIONS: String(Math.max(1000, inFlight)),
      GUNICORN_TIMEOUT: '360',
      ...sqlalchemyEnv(10, o, external),
    },
  }),
  worker: ({ replicas, o }, { tier, external }) => {
    const concurrency = o?.connectionsPerProcess ?? tier.celeryConcurrency;
    return {
      replicas,
      env: {
        CELERY_WORKER_CLASS: 'gevent',
        CELERY_WORKER_AMOUNT: String(concurrency),
        CELERY_AUTO_SCALE: 'false',
        // One gevent process; each running task may hold a connection, plus a little overflow.
        ...sqlalchemyEnv(concurrency + Math.ceil(concurrency / 4), o, external),
      },
    };
  },
  // Beat only enqueues: a minimal pool.
  worker_beat: ({ replicas, o }, { external }) => ({ replicas, env: sqlalchemyEnv(2, o, external) }),
  plugin_daemon: ({ replicas, o }, { release }) => {
    const open = o?.connectionsPerProcess ?? Number(release.upstreamDefaults.DB_MAX_OPEN_CONNS ?? '30');
    return { replicas, env: { DB_MAX_OPEN_CONNS: String(open), DB_MAX_IDLE_CONNS: String(Math.min(10, open)), DB_CONN_MAX_LIFETIME: '3600' } };
  },
  // dify-sandbox: MAX_WORKERS runs code concurrently (excess waits), MAX_REQUESTS answers 503 beyond.
  sandbox: ({ replicas, cpu }, { inFlight }) => ({
    replicas,
    env: {
      MAX_WORKERS: String(Math.max(4, Math.floor(cpu * 4))),
      MAX_REQUESTS: String(Math.max(50, Math.ceil(inFlight / replicas / 4))),
      WORKER_TIMEOUT: '15',
    },
  }),
  nginx: ({ replicas, cpu }, { inFlight }) => {
    const workerProcesses = Math.max(1, Math.floor(cpu));
    // Each proxied request holds a client and an upstream connection; ×2 again for idle keep-alive clients.
    const perWorker = Math.ceil((inFlight * 4) / (replicas * workerProcesses));
    const workerConnections = Math.max(1024, Math.ceil(perWorker / 1024) * 1024);
    return {
      replicas,
      env: { NGINX_WORKER_PROCESSES: String(workerProcesses), NGINX_PROXY_READ_TIMEOUT: '3600s', NGINX_CLIENT_MAX_BODY_SIZE: '100M' },
      settings: { worker_connections: workerConnections, worker_rlimit_nofile: workerConnections * 2 },
    };
  },
};

function sizeComponents(x: SizingContext, names: ComponentName[], target: Target): PlanComponent[] {
  const { spec, tier } = x;
  const overrides = spec.overrides.components ?? {};
  const ha = highAvailability(spec, tier);
  // A custom qps scales the nearest tier's API and plugin-daemon instance counts linearly.
  const scale = spec.qps !== undefined ? spec.qps / tier.qps : 1;
  return names.map((name) => {
    const base: TierComponent = tier.components[name];
    const o = overrides[name];
    const scaled = name === 'api' || name === 'plugin_daemon' ? Math.max(1, Math.ceil(base.replicas * scale)) : base.replicas;
    const cpu = o?.cpu ?? base.cpu;
    const memoryGiB = o?.memoryGiB ?? base.memoryGiB;
    const start = o?.replicas ?? (ha && HA_COMPONENTS.includes(name) ? Math.max(2, scaled) : scaled);
    const sized: Sized = SIZERS[name]?.({ replicas: start, cpu, o }, x) ?? { replicas: start, env: {} };
    const { replicas } = sized;
    const maxReplicas = target === 'helm' && HPA_COMPONENTS.includes(name) ? Math.ceil(replicas * tier.burstFactor) : replicas;
    return {
      name,
      replicas,
      maxReplicas,
      processesPerReplica: sized.processes ?? 1,
      connectionsPerProcess: 0,
      peakDbConnections: 0,
      peakDbConnectionsAtReplicas: 0,
      cpu,
      memory: gib(memoryGiB),
      requests: { cpu: round2(Math.max(0.25, cpu / 2)), memory: gib(memoryGiB / 2) },
      env: { ...sized.env, ...redisPoolEnv(name, cpu, sized.env), ...(o?.env ?? {}) },
      ...(sized.settings ? { settings: sized.settings } : {}),
    };
  });
}

/** pgvector on the metadata server opens its own pools in every api and worker process. */
function pgvectorUsers(spec: Spec, components: PlanComponent[], atMax: boolean): ConnectionUser[] {
  const vs = vectorStoreBackend(spec.vectorStore.type);
  const sameServer =
    spec.vectorStore.mode === 'external' && spec.database.mode === 'external' && spec.database.engine === 'postgresql' && spec.vectorStore.host === spec.database.host;
  if (!sameServer || !vs.postgresPool) return [];
  const per = vs.postgresPool.default;
  const procs = components
    .filter((c) => c.name === 'api' || c.name === 'worker')
    .reduce((n, c) => n + (atMax ? c.maxReplicas : c.replicas) * Number(c.env.SERVER_WORKER_AMOUNT ?? 1), 0);
  return [{ component: 'pgvector pools', replicas: 1, processes: procs, perProcess: per, total: procs * per, formula: `${procs} api/worker processes × ${vs.postgresPool.maxVar}=${per} (same server)` }];
}

/** The database's size: an external server as declared; a bundled one sized to the budget (PGTune). */
function planDatabase(spec: Spec, tier: Tier, required: number, problems: string[]): DatabasePlan {
  const isPg = spec.database.engine === 'postgresql';
  // MySQL has no superuser-reserved pool (it admits one extra SUPER connection beyond max_connections).
  const reserved = isPg ? spec.database.reservedConnections : 0;
  const adminHeadroom = spec.overrides.database?.adminHeadroom ?? Math.max(MIN_ADMIN_HEADROOM, Math.ceil(required * 0.05));
  if (spec.database.mode === 'external')
    return { engine: spec.database.engine, mode: 'external', maxConnections: spec.database.maxConnections!, reserved, adminHeadroom };
  const max = spec.overrides.database?.maxConnections ?? required + reserved + adminHeadroom;
  // Without a given DB host, take the tier's and grow its RAM (to a power of two) until it holds the connections.
  const hostSize = spec.database.hostSize ?? {
    cpus: tier.bundledDatabase.cpus,
    memoryGiB: Math.max(tier.bundledDatabase.memoryGiB, 2 ** Math.ceil(Math.log2(ramGiBFor(max)))),
  };
  if (!isPg)
    return {
      engine: 'mysql',
      mode: 'bundled',
      maxConnections: max,
      reserved,
      adminHeadroom,
      hostSize,
      settings: { max_connections: max, innodb_buffer_pool_size: `${Math.max(128, Math.floor(hostSize.memoryGiB * 1024 * 0.5))}M` },
    };
  const { settings, memory } = postgresSettings(hostSize.memoryGiB, max);
  if (!memory.fits)
    problems.push(
      `database: a ${hostSize.memoryGiB} GiB DB host cannot hold max_connections=${max} (≈${Math.ceil(memory.neededMB / 1024)} GiB with shared_buffers at 25 % and ~10 MB per connection); give database.hostSize.memoryGiB ≥ ${ramGiBFor(max)}, or use an external database`,
    );
  return { engine: 'postgresql', mode: 'bundled', maxConnections: max, reserved, adminHeadroom, hostSize, settings, memory };
}

/** A budget that does not fit becomes a problem with concrete ways out; a tight one a warning. */
function judgeBudget(budget: ConnectionBudget, users: ConnectionUser[], database: DatabasePlan, problems: string[], warnings: string[]): void {
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
function serverBudget(pooler: PoolerPlan, database: DatabasePlan, problems: string[]): ConnectionBudget & { required: number; headroom: number } {
  const required = pooler.serverRequired;
  const available = database.maxConnections - database.reserved;
  if (required > available)
    problems.push(
      `database: PgBouncer's pools (${pooler.databases.map((d) => `${d.name} ${d.poolSize} + reserve ${d.reservePoolSize}`).join(', ')}) and direct users (migration, backup) need ${required} server connections but the server allows ${database.maxConnections} − ${database.reserved} reserved = ${available}; raise its max_connections or lower database.dbTimePerRequestMs`,
    );
  return { required, reserved: database.reserved, maxConnections: database.maxConnections, available, fits: required <= available, headroom: available - required };
}

/** Redis, the vector store and the DB, when bundled, run beside Dify (on the compose host). */
function bundledInfrastructure(spec: Spec, database: DatabasePlan, redis: RedisPlan): InfraComponent[] {
  const infrastructure: InfraComponent[] = [];
  if (database.mode === 'bundled') infrastructure.push({ name: database.engine === 'postgresql' ? 'db_postgres' : 'db_mysql', cpu: database.hostSize!.cpus, memory: gib(database.hostSize!.memoryGiB) });
  if (redis.server) infrastructure.push({ name: 'redis', cpu: redis.server.cpu, memory: redis.server.memory });
  if (redis.eventBus.server) infrastructure.push({ name: 'redis_event_bus', cpu: redis.eventBus.server.cpu, memory: redis.eventBus.server.memory });
  const service = vectorStoreBackend(spec.vectorStore.type).bundledService;
  if (spec.vectorStore.mode === 'bundled' && service) infrastructure.push({ name: service, cpu: 2, memory: '4Gi' });
  return infrastructure;
}

const memGiB = (m: string) => (m.endsWith('Mi') ? Number(m.slice(0, -2)) / 1024 : Number(m.slice(0, -2)));

/** The compose host this needs (resource requests), and whether the given one holds it. */
function composeHost(spec: Spec, tier: Tier, target: Target, components: PlanComponent[], infrastructure: InfraComponent[], warnings: string[]): Plan['host'] {
  const required = {
    cpus: Math.ceil(components.reduce((n, c) => n + c.replicas * c.requests.cpu, 0) + infrastructure.reduce((n, i) => n + i.cpu, 0)),
    memoryGiB: Math.ceil(components.reduce((n, c) => n + c.replicas * memGiB(c.requests.memory), 0) + infrastructure.reduce((n, i) => n + memGiB(i.memory), 0)),
  };
  const host: Plan['host'] = { required };
  if (target !== 'compose') return host;
  if (spec.host) {
    host.given = spec.host;
    host.fits = spec.host.cpus >= required.cpus && spec.host.memoryGiB >= required.memoryGiB;
    if (!host.fits)
      warnings.push(
        `host: ${tier.name} needs ≈${required.cpus} vCPU / ${required.memoryGiB} GiB (resource requests) but the host has ${spec.host.cpus} vCPU / ${spec.host.memoryGiB} GiB; use a bigger host or --target helm to spread it over a Kubernetes cluster`,
      );
  } else if (required.cpus > 64) {
    warnings.push(`host: ${tier.name} needs ≈${required.cpus} vCPU, more than one typical machine; Kubernetes (--target helm) is the way past one host`);
  }
  if (components.some((c) => c.replicas > 1 && c.name === 'plugin_daemon'))
    warnings.push('plugin_daemon: several replicas on one host share ./volumes/plugin_daemon; its debugging port is published only for a single replica');
  return host;
}

/** Whole-deployment totals: app containers at maxReplicas plus the bundled infrastructure. */
function totalsOf(components: PlanComponent[], infrastructure: InfraComponent[]): Plan['totals'] {
  const everything = [
    ...components.map((c) => ({ n: c.maxReplicas, cpu: c.cpu, mem: memGiB(c.memory), rcpu: c.requests.cpu, rmem: memGiB(c.requests.memory) })),
    ...infrastructure.map((i) => ({ n: 1, cpu: i.cpu, mem: memGiB(i.memory), rcpu: i.cpu, rmem: memGiB(i.memory) })),
  ];
  const sum = (f: (x: (typeof everything)[number]) => number) => round2(everything.reduce((n, x) => n + x.n * f(x), 0));
  return { replicas: sum(() => 1), cpuLimits: sum((x) => x.cpu), memoryLimitsGiB: sum((x) => x.mem), cpuRequests: sum((x) => x.rcpu), memoryRequestsGiB: sum((x) => x.rmem) };
}

export function sizePlan({ spec, release, tier, target }: SizingInput): Plan {
  const problems: string[] = [];
  const warnings: string[] = [];
  const qps = spec.qps ?? tier.qps;
  const latencySeconds = spec.latencySeconds ?? tier.latencySeconds;
  const inFlight = Math.ceil(qps * latencySeconds * tier.burstFactor);
  const collaboration = collaborationEnabled(spec, release, target);
  const names = deployedComponents(release, target, collaboration);
  const components = sizeComponents({ spec, release, tier, inFlight, external: spec.database.mode === 'external' }, names, target);

  // Every process that can open a metadata-DB connection, at maxReplicas (the worst case) and at replicas.
  const inputs = (atMax: boolean): BudgetInput[] => components.map((c) => ({ component: c.name, replicas: atMax ? c.maxReplicas : c.replicas, env: c.env }));
  const users = connectionUsers(release, inputs(true), pgvectorUsers(spec, components, true));
  const usersAtReplicas = connectionUsers(release, inputs(false), pgvectorUsers(spec, components, false));
  for (const c of components) {
    const u = users.find((x) => x.component === c.name);
    if (!u) continue;
    c.processesPerReplica = u.processes;
    c.connectionsPerProcess = u.perProcess ?? 0;
    c.peakDbConnections = u.total ?? 0;
    c.peakDbConnectionsAtReplicas = usersAtReplicas.find((x) => x.component === c.name)?.total ?? 0;
  }
  for (const u of users.filter((x) => x.total === null)) problems.push(`${u.component}: no connection limit (${u.formula}); set a finite value`);
  const required = users.reduce((s, u) => s + (u.total ?? 0), 0);
  const requiredAtReplicas = usersAtReplicas.reduce((s, u) => s + (u.total ?? 0), 0);

  const pooler = poolerKind(spec.database.pooler, spec.database.engine, required) === 'pgbouncer'
    ? sizePooler({ users, qps, burstFactor: tier.burstFactor, dbTimePerRequestMs: spec.database.dbTimePerRequestMs, database: spec.database.database, pluginDatabase: spec.database.pluginDatabase })
    : undefined;
  const database = { ...planDatabase(spec, tier, pooler?.serverRequired ?? required, problems), ...(pooler ? { pooler } : {}) };
  const server = pooler && serverBudget(pooler, database, problems);
  const budget = pooler
    ? connectionBudget(users.filter((u) => !bypassesPooler(u)), pooler.maxClientConn, 0)
    : connectionBudget(users, database.maxConnections, database.reserved);
  if (!pooler) judgeBudget(budget, users, database, problems, warnings);

  // Capacity: concurrency each API process admits (gevent greenlets), by Little's law.
  const concurrentRequests = components
    .filter((c) => c.name === 'api')
    .reduce((n, c) => n + c.replicas * Number(c.env.SERVER_WORKER_AMOUNT ?? '1') * Number(c.env.SERVER_WORKER_CONNECTIONS ?? '10'), 0);
  const sustainableQps = Math.floor(concurrentRequests / latencySeconds);
  if (sustainableQps < qps)
    warnings.push(`capacity: ${concurrentRequests} concurrent API requests sustain ${sustainableQps} QPS at ${latencySeconds} s each, below the ${qps} QPS asked for`);

  // Until the workload mix lands, every in-flight request is taken to stream (the conservative bound).
  const inFlightStreaming = inFlight;
  const redisInputs = components.map((c) => ({ component: c.name, replicas: c.maxReplicas, processes: c.processesPerReplica, env: c.env }));
  const redis = sizeRedis({ spec, release, target, qps, memoryGiB: tier.redis.memoryGiB, inputs: redisInputs, inFlightStreaming }, problems, warnings);
  const infrastructure = bundledInfrastructure(spec, database, redis);
  const host = composeHost(spec, tier, target, components, infrastructure, warnings);
  const daemon = components.find((c) => c.name === 'plugin_daemon');
  problems.push(...topologyProblems(spec, target, daemon?.maxReplicas ?? 0), ...redisProblems(spec, release, names.includes('agent_backend')));
  const recovery = recoveryPlan(spec, problems);
  const sharedEnv = { ...observabilityEnv(spec, problems), MIGRATION_ENABLED: 'false' };

  return {
    release: release.version,
    tier: spec.qps !== undefined ? `custom (${qps} qps, sized from ${tier.name})` : tier.name,
    qps,
    latencySeconds,
    burstFactor: tier.burstFactor,
    target,
    inFlight,
    collaboration,
    highAvailability: highAvailability(spec, tier),
    components,
    infrastructure,
    connections: users,
    budget: { ...budget, required, headroom: budget.headroom ?? budget.maxConnections - required - budget.reserved, requiredAtReplicas, ...(server ? { server } : {}) },
    capacity: { concurrentRequests, sustainableQps },
    database,
    redis,
    sharedEnv,
    migration: 'job',
    recovery,
    observability: { workflowLogs: workflowLogEffect(spec) },
    totals: totalsOf(components, infrastructure),
    host,
    problems,
    warnings,
    sources: [tier.source.text, release.source, ...tier.assumptions],
  };
}
