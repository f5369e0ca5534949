// The state the files commit to, against the load the spec claims (src/core/sizing/storage.ts,
// event-bus.ts, pooler-capacity.ts): workflow logs kept in PostgreSQL beyond what it carries,
// an event bus below its PUBLISH rate, and a pooler that is a single point of failure under HA.
import { computeCosts } from '../../core/compute-costs.js';
import { resolveTier } from '../../core/resolve.js';
import { highAvailability } from '../../core/topology.js';
import { eventBusLoad } from '../../core/sizing/event-bus.js';
import { stateCostsFor } from '../../core/sizing/state-costs.js';
import { planStorage, storageSummary } from '../../core/sizing/storage.js';
import { workloadOf } from '../../core/sizing/workload.js';
import type { Spec } from '../../core/spec.js';
import { at, type Diagnostic, type Origin } from '../diagnostics.js';
import type { Deployment, ServiceModel } from '../deployment.js';
import { extraDirOf } from '../helm-extra.js';
import type { Rule } from './rule.js';

/** What availability.ha runs at ≥ 2 replicas (the plan's production topology). */
const HA_COMPONENTS = ['api', 'web', 'worker', 'plugin_daemon'];
const apiOf = (services: ServiceModel[]) => services.find((s) => s.active && s.component === 'api');
/** The variable's line when the files state it, else the file the view was read from. */
const place = (origin: Origin | undefined, file: string | undefined) => (origin ? at(origin) : file ? { file } : {});

function loadOf(d: Deployment, spec: Spec) {
  const tier = resolveTier(spec);
  const qps = spec.qps ?? tier.qps;
  const w = workloadOf(spec, tier, d.release, qps, computeCosts(spec).costs);
  return { qps, burstFactor: w.burstFactor, mix: w.mix };
}

function logFindings(d: Deployment, spec: Spec, services: ServiceModel[], file: string | undefined): Diagnostic[] {
  const api = apiOf(services);
  if (!api) return [];
  const env = api.env;
  const offloaded = [env.CORE_WORKFLOW_EXECUTION_REPOSITORY, env.API_WORKFLOW_RUN_REPOSITORY].some((v) => (v ?? '').includes('logstore'));
  // The clean-up deletes nothing unless enabled (upstream ships WORKFLOW_LOG_CLEANUP_ENABLED=false): the logs are kept forever.
  const retentionDays = (env.WORKFLOW_LOG_CLEANUP_ENABLED ?? 'false').toLowerCase() === 'true' ? Number(env.WORKFLOW_LOG_RETENTION_DAYS || '30') || 0 : 0;
  const { qps, burstFactor, mix } = loadOf(d, spec);
  const wl = spec.observability.workflowLogs;
  const asFiles: Spec = { ...spec, observability: { ...spec.observability, workflowLogs: { ...wl, storage: offloaded ? 'logstore' : 'rdbms', retentionDays } } };
  const s = planStorage({ spec: asFiles, release: d.release, qps, burstFactor, mix, costs: stateCostsFor(spec) }, [], []);
  const out: Diagnostic[] = [];
  if (!offloaded && !s.workflowLogs.carried && !wl.acceptLargeDatabase)
    out.push({
      rule: 'workflow-log-volume',
      severity: 'error',
      ...place(api.origin.WORKFLOW_LOG_RETENTION_DAYS ?? api.origin.WORKFLOW_LOG_CLEANUP_ENABLED ?? api.origin.CORE_WORKFLOW_EXECUTION_REPOSITORY, file),
      message: `${api.name} keeps the workflow logs in PostgreSQL (${retentionDays > 0 ? `${retentionDays} days` : 'forever: WORKFLOW_LOG_CLEANUP_ENABLED is not true'}); at ${qps} QPS that is ${s.rdbmsLogGiB !== null ? `${s.rdbmsLogGiB} GiB` : 'an unbounded size'}, beyond what one database carries: ${storageSummary(s)}`,
      fix: `offload them (the logstore repositories: observability.workflowLogs.storage: logstore), keep ≤ ${Math.max(1, s.maxRetentionDaysInDatabase ?? 1)} days (WORKFLOW_LOG_CLEANUP_ENABLED=true, WORKFLOW_LOG_RETENTION_DAYS), or accept it in the spec (observability.workflowLogs.acceptLargeDatabase: true)`,
      data: { service: api.name, qps, retentionDays, rdbmsLogGiB: s.rdbmsLogGiB, maxRetentionDays: s.maxRetentionDaysInDatabase },
    });
  if (offloaded && (env.LOGSTORE_DUAL_WRITE_ENABLED ?? 'false').toLowerCase() === 'true')
    out.push({
      rule: 'workflow-log-volume',
      severity: 'warning',
      ...place(api.origin.LOGSTORE_DUAL_WRITE_ENABLED, file),
      message: `${api.name} writes the workflow logs to SLS and to PostgreSQL (LOGSTORE_DUAL_WRITE_ENABLED=true): the database still carries every row`,
      fix: 'set LOGSTORE_DUAL_WRITE_ENABLED=false once SLS holds the logs',
      data: { service: api.name },
    });
  return out;
}

