// The metadata database's state: rows and bytes per request (costs/state.json), the daily volume
// and the steady-state size at the retention, WAL, disk and IOPS, whether Dify's retention
// clean-up keeps up, where the workflow logs go (rdbms while the database carries them, else
// offloaded), and how long a restore of that size takes. Pure; docs/state-sizing.md has the arithmetic.
import type { Release } from '../data.js';
import { APP_KINDS, type AppKind, type Spec, type WORKFLOW_LOG_STORAGES } from '../spec.js';
import type { StateCosts } from './state-costs.js';
import { round2 } from './units.js';

export type WorkflowLogStorage = (typeof WORKFLOW_LOG_STORAGES)[number];

/** App kinds whose requests are graph runs: a workflow_runs row and one workflow_node_executions row per executed node. */
export const GRAPH_KINDS = ['chatflow', 'workflowStreaming', 'workflowBlocking'] as const satisfies readonly AppKind[];
/** App kinds that write a messages row (chat-style answers; a chatflow's answer too). */
const MESSAGE_KINDS: readonly AppKind[] = ['chat', 'completion', 'agent', 'chatflow'];
const GIB = 2 ** 30;
const PAGE = 8192;
/** WAL segments are archived at least this often (archive_timeout), the RPO of WAL archiving. */
export const ARCHIVE_TIMEOUT_SECONDS = 60;

/** What one request writes, averaged over the mix. */
export interface PerRequest {
  runs: number;
  nodeExecutions: number;
  messages: number;
  /** workflow_runs + workflow_node_executions bytes (what offloading moves out). */
  logBytes: number;
  messageBytes: number;
}

export interface CleanupEstimate {
  task: string;
  schedule: string;
  batchSize: number;
  runsPerDay: number;
  hoursPerDay: number;
  keepsUp: boolean;
  source: string;
}

export interface BackupEstimate {
  method: 'pg_dump' | 'physical' | 'snapshots';
  /** Minutes a pg_dump restore of this size takes (pg_restore rebuilds every index). */
  dumpRestoreMinutes: number;
  /** Minutes the chosen method's restore takes (physical: base backup copy + a day of WAL replay). */
  restoreMinutes: number;
  rtoMinutes: number;
  rpoMinutes: number;
  meetsRto: boolean;
}

export interface StoragePlan {
  workflowLogs: { storage: WorkflowLogStorage; chosenBy: 'spec' | 'model'; carried: boolean; accepted: boolean };
  retentionDays: number;
  perRequest: PerRequest;
  /** At the sized peak (qps × burst). */
  peak: { rowsPerSecond: number; writeMBps: number; walMBps: number; iops: number };
  /** A day at dailyAverageShare of the tier's QPS. */
  daily: { requests: number; graphRuns: number; gib: number; walGiB: number };
  /** The workflow logs' steady-state size if they were in PostgreSQL (what the choice is judged on); null: unbounded (kept forever). */
  rdbmsLogGiB: number | null;
  /** The most retention days whose logs the database carries; null: no limit (the mix writes no logs). */
  maxRetentionDaysInDatabase: number | null;
  /** The database's steady-state data: base + messages + logs kept in it. */
  dataGiB: number;
  /** The volume the bundled database needs: dataGiB × headroom, rounded up to 10 GiB. */
  diskGiB: number;
  /** The same with the workflow logs in PostgreSQL, and its pg_dump restore (what accepting rdbms means). */
  inDatabase: { dataGiB: number; diskGiB: number; dumpRestoreMinutes: number };
  cleanup?: CleanupEstimate;
  backup: BackupEstimate;
}

export interface StorageInput {
  spec: Spec;
  release: Release;
  qps: number;
  burstFactor: number;
  mix: Record<AppKind, number>;
  costs: StateCosts;
}

