// Redis in the plan: every client each process can open (redis-py pools, the event bus, Celery's
// broker pools, the plugin daemon's go-redis pool), summed against the server's maxclients, the
// bundled servers' size, and where the event bus lives. Pure: a function of the sized components.
import { celeryPoolClass } from './budget.js';
import type { Release } from './data.js';
import type { Spec, Target } from './spec.js';
import { ioThreadsFor, IO_THREADS_MIN_CPUS, type EventBusLoad } from './sizing/event-bus.js';
import { pythonInt } from './python-int.js';
import { redactUrlPasswords } from './redact.js';

/** Celery's broker_pool_limit default; Dify's ext_celery.py never sets it (docs.celeryq.dev configuration, broker_pool_limit). */
export const CELERY_BROKER_POOL_LIMIT = 10;
/** A Celery worker's own broker connections: the consumer, the remote-control (pidbox) subscription, the event dispatcher [inference from Celery's worker architecture]. */
export const CELERY_CONSUMER_CONNECTIONS = 3;
/** go-redis v9 Options.PoolSize default: 10 per GOMAXPROCS (go-redis PR #1801); the daemon sets no PoolSize (internal/utils/cache/redis.go). */
export const GO_REDIS_POOL_PER_PROC = 10;
/** The daemon's long-lived pub/sub subscriptions (cluster notifications), outside its pool [inference]. */
const PLUGIN_DAEMON_PUBSUB = 2;
/** The agent backend's pool size is not documented: counted as one redis-py default-sized burst [assumption]. */
const AGENT_BACKEND_CLIENTS = 10;
/** Room in each redis-py pool beyond one connection per greenlet/task: background threads, locks, rate limits. */
const POOL_MARGIN = 10;
/** Redis' own default maxclients (redis.conf). */
export const REDIS_DEFAULT_MAXCLIENTS = 10000;
/** From this load the event bus gets a Redis of its own (see docs/redis.md, "The event bus"). */
export const DEDICATED_EVENT_BUS_QPS = 500;
/** SAE measured one standalone Redis as the ceiling at about this load (plugin-daemon session keys). */
const PLUGIN_DAEMON_REDIS_CEILING_QPS = 200;
/** Share of the container memory given to maxmemory: the rest is fork copy-on-write and client buffers. */
const MAXMEMORY_SHARE = 0.75;

export type RedisServerRole = 'main' | 'eventBus';

export interface RedisClient {
  component: string;
  /** What opens the connections, e.g. "redis-py pool", "event bus", "Celery broker", "go-redis pool". */
  kind: string;
  server: RedisServerRole;
  replicas: number;
  processes: number;
  /** Per process; null = no bound. */
  perProcess: number | null;
  total: number | null;
  formula: string;
}

export interface RedisClientInput {
  component: string;
  replicas: number;
  processes: number;
  env: Record<string, string>;
}

export interface RedisServerSettings {
  maxclients: number;
  maxmemory: string;
  maxmemoryPolicy: 'noeviction';
  cpu: number;
  memory: string;
  /** io-threads (Redis ≥ 6, from 4 vCPU): socket reads and writes off the main thread. */
  ioThreads?: number;
}

export interface RedisBudget {
  required: number | null;
  maxClients: number;
  /** bundled: set by dify-deploy; spec: declared; default: Redis' 10000 assumed. */
  maxClientsFrom: 'bundled' | 'spec' | 'default';
  fits: boolean;
  breakdown: RedisClient[];
}

export interface RedisPlan extends RedisBudget {
  server?: RedisServerSettings;
  eventBus: RedisBudget & {
    dedicated: boolean;
    mode: 'shared' | 'bundled' | 'external';
    /** external only, as given (the password is the operator's). */
    url?: string;
    channelType: string;
    useClusters: boolean;
    why: string;
    server?: RedisServerSettings;
    /** The bus's throughput at the peak against one Redis thread (src/core/sizing/event-bus.ts). */
    load?: EventBusLoad;
  };
  notes: string[];
}

/** A positive count as redis-py's pydantic int settings read it, or undefined. */
const intOf = (env: Record<string, string>, name: string): number | undefined => {
  const n = pythonInt(env[name]);
  return n !== undefined && n > 0 ? n : undefined;
};

