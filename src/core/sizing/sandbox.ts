// dify-sandbox: MAX_WORKERS code runs execute at once per replica (a semaphore; excess waits),
// MAX_REQUESTS admitted at once (beyond: 503) — internal/middleware of langgenius/dify-sandbox.
// Sized from the code-node load: concurrent code runs, each bounded by WORKER_TIMEOUT.
import type { AppKind } from '../spec.js';
import type { Sizer } from './types.js';
import type { Workload } from './workload.js';

/** The app kinds whose runs are graphs and so may contain code nodes (chat, completion and agent apps have none). */
const GRAPH_KINDS: readonly AppKind[] = ['chatflow', 'workflowStreaming', 'workflowBlocking'];
/** Share of graph runs that execute at least one code node [inference: no public source measures it]. */
export const CODE_NODE_SHARE = 0.5;
/** Sandbox seconds per such run: a code node or two, each a fresh interpreter under seccomp (~0.1 s) [inference]. */
export const CODE_NODE_SECONDS = 0.2;
/** A code run's limit in the sandbox (upstream's WORKER_TIMEOUT): a run's sandbox time never exceeds it. */
const WORKER_TIMEOUT_SECONDS = 15;
/** Code runs are CPU-bound processes: upstream's 4 per (1-vCPU) sandbox, per vCPU. */
const WORKERS_PER_VCPU = 4;

/** Concurrent code runs at the peak (Little's law): qps × graph share × code share × sandbox seconds × burst. */
export function concurrentCodeRuns(w: Workload, qps: number, burstFactor: number, codeNodes?: { share?: number; seconds?: number }): number {
  const share = codeNodes?.share ?? CODE_NODE_SHARE;
  const seconds = Math.min(codeNodes?.seconds ?? CODE_NODE_SECONDS, WORKER_TIMEOUT_SECONDS);
  const graph = GRAPH_KINDS.reduce((n, k) => n + w.mix[k], 0);
  return Math.ceil(Math.round(qps * graph * share * seconds * burstFactor * 1e6) / 1e6);
}

export const sizeSandbox: Sizer = ({ replicas, cpu, o }, { spec, tier, workload }) => {
  const maxWorkers = Math.max(4, Math.floor(cpu * WORKERS_PER_VCPU));
  const qps = spec.qps ?? tier.qps;
  const runs = concurrentCodeRuns(workload, qps, tier.burstFactor, spec.workload.codeNodes);
  // Enough replicas that replicas × MAX_WORKERS holds every concurrent code run: none waits for a slot.
  if (o?.replicas === undefined) replicas = Math.max(replicas, Math.ceil(runs / maxWorkers));
  return {
    replicas,
    env: {
      MAX_WORKERS: String(maxWorkers),
      // Admit twice the runs a replica executes so a burst queues instead of failing with 503 (upstream: 50).
      MAX_REQUESTS: String(Math.max(50, 2 * Math.ceil(runs / replicas))),
      WORKER_TIMEOUT: String(WORKER_TIMEOUT_SECONDS),
    },
  };
};
