// What the compose renderers share: the .env content (sections of variables) and, per service,
// the variables docker-compose.yaml must set itself. Every sized value of the plan lands in
// exactly one of three places, chosen so it reaches the process that reads it:
//   1. the release maps the container variable from a differently named .env variable
//      (sandbox WORKER_TIMEOUT ← SANDBOX_WORKER_TIMEOUT): the .env variable, referenced by name;
//   2. the first component (plan order) to size a variable upstream documents for .env owns it
//      there (api's SERVER_WORKER_AMOUNT, SQLALCHEMY_POOL_SIZE…);
//   3. anything else — another component's pool sizes, DB_MAX_OPEN_CONNS, sandbox MAX_WORKERS —
//      is pinned literally in that service's `environment:`, which overrides env_file.
import { UserError } from '../../io/errors.js';
import { storageBackend } from '../../backends/storage.js';
import { vectorStoreBackend } from '../../backends/vector-stores.js';
import { knownEnvVariables } from '../../core/known-env.js';
import { externalDatabasePassword, externalRedisPassword, storageWithCredentials } from '../secrets.js';
import { bodyLimitMB, uploadLimits } from '../body-limit.js';
import { eventBusEnv } from '../event-bus.js';
import { storageVariables, vectorStoreDefinition } from './backend-parts.js';
import type { RenderContext } from '../types.js';
import { PGBOUNCER_PORT } from '../../core/pooler.js';
import { budgetLines } from '../../core/budget-lines.js';
import { renamesInEffect } from '../../core/releases/curated.js';

export interface EnvVar {
  name: string;
  value: string;
}

export interface EnvSection {
  title: string;
  notes: string[];
  vars: EnvVar[];
}

export interface VectorStoreParts {
  env: Record<string, string>;
  services: Record<string, Record<string, unknown>>;
  networks: Record<string, unknown>;
  volumes: Record<string, unknown>;
}

export interface ComposeModel {
  /** scheme://host[:port] users reach Dify at. */
  publicUrl: string;
  env: EnvSection[];
  /** Per compose service: container variable → value, pinned in `environment:`. */
  pinned: Record<string, Record<string, string>>;
  /** Per compose service: container variable → the .env variable it is read from. */
  mapped: Record<string, Record<string, string>>;
  /** Largest request body nginx must accept, in MB. */
  bodyLimitMB: number;
  vectorStore: VectorStoreParts;
}

const CELERY_BROKER_DB = 1;
const AGENT_REDIS_DB = 2;

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

function publicOrigin(ctx: RenderContext): { url: string; socket: string } {
  const d = ctx.spec.domain;
  const tls = d.tls !== 'none';
  const port = tls ? d.httpsPort : d.httpPort;
  const suffix = port === (tls ? 443 : 80) ? '' : `:${port}`;
  return { url: `${tls ? 'https' : 'http'}://${d.host}${suffix}`, socket: `${tls ? 'wss' : 'ws'}://${d.host}${suffix}` };
}

function requireFields(kind: string, spec: Record<string, unknown>, fields: readonly string[], why: string): void {
  const missing = fields.filter((f) => spec[f] === undefined || spec[f] === '');
  if (missing.length)
    throw new UserError(missing.map((f) => `dify-deploy.yaml: ${kind}.${f}: required ${why}; add it to the spec`));
}

export function vectorStoreParts(ctx: RenderContext): VectorStoreParts {
  const vs = ctx.spec.vectorStore;
  const backend = vectorStoreBackend(vs.type);
  const bundled = vs.mode === 'bundled' && backend.bundledService !== undefined;
  if (vs.mode === 'bundled' && !backend.bundledService)
    throw new UserError([`dify-deploy.yaml: vectorStore.mode: ${backend.label} has no bundled service; set mode: external with ${backend.externalRequires.join(', ')}`]);
  if (!bundled) requireFields('vectorStore', vs, backend.externalRequires, `for an external ${backend.label}`);
  const parts = vectorStoreDefinition({ bundled, vs, secrets: ctx.secrets, images: ctx.release.images });
  return {
    env: Object.fromEntries(Object.entries(parts.env).map(([k, v]) => [k, str(v)])),
    services: bundled ? (parts.services ?? {}) : {},
    networks: bundled ? (parts.networks ?? {}) : {},
    volumes: bundled ? (parts.volumes ?? {}) : {},
  };
}

