// What the sized deployment carries on each independent queue: the QPS at the service level, and
// P(wait), p99 wait and utilisation at the planned peak (queueing.ts); slots ÷ seconds (Little's law
// at ρ = 1) stays as the saturation point.
import { intVariable } from '../python-int.js';
import type { Release } from '../data.js';
import type { PoolerPlan } from '../pooler.js';
import { evaluate, maxArrivalRate, meets, type Queue } from './queueing.js';
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
  consumers.reduce((n, c) => n + c.replicas * c.processesPerReplica * intVariable(c.env, 'CELERY_WORKER_CONCURRENCY', intVariable(c.env, 'CELERY_WORKER_AMOUNT', 1, NaN), NaN), 0);

/** A p99 wait for messages: seconds, or unbounded for an overloaded queue. */
export const waitText = (s: number | null) => (s === null ? 'unbounded: the queue is overloaded' : `${s} s`);

const round = (n: number, d = 3) => (Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : n);

/**
 * One path: `queues` independent queues of `servers` each share the path's arrivals evenly; `share`
 * of all requests use it. Reports at the planned peak, and the peak QPS it carries at the service level.
 */
function pathOf(name: CapacityPath['name'], q: Queue, queues: number, servers: number, share: number, inFlight: number, w: Workload): CapacityPath {
  const slots = queues * servers;
  const loaded = share > 0 && q.serviceSeconds > 0;
  const per = { ...q, arrivalRate: q.arrivalRate / Math.max(1, queues) };
  const r = evaluate(per, servers);
  const atLevel = loaded ? (maxArrivalRate(servers, q.serviceSeconds, q.serviceScv, w.serviceLevel) * queues) / share : null;
  return {
    name,
    inFlight,
    slots,
    sustainableQps: loaded ? Math.floor(slots / (q.serviceSeconds * share) + 1e-9) : null,
    queues,
    serversPerQueue: servers,
    qpsAtServiceLevel: atLevel === null ? null : Math.floor(atLevel * 10) / 10,
    waitProbability: loaded ? round(r.waitProbability, 5) : 0,
    // An overloaded queue (utilisation ≥ 1) grows without end: its wait has no p99 (null).
    p99WaitSeconds: !loaded ? 0 : Number.isFinite(r.p99WaitSeconds) ? round(r.p99WaitSeconds) : null,
    utilisation: loaded ? round(r.utilisation) : 0,
    meetsServiceLevel: !loaded || meets(r, w.serviceLevel),
  };
}

/** Every path: API greenlets hold every request; run slots the worker-executed runs; the sandbox's workers the code runs; PgBouncer's pool the transactions. */
export function capacityOf(components: PlanComponent[], release: Release, w: Workload, pooler: PoolerPlan | undefined, warnings: string[]): Plan['capacity'] {
  const api = components.find((c) => c.name === 'api');
  const apiServers = api ? intVariable(api.env, 'SERVER_WORKER_AMOUNT', 1, NaN) * intVariable(api.env, 'SERVER_WORKER_CONNECTIONS', 10, NaN) : 0;
  const concurrentRequests = (api?.replicas ?? 0) * apiServers;
  const runSlots = runSlotsOf(runQueueConsumers(components, release));
  const sandbox = components.find((c) => c.name === 'sandbox');
  const runShare = w.queues.runs.arrivalRate / Math.max(w.peakQps, 1e-12);
  const codeShare = w.queues.sandbox.arrivalRate / Math.max(w.peakQps, 1e-12);
  const paths: CapacityPath[] = [
    pathOf('api', w.queues.api, api?.replicas ?? 0, apiServers, 1, w.inFlightApiRequests, w),
    pathOf('runs', w.queues.runs, 1, runSlots, runShare, w.inFlightWorkerRuns, w),
  ];
  if (sandbox)
    paths.push(pathOf('sandbox', w.queues.sandbox, sandbox.replicas, Number(sandbox.env.MAX_WORKERS ?? '4'), codeShare, Math.ceil(w.queues.sandbox.arrivalRate * w.queues.sandbox.serviceSeconds), w));
  if (pooler) {
    const q = { arrivalRate: w.peakQps, serviceSeconds: pooler.dbTimePerRequestMs / 1000, serviceScv: 1 };
    // Each PgBouncer process keeps its own pools: one queue per process, the clients spread over them.
    paths.push(pathOf('pgbouncer', q, pooler.instances ?? 1, pooler.defaultPoolSize, 1, pooler.activeTransactions, w));
  }
  const bound = (f: (p: CapacityPath) => number | null) => {
    const xs = paths.map(f).filter((q): q is number => q !== null);
    return xs.length ? Math.min(...xs) : 0;
  };
  for (const p of paths.filter((x) => !x.meetsServiceLevel))
    warnings.push(
      `capacity (${p.name}): at the planned peak of ${w.peakQps} QPS ${round(p.waitProbability * 100, 1)} % of arrivals wait for one of ${p.slots} slots (p99 wait ${waitText(p.p99WaitSeconds)}), beyond the service level (P(wait) ≤ ${w.serviceLevel.maxWaitProbability * 100} %, p99 wait ≤ ${w.serviceLevel.p99WaitSeconds} s); it carries ${p.qpsAtServiceLevel} QPS at that level`,
    );
  return { concurrentRequests, sustainableQps: bound((p) => p.sustainableQps), qpsAtServiceLevel: bound((p) => p.qpsAtServiceLevel), paths };
}
