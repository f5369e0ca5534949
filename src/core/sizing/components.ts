// Which components a release deploys, and each one's replicas, limits and env from its sizer.
import type { Release, TierComponent } from '../data.js';
import { COMPONENT_NAMES, type ComponentName } from '../../dify/components.js';
import type { Spec, Target } from '../spec.js';
import { redisPoolEnv } from '../redis.js';
import { HA_COMPONENTS, highAvailability } from '../topology.js';
import { sizeApi, sizeApiWebsocket } from './api.js';
import { sizeNginx } from './nginx.js';
import { sizePluginDaemon } from './plugin-daemon.js';
import { sizeSandbox } from './sandbox.js';
import type { PlanComponent, Sized, Sizer, SizingContext } from './types.js';
import { gib, round2 } from './units.js';
import { sizeWorker, sizeWorkerBeat, sizeWorkerRuns } from './workers.js';

/**
 * Components we let the dify-helm chart autoscale, at maxReplicas = ⌈replicas × burst⌉. Only
 * those whose replicas do not already carry the burst: api, worker, sandbox and the run worker
 * are sized from burst-inclusive in-flight figures (greenlets, run slots, code runs), so a ×burst
 * ceiling would count the burst twice — in their capacity and in the connection budget held at
 * maxReplicas. web's count is SAE's for the tier's QPS and derives from no in-flight figure.
 */
const HPA_COMPONENTS: readonly ComponentName[] = ['web'];

/** Per component: how its processes, pools and limits follow from the load. Others need no env. */
const SIZERS: Partial<Record<ComponentName, Sizer>> = {
  api: sizeApi,
  api_websocket: sizeApiWebsocket,
  worker: sizeWorker,
  worker_runs: sizeWorkerRuns,
  worker_beat: sizeWorkerBeat,
  plugin_daemon: sizePluginDaemon,
  sandbox: sizeSandbox,
  nginx: sizeNginx,
};

export function collaborationEnabled(spec: Spec, release: Release, target: Target): boolean {
  if (!release.collaboration) return false;
  if (target === 'helm' && !release.helm.apiWebsocket) return false;
  return spec.collaboration ?? release.collaboration.defaultEnabled;
}

/** Which components this release deploys, in display order. */
export function deployedComponents(release: Release, target: Target, collaboration: boolean): ComponentName[] {
  const agent = !!release.agentBackend && (target === 'compose' || !!release.helm.agentBackend);
  // Every component but the optional ones. The run worker sits beside the background worker: compose's worker_runs service, Helm's helm/extra/run-worker.yaml.
  return COMPONENT_NAMES.filter((n) => (n === 'api_websocket' ? collaboration : n === 'agent_backend' || n === 'local_sandbox' ? agent : true));
}

/** Sized components; their DB figures are filled in by the connection count (see connections.ts). */
export function sizeComponents(x: SizingContext, names: ComponentName[], target: Target): PlanComponent[] {
  const { spec, tier } = x;
  const overrides = spec.overrides.components ?? {};
  const ha = highAvailability(spec, tier);
  // A custom qps scales the nearest tier's API and plugin-daemon instance counts linearly.
  const scale = spec.qps !== undefined ? spec.qps / tier.qps : 1;
  return names.map((name) => {
    const base: TierComponent = tier.components[name];
    const o = overrides[name];
    const scaled = name === 'api' || name === 'plugin_daemon' ? Math.max(1, Math.ceil(base.replicas * scale)) : base.replicas;
    const start = o?.replicas ?? (ha && HA_COMPONENTS.includes(name) ? Math.max(2, scaled) : scaled);
    const given = { replicas: start, cpu: o?.cpu ?? base.cpu, memoryGiB: o?.memoryGiB ?? base.memoryGiB, o };
    const sized: Sized = SIZERS[name]?.(given, x) ?? { replicas: start, env: {} };
    // A sizer may reshape the instance (nginx on compose: one container carrying the tier's instances).
    const { replicas, cpu = given.cpu, memoryGiB = given.memoryGiB } = sized;
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
