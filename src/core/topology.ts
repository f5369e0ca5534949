// Production topology beyond sizing: availability, recovery and observability choices,
// each turned into plan data (env, schedules, problems) that the renderers emit.
import { storageBackend } from '../backends/storage.js';
import type { Release, Tier } from './data.js';
import type { ComponentName, Spec, Target } from './spec.js';
import { ARCHIVE_TIMEOUT_SECONDS, type StoragePlan, type WorkflowLogStorage } from './sizing/storage.js';

/** Components that serve traffic or run jobs and must survive losing one replica. */
export const HA_COMPONENTS: readonly ComponentName[] = ['api', 'web', 'worker', 'worker_runs', 'plugin_daemon'];

/** pg_dump is a snapshot: below this RPO, dumps would overlap; WAL archiving (PITR) is the tool. */
const MIN_DUMP_RPO_MINUTES = 15;

export function highAvailability(spec: Spec, tier: Tier): boolean {
  return spec.availability.ha ?? tier.highAvailability ?? false;
}

export interface RecoveryPlan {
  rpoMinutes: number;
  rtoMinutes: number;
  retentionDays: number;
  /** Cron schedule of the backups (UTC). */
  schedule: string;
  method: string;
  /** Above the size pg_dump restores within the RTO: physical base backups + WAL archiving (bundled) or the provider's snapshots (external). */
  kind?: 'pg_dump' | 'physical' | 'snapshots';
  /** Minutes the chosen method's restore takes for the plan's database size (src/core/sizing/storage.ts). */
  restoreEstimateMinutes?: number;
}

/** The backup schedule that meets the RPO: a dump at least every RPO minutes. */
export function backupSchedule(rpoMinutes: number): string {
  if (rpoMinutes < 60) return `*/${Math.max(MIN_DUMP_RPO_MINUTES, rpoMinutes)} * * * *`;
  if (rpoMinutes < 1440) {
    // Largest divisor of 24 not above the RPO in hours keeps the schedule even across midnight.
    const hours = [12, 8, 6, 4, 3, 2, 1].find((h) => h * 60 <= rpoMinutes)!;
    return hours === 1 ? '0 * * * *' : `0 */${hours} * * *`;
  }
  return '0 3 * * *';
}

export function recoveryPlan(spec: Spec, problems: string[]): RecoveryPlan {
  const { rpoMinutes, rtoMinutes, retentionDays } = spec.recovery;
  const external = spec.database.mode === 'external';
  if (rpoMinutes < MIN_DUMP_RPO_MINUTES)
    problems.push(
      `recovery: an RPO of ${rpoMinutes} min needs continuous WAL archiving (point-in-time recovery: a managed database's PITR, or pgBackRest/WAL-G), which scheduled pg_dump cannot give; set recovery.rpoMinutes ≥ ${MIN_DUMP_RPO_MINUTES} or use an external database with PITR`,
    );
  const files = spec.storage.type === 'local' ? 'an archive of the storage volume' : `the ${spec.storage.type} bucket's own versioning/replication`;
  return {
    rpoMinutes,
    rtoMinutes,
    retentionDays,
    schedule: backupSchedule(rpoMinutes),
    method: `pg_dump (custom format) of both databases${external ? ' plus the provider\'s snapshots/PITR' : ''}, and ${files}; ${retentionDays} days kept`,
  };
}

/**
 * The backup the database's size needs when a pg_dump restore would miss the RTO: physical base
 * backups with WAL archiving (bundled) or the provider's snapshots with PITR (external). The
 * rendered scripts still take pg_dump (they cannot configure replication access or an archive
 * store): the method says so, and the plan warns.
 */
export function physicalRecovery(recovery: RecoveryPlan, storage: StoragePlan, warnings: string[]): RecoveryPlan {
  const b = storage.backup;
  const needed =
    b.method === 'snapshots'
      ? "the provider's snapshots with point-in-time recovery (continuous WAL archiving)"
      : `physical base backups (pg_basebackup, pgBackRest or WAL-G) daily with continuous WAL archiving (archive_mode=on, archive_timeout=${ARCHIVE_TIMEOUT_SECONDS}s)`;
  warnings.push(
    `recovery: a pg_dump restore of ${storage.dataGiB} GiB takes ≈${b.dumpRestoreMinutes} min, beyond the ${b.rtoMinutes}-min RTO; the rendered backup still dumps — set up ${needed} (restore ≈${b.restoreMinutes} min, RPO ≈${b.rpoMinutes} min) and keep the dumps as a second copy (RUNBOOK.md)`,
  );
  return { ...recovery, kind: b.method, restoreEstimateMinutes: b.restoreMinutes, method: `${recovery.method}; for RTO ${b.rtoMinutes} min at ${storage.dataGiB} GiB it needs ${needed}, restore ≈${b.restoreMinutes} min, RPO ≈${b.rpoMinutes} min` };
}

