// Dify's components, one row each: the facts about a component that the renderers, validate,
// import and the sizing model all need, written once. A leaf module (it imports nothing), so
// every folder may read it.

export const COMPONENT_NAMES = [
  'nginx',
  'api',
  'api_websocket',
  'worker',
  'worker_runs',
  'worker_beat',
  'web',
  'plugin_daemon',
  'sandbox',
  'agent_backend',
  'local_sandbox',
] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];

export interface DifyComponent {
  /** Its image's repository name, recognised after any registry/owner and before a `:tag` or `@sha256:` digest. */
  image: string;
  /**
   * dify-helm's values key and the `component` pod label its templates set; `podOf`: the chart
   * block whose pod this one copies, env included, when the chart has no block of its own.
   */
  chart: { key: string; label: string; podOf?: string };
  /** Runs the dify-api image (MODE picks api, worker or beat): shares its env, migrations and secrets. */
  runsApiImage: boolean;
  /** Reaches PostgreSQL through the pooler when there is one (DB_HOST names it). */
  throughPooler: boolean;
  /** Must not start before the schema is migrated. */
  migratedFirst: boolean;
  /** Upstream's compose feeds it the whole .env (x-shared-env); worker_runs is dify-deploy's own service. */
  upstreamSharedEnv: boolean;
  /** A service of upstream's compose outside any profile: what a deployment without a compose file runs. */
  upstreamStandard: boolean;
}

const API_IMAGE = { image: 'dify-api', runsApiImage: true, throughPooler: true, migratedFirst: true, upstreamSharedEnv: true, upstreamStandard: true };
const OWN_IMAGE = { runsApiImage: false, throughPooler: false, migratedFirst: false, upstreamSharedEnv: false, upstreamStandard: true };

export const DIFY_COMPONENTS: Record<ComponentName, DifyComponent> = {
  nginx: { ...OWN_IMAGE, image: 'nginx', chart: { key: 'proxy', label: 'proxy' } },
  api: { ...API_IMAGE, chart: { key: 'api', label: 'api' } },
  // Upstream runs it under the collaboration profile.
  api_websocket: { ...API_IMAGE, upstreamStandard: false, chart: { key: 'apiWebsocket', label: 'api-websocket' } },
  worker: { ...API_IMAGE, chart: { key: 'worker', label: 'worker' } },
  worker_runs: { ...API_IMAGE, upstreamSharedEnv: false, upstreamStandard: false, chart: { key: 'workerRuns', label: 'worker-runs', podOf: 'worker' } },
  worker_beat: { ...API_IMAGE, chart: { key: 'beat', label: 'beat' } },
  web: { ...OWN_IMAGE, image: 'dify-web', chart: { key: 'web', label: 'web' } },
  plugin_daemon: { ...OWN_IMAGE, image: 'dify-plugin-daemon', throughPooler: true, upstreamSharedEnv: true, chart: { key: 'pluginDaemon', label: 'plugin-daemon' } },
  sandbox: { ...OWN_IMAGE, image: 'dify-sandbox', chart: { key: 'sandbox', label: 'sandbox' } },
  // Releases with the agent backend run these two beside the rest.
  agent_backend: { ...OWN_IMAGE, image: 'dify-agent-backend', upstreamStandard: false, chart: { key: 'agentBackend', label: 'agent-backend' } },
  local_sandbox: { ...OWN_IMAGE, image: 'dify-agent-local-sandbox', upstreamStandard: false, chart: { key: 'localSandbox', label: 'local-sandbox' } },
};

/** Plan component → dify-helm values key and the `component` pod label its templates set. */
export const CHART_COMPONENTS = Object.fromEntries(COMPONENT_NAMES.map((n) => [n, DIFY_COMPONENTS[n].chart])) as Record<ComponentName, DifyComponent['chart']>;

/** The components a predicate holds for, in COMPONENT_NAMES order. */
export const componentsWhere = (holds: (c: DifyComponent) => boolean): ComponentName[] => COMPONENT_NAMES.filter((n) => holds(DIFY_COMPONENTS[n]));

const imagePatterns = new Map<string, RegExp>();

/** Does this image reference (`registry/owner/name:tag`, `name@sha256:…`, bare `name`) name this repository? */
export function imageIs(reference: string, name: string): boolean {
  let pattern = imagePatterns.get(name);
  if (!pattern) imagePatterns.set(name, (pattern = new RegExp(`(^|/)${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:|@|$)`)));
  return pattern.test(reference);
}

/** An image reference's repository and tag (`latest` where it names none, as Docker reads it). */
export function imageParts(reference: string): { repository: string; tag: string } {
  const colon = reference.lastIndexOf(':');
  return colon > reference.lastIndexOf('/') ? { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) } : { repository: reference, tag: 'latest' };
}

/** The component whose image this is (nginx aside: any service may run nginx, so its name decides). */
export function componentOfImage(reference: string): ComponentName | undefined {
  return COMPONENT_NAMES.find((n) => n !== 'nginx' && DIFY_COMPONENTS[n].image !== 'dify-api' && imageIs(reference, DIFY_COMPONENTS[n].image));
}

export const isDifyApiImage = (reference: string) => imageIs(reference, 'dify-api');