const isApi = (c: string) => c === 'api';
const isCeleryWorker = (c: string) => c.startsWith('worker') && c !== 'worker_beat';
/** Processes of the api image: each builds redis-py clients and a Celery app (ext_redis.py, ext_celery.py). */
const isDifyPython = (c: string) => isApi(c) || isCeleryWorker(c) || c === 'worker_beat' || c === 'api_websocket';

/** Requests (greenlets) or tasks one process works on at once. */
function concurrencyOf(component: string, env: Record<string, string>): number {
  if (isCeleryWorker(component)) {
    const pool = celeryPoolClass(env);
    return pool === 'prefork' || pool === 'processes' || pool === 'solo' ? 1 : (intOf(env, 'CELERY_WORKER_AMOUNT') ?? 1);
  }
  if (component === 'worker_beat') return 0;
  return intOf(env, 'SERVER_WORKER_CONNECTIONS') ?? 10;
}

/**
 * The pool bounds dify-deploy sets: REDIS_MAX_CONNECTIONS for every Dify process (one connection
 * per greenlet or task plus a margin; redis-py raises "Too many connections" past it), and
 * GOMAXPROCS for the plugin daemon, whose go-redis pool is 10 × GOMAXPROCS.
 */
export function redisPoolEnv(component: string, cpu: number, env: Record<string, string>): Record<string, string> {
  if (isDifyPython(component)) return { REDIS_MAX_CONNECTIONS: String(concurrencyOf(component, env) + POOL_MARGIN) };
  if (component === 'plugin_daemon') return { GOMAXPROCS: String(Math.max(1, Math.ceil(cpu))) };
  return {};
}

const times = (replicas: number, processes: number, per: number | null) => (per === null ? null : replicas * processes * per);

/** Every Redis client of every process, on the main server or the event bus. */
export function redisClients(inputs: RedisClientInput[], opts: { inFlightStreaming?: number; eventBusDedicated: boolean }): RedisClient[] {
  const bus: RedisServerRole = opts.eventBusDedicated ? 'eventBus' : 'main';
  const apiProcesses = inputs.filter((i) => isApi(i.component)).reduce((n, i) => n + i.replicas * i.processes, 0);
  const out: RedisClient[] = [];
  for (const { component, replicas, processes, env } of inputs) {
    if (replicas === 0) continue;
    const base = { component, replicas, processes };
    if (isDifyPython(component)) {
      const max = intOf(env, 'REDIS_MAX_CONNECTIONS') ?? null;
      const bound = max === null ? 'REDIS_MAX_CONNECTIONS empty: unbounded' : `REDIS_MAX_CONNECTIONS=${max}`;
      out.push({ ...base, kind: 'redis-py pool', server: 'main', perProcess: max, total: times(replicas, processes, max), formula: `${replicas} × ${processes} process(es) × ${bound}` });
      // The event-bus client is a second redis-py client with the same bound (ext_redis.py _create_pubsub_client).
      if (isApi(component)) {
        // A request greenlet holds at most one subscription: the bound is min(greenlets, pool).
        const greenlets = concurrencyOf(component, env);
        const per = max === null ? greenlets : Math.min(greenlets, max);
        const expected = opts.inFlightStreaming !== undefined && apiProcesses > 0 ? `; expected ⌈${opts.inFlightStreaming} in-flight streaming / ${apiProcesses} processes⌉ = ${Math.ceil(opts.inFlightStreaming / apiProcesses)}` : '';
        out.push({ ...base, kind: 'event bus (subscriptions)', server: bus, perProcess: per, total: times(replicas, processes, per), formula: `${replicas} × ${processes} × min(${greenlets} greenlets, ${bound}) subscriptions${expected}` });
      } else if (isCeleryWorker(component)) {
        const tasks = concurrencyOf(component, env);
        const per = max === null ? tasks : Math.min(tasks, max);
        out.push({ ...base, kind: 'event bus (publishers)', server: bus, perProcess: per, total: times(replicas, processes, per), formula: `${replicas} × ${processes} × ${tasks} running task(s), one publishing connection each` });
      }
      const broker = CELERY_BROKER_POOL_LIMIT + (isCeleryWorker(component) ? CELERY_CONSUMER_CONNECTIONS : 0);
      const brokerWhy = isCeleryWorker(component) ? `(broker_pool_limit ${CELERY_BROKER_POOL_LIMIT} + ${CELERY_CONSUMER_CONNECTIONS} consumer)` : `broker_pool_limit ${CELERY_BROKER_POOL_LIMIT}`;
      out.push({ ...base, kind: 'Celery broker', server: 'main', perProcess: broker, total: times(replicas, processes, broker), formula: `${replicas} × ${processes} × ${brokerWhy}` });
    } else if (component === 'plugin_daemon') {
      const procs = intOf(env, 'GOMAXPROCS');
      const per = procs === undefined ? null : GO_REDIS_POOL_PER_PROC * procs + PLUGIN_DAEMON_PUBSUB;
      const formula = procs === undefined ? 'GOMAXPROCS unset: 10 × the host\'s CPUs, unbounded here' : `${replicas} × (10 × GOMAXPROCS ${procs} + ${PLUGIN_DAEMON_PUBSUB} pub/sub)`;
      out.push({ ...base, processes: 1, kind: 'go-redis pool', server: 'main', perProcess: per, total: times(replicas, 1, per), formula });
    } else if (component === 'agent_backend') {
      out.push({ ...base, processes: 1, kind: 'agent backend', server: 'main', perProcess: AGENT_BACKEND_CLIENTS, total: replicas * AGENT_BACKEND_CLIENTS, formula: `${replicas} × ${AGENT_BACKEND_CLIENTS} (pool size not documented: assumed)` });
    }
  }
  return out;
}

