// dify-sandbox: MAX_WORKERS code runs execute at once per replica (a semaphore; excess waits),
// MAX_REQUESTS admitted at once (beyond: 503) — internal/middleware of langgenius/dify-sandbox.
// Sized from the code-node load (workload.ts): cores for λ·c ÷ U, and per replica the workers
// Erlang C asks for its share of the code runs (the API and workers reach the sandbox through its
// service name, spread over the replicas without regard to load: one queue per replica).
import { serversFor } from './queueing.js';
import type { Sizer } from './types.js';
import { coresFor, cpuDemand, cpuRequestFor, memoryFor } from './work.js';
import { WORKER_TIMEOUT_SECONDS } from './workload.js';

/** Upstream's own MAX_WORKERS (docker/volumes/sandbox/conf/config.yaml): never fewer. */
const MIN_WORKERS = 4;

export const sizeSandbox: Sizer = ({ replicas, cpu, o }, { workload: w }) => {
  const q = w.queues.sandbox;
  const { use, needed } = coresFor(cpuDemand('sandbox', w)!, w);
  if (o?.replicas === undefined) replicas = Math.max(replicas, Math.ceil(needed / cpu - 1e-9));
  const workersFor = (n: number) => Math.max(MIN_WORKERS, serversFor({ ...q, arrivalRate: q.arrivalRate / n }, w.serviceLevel));
  const maxWorkers = workersFor(replicas);
  const m = w.costs.memoryGiB;
  return {
    replicas,
    cpuRequest: cpuRequestFor(use, replicas, cpu),
    memoryGiB: memoryFor(m.base.sandbox, 1, m.perInFlight.sandboxExecution, workersFor, replicas, w),
    env: {
      MAX_WORKERS: String(maxWorkers),
      // Admit four times the runs a replica executes so a burst queues instead of failing with 503 (upstream: 50).
      MAX_REQUESTS: String(Math.max(50, 4 * maxWorkers)),
      WORKER_TIMEOUT: String(WORKER_TIMEOUT_SECONDS),
    },
  };
};