export function perRequestState(mix: Record<AppKind, number>, c: StateCosts): PerRequest {
  const sum = (f: (k: AppKind) => number) => APP_KINDS.reduce((n, k) => n + mix[k] * f(k), 0);
  const isGraph = (k: AppKind) => (GRAPH_KINDS as readonly AppKind[]).includes(k);
  const runs = sum((k) => (isGraph(k) ? 1 : 0));
  const nodeExecutions = sum((k) => (isGraph(k) ? c.nodeExecutionsPerRun[k as (typeof GRAPH_KINDS)[number]] : 0));
  const messages = sum((k) => (MESSAGE_KINDS.includes(k) ? 1 : 0));
  return { runs, nodeExecutions, messages, logBytes: runs * c.bytesPerRun + nodeExecutions * c.bytesPerNodeExecution, messageBytes: messages * c.bytesPerMessage };
}

/** Offloaded storages move the runs and node executions out of PostgreSQL (messages stay). */
const offloaded = (s: WorkflowLogStorage) => s === 'logstore';

function cleanupOf(release: Release, graphRunsPerDay: number, c: StateCosts): CleanupEstimate | undefined {
  const r = release.workflowLogCleanup;
  if (!r) return undefined;
  const hoursPerDay = (graphRunsPerDay / r.batchSize) * c.cleanupSecondsPerBatch / 3600;
  return { task: r.task, schedule: r.schedule, batchSize: r.batchSize, runsPerDay: Math.round(graphRunsPerDay), hoursPerDay: round2(hoursPerDay), keepsUp: hoursPerDay <= 24 * c.cleanupMaxDayShare, source: r.source };
}

function backupOf(spec: Spec, dataGiB: number, walGiBPerDay: number, c: StateCosts): BackupEstimate {
  const { rtoMinutes, rpoMinutes } = spec.recovery;
  const minutes = (gib: number, mbps: number) => Math.ceil((gib * 1024) / mbps / 60);
  const dumpRestoreMinutes = minutes(dataGiB, c.logicalRestoreMBps);
  if (dumpRestoreMinutes <= rtoMinutes) return { method: 'pg_dump', dumpRestoreMinutes, restoreMinutes: dumpRestoreMinutes, rtoMinutes, rpoMinutes, meetsRto: true };
  // A base backup copies at the volume's speed, then replays at most a day of WAL (daily base backups).
  const restoreMinutes = minutes(dataGiB, c.physicalRestoreMBps) + minutes(walGiBPerDay, c.walReplayMBps);
  const method = spec.database.mode === 'external' ? 'snapshots' : 'physical';
  return { method, dumpRestoreMinutes, restoreMinutes, rtoMinutes, rpoMinutes: Math.ceil(ARCHIVE_TIMEOUT_SECONDS / 60), meetsRto: restoreMinutes <= rtoMinutes };
}

