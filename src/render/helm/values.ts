// spec + plan → the values object for the dify-helm chart version the release table names.
// Version differences are read from the chart's own values.yaml (a key is written only
// where that chart has it), never from if-chains on version strings.
import { bodyLimitMB } from '../body-limit.js';
import { helmPoolerEnv } from './pooler-env.js';
import { databaseTlsEnv } from '../database-tls.js';
import type { ComponentName } from '../../core/spec.js';
import type { PlanComponent } from '../../core/sizing.js';
import { loadChart } from '../../helm/chart.js';
import { coalesceValues, isMap, type Values } from '../../helm/merge.js';
import type { RenderContext } from '../types.js';
import { databaseValues, redisValues, resourcesFor, storageValues, vectorStoreValues } from './backends.js';
import { CHART_COMPONENTS } from './components.js';
import { ssrfProxyValues } from './ssrf-proxy.js';
import { checkRedisPasswordExpands, secretEnv, subchartSecretValues, type EnvVar } from './existing-secret.js';
import { splitCredentials, WEAVIATE_KEYS_ENV } from './credentials.js';
import { SECRETS } from '../secrets.js';
import { eventBusEnv } from '../event-bus.js';
import { componentsWhere, imageParts } from '../../dify/components.js';
import { compareVersions } from '../../core/releases/store.js';

export { CHART_COMPONENTS };


/** Release image name → dify-helm `image.<key>`. */
const CHART_IMAGES: Record<string, string> = {
  api: 'api',
  web: 'web',
  sandbox: 'sandbox',
  pluginDaemon: 'pluginDaemon',
  agentBackend: 'agentBackend',
  localSandbox: 'localSandbox',
  // The chart ships its proxy and SSRF proxy at :latest; the release data pins them (releases/pinned-images.json).
  nginx: 'proxy',
  squid: 'ssrfProxy',
};

/** Processes that run the Dify API image and read the deployment-wide env overrides. */
const API_IMAGE_COMPONENTS: readonly ComponentName[] = componentsWhere((c) => c.runsApiImage);
/** The chart's nginx reads no env; its two tunables are values keys. */
const PROXY_SETTINGS: Record<string, string> = { NGINX_CLIENT_MAX_BODY_SIZE: 'clientMaxBodySize', NGINX_WORKER_PROCESSES: 'workerProcesses' };
/** HPA target: scale out before a pod's CPU saturates (gevent workers are CPU-bound). */
export const HPA_CPU_TARGET = 70;

function has(tree: unknown, path: readonly string[]): boolean {
  let node = tree;
  for (const key of path) {
    if (!isMap(node) || !(key in node)) return false;
    node = node[key];
  }
  return true;
}

/** Sets `path` in `target` only when the chart's values.yaml has that key. */
function setIfChartHas(target: Values, defaults: Values, path: readonly string[], value: unknown): void {
  if (!has(defaults, path)) return;
  let node = target;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Values;
  node[path[path.length - 1]] = value;
}

/**
 * The plan's env as EnvVars (strings, in name order), after the chart's own default
 * entries: a list in -f replaces the chart's list, so they must be written again.
 */
function extraEnv(env: Record<string, string>, chartDefault: unknown): EnvVar[] {
  const kept = (Array.isArray(chartDefault) ? chartDefault : [])
    .filter((e): e is { name: string; value?: unknown } => isMap(e) && typeof e.name === 'string' && !(e.name in env))
    .map((e) => ({ name: e.name, value: String(e.value ?? '') }));
  const ours = Object.keys(env)
    .sort()
    .map((name) => ({ name, value: String(env[name]) }));
  return [...kept, ...ours];
}

/** Secret references first (a `$(REDIS_PASSWORD)` URL must come after its variable), then the plain env without their names. */
function withSecrets(secrets: EnvVar[], plain: EnvVar[]): EnvVar[] {
  const taken = new Set(secrets.map((e) => e.name));
  return [...secrets, ...plain.filter((e) => !taken.has(e.name))];
}

/** Spread replicas over nodes when there can be more than one; soft, so small clusters still schedule. */
export function antiAffinity(label: string): Values {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            topologyKey: 'kubernetes.io/hostname',
            labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'dify', component: label } },
          },
        },
      ],
    },
  };
}

