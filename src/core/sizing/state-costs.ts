// costs/state.json: what Dify's state costs per request (rows, bytes, statements, events), each
// value with its source, overlaid with the spec's measured workload.state.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../data.js';
import type { AppKind, Spec } from '../spec.js';

type GraphKind = 'chatflow' | 'workflowStreaming' | 'workflowBlocking';

export interface StateCosts {
  nodeExecutionsPerRun: Record<GraphKind, number>;
  runPayloadBytes: Record<string, number>;
  nodeExecutionPayloadBytes: Record<string, number>;
  bytesPerRun: number;
  bytesPerNodeExecution: number;
  bytesPerMessage: number;
  baseDatabaseGiB: number;
  dailyAverageShare: number;
  walBytesPerByte: number;
  diskHeadroom: number;
  minIops: number;
  rdbmsMaxLogGiB: number;
  cleanupSecondsPerBatch: number;
  cleanupMaxDayShare: number;
  logicalRestoreMBps: number;
  physicalRestoreMBps: number;
  walReplayMBps: number;
  statementsPerRequest: Record<AppKind, number>;
  cpuMsPerStatement: number;
  cpuMsPerRowWrite: number;
  databaseTargetUtilization: number;
  streamedChunksPerRun: Record<'chatflow' | 'workflowStreaming', number>;
  fixedEventsPerRun: number;
  eventsPerNodeExecution: number;
  bytesPerEvent: number;
  redisOpsPerSecondPerThread: number;
  redisIoThreadsSpeedup: number;
  busTargetUtilization: number;
  busNetworkMBps: number;
  pgbouncerStatementsPerSecondPerCore: number;
  pgbouncerTargetUtilization: number;
}

export interface StateCostTable {
  values: StateCosts;
  sources: Record<keyof StateCosts, string>;
}

let table: StateCostTable | undefined;

export function stateCostTable(): StateCostTable {
  table ??= JSON.parse(readFileSync(join(PACKAGE_ROOT, 'costs', 'state.json'), 'utf8')) as StateCostTable;
  return table;
}

/** The cost table with the spec's measured values over it (per-kind maps merge key by key). */
export function stateCostsFor(spec: Spec): StateCosts {
  const base = stateCostTable().values;
  const given = spec.workload.state ?? {};
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined) continue;
    const b = (base as unknown as Record<string, unknown>)[k];
    out[k] = typeof v === 'object' && typeof b === 'object' ? { ...b, ...v } : v;
  }
  return out as unknown as StateCosts;
}

/** Which values the spec replaced: the plan names them as measured, the rest by their source. */
export function overriddenCosts(spec: Spec): string[] {
  return Object.entries(spec.workload.state ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k);
}
