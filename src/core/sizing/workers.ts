// Celery: the run worker (chatflow and streaming-workflow runs), the background worker and beat.
import type { Release } from '../data.js';
import { DB_HOLD_PER_REQUEST, sqlalchemyEnv } from './pools.js';
import type { Sizer, SizingContext } from './types.js';

/** Upstream's own greenlet floor per process. */
const MIN_RUN_GREENLETS = 10;
/**
 * Greenlets per run-worker process. A run mostly waits on the model, but the graph engine,
 * event serialisation and Redis publishing are CPU in one GIL-bound process [inference]:
 * beyond this, add replicas (1 vCPU each) rather than greenlets.
 */
const MAX_RUN_GREENLETS = 100;

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

/** Run slots the in-flight worker runs need: replicas × concurrency, concurrency bounded per process. */
function runSlots(inFlightRuns: number, replicas: number): { replicas: number; concurrency: number } {
  const needed = Math.max(inFlightRuns, 1);
  const r = Math.max(replicas, Math.ceil(needed / MAX_RUN_GREENLETS));
  return { replicas: r, concurrency: Math.max(MIN_RUN_GREENLETS, Math.ceil(needed / r)) };
}

export const sizeWorkerRuns: Sizer = ({ replicas, o }, x) => {
  const sized = o?.replicas !== undefined ? { replicas: o.replicas, concurrency: Math.ceil(Math.max(1, x.workload.inFlightWorkerRuns) / Math.max(1, o.replicas)) } : runSlots(x.workload.inFlightWorkerRuns, replicas);
  const concurrency = o?.connectionsPerProcess ?? Math.max(MIN_RUN_GREENLETS, sized.concurrency);
  return {
    replicas: sized.replicas,
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