function componentValues(c: PlanComponent, ctx: RenderContext, defaults: Values): Values | undefined {
  const { key, label } = CHART_COMPONENTS[c.name];
  const chartBlock = defaults[key];
  if (!isMap(chartBlock)) return undefined; // this chart version has no such component
  const block: Values = {};
  if ('enabled' in chartBlock) block.enabled = true;
  if ('replicas' in chartBlock) block.replicas = c.replicas;
  block.resources = resourcesFor(c.cpu, c.memory, c.requests);
  if (isMap(chartBlock.autoscaling) && c.maxReplicas > c.replicas)
    block.autoscaling = { enabled: true, minReplicas: c.replicas, maxReplicas: c.maxReplicas, targetCPUUtilizationPercentage: HPA_CPU_TARGET };
  if (c.maxReplicas >= 2) block.affinity = antiAffinity(label);
  // Migrations run once in helm/extra/migration-job.yaml, not in every api pod at start.
  if ('migration' in chartBlock) block.migration = false;
  if (c.name === 'nginx') {
    for (const [envName, valuesKey] of Object.entries(PROXY_SETTINGS))
      if (c.env[envName] !== undefined && valuesKey in chartBlock) block[valuesKey] = envName === 'NGINX_CLIENT_MAX_BODY_SIZE' ? `${bodyLimitMB(ctx.plan, ctx.release)}M` : c.env[envName];
  } else {
    const list = envList(c, ctx, key, chartBlock);
    if (list.length) block.extraEnv = list;
  }
  return block;
}

/** c's extraEnv as the pods of the chart block `chartKey` get it: its secret references, then its env. */
function envList(c: PlanComponent, ctx: RenderContext, chartKey: string, chartBlock: Values, credentials?: Record<string, string>): EnvVar[] {
  const own = { ...c.env, ...helmPoolerEnv(ctx, c.name), ...databaseTlsEnv(ctx, c.name) };
  const shared = API_IMAGE_COMPONENTS.includes(c.name) ? apiImageEnv(ctx) : {};
  // References stay first (a `$(REDIS_PASSWORD)` URL after its variable); a literal Redis URL with
  // the password inside joins the env, whose credentials go through a Secret (credentials.ts).
  const chartSecrets = secretEnv(ctx, chartKey);
  const first = chartSecrets.filter((e) => !('value' in e) || e.value.includes('$('));
  const urls = Object.fromEntries(chartSecrets.flatMap((e) => (first.includes(e) || !('value' in e) ? [] : [[e.name, e.value]])));
  // Keyed by the chart pod whose env this is: the run worker reads the worker's keys, not copies of them.
  const label = Object.values(CHART_COMPONENTS).find((x) => x.key === chartKey)?.label ?? CHART_COMPONENTS[c.name].label;
  const { refs, plain } = splitCredentials(ctx, label, { ...own, ...shared, ...urls }, shared, credentials);
  return withSecrets([...first, ...refs], extraEnv(plain, chartBlock.extraEnv));
}

const bundledWeaviate = (ctx: RenderContext) => ctx.spec.vectorStore.mode === 'bundled' && ctx.spec.vectorStore.type === 'weaviate';

/**
 * The deployment-wide env of the processes that run the api image. With a bundled Weaviate
 * their WEAVIATE_API_KEY comes from our Secret: the chart's own Secret entry is the first of
 * weaviate.authentication.apikey.allowed_keys, which would put the key into a ConfigMap.
 */
function apiImageEnv(ctx: RenderContext): Record<string, string> {
  const weaviate: Record<string, string> = bundledWeaviate(ctx) && !ctx.spec.helm?.existingSecret ? { WEAVIATE_API_KEY: ctx.secrets.WEAVIATE_API_KEY } : {};
  return { ...sharedEnv(ctx), ...eventBusEnv(ctx), ...weaviate, ...(ctx.spec.overrides.env ?? {}) };
}

/** Secret key → value of every credential the pods read from CREDENTIALS_SECRET (helm/extra/credentials.yaml). */
export function podCredentials(ctx: RenderContext): Record<string, string> {
  const { defaults } = loadChart(ctx.release.helm.version);
  const out: Record<string, string> = {};
  for (const c of ctx.plan.components) {
    if (c.name === 'nginx') continue;
    // The run worker's pod is the chart worker's: its credentials are read as the worker's are.
    const chartKey = CHART_COMPONENTS[c.name].podOf ?? CHART_COMPONENTS[c.name].key;
    const block = defaults[chartKey];
    envList(c, ctx, chartKey, isMap(block) ? block : {}, out);
  }
  if (bundledWeaviate(ctx) && !ctx.spec.helm?.existingSecret) out[WEAVIATE_KEYS_ENV] = ctx.secrets.WEAVIATE_API_KEY;
  return out;
}