export function storageEnv(ctx: RenderContext): Record<string, string> {
  const st = storageWithCredentials(ctx.spec, ctx.secrets);
  const backend = storageBackend(st.type);
  requireFields('storage', st, backend.requires, `for ${backend.label}`);
  const azureConnectionString =
    st.type === 'azure-blob' ? `DefaultEndpointsProtocol=https;AccountName=${st.accountName};AccountKey=${st.secretKey};EndpointSuffix=core.windows.net` : '';
  return Object.fromEntries(Object.entries(storageVariables(st, azureConnectionString)).map(([k, v]) => [k, str(v)]));
}

function redisUrl(scheme: string, user: string, password: string, hostPort: string, db: number): string {
  const auth = password || user ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}@` : '';
  return `${scheme}://${auth}${hostPort}/${db}`;
}

export function redisEnv(ctx: RenderContext): { env: Record<string, string>; agentUrl: string } {
  const r = ctx.spec.redis;
  const bundled = r.mode === 'bundled';
  const password = bundled ? ctx.secrets.REDIS_PASSWORD : externalRedisPassword(ctx.spec, ctx.secrets);
  const user = r.username ?? '';
  const host = bundled ? 'redis' : (r.host ?? '');
  const port = bundled ? 6379 : (r.port ?? 6379);
  const scheme = r.useSsl ? 'rediss' : 'redis';
  const env: Record<string, string> = {
    REDIS_HOST: host,
    REDIS_PORT: String(port),
    REDIS_USERNAME: user,
    REDIS_PASSWORD: password,
    REDIS_DB: String(r.db),
    REDIS_USE_SSL: String(r.useSsl),
  };
  let broker = redisUrl(scheme, user, password, `${host}:${port}`, CELERY_BROKER_DB);
  if (r.topology === 'sentinel') {
    const sentinels = r.sentinels ?? [];
    Object.assign(env, {
      REDIS_USE_SENTINEL: 'true',
      REDIS_SENTINELS: sentinels.join(','),
      REDIS_SENTINEL_SERVICE_NAME: r.sentinelMasterName ?? '',
      REDIS_SENTINEL_PASSWORD: r.sentinelPassword ?? '',
    });
    broker = sentinels.map((s) => redisUrl('sentinel', user, password, s, CELERY_BROKER_DB)).join(';');
    Object.assign(env, { CELERY_USE_SENTINEL: 'true', CELERY_SENTINEL_MASTER_NAME: r.sentinelMasterName ?? '', CELERY_SENTINEL_PASSWORD: r.sentinelPassword ?? '' });
  }
  env.CELERY_BROKER_URL = broker;
  env.CELERY_BACKEND = 'redis';
  env.BROKER_USE_SSL = String(r.useSsl);
  Object.assign(env, eventBusEnv(ctx));
  return { env, agentUrl: redisUrl(scheme, user, password, `${host}:${port}`, AGENT_REDIS_DB) };
}

/** The compose service name of the bundled pooler. */
export const POOLER_SERVICE = 'pgbouncer';

/** PostgreSQL (or MySQL) itself, bypassing any pooler. */
export function directDatabaseAddress(ctx: RenderContext): { DB_HOST: string; DB_PORT: string } {
  const db = ctx.spec.database;
  const pg = db.engine === 'postgresql';
  return { DB_HOST: db.mode === 'bundled' ? (pg ? 'db_postgres' : 'db_mysql') : (db.host ?? ''), DB_PORT: String(db.port ?? (pg ? 5432 : 3306)) };
}

