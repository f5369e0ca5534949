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
 * Components we let the dify-helm chart autoscale, at maxReplicas = ⌈replicas × WEB_HPA_HEADROOM⌉.
 * Only those whose replicas do not already come from the peak: api, the run worker, plugin daemon,
 * sandbox and nginx are sized from the peak's queues and CPU, so an HPA ceiling above them would only
 * grow the connection budget held at maxReplicas. web's count is SAE's for the tier's QPS and
 * derives from no request model: +30 % room for the chart's HPA to follow its CPU [inference].
 */
const HPA_COMPONENTS: readonly ComponentName[] = ['web'];
const WEB_HPA_HEADROOM = 1.3;
/** Replicas, cores and memory from the work (work.ts): they start from the availability minimum, not the tier's count. */
const WORK_SIZED: readonly ComponentName[] = ['api', 'worker_runs', 'plugin_daemon', 'sandbox'];

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
  return names.map((name) => {
    const base: TierComponent = tier.components[name];
    const o = overrides[name];
    const floor = ha && HA_COMPONENTS.includes(name) ? 2 : 1;
    const start = o?.replicas ?? (WORK_SIZED.includes(name) ? floor : Math.max(floor, base.replicas));
    const given = { replicas: start, cpu: o?.cpu ?? base.cpu, memoryGiB: o?.memoryGiB ?? base.memoryGiB, o };
    const sized: Sized = SIZERS[name]?.(given, x) ?? { replicas: start, env: {} };
    // A sizer may reshape the instance (nginx on compose: one container carrying the tier's instances);
    // the user's cpu and memory stay.
    const { replicas } = sized;
    const cpu = sized.cpu ?? given.cpu;
    const memoryGiB = o?.memoryGiB ?? sized.memoryGiB ?? given.memoryGiB;
    const maxReplicas = target === 'helm' && HPA_COMPONENTS.includes(name) ? Math.ceil(replicas * WEB_HPA_HEADROOM) : replicas;
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
      // Memory request = limit (a pod scheduled on less is OOM-killed at the peak); CPU request = the
      // modelled use at the peak, else half the limit where nothing models the component's use.
      requests: { cpu: Math.min(cpu, sized.cpuRequest ?? round2(Math.max(0.25, cpu / 2))), memory: gib(memoryGiB) },
      env: { ...sized.env, ...redisPoolEnv(name, cpu, sized.env), ...(o?.env ?? {}) },
      ...(sized.settings ? { settings: sized.settings } : {}),
    };
  });
}