const sumOf = (list: RedisClient[]): number | null => (list.some((c) => c.total === null) ? null : list.reduce((n, c) => n + (c.total ?? 0), 0));

/** A bundled server sized to its clients: maxclients with headroom for redis-cli and health checks, memory capped by noeviction. */
function bundledServer(required: number, cpu: number, memoryGiB: number, image: string): RedisServerSettings {
  const headroom = Math.max(32, Math.ceil(required * 0.1));
  const ioThreads = ioThreadsFor(cpu, image);
  return {
    ...(ioThreads ? { ioThreads } : {}),
    maxclients: Math.ceil((required + headroom) / 100) * 100,
    maxmemory: `${Math.floor(memoryGiB * 1024 * MAXMEMORY_SHARE)}mb`,
    maxmemoryPolicy: 'noeviction',
    cpu,
    memory: Number.isInteger(memoryGiB) ? `${memoryGiB}Gi` : `${Math.round(memoryGiB * 1024)}Mi`,
  };
}

export interface RedisSizingInput {
  spec: Spec;
  release: Release;
  target: Target;
  qps: number;
  /** The tier's Redis memory (GiB). */
  memoryGiB: number;
  inputs: RedisClientInput[];
  /** In-flight requests that stream (each holds one event-bus subscription). */
  inFlightStreaming: number;
  /** The bus's PUBLISH rate at the peak; without it only the 500-QPS rule places the bus. */
  busLoad?: EventBusLoad;
}

function eventBusChoice(spec: Spec, target: Target, qps: number, problems: string[], load: EventBusLoad | undefined): { mode: 'shared' | 'bundled' | 'external'; why: string } {
  const e = spec.redis.eventBus;
  if (e.mode === 'external') return { mode: 'external', why: 'redis.eventBus.mode: external' };
  if (e.mode === 'shared') return { mode: 'shared', why: 'redis.eventBus.mode: shared' };
  if (e.mode === 'bundled') {
    if (target === 'helm') problems.push('redis.eventBus.mode: bundled runs a second Redis service in compose only (the dify-helm chart has one Redis); on Kubernetes give mode: external with its url');
    return { mode: 'bundled', why: 'redis.eventBus.mode: bundled' };
  }
  const byRate = load?.needsOwnServer ?? false;
  if (qps < DEDICATED_EVENT_BUS_QPS && !byRate) return { mode: 'shared', why: `below ${DEDICATED_EVENT_BUS_QPS} QPS${load ? ` and at ${load.eventsPerSecond} PUBLISH/s` : ''} the event bus shares the main Redis` };
  const reason = byRate ? `${load!.eventsPerSecond} PUBLISH/s at the peak would take more than a quarter of the main Redis' thread` : `from ${DEDICATED_EVENT_BUS_QPS} QPS (Dify 1.13 release notes, "For Large Deployments")`;
  if (target === 'helm') {
    problems.push(
      `redis.eventBus: at ${qps} QPS the event bus needs a Redis of its own (${reason}); the chart has one Redis, so give redis.eventBus: { mode: external, url: redis://… }${load?.needsCluster ? ` — a Redis Cluster of ≥ ${load.shards} shards with useClusters: true and channelType: sharded` : ' (a Redis Cluster with useClusters: true and channelType: sharded scales it out)'}`,
    );
    return { mode: 'shared', why: 'helm: no external event-bus URL given' };
  }
  return { mode: 'bundled', why: `${reason}: every streamed event's publish and delivery leaves the main Redis` };
}

