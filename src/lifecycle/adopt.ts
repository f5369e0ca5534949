// From an existing deployment (validate's model of a user's .env / compose files) to the spec
// that describes it: release, backends, domain, the current sizing as explicit overrides, and
// the secrets it runs with. Pure: reads nothing but the model and the release data.
import { dirname, relative, resolve } from 'node:path';
import type { Release } from '../core/data.js';
import { COMPONENT_NAMES, type ComponentName, type SpecInput } from '../core/spec.js';
import { STORAGE_BACKENDS } from '../backends/storage.js';
import { VECTOR_STORES, vectorStoreBackend } from '../backends/vector-stores.js';
import { storageEnv, vectorStoreParts } from '../render/compose/model.js';
import { EVENT_BUS_SERVICE } from '../render/event-bus.js';
import { notRotated, SECRETS } from '../render/secrets.js';
import type { RenderContext } from '../render/types.js';
import type { Origin } from '../validate/diagnostics.js';
import type { Deployment, ServiceModel } from '../validate/deployment.js';
import { secretData } from '../core/secret-data.js';
import { pythonInt } from '../core/python-int.js';
import { envDefaults } from './release-env.js';

export interface UserVar {
  value: string;
  origin: Origin;
}

/** Something the spec cannot say; import refuses with it (file and line). */
export interface Refusal {
  file?: string;
  line?: number;
  message: string;
}

export interface Adoption {
  spec: SpecInput;
  /** Secrets the deployment runs with, kept as they are (never printed). */
  secrets: Record<string, string>;
  /** Secret names whose value is a published default or empty: a new one is generated. */
  replacedSecrets: string[];
  /** The user's settings: every variable of their env files that differs from the release's default. */
  settings: Map<string, UserVar>;
  refusals: Refusal[];
  notes: string[];
}

/** Dify's own processes: their effective environment is what the round trip keeps. */
export const APP_COMPONENTS: readonly ComponentName[] = COMPONENT_NAMES.filter((c) => c !== 'nginx');

const truthy = (v: string | undefined) => /^(true|1|yes|on)$/i.test((v ?? '').trim());

/** Every variable the user's env files set (not a compose file's `environment:`): env_file layers first, the project .env last (it wins, as in Compose). */
export function userVariables(d: Deployment): Map<string, UserVar> {
  const out = new Map<string, UserVar>();
  for (const s of d.services)
    for (const [k, o] of Object.entries(s.origin))
      if (o && !d.compose?.files.includes(o.file) && o.file !== d.envFile?.file && !out.has(k)) out.set(k, { value: s.env[k], origin: o });
  if (d.envFile) for (const k of Object.keys(d.envFile.values)) out.set(k, { value: d.vars[k], origin: { file: d.envFile.file, line: d.envFile.lines[k] } });
  return out;
}

/**
 * The value each variable takes when the user's files do not set it: a default only counts if it
 * reaches the containers without the user's line — the compose file's own `${VAR:-default}`
 * (anywhere: environment, command…), or upstream's .env.example value (the file the user's .env
 * copies, mirrored by upstream's compose). From 1.16 (env-file layout) the envs/*.env.example
 * files are loaded only once copied, so their values are no default (SMTP_USE_TLS=true there;
 * Dify's code default is false).
 */