/** Deployment-wide env for logs, traces, errors and workflow-log storage. */
export function observabilityEnv(spec: Spec, problems: string[], logs: { storage: WorkflowLogStorage; chosenBy: 'spec' | 'model' } = { storage: spec.observability.workflowLogs.storage ?? 'rdbms', chosenBy: 'spec' }): Record<string, string> {
  const o = spec.observability;
  const env: Record<string, string> = { LOG_OUTPUT_FORMAT: o.logFormat };
  if (o.otlpEndpoint) {
    Object.assign(env, { ENABLE_OTEL: 'true', OTLP_BASE_ENDPOINT: o.otlpEndpoint, OTEL_EXPORTER_TYPE: 'otlp', OTEL_SAMPLING_RATE: String(o.otelSamplingRate) });
  } else {
    env.ENABLE_OTEL = 'false';
  }
  if (o.sentryDsn) Object.assign(env, { API_SENTRY_DSN: o.sentryDsn, WEB_SENTRY_DSN: o.sentryDsn, PLUGIN_SENTRY_ENABLED: 'true', PLUGIN_SENTRY_DSN: o.sentryDsn });
  const wl = o.workflowLogs;
  switch (logs.storage) {
    case 'rdbms':
      env.WORKFLOW_NODE_EXECUTION_STORAGE = 'rdbms';
      break;
    case 'hybrid':
      env.WORKFLOW_NODE_EXECUTION_STORAGE = 'hybrid';
      if (spec.storage.type === 'local')
        problems.push('observability.workflowLogs.storage: hybrid writes node executions to object storage; choose an object store in storage.type');
      break;
    case 'logstore': {
      const repo = 'extensions.logstore.repositories';
      Object.assign(env, {
        CORE_WORKFLOW_EXECUTION_REPOSITORY: `${repo}.logstore_workflow_execution_repository.LogstoreWorkflowExecutionRepository`,
        CORE_WORKFLOW_NODE_EXECUTION_REPOSITORY: `${repo}.logstore_workflow_node_execution_repository.LogstoreWorkflowNodeExecutionRepository`,
        API_WORKFLOW_NODE_EXECUTION_REPOSITORY: `${repo}.logstore_api_workflow_node_execution_repository.LogstoreAPIWorkflowNodeExecutionRepository`,
        API_WORKFLOW_RUN_REPOSITORY: `${repo}.logstore_api_workflow_run_repository.LogstoreAPIWorkflowRunRepository`,
        ALIYUN_SLS_PROJECT_NAME: wl.slsProject ?? '',
        ALIYUN_SLS_ENDPOINT: wl.slsEndpoint ?? '',
        ALIYUN_SLS_REGION: wl.slsRegion ?? '',
        // The logstore keeps the logs as long as the database would have (3650 = permanent, upstream's .env.example).
        ALIYUN_SLS_LOGSTORE_TTL: String(wl.retentionDays > 0 ? wl.retentionDays : 3650),
        // Dual write would keep every row in PostgreSQL too, the load offloading removes (middleware.env.example ships true).
        LOGSTORE_DUAL_WRITE_ENABLED: 'false',
      });
      // A default chosen by the storage model is explained by one problem there (planStorage).
      if (logs.chosenBy === 'spec')
        for (const k of ['slsProject', 'slsEndpoint', 'slsRegion'] as const)
          if (!wl[k]) problems.push(`observability.workflowLogs.${k}: required for storage: logstore (Alibaba Cloud SLS)`);
      break;
    }
  }
  if (logs.storage !== 'logstore') {
    env.WORKFLOW_LOG_CLEANUP_ENABLED = wl.retentionDays > 0 ? 'true' : 'false';
    if (wl.retentionDays > 0) env.WORKFLOW_LOG_RETENTION_DAYS = String(wl.retentionDays);
  }
  return env;
}