export function planStorage(x: StorageInput, problems: string[], warnings: string[]): StoragePlan {
  const { spec, costs: c } = x;
  const wl = spec.observability.workflowLogs;
  const retentionDays = wl.retentionDays;
  const per = perRequestState(x.mix, c);
  const peakRps = x.qps * x.burstFactor;
  const dailyRequests = x.qps * c.dailyAverageShare * 86400;
  const logGiBPerDay = (dailyRequests * per.logBytes) / GIB;
  const messageGiBPerDay = (dailyRequests * per.messageBytes) / GIB;
  // retentionDays 0 keeps the logs forever: no size is carried for ever.
  const rdbmsLogGiB = retentionDays > 0 || logGiBPerDay === 0 ? logGiBPerDay * retentionDays : Infinity;
  const maxRetentionDaysInDatabase = logGiBPerDay > 0 ? Math.floor(c.rdbmsMaxLogGiB / logGiBPerDay) : null;
  const cleanup = cleanupOf(x.release, dailyRequests * per.runs, c);
  const carried = rdbmsLogGiB <= c.rdbmsMaxLogGiB && (cleanup?.keepsUp ?? true);
  // Accepting a large database is choosing rdbms; otherwise the model offloads what the database cannot carry.
  const storage: WorkflowLogStorage = wl.storage ?? (carried || wl.acceptLargeDatabase ? 'rdbms' : 'logstore');
  const inDatabase = !offloaded(storage);
  const accepted = inDatabase && !carried && wl.acceptLargeDatabase;

  // Messages stay in PostgreSQL whatever the log storage (kept over the same window).
  const keptDays = retentionDays > 0 ? retentionDays : 365;
  const dataGiB = c.baseDatabaseGiB + messageGiBPerDay * keptDays + (inDatabase ? logGiBPerDay * keptDays : 0);
  const dailyGiB = messageGiBPerDay + (inDatabase ? logGiBPerDay : 0);
  const bytesPerRequest = per.messageBytes + (inDatabase ? per.logBytes : 0);
  const rowsPerRequest = per.messages + (inDatabase ? per.runs + per.nodeExecutions : 0);
  const writeMBps = (peakRps * bytesPerRequest) / 1e6;
  const walMBps = writeMBps * c.walBytesPerByte;
  const iops = Math.max(c.minIops, Math.ceil(((writeMBps + walMBps) * 1e6) / PAGE));
  const walGiB = dailyGiB * c.walBytesPerByte;
  const disk = (gib: number) => Math.ceil((gib * c.diskHeadroom) / 10) * 10;
  const withLogs = c.baseDatabaseGiB + (messageGiBPerDay + logGiBPerDay) * keptDays;

  const storagePlan: StoragePlan = {
    workflowLogs: { storage, chosenBy: wl.storage ? 'spec' : 'model', carried, accepted },
    retentionDays,
    perRequest: { ...per, logBytes: Math.round(per.logBytes), messageBytes: Math.round(per.messageBytes) },
    peak: { rowsPerSecond: Math.ceil(peakRps * rowsPerRequest), writeMBps: round2(writeMBps), walMBps: round2(walMBps), iops },
    daily: { requests: Math.round(dailyRequests), graphRuns: Math.round(dailyRequests * per.runs), gib: round2(dailyGiB), walGiB: round2(walGiB) },
    // The plan holds finite numbers only (plan-limits.ts; JSON has no Infinity): null says unbounded.
    rdbmsLogGiB: Number.isFinite(rdbmsLogGiB) ? Math.ceil(rdbmsLogGiB) : null,
    maxRetentionDaysInDatabase,
    dataGiB: Math.ceil(dataGiB),
    diskGiB: disk(dataGiB),
    inDatabase: { dataGiB: Math.ceil(withLogs), diskGiB: disk(withLogs), dumpRestoreMinutes: Math.ceil((withLogs * 1024) / c.logicalRestoreMBps / 60) },
    ...(cleanup && inDatabase ? { cleanup } : {}),
    backup: backupOf(spec, dataGiB, walGiB, c),
  };
  judgeStorage(x, storagePlan, problems, warnings);
  return storagePlan;
}