function effectiveDefaults(d: Deployment): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?-([^}]*)\}/g)) if (!out.has(m[1])) out.set(m[1], m[2]);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(d.compose?.data);
  for (const [k, v] of Object.entries(envDefaults(d.release.version)))
    if (!out.has(k) && !(d.release.composeLayout === 'env-file' && /\/envs\//.test(v.source))) out.set(k, v.value);
  return out;
}

const COMPOSE_FILE_CHOICE = new Set(['COMPOSE_FILE', 'COMPOSE_PATH_SEPARATOR']);

/** The settings: user variables whose value is not what the containers would get without them. */
export function nonDefaults(d: Deployment, vars: Map<string, UserVar>): Map<string, UserVar> {
  const defaults = effectiveDefaults(d);
  const out = new Map<string, UserVar>();
  for (const [k, v] of vars) {
    const def = defaults.get(k);
    const raw = d.envFile && v.origin.file === d.envFile.file ? d.envFile.values[k] : v.value;
    if (def !== undefined && (raw === def || v.value === def)) continue;
    // Which compose files Compose reads: already merged here; the rendered deployment is one file.
    if (COMPOSE_FILE_CHOICE.has(k)) continue;
    out.set(k, v);
  }
  return out;
}

/** The environment the deployment's api process sees (the reference for backends). */
function apiEnv(d: Deployment, vars: Map<string, UserVar>): Record<string, string> {
  const api = d.services.find((s) => s.active && s.component === 'api');
  return { ...Object.fromEntries([...vars].map(([k, v]) => [k, v.value])), ...(api?.env ?? {}) };
}

function activeServiceNamed(d: Deployment, name: string): ServiceModel | undefined {
  return d.services.find((s) => s.active && s.name === name);
}

function profiles(d: Deployment): Set<string> {
  return new Set((d.vars.COMPOSE_PROFILES ?? '').split(',').map((p) => p.trim()).filter(Boolean));
}

/** A bundled service runs: in the compose file when there is one, else by COMPOSE_PROFILES as upstream's compose selects it. */
function bundledRuns(d: Deployment, service: string): boolean {
  return d.compose ? activeServiceNamed(d, service) !== undefined : profiles(d).has(service);
}

/**
 * Which spec field a backend's env variable comes from: the renderer's own mapping, read by
 * rendering it once with a marker per field (so import and render can never disagree).
 */
function fieldVariables(env: Record<string, string>, markers: Record<string, string | number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, marker] of Object.entries(markers)) {
    const variable = Object.entries(env).find(([, v]) => v === String(marker))?.[0];
    if (variable) out[field] = variable;
  }
  return out;
}

function fromVariables(fields: Record<string, string>, env: Record<string, string>, numeric: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, variable] of Object.entries(fields)) {
    const v = env[variable];
    if (v === undefined || v === '') continue;
    out[field] = numeric.includes(field) ? (pythonInt(v) ?? v) : v;
  }
  return out;
}

function originOf(vars: Map<string, UserVar>, key: string): Pick<Refusal, 'file' | 'line'> {
  const o = vars.get(key)?.origin;
  return o ? { file: o.file, line: o.line } : {};
}

