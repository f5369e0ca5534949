// Celery: the run worker (chatflow and streaming-workflow runs), the background worker and beat.
import type { Release } from '../data.js';
import { DB_HOLD_PER_REQUEST, sqlalchemyEnv } from './pools.js';
import { serversFor } from './queueing.js';
import type { Sizer, SizingContext } from './types.js';
import { coresFor, cpuDemand, cpuRequestFor, greenletsPerCore, memoryFor } from './work.js';

/** Above this a single gevent process spends its time switching greenlets: add replicas instead. */
const MAX_RUN_GREENLETS = 500;

/**
 * The queues the background worker consumes: every default queue of the release's entrypoint, and
 * those its code uses that the list omits, except the run queue (the run worker has it).
 */
export function backgroundQueues(release: Release): string[] {
  const { defaultQueues, unlistedQueues = [], runQueue } = release.execution;
  return [...defaultQueues, ...unlistedQueues.filter((q) => !defaultQueues.includes(q))].filter((q) => q !== runQueue);
}

const celeryEnv = (concurrency: number, pool: number, o: Parameters<Sizer>[0]['o'], x: SizingContext) => ({
  CELERY_WORKER_CLASS: 'gevent',
  CELERY_WORKER_AMOUNT: String(concurrency),
  CELERY_AUTO_SCALE: 'false',
  ...sqlalchemyEnv(pool, o, x.external),
});

/**
 * The run queue is one queue pooled by the broker (prefetch 1: a run goes to whichever greenlet is
 * free): its slots come from Erlang C over every run worker together. A Celery gevent worker is one
 * process, at most one core: replicas cover λ·c ÷ U, and enough that no worker runs more greenlets
 * than its core carries at U (greenlets ≤ U × E[S] ÷ CPU per run).
 */
export const sizeWorkerRuns: Sizer = ({ replicas, o }, x) => {
  const w = x.workload;
  const q = w.queues.runs;
  const demand = cpuDemand('worker_runs', w)!;
  const { use, needed } = coresFor(demand, w);
  const slots = Math.max(1, serversFor(q, w.serviceLevel));
  const perCore = greenletsPerCore(q.serviceSeconds, demand.cpuSeconds, w, MAX_RUN_GREENLETS);
  if (o?.replicas === undefined) replicas = Math.max(replicas, Math.ceil(needed - 1e-9), Math.ceil(slots / perCore));
  const concurrency = o?.connectionsPerProcess ?? Math.ceil(slots / replicas);
  const m = w.costs.memoryGiB;
  return {
    replicas,
    cpu: 1,
    cpuRequest: cpuRequestFor(use, replicas, 1),
    memoryGiB: memoryFor(m.base.celeryWorker, 1, m.perInFlight.workerRun, (n) => o?.connectionsPerProcess ?? Math.ceil(slots / n), replicas, w),
    env: {
      // Consumes only the run queue: indexing bursts on the background worker cannot delay a chatflow.
      CELERY_WORKER_QUEUES: x.release.execution.runQueue,
      ...celeryEnv(concurrency, Math.ceil(concurrency * DB_HOLD_PER_REQUEST), o, x),
    },
  };
};

export const sizeWorker: Sizer = ({ replicas, o }, x) => {
  const concurrency = o?.connectionsPerProcess ?? x.tier.celeryConcurrency;
  // The tier's concurrency for the background queues, +25 % overflow.
  const pool = concurrency + Math.ceil(concurrency / 4);
  return {
    replicas,
    env: { CELERY_WORKER_QUEUES: backgroundQueues(x.release).join(','), ...celeryEnv(concurrency, pool, o, x) },
  };
};

// Beat only enqueues: a minimal pool.
export const sizeWorkerBeat: Sizer = ({ replicas, o }, { external }) => ({ replicas, env: sqlalchemyEnv(2, o, external) });
