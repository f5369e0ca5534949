// The metadata database's CPU from the work it runs: statements per request kind and the rows
// each request writes (costs/state.json), at the sized peak, divided by a target utilisation.
// Where the workflow logs go changes it: offloaded, a graph run no longer inserts its run and
// node-execution rows nor updates them as they finish.
import { APP_KINDS, type AppKind } from '../spec.js';
import { GRAPH_KINDS, type StoragePlan } from './storage.js';
import type { StateCosts } from './state-costs.js';
import { round2 } from './units.js';

export interface DatabaseWork {
  /** Statements per second at the peak (qps × burst), through the pooler when there is one. */
  statementsPerSecond: number;
  rowWritesPerSecond: number;
  /** Cores busy at the peak, and the vCPUs that keep them at the target utilisation (even count). */
  busyCores: number;
  cpus: number;
  targetUtilization: number;
  formula: string;
}

/** Statements a graph run spends on its logs: insert + final update of the run, and of each node execution. */
const logStatements = (c: StateCosts, k: (typeof GRAPH_KINDS)[number]) => 2 + 2 * c.nodeExecutionsPerRun[k];

export function databaseWork(qps: number, burstFactor: number, mix: Record<AppKind, number>, storage: StoragePlan, c: StateCosts): DatabaseWork {
  const offloaded = storage.workflowLogs.storage === 'logstore';
  const perRequest = APP_KINDS.reduce((n, k) => {
    const graph = (GRAPH_KINDS as readonly AppKind[]).includes(k);
    const statements = c.statementsPerRequest[k] - (offloaded && graph ? logStatements(c, k as (typeof GRAPH_KINDS)[number]) : 0);
    return n + mix[k] * Math.max(1, statements);
  }, 0);
  const peak = qps * burstFactor;
  const statementsPerSecond = Math.ceil(peak * perRequest);
  const rowWritesPerSecond = storage.peak.rowsPerSecond;
  const busyCores = (statementsPerSecond * c.cpuMsPerStatement + rowWritesPerSecond * c.cpuMsPerRowWrite) / 1000;
  const cpus = 2 * Math.ceil(busyCores / c.databaseTargetUtilization / 2);
  return {
    statementsPerSecond,
    rowWritesPerSecond,
    busyCores: round2(busyCores),
    cpus,
    targetUtilization: c.databaseTargetUtilization,
    formula: `${round2(peak)} req/s × ${round2(perRequest)} statements = ${statementsPerSecond}/s × ${c.cpuMsPerStatement} ms + ${rowWritesPerSecond} row writes/s × ${c.cpuMsPerRowWrite} ms = ${round2(busyCores)} cores busy; ÷ ${c.databaseTargetUtilization} target → ${cpus} vCPU${offloaded ? ' (workflow logs offloaded: no run/node-execution writes)' : ''}`,
  };
}