export function databaseEnv(ctx: RenderContext): Record<string, string> {
  const db = ctx.spec.database;
  const pg = db.engine === 'postgresql';
  const bundled = db.mode === 'bundled';
  const env: Record<string, string> = {
    DB_TYPE: db.engine,
    DB_USERNAME: bundled ? (pg ? 'postgres' : 'root') : (db.user ?? ''),
    DB_PASSWORD: bundled ? ctx.secrets.DB_PASSWORD : externalDatabasePassword(ctx.spec, ctx.secrets),
    // With a pooler every Dify service connects to it; migrate and backup pin the direct address.
    ...(ctx.plan.database.pooler ? { DB_HOST: POOLER_SERVICE, DB_PORT: String(PGBOUNCER_PORT) } : directDatabaseAddress(ctx)),
    DB_DATABASE: db.database,
    DB_PLUGIN_DATABASE: db.pluginDatabase,
  };
  const settings = (ctx.plan.database.settings ?? {}) as Record<string, string | number>;
  if (bundled && pg)
    Object.assign(env, {
      POSTGRES_MAX_CONNECTIONS: str(ctx.plan.database.maxConnections),
      POSTGRES_SHARED_BUFFERS: str(settings.shared_buffers),
      POSTGRES_WORK_MEM: str(settings.work_mem),
      POSTGRES_MAINTENANCE_WORK_MEM: str(settings.maintenance_work_mem),
      POSTGRES_EFFECTIVE_CACHE_SIZE: str(settings.effective_cache_size),
    });
  if (bundled && !pg)
    Object.assign(env, { MYSQL_MAX_CONNECTIONS: str(ctx.plan.database.maxConnections), MYSQL_INNODB_BUFFER_POOL_SIZE: str(settings.innodb_buffer_pool_size) });
  return env;
}

/** Splits the plan's sized env into .env-owned, mapped and pinned values (see the header). */
function placeSizedValues(ctx: RenderContext, known: ReadonlySet<string>) {
  const owned: Record<string, { component: string; value: string }> = {};
  const pinned: Record<string, Record<string, string>> = {};
  const mapped: Record<string, Record<string, string>> = {};
  const viaMapping: Record<string, string> = {};
  for (const [service, map] of Object.entries(ctx.release.serviceEnv)) mapped[service] = { ...map };
  for (const c of ctx.plan.components) {
    if (c.name === 'nginx') continue; // nginx reads its rendered config, not the environment
    pinned[c.name] ??= {};
    for (const [name, value] of Object.entries(c.env)) {
      // A mapping counts only where upstream documents the .env side for this release.
      const mappedFrom: string | undefined = ctx.release.serviceEnv[c.name]?.[name];
      const envName = mappedFrom && known.has(mappedFrom) ? mappedFrom : undefined;
      if (envName && (viaMapping[envName] === undefined || viaMapping[envName] === value)) viaMapping[envName] = value;
      else if (!envName && known.has(name) && owned[name] === undefined) owned[name] = { component: c.name, value };
      else {
        pinned[c.name][name] = value;
        if (mappedFrom) delete mapped[c.name][name];
      }
    }
  }
  return { owned, pinned, mapped, viaMapping };
}

