// What the sized deployment can serve on each execution path, by Little's law.
import type { Release } from '../data.js';
import type { CapacityPath, Plan, PlanComponent } from './types.js';
import type { Workload } from './workload.js';

/** Components whose processes consume the run queue (a run worker, or the one worker of every queue). */
export function runQueueConsumers(components: PlanComponent[], release: Release): PlanComponent[] {
  const { runQueue, defaultQueues } = release.execution;
  return components.filter((c) => {
    if (c.name !== 'worker' && c.name !== 'worker_runs') return false;
    const queues = (c.env.CELERY_WORKER_QUEUES ?? c.env.CELERY_QUEUES ?? defaultQueues.join(',')).split(',').map((q) => q.trim());
    return queues.includes(runQueue);
  });
}

/** Σ replicas × processes × concurrency (gevent: one process, CELERY_WORKER_AMOUNT greenlets). */
export const runSlotsOf = (consumers: PlanComponent[]) =>
  consumers.reduce((n, c) => n + c.replicas * c.processesPerReplica * Number(c.env.CELERY_WORKER_CONCURRENCY ?? c.env.CELERY_WORKER_AMOUNT ?? '1'), 0);

/** Both paths: API greenlets hold every request; run slots hold the worker-executed runs. */
export function capacityOf(components: PlanComponent[], release: Release, qps: number, w: Workload, warnings: string[]): Plan['capacity'] {
  const concurrentRequests = components
    .filter((c) => c.name === 'api')
    .reduce((n, c) => n + c.replicas * Number(c.env.SERVER_WORKER_AMOUNT ?? '1') * Number(c.env.SERVER_WORKER_CONNECTIONS ?? '10'), 0);
  const runSlots = runSlotsOf(runQueueConsumers(components, release));
  const sustained = (slots: number, seconds: number) => (seconds > 0 ? Math.floor(slots / seconds + 1e-9) : null);
  const paths: CapacityPath[] = [
    { name: 'api', inFlight: w.inFlightApiRequests, slots: concurrentRequests, sustainableQps: sustained(concurrentRequests, w.meanLatencySeconds) },
    { name: 'runs', inFlight: w.inFlightWorkerRuns, slots: runSlots, sustainableQps: sustained(runSlots, w.workerSecondsPerRequest) },
  ];
  const bounds = paths.map((p) => p.sustainableQps).filter((q): q is number => q !== null);
  const sustainableQps = bounds.length ? Math.min(...bounds) : 0;
  const api = paths[0];
  if (api.sustainableQps !== null && api.sustainableQps < qps)
    warnings.push(`capacity: ${concurrentRequests} concurrent API requests sustain ${api.sustainableQps} QPS at ${round3(w.meanLatencySeconds)} s each, below the ${qps} QPS asked for`);
  const runs = paths[1];
  if (runs.sustainableQps !== null && runs.sustainableQps < qps)
    warnings.push(
      `capacity: ${runSlots} run slots on ${release.execution.runQueue} sustain ${runs.sustainableQps} QPS under the mix (${round3(w.workerSecondsPerRequest)} worker-seconds per request), below the ${qps} QPS asked for`,
    );
  return { concurrentRequests, sustainableQps, paths };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