function judgeStorage(x: StorageInput, s: StoragePlan, problems: string[], warnings: string[]): void {
  const c = x.costs;
  const wl = s.workflowLogs;
  const size = s.rdbmsLogGiB !== null ? `${s.rdbmsLogGiB} GiB` : 'an ever-growing size (retentionDays: 0 keeps them forever)';
  const why = [
    s.rdbmsLogGiB !== null && s.rdbmsLogGiB > c.rdbmsMaxLogGiB ? `${size} of workflow logs at ${s.retentionDays} days' retention exceeds the ${c.rdbmsMaxLogGiB} GiB one PostgreSQL carries (workload.state.rdbmsMaxLogGiB)` : '',
    s.rdbmsLogGiB === null ? `workflow logs kept forever grow without bound` : '',
    s.cleanup && !s.cleanup.keepsUp ? `the retention clean-up (${s.cleanup.task.split('.').pop()}, daily at 02:00, batches of ${s.cleanup.batchSize}) needs ${s.cleanup.hoursPerDay} h a day to delete ${s.cleanup.runsPerDay} runs` : '',
  ].filter(Boolean);
  const ways = `(1) observability.workflowLogs.storage: logstore with slsProject, slsEndpoint and slsRegion (Alibaba Cloud SLS; the runs and node executions leave PostgreSQL); (2) retentionDays ≤ ${Math.max(1, s.maxRetentionDaysInDatabase ?? 1)}; (3) observability.workflowLogs.acceptLargeDatabase: true to keep them in PostgreSQL knowingly (${s.inDatabase.dataGiB} GiB of data on a ${s.inDatabase.diskGiB} GiB volume; a pg_dump restore ≈${s.inDatabase.dumpRestoreMinutes} min)`;
  if (wl.chosenBy === 'model' && wl.storage === 'logstore' && (!x.spec.observability.workflowLogs.slsProject || !x.spec.observability.workflowLogs.slsEndpoint || !x.spec.observability.workflowLogs.slsRegion))
    problems.push(`observability.workflowLogs: at ${x.qps} QPS ${why.join('; ')}, so the default is to offload them (logstore). Choose: ${ways}`);
  else if (wl.storage !== 'logstore' && !wl.carried && !wl.accepted)
    problems.push(`observability.workflowLogs.storage: ${wl.storage} at ${x.qps} QPS: ${why.join('; ')}. Choose: ${ways}`);
  if (wl.storage === 'hybrid')
    warnings.push(
      'observability.workflowLogs.storage: hybrid sets WORKFLOW_NODE_EXECUTION_STORAGE=hybrid, but Dify picks its repositories from the CORE_*_REPOSITORY class paths (api/core/repositories/factory.py) and the only reader of that variable found raised NotImplementedError for hybrid [inference]: sized as rdbms',
    );
  const b = s.backup;
  if (!b.meetsRto)
    warnings.push(
      `recovery: even ${b.method === 'snapshots' ? 'a snapshot restore' : 'a physical restore'} of ${s.dataGiB} GiB takes ≈${b.restoreMinutes} min (${b.method === 'snapshots' ? "the provider's may be faster: check it" : 'base backup copy + a day of WAL replay'}), beyond the ${b.rtoMinutes}-min RTO; offload the workflow logs, shorten retentionDays, keep a streaming replica to promote, or raise recovery.rtoMinutes`,
    );
}

/** The plan's storage line. */
export function storageSummary(s: StoragePlan): string {
  const logs = s.workflowLogs.storage === 'logstore' ? 'workflow logs in SLS (logstore)' : `workflow logs in PostgreSQL (${s.workflowLogs.storage})`;
  const clean = s.cleanup ? `; clean-up ${s.cleanup.runsPerDay} runs/day in batches of ${s.cleanup.batchSize} ≈ ${s.cleanup.hoursPerDay} h/day (${s.cleanup.keepsUp ? 'keeps up' : 'DOES NOT KEEP UP'})` : '';
  return `${logs}, chosen by ${s.workflowLogs.chosenBy === 'model' ? 'the storage model' : 'the spec'}; ${s.peak.rowsPerSecond} rows/s and ${s.peak.writeMBps} MB/s at the peak (WAL ${s.peak.walMBps} MB/s, ≈${s.peak.iops} IOPS); ${s.daily.gib} GiB/day; ${s.dataGiB} GiB at ${s.retentionDays} days' retention → disk ${s.diskGiB} GiB; logs in PostgreSQL would be ${s.rdbmsLogGiB !== null ? `${s.rdbmsLogGiB} GiB` : 'unbounded'} (carried ${s.maxRetentionDaysInDatabase !== null ? `up to ${s.maxRetentionDaysInDatabase} days` : 'at any retention'})${clean}`;
}