/**
 * The env a pod of the chart block `chartKey` gets beside its ConfigMap and Secret — `LOG_LEVEL`
 * (the chart's template sets it from <chartKey>.logLevel) and c's extraEnv — for the manifests
 * that run the api image beside the chart: they read what the chart's own pods read.
 */
export function chartPodEnv(ctx: RenderContext, c: PlanComponent, chartKey: string): EnvVar[] {
  const chartBlock = loadChart(ctx.release.helm.version).defaults[chartKey];
  const block = isMap(chartBlock) ? chartBlock : {};
  return [...(typeof block.logLevel === 'string' ? [{ name: 'LOG_LEVEL', value: block.logLevel }] : []), ...envList(c, ctx, chartKey, block)];
}

/** What the api pods get (the migration Job, the backup CronJob). */
export const apiPodEnv = (ctx: RenderContext): EnvVar[] => chartPodEnv(ctx, ctx.plan.components.find((c) => c.name === 'api')!, 'api');

/** The plan's deployment-wide env, except MIGRATION_ENABLED: the chart's api.migration key sets it. */
function sharedEnv(ctx: RenderContext): Record<string, string> {
  const { MIGRATION_ENABLED: _, ...rest } = ctx.plan.sharedEnv;
  // The chart turns TLS on for REDIS_USE_SSL (externalRedis.useSSL) only; Celery's broker reads its own flag, as compose sets it.
  return ctx.spec.redis.mode === 'external' && ctx.spec.redis.useSsl ? { ...rest, BROKER_USE_SSL: 'true' } : rest;
}

function publicUrl(ctx: RenderContext, websocket = false): string {
  const tls = ctx.spec.domain.tls !== 'none';
  const scheme = websocket ? (tls ? 'wss' : 'ws') : tls ? 'https' : 'http';
  return `${scheme}://${ctx.spec.domain.host}`;
}

function globalValues(ctx: RenderContext, defaults: Values): Values {
  const out: Values = {};
  const url = publicUrl(ctx);
  for (const key of ['consoleApiDomain', 'consoleWebDomain', 'serviceApiDomain', 'appApiDomain', 'appWebDomain', 'filesDomain', 'triggerDomain'])
    setIfChartHas(out, defaults, ['global', key], url);
  setIfChartHas(out, defaults, ['global', 'appSecretKey'], ctx.secrets.SECRET_KEY);
  return out;
}

/** Component keys the chart ships with sample values; each gets its generated secret. */
function secretValues(ctx: RenderContext, defaults: Values): Values {
  const s = ctx.secrets;
  const out: Values = {};
  setIfChartHas(out, defaults, ['sandbox', 'auth', 'apiKey'], s.SANDBOX_API_KEY);
  setIfChartHas(out, defaults, ['pluginDaemon', 'auth', 'serverKey'], s.PLUGIN_DAEMON_KEY);
  // The api ↔ plugin-daemon key moved from pluginDaemon.auth.difyApiKey to api.auth.internalApiKey in 0.38.
  setIfChartHas(out, defaults, ['pluginDaemon', 'auth', 'difyApiKey'], s.PLUGIN_DIFY_INNER_API_KEY);
  setIfChartHas(out, defaults, ['api', 'auth', 'internalApiKey'], s.PLUGIN_DIFY_INNER_API_KEY);
  if (ctx.plan.components.some((c) => c.name === 'agent_backend')) {
    setIfChartHas(out, defaults, ['agentBackend', 'auth', 'apiToken'], s.DIFY_AGENT_API_TOKEN);
    setIfChartHas(out, defaults, ['agentBackend', 'auth', 'serverSecretKey'], s.DIFY_AGENT_SERVER_SECRET_KEY);
    setIfChartHas(out, defaults, ['agentBackend', 'auth', 'shellctlAuthToken'], s.DIFY_AGENT_SHELLCTL_AUTH_TOKEN);
  }
  return out;
}

function imageValues(ctx: RenderContext, defaults: Values): Values {
  const out: Values = {};
  for (const [releaseName, chartName] of Object.entries(CHART_IMAGES)) {
    const ref = ctx.release.images[releaseName];
    if (!ref || !has(defaults, ['image', chartName])) continue;
    setIfChartHas(out, defaults, ['image', chartName], imageParts(ref));
  }
  return out;
}