/** What each workflow-log choice does to the metadata database, for `plan`. */
export function workflowLogEffect(spec: Spec, storage: WorkflowLogStorage = spec.observability.workflowLogs.storage ?? 'rdbms'): string {
  const wl = spec.observability.workflowLogs;
  const retention = wl.retentionDays > 0 ? `, rows older than ${wl.retentionDays} days deleted by the cleanup task` : ', kept forever (the tables only grow)';
  switch (storage) {
    case 'rdbms':
      return `workflow runs and every node execution are rows in PostgreSQL: each run writes to the metadata DB on the request path${retention}`;
    case 'hybrid':
      return `node executions go to object storage, runs stay in PostgreSQL: far fewer and smaller DB writes per run${retention}`;
    case 'logstore':
      return 'runs and node executions go to Alibaba Cloud SLS (LogStore): the metadata DB no longer carries workflow logs (SAE\'s high-performance setup)';
  }
}

/**
 * Problems with the hosts a target spreads over. Helm means several nodes: local files
 * cannot be shared between pods there, and the community plugin daemon keeps its
 * installed plugins on disk unless object storage holds them (dify-helm#176, #207).
 */
export function topologyProblems(spec: Spec, target: Target, pluginDaemonReplicas: number): string[] {
  if (target !== 'helm') return [];
  const problems: string[] = [];
  const storage = storageBackend(spec.storage.type);
  if (!storage.shared)
    problems.push(
      'storage: local file storage on Kubernetes: api and worker pods on different nodes cannot read each other\'s files (uploads, knowledge documents); choose an object store in storage.type (s3, azure-blob, aliyun-oss, …): in dify-deploy.yaml, with `dify-deploy init`, or with flags, e.g. --set storage.type=s3 --set storage.bucket=dify-files --set storage.region=us-east-1 --set storage.useIam=true',
    );
  else if (pluginDaemonReplicas > 1 && !storage.pluginType)
    problems.push(
      `plugin_daemon: ${pluginDaemonReplicas} replicas must share installed plugins, but the plugin daemon cannot use ${storage.id}; use s3, azure-blob, aliyun-oss, tencent-cos or volcengine-tos, or overrides.components.plugin_daemon.replicas: 1`,
    );
  return problems;
}

/** Why a component cannot use a Redis topology, from the release table's per-component support. */
const REDIS_LIMITS: { component: string; modes: (r: Release) => string[]; why: string }[] = [
  { component: 'the plugin daemon', modes: (r) => r.redisModes.pluginDaemon, why: 'go-redis NewClient / NewFailoverClient only (dify-plugin-daemon internal/utils/cache/redis.go; dify#26865, dify-plugin-daemon#475)' },
  { component: 'the Celery broker', modes: (r) => r.redisModes.celeryBroker, why: "kombu's Redis transport has no cluster mode (standalone or Sentinel URLs)" },
];

/**
 * Redis topologies every component on the main Redis can use (api, workers, Celery broker, plugin
 * daemon). A Cluster is refused only there, with each component that cannot use it; the event
 * bus is a separate client and may be a Cluster (redis.eventBus.useClusters).
 */
export function usableRedisTopologies(release: Release): string[] {
  return release.redisModes.api.filter((t) => REDIS_LIMITS.every((l) => l.modes(release).includes(t)));
}

export function redisProblems(spec: Spec, release: Release, agentBackend: boolean): string[] {
  const usable = usableRedisTopologies(release);
  const r = spec.redis;
  if (r.mode === 'bundled') return [];
  if (!usable.includes(r.topology)) {
    const blockers = REDIS_LIMITS.filter((l) => !l.modes(release).includes(r.topology)).map((l) => `${l.component} (${l.why})`);
    const bus = release.eventBus?.clusters ? '; the event bus can use a Cluster: redis.eventBus: { mode: external, url: redis://<any node>, useClusters: true, channelType: sharded }' : '';
    return [`redis.topology: ${r.topology} cannot be the main Redis of Dify ${release.version}: ${blockers.join(' and ')} cannot use it; use ${usable.join(' or ')} (Sentinel gives failover)${bus}`];
  }
  // The agent backend takes one redis:// URL (DIFY_AGENT_REDIS_URL): it cannot ask Sentinel for the master.
  if (r.topology === 'sentinel' && agentBackend && !r.host)
    return ['redis.host: the agent backend takes a plain Redis URL, not Sentinel; give redis.host (and port) of an endpoint that always reaches the master, e.g. a Redis proxy or a managed primary endpoint'];
  return [];
}