function database(d: Deployment, env: Record<string, string>, vars: Map<string, UserVar>, dbMaxConnections: number | undefined, refusals: Refusal[]): SpecInput['database'] {
  const type = (env.DB_TYPE ?? 'postgresql').toLowerCase();
  const engine = type === 'postgres' ? 'postgresql' : type;
  if (engine !== 'postgresql' && engine !== 'mysql') {
    refusals.push({ ...originOf(vars, 'DB_TYPE'), message: `DB_TYPE=${env.DB_TYPE}: dify-deploy deploys PostgreSQL or MySQL as the metadata database` });
    return {};
  }
  const db: NonNullable<SpecInput['database']> = { engine };
  // The files connect straight to the server: keep that, or the plan's default pooler (above 500 connections) would move DB_HOST.
  if (engine === 'postgresql' && !/pgbouncer/i.test(env.DB_HOST ?? '')) db.pooler = 'none';
  const defaults = envDefaults(d.release.version);
  if (env.DB_DATABASE && env.DB_DATABASE !== 'dify') db.database = env.DB_DATABASE;
  const pluginDb = env.DB_PLUGIN_DATABASE ?? d.services.find((s) => s.component === 'plugin_daemon')?.env.DB_DATABASE;
  if (pluginDb && pluginDb !== 'dify_plugin') db.pluginDatabase = pluginDb;
  if (d.database?.bundled) {
    db.mode = 'bundled';
    return db;
  }
  db.mode = 'external';
  db.host = env.DB_HOST;
  if (pythonInt(env.DB_PORT) !== undefined) db.port = pythonInt(env.DB_PORT);
  if (env.DB_USERNAME) db.user = env.DB_USERNAME;
  const ssl = env.DB_SSL_MODE;
  if (ssl && ssl !== defaults.DB_SSL_MODE?.value && ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'].includes(ssl)) db.sslMode = ssl as never;
  const max = dbMaxConnections ?? d.database?.maxConnections;
  if (max === undefined)
    refusals.push({
      ...originOf(vars, 'DB_HOST'),
      message: `DB_HOST=${env.DB_HOST} is an external database whose max_connections the files do not say; pass --db-max-connections N (SHOW max_connections; on the server) so the budget can be checked`,
    });
  else db.maxConnections = max;
  return db;
}

function redis(d: Deployment, env: Record<string, string>): SpecInput['redis'] {
  const host = env.REDIS_HOST ?? 'redis';
  const sentinel = truthy(env.REDIS_USE_SENTINEL);
  const cluster = truthy(env.REDIS_USE_CLUSTERS);
  if (!sentinel && !cluster && host === 'redis' && bundledRuns(d, 'redis')) return { mode: 'bundled' };
  const r: NonNullable<SpecInput['redis']> = { mode: 'external', topology: sentinel ? 'sentinel' : cluster ? 'cluster' : 'standalone' };
  if (!sentinel && !cluster) r.host = host;
  if (pythonInt(env.REDIS_PORT) !== undefined) r.port = pythonInt(env.REDIS_PORT);
  if (env.REDIS_USERNAME) r.username = env.REDIS_USERNAME;
  if (pythonInt(env.REDIS_DB) !== undefined) r.db = pythonInt(env.REDIS_DB);
  if (truthy(env.REDIS_USE_SSL)) r.useSsl = true;
  const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (sentinel) {
    r.sentinels = list(env.REDIS_SENTINELS);
    if (env.REDIS_SENTINEL_SERVICE_NAME) r.sentinelMasterName = env.REDIS_SENTINEL_SERVICE_NAME;
    if (env.REDIS_SENTINEL_PASSWORD) r.sentinelPassword = env.REDIS_SENTINEL_PASSWORD;
  }
  if (cluster) r.clusterNodes = list(env.REDIS_CLUSTERS);
  return r;
}

type EventBusInput = NonNullable<NonNullable<SpecInput['redis']>['eventBus']>;
const CHANNEL_TYPES = ['pubsub', 'sharded', 'streams'] as const;

/**
 * The event bus the files give the API (EVENT_BUS_REDIS_*, src/render/event-bus.ts): none is the
 * main Redis (shared), the compose service of our own is bundled, any other URL is external. Said
 * explicitly, so the adopted plan keeps the bus where it is rather than choosing one by the tier.
 */
function eventBus(d: Deployment, release: Release, env: Record<string, string>): EventBusInput | undefined {
  if (!release.eventBus) return undefined;
  const url = (env.EVENT_BUS_REDIS_URL ?? '').trim();
  if (!url) return { mode: 'shared' };
  const channel = (env.EVENT_BUS_REDIS_CHANNEL_TYPE ?? '').trim();
  const channelType = (CHANNEL_TYPES as readonly string[]).includes(channel) ? { channelType: channel as (typeof CHANNEL_TYPES)[number] } : {};
  const host = /^rediss?:\/\/(?:[^@/]*@)?([^:/?#]+)/.exec(url)?.[1];
  if (d.compose && host === EVENT_BUS_SERVICE && bundledRuns(d, EVENT_BUS_SERVICE)) return { mode: 'bundled', ...channelType };
  return { mode: 'external', url, useClusters: truthy(env.EVENT_BUS_REDIS_USE_CLUSTERS), ...channelType };
}

type WorkflowLogsInput = NonNullable<NonNullable<SpecInput['observability']>['workflowLogs']>;
/** The logstore keeps logs "permanently" at this TTL (upstream's .env.example; what render writes for retentionDays 0). */
const SLS_PERMANENT_TTL = 3650;

/**
 * Where the files keep the workflow logs (src/core/topology.ts renders these variables): the SLS
 * logstore repositories, or PostgreSQL (hybrid: node executions in object storage) with the
 * clean-up's retention. Logs the files keep in PostgreSQL stay there (acceptLargeDatabase): the
 * adopted plan must not move them by the tier's default; `plan` shows what they cost.
 */
function workflowLogs(env: Record<string, string>): WorkflowLogsInput {
  const logstore = [env.CORE_WORKFLOW_EXECUTION_REPOSITORY, env.API_WORKFLOW_RUN_REPOSITORY].some((v) => (v ?? '').includes('logstore'));
  if (logstore) {
    const ttl = pythonInt(env.ALIYUN_SLS_LOGSTORE_TTL);
    return {
      storage: 'logstore',
      ...(ttl !== undefined ? { retentionDays: ttl >= SLS_PERMANENT_TTL ? 0 : ttl } : {}),
      ...(env.ALIYUN_SLS_PROJECT_NAME ? { slsProject: env.ALIYUN_SLS_PROJECT_NAME } : {}),
      ...(env.ALIYUN_SLS_ENDPOINT ? { slsEndpoint: env.ALIYUN_SLS_ENDPOINT } : {}),
      ...(env.ALIYUN_SLS_REGION ? { slsRegion: env.ALIYUN_SLS_REGION } : {}),
    };
  }
  // Upstream ships the clean-up off: the logs are kept forever (0).
  const retentionDays = truthy(env.WORKFLOW_LOG_CLEANUP_ENABLED) ? (pythonInt(env.WORKFLOW_LOG_RETENTION_DAYS) ?? 30) : 0;
  return { storage: (env.WORKFLOW_NODE_EXECUTION_STORAGE ?? '').trim() === 'hybrid' ? 'hybrid' : 'rdbms', retentionDays, acceptLargeDatabase: true };
}

const VS_MARKERS = { url: 'http://dify-deploy-marker-url.invalid', host: 'dify-deploy-marker-host', port: 59991, user: 'dify-deploy-marker-user', password: 'dify-deploy-marker-password', apiKey: 'dify-deploy-marker-apikey', database: 'dify-deploy-marker-db' };

function vectorStore(d: Deployment, release: Release, env: Record<string, string>, vars: Map<string, UserVar>, refusals: Refusal[]): SpecInput['vectorStore'] {
  const type = env.VECTOR_STORE || 'weaviate';
  const backend = VECTOR_STORES.find((v) => v.id === type);
  if (!backend) {
    refusals.push({ ...originOf(vars, 'VECTOR_STORE'), message: `VECTOR_STORE=${type}: not a vector store dify-deploy deploys (${VECTOR_STORES.map((v) => v.id).join(', ')})` });
    return {};
  }
  const service = vectorStoreBackend(type).bundledService;
  if (service && bundledRuns(d, service)) return { type: backend.id, mode: 'bundled' };
  const ctx = { spec: { vectorStore: { type, mode: 'external', ...VS_MARKERS } }, secrets: {}, release } as unknown as RenderContext;
  const fields = fieldVariables(vectorStoreParts(ctx).env, VS_MARKERS);
  return { type: backend.id, mode: 'external', ...fromVariables(fields, env, ['port']) };
}

const STORAGE_MARKERS = {
  bucket: 'dify-deploy-marker-bucket',
  pluginBucket: 'dify-deploy-marker-plugin-bucket',
  endpoint: 'http://dify-deploy-marker-endpoint.invalid',
  region: 'dify-deploy-marker-region',
  accessKey: 'dify-deploy-marker-access-key',
  secretKey: 'dify-deploy-marker-secret-key',
  accountName: 'dify-deploy-marker-account',
  accountUrl: 'http://dify-deploy-marker-account-url.invalid',
  serviceAccountJsonBase64: 'dify-deploy-marker-sa-json',
};

function storage(env: Record<string, string>, vars: Map<string, UserVar>, refusals: Refusal[]): SpecInput['storage'] {
  const type = env.STORAGE_TYPE || 'opendal';
  const backend = STORAGE_BACKENDS.find((s) => s.difyType === type);
  if (!backend || (backend.id === 'local' && (env.OPENDAL_SCHEME ?? 'fs') !== 'fs')) {
    refusals.push({
      ...originOf(vars, backend ? 'OPENDAL_SCHEME' : 'STORAGE_TYPE'),
      message: `STORAGE_TYPE=${type}${backend ? ` with OPENDAL_SCHEME=${env.OPENDAL_SCHEME}` : ''}: dify-deploy deploys ${STORAGE_BACKENDS.map((s) => (s.id === 'local' ? 'opendal (fs)' : s.difyType)).join(', ')}`,
    });
    return {};
  }
  if (backend.id === 'local') return { type: 'local' };
  const ctx = { spec: { storage: { type: backend.id, ...STORAGE_MARKERS } } } as unknown as RenderContext;
  // S3 through the machine's IAM role: no keys to read, and render needs to know.
  const iam = backend.id === 's3' && (env.S3_USE_AWS_MANAGED_IAM ?? '').toLowerCase() === 'true' ? { useIam: true } : {};
  return { type: backend.id, ...fromVariables(fieldVariables(storageEnv(ctx), STORAGE_MARKERS), env), ...iam };
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;

/** A compose volume entry as host source and container target (short `src:dst[:mode]` or long syntax). */
function mountOf(v: unknown): { source: string; target: string } | undefined {
  if (typeof v === 'string') {
    const [source, target] = v.split(':');
    return source && target ? { source, target } : undefined;
  }
  const m = v as { type?: unknown; source?: unknown; target?: unknown } | null;
  return m && typeof m.source === 'string' && typeof m.target === 'string' && (m.type ?? 'bind') === 'bind' ? { source: m.source, target: m.target } : undefined;
}

/**
 * The host files nginx serves as certificate and key: the container paths upstream's entrypoint
 * reads (/etc/ssl/$NGINX_SSL_CERT_FILENAME, or certbot's live/ folder) and ours
 * (/etc/nginx/ssl/dify.crt), traced back through nginx's bind mounts to absolute host paths.
 * Without a compose file, upstream's own mount (./nginx/ssl next to the .env) is assumed.
 */
function certificateFiles(d: Deployment, env: Record<string, string>): { certFile: string; keyFile: string } | undefined {
  const certName = env.NGINX_SSL_CERT_FILENAME || 'dify.crt';
  const keyName = env.NGINX_SSL_CERT_KEY_FILENAME || 'dify.key';
  const candidates: [string, string][] = [
    ...(env.CERTBOT_DOMAIN ? [[`/etc/letsencrypt/live/${env.CERTBOT_DOMAIN}/${certName}`, `/etc/letsencrypt/live/${env.CERTBOT_DOMAIN}/${keyName}`] as [string, string]] : []),
    [`/etc/ssl/${certName}`, `/etc/ssl/${keyName}`],
    ['/etc/nginx/ssl/dify.crt', '/etc/nginx/ssl/dify.key'],
  ];
  const base = dirname(d.compose?.file ?? d.envFile?.file ?? '.');
  const volumes = d.compose
    ? ((d.compose.data as { services?: Record<string, { volumes?: unknown[] }> } | undefined)?.services?.nginx?.volumes ?? []).map(mountOf).filter((m) => m !== undefined)
    : [{ source: './nginx/ssl', target: '/etc/ssl' }];
  const hostPath = (container: string) => {
    const m = volumes.find((v) => container === v.target || container.startsWith(`${v.target.replace(/\/$/, '')}/`));
    return m && resolve(base, m.source, relative(m.target, container));
  };
  for (const [cert, key] of candidates) {
    const certFile = hostPath(cert);
    const keyFile = hostPath(key);
    if (certFile && keyFile) return { certFile, keyFile };
  }
  return undefined;
}

/** Domain and TLS from the public URLs (the first one set); the URLs themselves are kept exactly by the round trip. */
function domain(d: Deployment, env: Record<string, string>, refusals: Refusal[]): SpecInput['domain'] {
  const first = ['CONSOLE_WEB_URL', 'APP_WEB_URL', 'CONSOLE_API_URL', 'SERVICE_API_URL', 'APP_API_URL'].map((k) => env[k]).find((v) => v && /^https?:\/\//.test(v));
  let url: URL | undefined;
  try {
    url = first ? new URL(first) : undefined;
  } catch {
    url = undefined;
  }
  const https = url ? url.protocol === 'https:' : truthy(env.NGINX_HTTPS_ENABLED);
  const serverName = env.NGINX_SERVER_NAME && env.NGINX_SERVER_NAME !== '_' ? env.NGINX_SERVER_NAME : undefined;
  const host = url && HOSTNAME.test(url.hostname) ? url.hostname : serverName && HOSTNAME.test(serverName) ? serverName : 'localhost';
  const out: NonNullable<SpecInput['domain']> = { host };
  if (https) {
    const certbot = truthy(env.NGINX_ENABLE_CERTBOT_CHALLENGE) && !!env.CERTBOT_EMAIL && host !== 'localhost' && !/^[\d.]+$/.test(host);
    out.tls = certbot ? 'certbot' : 'own';
    if (certbot) out.email = env.CERTBOT_EMAIL;
    else {
      const files = certificateFiles(d, env);
      if (files) Object.assign(out, files);
      else
        refusals.push({
          file: d.compose?.file,
          message: 'HTTPS is on but no nginx volume mounts the certificate (/etc/ssl/$NGINX_SSL_CERT_FILENAME): mount the folder holding it, as upstream does with ./nginx/ssl:/etc/ssl',
        });
    }
  }
  const port = url?.port ? Number(url.port) : pythonInt(https ? env.EXPOSE_NGINX_SSL_PORT : env.EXPOSE_NGINX_PORT);
  if (port !== undefined && port !== (https ? 443 : 80)) out[https ? 'httpsPort' : 'httpPort'] = port;
  return out;
}

/** cpus / memory limits a compose service states (deploy.resources.limits), when it does. */
function limitsOf(d: Deployment, service: string): { cpu?: number; memoryGiB?: number } {
  const svc = (d.compose?.data as { services?: Record<string, { deploy?: { resources?: { limits?: { cpus?: unknown; memory?: unknown } } } }> } | undefined)?.services?.[service];
  const limits = svc?.deploy?.resources?.limits;
  const cpu = Number(limits?.cpus);
  const mem = /^(\d+(?:\.\d+)?)\s*([kmg])?b?$/i.exec(String(limits?.memory ?? ''));
  const factor = { k: 1 / 1024 / 1024, m: 1 / 1024, g: 1 } as const;
  const memoryGiB = mem ? Number(mem[1]) * (mem[2] ? factor[mem[2].toLowerCase() as 'k' | 'm' | 'g'] : 1 / 1024 ** 3) : undefined;
  return { ...(cpu > 0 ? { cpu } : {}), ...(memoryGiB && memoryGiB > 0 ? { memoryGiB: Math.round(memoryGiB * 1000) / 1000 } : {}) };
}

/** The deployment's current sizing, per component, as explicit overrides (what it runs now). */
function currentSizing(d: Deployment, release: Release): NonNullable<NonNullable<SpecInput['overrides']>['components']> {
  const out: Record<string, Record<string, number>> = {};
  const fallback = (env: Record<string, string>, k: string) => pythonInt(env[k]) ?? pythonInt(release.entrypointFallbacks[k]) ?? pythonInt(release.upstreamDefaults[k]);
  for (const s of d.services) {
    if (!s.active || !s.component) continue;
    const o: Record<string, number> = { replicas: s.replicas, ...limitsOf(d, s.name) };
    const pools = () => {
      const pool = fallback(s.env, 'SQLALCHEMY_POOL_SIZE');
      const overflow = fallback(s.env, 'SQLALCHEMY_MAX_OVERFLOW');
      if (pool !== undefined && pool >= 1) o.poolSize = pool;
      if (overflow !== undefined) o.maxOverflow = overflow;
    };
    if (s.component === 'api') {
      o.processesPerReplica = Math.max(1, fallback(s.env, 'SERVER_WORKER_AMOUNT') ?? 1);
      o.connectionsPerProcess = Math.max(1, fallback(s.env, 'SERVER_WORKER_CONNECTIONS') ?? 10);
      pools();
    } else if (s.component === 'worker' || s.component === 'worker_runs') {
      o.connectionsPerProcess = Math.max(1, fallback(s.env, 'CELERY_WORKER_AMOUNT') ?? 1);
      pools();
    } else if (s.component === 'worker_beat' || s.component === 'api_websocket') pools();
    else if (s.component === 'plugin_daemon') {
      const open = pythonInt(s.env.DB_MAX_OPEN_CONNS) ?? pythonInt(release.upstreamDefaults.DB_MAX_OPEN_CONNS);
      if (open !== undefined && open >= 1) o.connectionsPerProcess = open;
    }
    out[s.component] = o;
  }
  return out;
}

/** Structural things a spec cannot say: two services running one component, images from elsewhere. */
function structuralRefusals(d: Deployment, release: Release): Refusal[] {
  const out: Refusal[] = [];
  const file = d.compose?.file;
  const seen = new Map<ComponentName, ServiceModel>();
  const imageKey: Partial<Record<ComponentName, string>> = {
    api: 'api',
    api_websocket: 'api',
    worker: 'api',
    worker_runs: 'api',
    worker_beat: 'api',
    web: 'web',
    plugin_daemon: 'pluginDaemon',
    sandbox: 'sandbox',
    agent_backend: 'agentBackend',
    local_sandbox: 'localSandbox',
  };
  for (const s of d.services) {
    if (!s.active || !s.component) continue;
    const first = seen.get(s.component);
    if (first)
      out.push({
        file,
        line: s.line,
        message: `services ${first.name} and ${s.name} both run ${s.component} (per-queue workers?): dify-deploy renders one service per component; merge them or keep this deployment hand-made`,
      });
    else seen.set(s.component, s);
    const key = imageKey[s.component];
    const expected = key ? release.images[key]?.split(':')[0] : undefined;
    const repo = s.image?.replace(/:[^/:]*$/, '');
    if (expected && repo && repo !== expected && repo !== `docker.io/${expected}`)
      out.push({ file, line: s.line, message: `service ${s.name}: image ${s.image} is not ${expected}: dify-deploy runs upstream's images only (the spec has no image field)` });
  }
  return out;
}

/**
 * Secrets: the deployment's own values, except published defaults (which must be replaced) — and a
 * live one that cannot be replaced without losing data (SECRET_KEY) is refused, as render refuses it.
 */
function adoptSecrets(env: Record<string, string>, spec: SpecInput, vars: Map<string, UserVar>, refusals: Refusal[]): { secrets: Record<string, string>; replaced: string[] } {
  const published = new Set(secretData().knownDefaults);
  const secrets: Record<string, string> = {};
  const replaced: string[] = [];
  const external = (name: string) => (name === 'DB_PASSWORD' && spec.database?.mode === 'external') || (name === 'REDIS_PASSWORD' && spec.redis?.mode === 'external');
  for (const def of SECRETS) {
    const v = env[def.name];
    if (v === undefined) continue;
    // An external server's password is the server's: kept whatever it is.
    if (external(def.name) ? v !== '' : v !== '' && !published.has(v)) secrets[def.name] = v;
    else if (def.live?.refuse && v !== '') refusals.push({ ...originOf(vars, def.name), message: notRotated(def, 'default') });
    else if (!external(def.name)) replaced.push(def.name);
  }
  return { secrets, replaced };
}

export function adoptDeployment(d: Deployment, options: { dbMaxConnections?: number } = {}): Adoption {
  const release = d.release;
  const vars = userVariables(d);
  const settings = nonDefaults(d, vars);
  const env = apiEnv(d, vars);
  const refusals = structuralRefusals(d, release);
  const notes: string[] = [];
  const spec: SpecInput = { release: release.version, targets: ['compose'] };
  const db = database(d, env, vars, options.dbMaxConnections, refusals) ?? {};
  spec.database = db;
  const bus = eventBus(d, release, env);
  spec.redis = { ...redis(d, env), ...(bus ? { eventBus: bus } : {}) } as SpecInput['redis'];
  spec.vectorStore = vectorStore(d, release, env, vars, refusals);
  spec.storage = storage(env, vars, refusals);
  spec.domain = domain(d, env, refusals);
  if (release.collaboration) spec.collaboration = d.compose ? activeServiceNamed(d, 'api_websocket') !== undefined || d.services.some((s) => s.active && s.component === 'api_websocket') : profiles(d).has(release.collaboration.profile);
  const logFormat = env.LOG_OUTPUT_FORMAT;
  spec.observability = { ...(logFormat === 'json' || logFormat === 'text' ? { logFormat } : {}), workflowLogs: workflowLogs(env) };
  const components = currentSizing(d, release);
  // The server's own reading (validate's deployment model: PostgreSQL takes 010 as octal), not Python's.
  const maxConnections = settings.has('POSTGRES_MAX_CONNECTIONS') || settings.has('MYSQL_MAX_CONNECTIONS') ? d.database?.maxConnections : undefined;
  spec.overrides = { components, ...(db.mode !== 'external' && maxConnections !== undefined ? { database: { maxConnections } } : {}) };
  if (!d.compose) notes.push('no compose file: the services are the release\'s standard set (upstream docker-compose.yaml with this .env)');
  if (d.compose && d.compose.files.length > 1)
    notes.push(`${d.compose.files.join(', ')}: read as Docker Compose merges them; the rendered deployment is one docker-compose.yaml with what they set (COMPOSE_FILE is not kept)`);
  const { secrets, replaced } = adoptSecrets(env, spec, vars, refusals);
  return { spec, secrets, replacedSecrets: replaced, settings, refusals, notes };
}
