// How many PgBouncer processes the statement rate needs, and how they are laid out: PgBouncer is
// single-threaded, so one process is one core. Helm runs one process per pod and ≥ 2 pods under HA
// (a PDB and spread over nodes keep one up); compose runs them in one container sharing the port
// with so_reuseport (PgBouncer ≥ 1.12), on one host. Each process keeps its own pools.
import type { Target } from '../spec.js';
import type { StateCosts } from './state-costs.js';
import { round2 } from './units.js';

/** so_reuseport: several PgBouncer processes listen on one port (PgBouncer 1.12, pgbouncer.org/config.html#so_reuseport). */
const SO_REUSEPORT_SINCE = [1, 12];
/** A process's own memory, plus its buffers per client connection (pkt_buf 4 KiB, in and out) [estimate]. */
const BASE_MIB = 32;
const KIB_PER_CLIENT = 8;
/** File descriptors beyond clients and server connections: the listen sockets, logs, DNS [inference]. */
const NOFILE_MARGIN = 64;

export interface PoolerLayout {
  /** Helm: pods; compose: 1 (one container). */
  replicas: number;
  processesPerReplica: number;
  soReuseport: boolean;
  /** Per replica. */
  cpu: number;
  memory: string;
  /** ulimit -n each process needs: max_client_conn + its server connections + a margin. */
  nofile: number;
  statementsPerSecond: number;
  coresNeeded: number;
  /** With several Helm replicas under HA, the pools are sized so the rest carry the load with one lost. */
  survivesLoss: boolean;
  formula: string;
}

const versionAtLeast = (version: string, [major, minor]: number[]) => {
  const [a, b] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
};

export function poolerProcesses(statementsPerSecond: number, c: StateCosts): { processes: number; coresNeeded: number } {
  const coresNeeded = statementsPerSecond / c.pgbouncerStatementsPerSecondPerCore;
  return { processes: Math.max(1, Math.ceil(coresNeeded / c.pgbouncerTargetUtilization)), coresNeeded: round2(coresNeeded) };
}

/** The layout, before the pools are known (they depend on how many instances share them). */
export function poolerLayout(statementsPerSecond: number, ha: boolean, target: Target, version: string, c: StateCosts): Omit<PoolerLayout, 'memory' | 'nofile'> {
  const { processes, coresNeeded } = poolerProcesses(statementsPerSecond, c);
  const why = `${statementsPerSecond} statements/s ÷ ${c.pgbouncerStatementsPerSecondPerCore} per core = ${coresNeeded} cores; at ${c.pgbouncerTargetUtilization} utilisation ${processes} process(es)`;
  if (target === 'helm') {
    const replicas = Math.max(ha ? 2 : 1, processes);
    return { replicas, processesPerReplica: 1, soReuseport: false, cpu: 1, statementsPerSecond, coresNeeded, survivesLoss: ha && replicas >= 2, formula: `${why}; ${replicas} pod(s) of one process${ha ? ' (HA: ≥ 2, PDB, spread over nodes)' : ''}` };
  }
  const reuse = processes > 1 && versionAtLeast(version, SO_REUSEPORT_SINCE);
  const perContainer = reuse ? processes : 1;
  return { replicas: 1, processesPerReplica: perContainer, soReuseport: reuse, cpu: perContainer, statementsPerSecond, coresNeeded, survivesLoss: false, formula: `${why}; ${perContainer} process(es) in one container${reuse ? ' sharing the port (so_reuseport)' : ''}` };
}

/** Memory and file descriptors once max_client_conn and the per-process server connections are known. */
export function poolerResources(layout: Omit<PoolerLayout, 'memory' | 'nofile'>, maxClientConn: number, serverPerProcess: number): PoolerLayout {
  const perProcessMiB = Math.max(128, Math.ceil((BASE_MIB + (maxClientConn * KIB_PER_CLIENT) / 1024) / 64) * 64);
  return {
    ...layout,
    memory: `${perProcessMiB * layout.processesPerReplica}Mi`,
    nofile: Math.ceil((maxClientConn + serverPerProcess + NOFILE_MARGIN) / 1024) * 1024,
  };
}