export function composeModel(ctx: RenderContext): ComposeModel {
  const { spec, release, plan, secrets } = ctx;
  const known = knownEnvVariables(release.version);
  /** Written only when the release documents the variable (e.g. SERVER_CONSOLE_API_URL from 1.15). */
  const optional = (vars: Record<string, string>) => Object.fromEntries(Object.entries(vars).filter(([k]) => known.has(k)));
  const { url, socket } = publicOrigin(ctx);
  const { owned, pinned, mapped, viaMapping } = placeSizedValues(ctx, known);
  const redis = redisEnv(ctx);
  const vectorStore = vectorStoreParts(ctx);
  const uploads = uploadLimits(release);
  const bodyLimit = bodyLimitMB(plan, release);
  const agent = plan.components.some((c) => c.name === 'agent_backend');

  const sizedByComponent = new Map<string, EnvVar[]>();
  for (const [name, { component, value }] of Object.entries(owned)) {
    const list = sizedByComponent.get(component) ?? [];
    list.push({ name, value });
    sizedByComponent.set(component, list);
  }
  const sizingNotes = plan.components
    .filter((c) => sizedByComponent.has(c.name))
    .map((c) => `${c.name}: ${c.replicas} replica(s), ${c.cpu} vCPU / ${c.memory}${c.peakDbConnections ? `, up to ${c.peakDbConnections} DB connections` : ''}`);

  const sections: { title: string; notes?: string[]; vars: Record<string, string> }[] = [
    {
      title: 'Public URLs',
      notes: [`Dify is served at ${url} (domain.host and domain.tls in dify-deploy.yaml).`],
      vars: {
        CONSOLE_API_URL: url,
        CONSOLE_WEB_URL: url,
        SERVICE_API_URL: url,
        APP_API_URL: url,
        APP_WEB_URL: url,
        FILES_URL: url,
        INTERNAL_FILES_URL: 'http://api:5001',
        TRIGGER_URL: url,
        ENDPOINT_URL_TEMPLATE: `${url}/e/{hook_id}`,
        ...optional({ SERVER_CONSOLE_API_URL: 'http://api:5001' }),
        ...(plan.collaboration ? { NEXT_PUBLIC_SOCKET_URL: socket } : {}),
      },
    },
    {
      title: 'Security',
      notes: ['Generated once by dify-deploy and kept on every re-render: changing SECRET_KEY breaks sessions and encrypted credentials.'],
      vars: {
        SECRET_KEY: secrets.SECRET_KEY,
        INIT_PASSWORD: secrets.INIT_PASSWORD,
        DEPLOY_ENV: 'PRODUCTION',
        CONSOLE_CORS_ALLOW_ORIGINS: url,
        // Published web apps and the embed script are called from other sites.
        WEB_API_CORS_ALLOW_ORIGINS: '*',
        LOG_LEVEL: 'INFO',
      },
    },
    {
      title: 'Sizing (from `dify-deploy plan`)',
      notes: [
        `${plan.tier}: ${plan.peakQps} QPS at the peak × ${plan.latencySeconds} s = ${plan.inFlight} requests in flight on average; queues sized to P(wait) ≤ ${plan.serviceLevel.maxWaitProbability * 100} %.`,
        'These are the first component\'s values; docker-compose.yaml pins each other service\'s own sizes in its environment block.',
        ...sizingNotes,
      ],
      vars: {
        ...Object.fromEntries(plan.components.flatMap((c) => (sizedByComponent.get(c.name) ?? []).map((v) => [v.name, v.value]))),
        ...viaMapping,
        ...(release.collaboration ? { ENABLE_COLLABORATION_MODE: String(plan.collaboration) } : {}),
      },
    },
    {
      title: 'Operations: migrations, logs, traces, workflow logs',
      notes: [
        'MIGRATION_ENABLED=false: the one-shot `migrate` service runs the migrations before the app starts (no race between replicas).',
        `Workflow logs: ${plan.observability.workflowLogs}.`,
      ],
      vars: optional(plan.sharedEnv),
    },
    {
      title: 'Metadata database',
      notes: [
        ...budgetLines(plan.budget, plan.database, false).map((l) => `${l.text}.`),
        ...(plan.budget.server ? [`PgBouncer: ${POOLER_SERVICE}:${PGBOUNCER_PORT}, transaction pooling; migrate and backup connect to the database directly.`] : []),
      ],
      vars: databaseEnv(ctx),
    },
    {
      title: 'Redis and Celery',
      notes: [
        'The password is inside CELERY_BROKER_URL too: change both together.',
        ...(plan.redis.eventBus.mode === 'bundled' ? ['EVENT_BUS_REDIS_PASSWORD is the redis_event_bus service\'s password and is inside EVENT_BUS_REDIS_URL too.'] : []),
        `REDIS_MAX_CONNECTIONS bounds every redis-py pool (the event bus's too); the plan's Redis budget needs ${plan.redis.required} of maxclients ${plan.redis.maxClients}.`,
      ],
      vars: { ...redis.env },
    },
    { title: 'File storage', vars: storageEnv(ctx) },
    { title: 'Vector store', vars: vectorStore.env },
    {
      title: 'Code execution sandbox and SSRF proxy',
      notes: ['CODE_EXECUTION_API_KEY and SANDBOX_API_KEY must be equal.'],
      vars: {
        CODE_EXECUTION_ENDPOINT: 'http://sandbox:8194',
        CODE_EXECUTION_API_KEY: secrets.SANDBOX_API_KEY,
        SANDBOX_API_KEY: secrets.SANDBOX_API_KEY,
        SANDBOX_HTTP_PROXY: 'http://ssrf_proxy:3128',
        SANDBOX_HTTPS_PROXY: 'http://ssrf_proxy:3128',
        SANDBOX_PORT: '8194',
        SSRF_PROXY_HTTP_URL: 'http://ssrf_proxy:3128',
        SSRF_PROXY_HTTPS_URL: 'http://ssrf_proxy:3128',
      },
    },
    {
      title: 'Plugin daemon',
      notes: [
        'PLUGIN_DAEMON_KEY is the daemon\'s SERVER_KEY; PLUGIN_DIFY_INNER_API_KEY is the api\'s INNER_API_KEY_FOR_PLUGIN.',
        'Remote plugin debugging listens on 127.0.0.1:5003 of the host: developers connect through `ssh -L 5003:127.0.0.1:5003 <host>`.',
      ],
      vars: {
        PLUGIN_DAEMON_PORT: '5002',
        PLUGIN_DAEMON_URL: 'http://plugin_daemon:5002',
        PLUGIN_DAEMON_KEY: secrets.PLUGIN_DAEMON_KEY,
        PLUGIN_DIFY_INNER_API_KEY: secrets.PLUGIN_DIFY_INNER_API_KEY,
        PLUGIN_DIFY_INNER_API_URL: 'http://api:5001',
        PLUGIN_MAX_PACKAGE_SIZE: release.upstreamDefaults.PLUGIN_MAX_PACKAGE_SIZE ?? '52428800',
        PLUGIN_DEBUGGING_HOST: '0.0.0.0',
        PLUGIN_DEBUGGING_PORT: '5003',
        // The debugging port is published on the host's loopback only (docker-compose.yaml).
        EXPOSE_PLUGIN_DEBUGGING_HOST: 'localhost',
        EXPOSE_PLUGIN_DEBUGGING_PORT: '5003',
        PLUGIN_PYTHON_ENV_INIT_TIMEOUT: '120',
        // The api waits for the daemon as long as the daemon lets a plugin run.
        PLUGIN_MAX_EXECUTION_TIMEOUT: '600',
        PLUGIN_DAEMON_TIMEOUT: '600.0',
        FORCE_VERIFYING_SIGNATURE: 'true',
      },
    },
    {
      title: 'Upload limits (MB)',
      notes: [`nginx accepts request bodies up to ${bodyLimit} MB: the largest limit here plus multipart overhead.`],
      vars: uploads,
    },
  ];
  if (agent)
    sections.push({
      title: 'Dify Agent backend',
      vars: {
        AGENT_BACKEND_BASE_URL: 'http://agent_backend:5050',
        DIFY_AGENT_API_TOKEN: secrets.DIFY_AGENT_API_TOKEN,
        DIFY_AGENT_SERVER_SECRET_KEY: secrets.DIFY_AGENT_SERVER_SECRET_KEY,
        DIFY_AGENT_SHELLCTL_AUTH_TOKEN: secrets.DIFY_AGENT_SHELLCTL_AUTH_TOKEN,
        DIFY_AGENT_REDIS_URL: redis.agentUrl,
      },
    });
  // A variable upstream renamed is written under the name this release reads (the secret keeps its
  // value: the store holds it under dify-deploy's name), unless the release still documents the old one.
  // Overrides are the user's: written as given (upgrade reports the ones a release no longer reads).
  const renamed = renamesInEffect(release.version);
  for (const s of sections)
    s.vars = Object.fromEntries(Object.entries(s.vars).map(([k, v]) => [renamed.has(k) && !known.has(k) && known.has(renamed.get(k)!.to) ? renamed.get(k)!.to : k, v]));

  if (spec.overrides.env && Object.keys(spec.overrides.env).length)
    sections.push({ title: 'Overrides from dify-deploy.yaml (overrides.env)', vars: { ...spec.overrides.env } });

  // A later section's value wins (overrides.env last); each variable is written once.
  const finalValue = new Map<string, string>();
  for (const s of sections) for (const [k, v] of Object.entries(s.vars)) finalValue.set(k, v);
  const written = new Set<string>();
  const env: EnvSection[] = [];
  for (const s of [...sections].reverse()) {
    const vars = Object.keys(s.vars)
      .filter((k) => !written.has(k))
      .map((k) => ({ name: k, value: finalValue.get(k)! }));
    vars.forEach((v) => written.add(v.name));
    env.unshift({ title: s.title, notes: s.notes ?? [], vars });
  }

  // Upstream's per-service renames (releases/*.json serviceEnv) apply where .env holds the source:
  // a `${VAR?…}` reference to a variable .env lacks would stop compose.
  const reachable = Object.fromEntries(Object.entries(mapped).map(([service, map]) => [service, Object.fromEntries(Object.entries(map).filter(([, envName]) => finalValue.has(envName)))]));
  return { publicUrl: url, env: env.filter((s) => s.vars.length), pinned, mapped: reachable, bodyLimitMB: bodyLimit, vectorStore };
}
