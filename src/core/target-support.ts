// What each target can render: the one source for the wizard's choices, `plan`'s problems,
// `validate` on a spec and the renderers' refusals, so none offers or accepts what another rejects.
import { storageBackend } from '../backends/storage.js';
import { vectorStoreBackend, type VectorStoreBackend } from '../backends/vector-stores.js';
import type { Release } from './data.js';
import type { Spec, Target } from './spec.js';

/** The target can run this vector store inside the deployment. */
export function canBundle(v: VectorStoreBackend, target: Target, release: Release): boolean {
  if (!release.vectorStores.bundled.includes(v.id)) return false;
  return target === 'compose' ? v.bundledService !== undefined : v.helmBundled === true;
}

/** The target has settings for an instance of this vector store run elsewhere. */
export function canUseExternal(v: VectorStoreBackend, target: Target): boolean {
  return target === 'compose' || v.helmExternalKey !== undefined;
}

/** The upstream services the compose renderer writes itself (src/render/compose/services.ts). */
export const COMPOSE_RENDERED_SERVICES = [
  'init_permissions', 'api', 'api_websocket', 'worker', 'worker_beat', 'web', 'sandbox', 'plugin_daemon', 'agent_backend', 'local_sandbox',
  'agent_ssrf_proxy', 'ssrf_proxy', 'pgbouncer', 'db_postgres', 'db_mysql', 'redis', 'redis_event_bus', 'certbot', 'nginx',
] as const;

/**
 * Services the release starts by default that dify-deploy has no model of (a release newer than
 * the package): compose runs them as upstream defines them, unsized; the chart has none.
 */
export function unmodelledServices(release: Release): string[] {
  const rendered: readonly string[] = COMPOSE_RENDERED_SERVICES;
  return release.services.filter((s) => !rendered.includes(s) && release.serviceDefinitions?.[s] !== undefined);
}

/** The release-table image (src/core/releases/derive.ts keys) of each upstream service the compose renderer writes. */
const COMPOSE_IMAGE_KEYS: Record<string, string> = {
  init_permissions: 'busybox', db_postgres: 'postgres', db_mysql: 'mysql', redis: 'redis', ssrf_proxy: 'squid', agent_ssrf_proxy: 'squid',
  api: 'api', api_websocket: 'api', worker: 'api', worker_runs: 'api', worker_beat: 'api', web: 'web', sandbox: 'sandbox',
  plugin_daemon: 'pluginDaemon', agent_backend: 'agentBackend', local_sandbox: 'localSandbox', nginx: 'nginx', certbot: 'certbot',
};

/**
 * The upstream services this compose deployment runs (the plan's components and the infrastructure
 * the spec bundles) that the release's docker-compose.yaml does not define: a newer release that
 * dropped or renamed one cannot be rendered from the older model, and must not be sized as if it had it.
 */
export function servicesNotInRelease(spec: Spec, components: readonly string[], release: Release): string[] {
  const vs = vectorStoreBackend(spec.vectorStore.type);
  const names = [
    'init_permissions',
    'ssrf_proxy',
    ...(spec.database.mode === 'bundled' ? [spec.database.engine === 'postgresql' ? 'db_postgres' : 'db_mysql'] : []),
    ...(spec.redis.mode === 'bundled' ? ['redis'] : []),
    ...components,
    ...(components.includes('local_sandbox') ? ['agent_ssrf_proxy'] : []),
    ...(spec.domain.tls === 'certbot' ? ['certbot'] : []),
  ];
  const missing = names.filter((n) => COMPOSE_IMAGE_KEYS[n] !== undefined && release.images[COMPOSE_IMAGE_KEYS[n]] === undefined);
  const vsKey = vs.bundledService === 'milvus-standalone' ? 'milvus' : vs.bundledService;
  if (spec.vectorStore.mode === 'bundled' && vsKey && release.images[vsKey] === undefined) missing.push(vs.bundledService!);
  return [...new Set(missing)];
}

const TARGET_LABEL: Record<Target, string> = { compose: 'docker compose', helm: 'the dify-helm chart' };

/** Why `target` cannot render the spec's backends, one line each (empty when it can). */
export function unrenderable(spec: Spec, target: Target, release: Release): string[] {
  const out: string[] = [];
  const vs = vectorStoreBackend(spec.vectorStore.type);
  if (!release.vectorStores.supported.includes(vs.id)) out.push(`vectorStore.type: Dify ${release.version} does not support ${vs.label}; supported: ${release.vectorStores.supported.join(', ')}`);
  else if (spec.vectorStore.mode === 'bundled' && !canBundle(vs, target, release))
    out.push(`vectorStore.mode: ${TARGET_LABEL[target]} cannot run ${vs.label} bundled; set mode: external (with ${vs.externalRequires.join(', ')})${target === 'helm' ? ', or type: weaviate' : ''}`);
  else if (spec.vectorStore.mode === 'external' && !canUseExternal(vs, target)) out.push(`vectorStore.type: ${TARGET_LABEL[target]} has no settings for an external ${vs.label}`);
  const st = storageBackend(spec.storage.type);
  if (!release.storageTypes.includes(st.difyType)) out.push(`storage.type: Dify ${release.version} does not support ${st.label}`);
  return out;
}