function busFindings(d: Deployment, spec: Spec, services: ServiceModel[], file: string | undefined): Diagnostic[] {
  const api = apiOf(services);
  if (!api || !d.release.eventBus) return [];
  const { qps, burstFactor, mix } = loadOf(d, spec);
  const load = eventBusLoad(qps, burstFactor, mix, d.release, stateCostsFor(spec));
  const env = api.env;
  const own = (env.EVENT_BUS_REDIS_URL ?? '').trim() !== '';
  const cluster = (env.EVENT_BUS_REDIS_USE_CLUSTERS ?? 'false').toLowerCase() === 'true' && (env.EVENT_BUS_REDIS_CHANNEL_TYPE ?? '') === 'sharded';
  const where = place(api.origin.EVENT_BUS_REDIS_URL ?? api.origin.EVENT_BUS_REDIS_USE_CLUSTERS, file);
  const data = { service: api.name, qps, eventsPerSecond: load.eventsPerSecond, mbPerSecond: load.mbPerSecondIn, shards: load.shards };
  if (load.needsCluster && !cluster)
    return [
      {
        rule: 'event-bus-throughput',
        severity: 'error',
        ...where,
        message: `at ${qps} QPS the event bus carries ${load.eventsPerSecond} PUBLISH/s (${load.mbPerSecondIn} MB/s in and out), more than one Redis (${load.formula}); ${api.name} has ${own ? 'one server' : 'no bus of its own'} (EVENT_BUS_REDIS_USE_CLUSTERS/EVENT_BUS_REDIS_CHANNEL_TYPE not a sharded cluster)`,
        fix: `point EVENT_BUS_REDIS_URL at a Redis Cluster of ≥ ${load.shards} shards with EVENT_BUS_REDIS_USE_CLUSTERS=true and EVENT_BUS_REDIS_CHANNEL_TYPE=sharded`,
        data,
      },
    ];
  if ((load.needsOwnServer || qps >= 500) && !own)
    return [
      {
        rule: 'event-bus-throughput',
        severity: 'error',
        ...where,
        message: `at ${qps} QPS the event bus (${load.eventsPerSecond} PUBLISH/s at the peak) shares the main Redis with Celery and the plugin daemon: ${api.name} sets no EVENT_BUS_REDIS_URL`,
        fix: 'give the event bus a Redis of its own (EVENT_BUS_REDIS_URL; Dify 1.13 release notes, "For Large Deployments")',
        data,
      },
    ];
  return [];
}

/** Helm: the pooler's Deployment in extra/ under HA must run ≥ 2 pods with a PDB. */
function poolerFindings(d: Deployment, spec: Spec | undefined): Diagnostic[] {
  if (!d.helm || !d.helmValuesFile) return [];
  // Without a spec, the files say HA the way the plan renders it: ≥ 2 replicas of each of api, web, worker and plugin
  // daemon (more API replicas alone are capacity, not redundancy).
  const redundant = (c: string) => d.helm!.services.filter((x) => x.active && x.component === c).every((x) => x.replicas >= 2);
  const ha = spec ? highAvailability(spec, resolveTier(spec)) : apiOf(d.helm.services) !== undefined && HA_COMPONENTS.every(redundant);
  if (!ha) return [];
  const dir = extraDirOf(d.helmValuesFile);
  const docs = d.helm.manifests.filter((m) => m.file.startsWith(dir));
  const out: Diagnostic[] = [];
  for (const m of docs) {
    const obj = m.obj as Record<string, any>;
    const containers: Record<string, any>[] = obj?.spec?.template?.spec?.containers ?? [];
    if (obj.kind !== 'Deployment' || !containers.some((c) => /pgbouncer/.test(String(c.image ?? '')))) continue;
    const replicas = Number(obj.spec.replicas ?? 1);
    const labels = obj.spec.selector?.matchLabels ?? {};
    const pdb = docs.some((p) => {
      const o = p.obj as Record<string, any>;
      const sel = o?.spec?.selector?.matchLabels ?? {};
      return o.kind === 'PodDisruptionBudget' && Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v);
    });
    if (replicas < 2 || !pdb)
      out.push({
        rule: 'pooler-redundancy',
        severity: 'error',
        file: m.file,
        ...(m.lineAt(['spec', 'replicas']) ? { line: m.lineAt(['spec', 'replicas']) } : {}),
        message: `PgBouncer ${obj.metadata?.name ?? ''} runs ${replicas} replica(s)${pdb ? '' : ' without a PodDisruptionBudget'} while the deployment is highly available: every Dify pod reaches PostgreSQL through it, so losing that pod (a node drain, a rolling update) stops them all`,
        fix: 'run ≥ 2 replicas spread over nodes (topologySpreadConstraints / podAntiAffinity) with a PodDisruptionBudget (maxUnavailable: 1), or re-render',
        data: { deployment: obj.metadata?.name, replicas, pdb },
      });
  }
  return out;
}

const viewsOf = (d: Deployment) => [
  { services: d.services, file: d.compose?.file ?? d.envFile?.file },
  ...(d.helm ? [{ services: d.helm.services, file: d.helmValuesFile }] : []),
];

export const workflowLogVolumeRule: Rule = {
  id: 'workflow-log-volume',
  summary: 'workflow logs kept in PostgreSQL at a volume the database cannot carry (size at the retention, clean-up rate)',
  check(d) {
    if (!d.spec) return [];
    return viewsOf(d).flatMap((v) => logFindings(d, d.spec!, v.services, v.file));
  },
};

export const eventBusThroughputRule: Rule = {
  id: 'event-bus-throughput',
  summary: "an event bus below its PUBLISH rate: on the main Redis where it needs its own, or one server where it needs a sharded cluster",
  check(d) {
    if (!d.spec) return [];
    return viewsOf(d).flatMap((v) => busFindings(d, d.spec!, v.services, v.file));
  },
};

export const poolerRedundancyRule: Rule = {
  id: 'pooler-redundancy',
  summary: 'a PgBouncer Deployment with one replica or no PodDisruptionBudget under HA (Helm)',
  check(d) {
    return poolerFindings(d, d.spec);
  },
};