/**
 * The bundled Weaviate's image when the release's compose pins a newer server than the chart's
 * weaviate-helm default: Dify's client follows its compose pin (1.17 moved to Weaviate 1.39 with
 * weaviate-client 4.22; the charts up to 0.39.0-rc1 still run 1.27, dify-helm issue #460). An older
 * pin keeps the chart's (1.16.1 pins 1.27.0, the chart runs 1.27.27).
 */
function bundledWeaviateImage(ctx: RenderContext, defaults: Values): Values {
  const ref = ctx.release.images.weaviate;
  const chartTag = (defaults.weaviate as { image?: { tag?: unknown } } | undefined)?.image?.tag;
  if (!bundledWeaviate(ctx) || !ref || typeof chartTag !== 'string') return {};
  const { repository, tag } = imageParts(ref);
  if (!/^\d+\.\d+\.\d+$/.test(tag) || compareVersions(tag, chartTag.replace(/^v/, '')) <= 0) return {};
  const slash = repository.indexOf('/');
  const host = slash > 0 && /[.:]/.test(repository.slice(0, slash)) ? repository.slice(0, slash) : 'docker.io';
  return { weaviate: { image: { registry: host, repo: host === 'docker.io' ? repository : repository.slice(slash + 1), tag } } };
}

/** Secret the user creates for `tls: own`; cert-manager creates it for `tls: certbot`. */
export const TLS_SECRET = 'dify-tls';

function ingressValues(ctx: RenderContext): Values {
  const { host, tls } = ctx.spec.domain;
  const bodySize = `${bodyLimitMB(ctx.plan, ctx.release)}m`;
  const annotations: Record<string, string> = {
    // ingress-nginx defaults (60 s read timeout, buffering, 1 MB bodies) cut SSE streams and uploads.
    'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
    'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
    'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
    'nginx.ingress.kubernetes.io/proxy-body-size': bodySize,
  };
  if (tls === 'certbot') annotations['cert-manager.io/cluster-issuer'] = 'letsencrypt';
  return {
    ingress: {
      enabled: true,
      ...(ctx.spec.helm?.ingressClassName ? { className: ctx.spec.helm.ingressClassName } : {}),
      annotations,
      hosts: [{ host, paths: [{ path: '/', pathType: 'Prefix' }] }],
      tls: tls === 'none' ? [] : [{ secretName: TLS_SECRET, hosts: [host] }],
    },
  };
}

/** Deep merge that keeps nulls: in a values file a null tells Helm to delete the chart's default. */
function overlay(base: Values, top: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(top)) out[key] = isMap(value) && isMap(out[key]) ? overlay(out[key] as Values, value) : value;
  return out;
}

/** The values to pass with `-f`: only what differs from the chart's defaults. */
export function helmValues(rendered: RenderContext): Values {
  const { defaults } = loadChart(rendered.release.helm.version);
  // With helm.existingSecret no generated secret is written: the chart's own keys get "" and
  // every process reads the Secret instead (existing-secret.ts).
  const fromSecret = rendered.spec.helm?.existingSecret !== undefined;
  checkRedisPasswordExpands(rendered);
  const ctx = fromSecret ? { ...rendered, secrets: Object.fromEntries(SECRETS.map((d) => [d.name, ''])) } : rendered;
  let values: Values = { ...imageValues(ctx, defaults), ...globalValues(ctx, defaults) };
  for (const c of ctx.plan.components) {
    const block = componentValues(c, ctx, defaults);
    if (block) values[CHART_COMPONENTS[c.name].key] = block;
  }
  const websocket = values.apiWebsocket;
  if (isMap(websocket)) websocket.socketUrl = publicUrl(ctx, true);
  values = coalesceValues(values, secretValues(ctx, defaults));
  const backends = {
    ...databaseValues(ctx.spec, ctx.plan, ctx.secrets, fromSecret),
    ...redisValues(ctx.spec, ctx.plan, ctx.secrets, fromSecret),
    ...overlay(vectorStoreValues(ctx.spec, fromSecret), bundledWeaviateImage(ctx, defaults)),
    ...storageValues(ctx.spec, ctx.secrets, fromSecret),
  };
  return { ...values, ...overlay(backends, subchartSecretValues(ctx)), ...ingressValues(ctx), ...ssrfProxyValues(defaults) };
}
