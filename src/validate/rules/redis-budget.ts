// redis-budget: every Redis client the files allow (core/redis.ts, the arithmetic `plan` uses)
// against each server's maxclients; unbounded pools; an event bus whose settings contradict its
// server; and a broker on a Redis that may evict (an evicted task is a lost task).
import { processCount } from '../../core/budget.js';
import { REDIS_DEFAULT_MAXCLIENTS, redisClients, type RedisClient, type RedisClientInput, type RedisServerRole } from '../../core/redis.js';
import { at, type Diagnostic, type Origin } from '../diagnostics.js';
import { envVarOrigin, type Deployment, type ServiceModel } from '../deployment.js';
import type { Rule } from './rule.js';

const RULE = 'redis-budget';

/** A Redis server as the files describe it: a compose service (its command line) or an external host. */
export interface RedisServer {
  host: string;
  service?: ServiceModel;
  maxClients?: number;
  requirepass?: string;
  maxmemory?: string;
  policy?: string;
  cluster: boolean;
  /** Where its settings are written (a Helm values key). */
  origin?: Origin;
  /** The chart's own Redis: its host is a name dify-deploy gives, not a value from the files. */
  chart?: boolean;
}

const flag = (command: string | undefined, name: string): string | undefined => {
  const m = command && new RegExp(`--${name}\\s+("[^"]*"|'[^']*'|\\S+)`).exec(command);
  return m ? m[1].replace(/^["']|["']$/g, '') : undefined;
};

function urlParts(url: string): { host: string; password: string } | undefined {
  try {
    const u = new URL(url.split(';')[0]);
    return { host: u.hostname, password: decodeURIComponent(u.password) };
  } catch {
    return undefined;
  }
}

function serverAt(d: Deployment, host: string, stated?: number): RedisServer {
  const service = d.services.find((s) => s.active && s.name === host && /(^|\/)redis(:|$)/.test(s.image ?? ''));
  return fromCommand(host, service, service?.command, stated);
}

function fromCommand(host: string, service: ServiceModel | undefined, command: string | undefined, stated?: number, origin?: Origin): RedisServer {
  const max = flag(command, 'maxclients');
  return {
    host,
    service,
    maxClients: max !== undefined ? Number(max) : service ? REDIS_DEFAULT_MAXCLIENTS : stated,
    ...(origin ? { origin } : {}),
    requirepass: flag(command, 'requirepass'),
    maxmemory: flag(command, 'maxmemory'),
    policy: flag(command, 'maxmemory-policy'),
    cluster: flag(command, 'cluster-enabled') === 'yes',
  };
}

const serviceOrigin = (d: Deployment, s: ServiceModel | undefined): Origin | undefined => (s && d.compose ? { file: d.compose.file, line: s.line } : undefined);
const breakdownData = (list: RedisClient[]) => list.map((c) => ({ component: c.component, kind: c.kind, replicas: c.replicas, processes: c.processes, perProcess: c.perProcess, total: c.total, formula: c.formula }));

/**
 * How a message names a server: a compose service by its name; an external host by the variable
 * that holds it, never by the value (the files may come from an untrusted pull request).
 */
const shown = (server: RedisServer, variable: string) => (server.service || server.chart ? server.host : `at ${variable}`);

function budgetFinding(d: Deployment, role: RedisServerRole, server: RedisServer, clients: RedisClient[]): Diagnostic[] {
  const mine = clients.filter((c) => c.server === role);
  if (!mine.length) return [];
  const name = role === 'main' ? `Redis ${shown(server, 'REDIS_HOST')}` : `event-bus Redis ${shown(server, 'EVENT_BUS_REDIS_URL')}`;
  const out: Diagnostic[] = [];
  // The daemon without GOMAXPROCS is bounded by the host's CPUs, which the files do not tell: not a finding of its own.
  const unknown = mine.filter((c) => c.total === null && c.component === 'plugin_daemon');
  const unbounded = mine.filter((c) => c.total === null && c.component !== 'plugin_daemon');
  if (unbounded.length)
    out.push({
      rule: RULE,
      severity: 'warning',
      ...at(envVarOrigin(d.envFile, 'REDIS_MAX_CONNECTIONS')),
      message: `unbounded Redis pools on ${name}: ${unbounded.map((c) => `${c.component} ${c.kind} (${c.formula})`).join('; ')}`,
      fix: 'set REDIS_MAX_CONNECTIONS (≥ the greenlets or tasks of each process, e.g. SERVER_WORKER_CONNECTIONS + 10) and GOMAXPROCS for the plugin daemon, then size maxclients to the sum (`dify-deploy plan` does both)',
      data: { breakdown: breakdownData(unbounded) },
    });
  const required = mine.reduce((n, c) => n + (c.total ?? 0), 0);
  const stated = server.maxClients !== undefined;
  const maxClients = server.maxClients ?? REDIS_DEFAULT_MAXCLIENTS;
  if (required <= maxClients) return out;
  out.push({
    rule: RULE,
    severity: stated ? 'error' : 'warning',
    ...at(server.origin ?? serviceOrigin(d, server.service) ?? envVarOrigin(d.envFile, role === 'main' ? 'REDIS_HOST' : 'EVENT_BUS_REDIS_URL')),
    message: `worst case ${required}${unbounded.length || unknown.length ? '+ (some pools unbounded)' : ''} Redis connections on ${name} (${mine.map((c) => `${c.component} ${c.kind} ${c.total ?? '∞'}`).join(' + ')}) against maxclients ${maxClients}${stated ? '' : " (Redis' default, assumed)"}: past it Redis answers "max number of clients reached"`,
    fix: server.service ? `start redis-server with --maxclients ≥ ${required} (and a file-descriptor limit above it), or lower REDIS_MAX_CONNECTIONS` : `raise the server's maxclients to ≥ ${required} (give redis.maxClients in dify-deploy.yaml to check it), or lower REDIS_MAX_CONNECTIONS`,
    data: { required, maxClients, stated, breakdown: breakdownData(mine) },
  });
  return out;
}

/** EVENT_BUS_REDIS_* that contradict the server they point at. */
function eventBusFindings(d: Deployment, api: ServiceModel, bus: RedisServer | undefined, main: RedisServer): Diagnostic[] {
  const env = api.env;
  const out: Diagnostic[] = [];
  const origin = (k: string) => at(api.origin[k] ?? envVarOrigin(d.envFile, k));
  const sharded = (env.EVENT_BUS_REDIS_CHANNEL_TYPE ?? '').trim() === 'sharded';
  const clusters = (env.EVENT_BUS_REDIS_USE_CLUSTERS ?? '').trim().toLowerCase() === 'true';
  const mainCluster = (env.REDIS_USE_CLUSTERS ?? '').trim().toLowerCase() === 'true';
  if ((sharded || clusters) && !bus && !mainCluster)
    out.push({
      rule: RULE,
      severity: 'error',
      ...origin(clusters ? 'EVENT_BUS_REDIS_USE_CLUSTERS' : 'EVENT_BUS_REDIS_CHANNEL_TYPE'),
      message: `${clusters ? 'EVENT_BUS_REDIS_USE_CLUSTERS=true' : 'EVENT_BUS_REDIS_CHANNEL_TYPE=sharded'} without a cluster URL: EVENT_BUS_REDIS_URL is empty, so the event bus falls back to the main Redis (${shown(main, 'REDIS_HOST')}), which is not a cluster`,
      fix: 'set EVENT_BUS_REDIS_URL to a node of the Redis Cluster, or go back to EVENT_BUS_REDIS_CHANNEL_TYPE=pubsub and EVENT_BUS_REDIS_USE_CLUSTERS=false',
    });
  if (bus && clusters && bus.service && !bus.cluster)
    out.push({
      rule: RULE,
      severity: 'error',
      ...origin('EVENT_BUS_REDIS_USE_CLUSTERS'),
      message: `EVENT_BUS_REDIS_USE_CLUSTERS=true but EVENT_BUS_REDIS_URL points at the compose service ${bus.host}, a standalone Redis (no --cluster-enabled yes)`,
      fix: 'set EVENT_BUS_REDIS_USE_CLUSTERS=false for a standalone event-bus Redis',
    });
  if (bus) {
    const password = urlParts(env.EVENT_BUS_REDIS_URL ?? '')?.password ?? '';
    const expected = bus.service ? bus.requirepass : bus.host === main.host ? (env.REDIS_PASSWORD ?? '') : undefined;
    if (expected !== undefined && password !== expected)
      out.push({
        rule: RULE,
        severity: 'error',
        ...origin('EVENT_BUS_REDIS_URL'),
        message: `the password in EVENT_BUS_REDIS_URL differs from its server's (${bus.service ? `${bus.host} --requirepass` : 'REDIS_PASSWORD'}): api and workers cannot subscribe or publish, so streaming runs never answer`,
        fix: `write EVENT_BUS_REDIS_URL as redis://:<password>@${bus.service ? bus.host : '<host>'}:6379/0 with the server's password (URL-encoded)`,
      });
  }
  return out;
}

/** The broker's Redis with a maxmemory and an evicting policy drops queued tasks when it fills. */
function brokerEvictionFinding(d: Deployment, api: ServiceModel): Diagnostic[] {
  const host = urlParts(api.env.CELERY_BROKER_URL ?? '')?.host;
  const server = host ? serverAt(d, host) : undefined;
  if (!server?.service) return [];
  const policy = server.policy ?? 'noeviction';
  const limited = server.maxmemory !== undefined && !/^0[a-z]*$/i.test(server.maxmemory);
  if (policy === 'noeviction' || !limited) return [];
  return [
    {
      rule: RULE,
      severity: 'error',
      ...at(serviceOrigin(d, server.service)),
      message: `the Celery broker (CELERY_BROKER_URL → ${host}) runs with --maxmemory ${server.maxmemory} --maxmemory-policy ${policy}: when it fills, Redis evicts keys, queued tasks included — an evicted task is a lost task`,
      fix: `use --maxmemory-policy noeviction on the broker's Redis (a full Redis then refuses writes, which Celery reports), or keep the cache on another Redis`,
    },
  ];
}

/** The running Dify services as redisClients counts them. */
function clientInputs(d: Deployment, services: ServiceModel[]): RedisClientInput[] {
  return services
    .filter((s) => s.active && s.component && s.replicas > 0)
    .map((s) => ({ component: s.component!, replicas: s.replicas, env: s.env, processes: processCount(d.release, s.component!, s.env) }));
}

/** The Redis clients and servers the files describe (also what the real-Redis test reads back). */
export function redisBudgetView(d: Deployment): { api: ServiceModel; clients: RedisClient[]; main: RedisServer; bus?: RedisServer } | undefined {
  const api = d.services.find((s) => s.active && s.component === 'api');
  if (!api) return undefined;
  const busUrl = (api.env.EVENT_BUS_REDIS_URL ?? '').trim();
  const clients = redisClients(clientInputs(d, d.services), { eventBusDedicated: busUrl !== '' });
  const main = serverAt(d, api.env.REDIS_HOST ?? 'redis', d.spec?.redis.maxClients);
  const busHost = busUrl ? urlParts(busUrl)?.host : undefined;
  const bus = busHost ? serverAt(d, busHost, d.spec?.redis.eventBus.maxClients) : undefined;
  return { api, clients, main, bus };
}

export const redisBudgetRule: Rule = {
  id: RULE,
  summary: 'worst-case Redis clients of every process against maxclients; unbounded pools; event-bus settings against their server; a broker that can evict',
  check(d) {
    const view = redisBudgetView(d);
    if (!view) return helmFindings(d);
    const { api, clients, main, bus } = view;
    return [
      ...budgetFinding(d, 'main', main, clients),
      ...(bus ? budgetFinding(d, 'eventBus', bus, clients) : []),
      ...eventBusFindings(d, api, bus, main),
      ...brokerEvictionFinding(d, api),
      ...helmFindings(d),
    ];
  },
};

/** The Helm values judged the same way: the chart's bundled Redis with its extraFlags, or the spec's external one. */
function helmFindings(d: Deployment): Diagnostic[] {
  const helm = d.helm;
  if (!helm) return [];
  const view = { ...d, services: helm.services, envFile: undefined, compose: undefined } as Deployment;
  const api = helm.services.find((s) => s.active && s.component === 'api');
  if (!api) return [];
  const busUrl = (api.env.EVENT_BUS_REDIS_URL ?? '').trim();
  const clients = redisClients(clientInputs(d, helm.services), { eventBusDedicated: busUrl !== '' });
  const main = helm.redis
    ? { ...fromCommand('redis', undefined, helm.redis.flags, REDIS_DEFAULT_MAXCLIENTS, helm.redis.origin), chart: true }
    : fromCommand(api.env.REDIS_HOST ?? 'redis', undefined, undefined, d.spec?.redis.maxClients);
  const out = budgetFinding(view, 'main', main, clients);
  const limited = main.maxmemory !== undefined && !/^0[a-z]*$/i.test(main.maxmemory);
  if (helm.redis && limited && (main.policy ?? 'noeviction') !== 'noeviction')
    out.push({
      rule: RULE,
      severity: 'error',
      ...at(helm.redis.origin),
      message: `the chart's Redis (also the Celery broker) runs with --maxmemory ${main.maxmemory} --maxmemory-policy ${main.policy}: when it fills, Redis evicts keys, queued tasks included`,
      fix: 'use --maxmemory-policy noeviction in redis.master.extraFlags',
    });
  return out;
}