export function sizeRedis(x: RedisSizingInput, problems: string[], warnings: string[]): RedisPlan {
  const { spec, release, qps } = x;
  const r = spec.redis;
  const e = r.eventBus;
  const choice = eventBusChoice(spec, x.target, qps, problems, x.busLoad);
  const dedicated = choice.mode !== 'shared';
  const clients = redisClients(x.inputs, { inFlightStreaming: x.inFlightStreaming, eventBusDedicated: dedicated });
  const main = clients.filter((c) => c.server === 'main');
  const busClients = clients.filter((c) => c.server === 'eventBus');
  const required = sumOf(main);
  const busRequired = sumOf(busClients);
  for (const c of clients.filter((c) => c.total === null)) problems.push(`redis: ${c.component} ${c.kind} has no bound (${c.formula}); set a finite value`);

  // A pool smaller than the greenlets refuses subscriptions ("Too many connections") before the api is busy.
  for (const i of x.inputs.filter((i) => isApi(i.component))) {
    const max = intOf(i.env, 'REDIS_MAX_CONNECTIONS');
    const greenlets = concurrencyOf(i.component, i.env);
    if (max !== undefined && max < greenlets)
      problems.push(`redis: ${i.component} REDIS_MAX_CONNECTIONS=${max} is below its ${greenlets} greenlets per process: streaming requests beyond it fail with "Too many connections"; set it ≥ ${greenlets + POOL_MARGIN}`);
  }

  // One main thread does the commands: more vCPUs help only as io-threads (Redis ≥ 6, from 4 cores).
  const cpu = qps >= PLUGIN_DAEMON_REDIS_CEILING_QPS ? IO_THREADS_MIN_CPUS : 1;
  const server = r.mode === 'bundled' ? bundledServer(required ?? 0, cpu, Math.min(x.memoryGiB, 4), release.images.redis) : undefined;
  const maxClients = server?.maxclients ?? r.maxClients ?? REDIS_DEFAULT_MAXCLIENTS;
  const maxClientsFrom = server ? 'bundled' : r.maxClients !== undefined ? 'spec' : 'default';
  const fits = required !== null && required <= maxClients;
  if (required !== null && !fits)
    problems.push(
      `redis: the deployment can open ${required} Redis connections but the server allows maxclients ${maxClients}${maxClientsFrom === 'default' ? ' (Redis\' default; give redis.maxClients if yours differs)' : ''}; raise maxclients to ≥ ${required}, or move the event bus to a Redis of its own (redis.eventBus)`,
    );
  else if (maxClientsFrom === 'default' && r.mode === 'external')
    warnings.push(`redis: the external server's maxclients is assumed to be Redis' default ${REDIS_DEFAULT_MAXCLIENTS}; give redis.maxClients (CONFIG GET maxclients) so the ${required ?? '?'} planned connections are checked against it`);

  // A bus beyond half of one thread gets io-threads (4 vCPU); beyond one server it must be a cluster.
  const busCpu = x.busLoad?.needsIoThreads ? IO_THREADS_MIN_CPUS : 1;
  const busServer = choice.mode === 'bundled' ? bundledServer(busRequired ?? 0, busCpu, 1, release.images.redis) : undefined;
  if (x.busLoad?.needsCluster && !(e.mode === 'external' && e.useClusters && (e.channelType ?? 'sharded') === 'sharded'))
    problems.push(
      `redis.eventBus: ${x.busLoad.eventsPerSecond} PUBLISH/s (${x.busLoad.mbPerSecondIn} MB/s in and out) at the peak is more than one Redis carries at ${Math.round(x.busLoad.utilization * 100)} % of a thread; give a sharded Redis Cluster of ≥ ${x.busLoad.shards} shards: redis.eventBus: { mode: external, url: redis://<any node>, useClusters: true, channelType: sharded } (EVENT_BUS_REDIS_USE_CLUSTERS, EVENT_BUS_REDIS_CHANNEL_TYPE=sharded)`,
    );
  const busMax = choice.mode === 'shared' ? maxClients : (busServer?.maxclients ?? e.maxClients ?? REDIS_DEFAULT_MAXCLIENTS);
  const busFrom = choice.mode === 'shared' ? maxClientsFrom : busServer ? 'bundled' : e.maxClients !== undefined ? 'spec' : 'default';
  if (dedicated && busRequired !== null && busRequired > busMax)
    problems.push(`redis.eventBus: ${busRequired} event-bus connections exceed its maxclients ${busMax}; raise it (redis.eventBus.maxClients states it)`);
  // Without EVENT_BUS_REDIS_URL, Dify builds the event bus URL from REDIS_HOST:REDIS_PORT, not from Sentinel (redis_pubsub_config.py).
  if (!dedicated && release.eventBus && r.mode === 'external' && r.topology === 'sentinel' && !r.host)
    problems.push(
      `redis.host: Dify ${release.version}'s event bus takes its URL from REDIS_HOST:REDIS_PORT, not from Sentinel (api/configs/middleware/cache/redis_pubsub_config.py); give redis.host (an endpoint that always reaches the master) or redis.eventBus: { mode: external, url }`,
    );
  const channelType = e.channelType ?? (e.useClusters ? 'sharded' : 'pubsub');
  if (release.eventBus && !release.eventBus.channelTypes.includes(channelType))
    problems.push(`redis.eventBus.channelType: Dify ${release.version} supports ${release.eventBus.channelTypes.join(', ')}`);
  if (e.useClusters && release.eventBus && !release.eventBus.clusters) problems.push(`redis.eventBus.useClusters: Dify ${release.version} has no cluster event bus`);

  const notes = [
    `broker safety: the Celery broker's queues live in Redis; ${server ? `the bundled Redis runs maxmemory ${server.maxmemory} with maxmemory-policy noeviction, so a full Redis refuses writes (visible errors) instead of evicting queued tasks` : 'an external broker Redis must run maxmemory-policy noeviction (an evicted task is a lost task)'}.`,
    `event bus: ${dedicated ? `${choice.mode} Redis (${choice.why}), channel type ${channelType}${e.useClusters ? ', cluster mode' : ''}` : `on the main Redis (${choice.why})`}; each in-flight streaming request holds one subscription while its run works in Celery (Dify 1.13 release notes).`,
    `plugin daemon: the community daemon speaks standalone Redis or Sentinel only (dify-plugin-daemon internal/utils/cache/redis.go: NewClient / NewFailoverClient; dify#26865), so the main Redis cannot be a Cluster.${
      qps >= PLUGIN_DAEMON_REDIS_CEILING_QPS
        ? ` At ${qps} QPS its per-request session keys are the load SAE measured as one standalone Redis' ceiling near ${PLUGIN_DAEMON_REDIS_CEILING_QPS} QPS (network I/O and single-threaded command processing, not memory; help.aliyun.com/zh/sae/dify-performance-optimization). Options: a bigger, faster Redis (a managed instance with I/O threads); the event bus moved off it (done from ${DEDICATED_EVENT_BUS_QPS} QPS); or a Redis of the daemon's own: the daemon reads its own REDIS_HOST/REDIS_PORT/REDIS_PASSWORD (internal/types/app/config.go) and its keys carry the plugin_daemon: prefix, while the api reaches it over HTTP (PLUGIN_DAEMON_URL) [inference: no api code reading those keys was found]; dify-deploy does not render that split.`
        : ''
    }`,
  ];

  return {
    required,
    maxClients,
    maxClientsFrom,
    fits,
    breakdown: main,
    ...(server ? { server } : {}),
    eventBus: {
      dedicated,
      mode: choice.mode,
      ...(choice.mode === 'external' ? { url: redactUrlPasswords(e.url!) } : {}),
      channelType,
      useClusters: e.useClusters,
      why: choice.why,
      required: dedicated ? busRequired : required,
      maxClients: busMax,
      maxClientsFrom: busFrom,
      fits: dedicated ? busRequired !== null && busRequired <= busMax : fits,
      breakdown: busClients,
      ...(busServer ? { server: busServer } : {}),
      ...(x.busLoad ? { load: x.busLoad } : {}),
    },
    notes,
  };
}
