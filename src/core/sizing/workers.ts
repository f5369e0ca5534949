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

/** The queues the background worker consumes: every default queue except the run queue when a run worker has it. */
export function backgroundQueues(release: Release, dedicatedRunWorker: boolean): string[] {
  const { defaultQueues, runQueue } = release.execution;
  return dedicatedRunWorker ? defaultQueues.filter((q) => q !== runQueue) : defaultQueues;
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
  let concurrency = o?.connectionsPerProcess ?? x.tier.celeryConcurrency;
  // Without a run worker (the Helm chart has one worker Deployment) this worker runs the chatflows too.
  // Its background share keeps the tier's concurrency (+25 % overflow); each run adds one slot and one connection.
  let pool = concurrency + Math.ceil(concurrency / 4);
  if (!x.dedicatedRunWorker && o?.connectionsPerProcess === undefined) {
    const runs = Math.max(1, x.workload.inFlightWorkerRuns);
    const background = concurrency;
    if (o?.replicas === undefined) replicas = Math.max(replicas, Math.ceil(runs / Math.max(1, MAX_RUN_GREENLETS - background)));
    const perReplica = Math.ceil(runs / Math.max(1, replicas));
    concurrency = background + perReplica;
    pool += Math.ceil(perReplica * DB_HOLD_PER_REQUEST);
  }
  return {
    replicas,
    env: {
      ...(x.dedicatedRunWorker ? { CELERY_WORKER_QUEUES: backgroundQueues(x.release, true).join(',') } : {}),
      ...celeryEnv(concurrency, pool, o, x),
    },
  };
};

// Beat only enqueues: a minimal pool.
export const sizeWorkerBeat: Sizer = ({ replicas, o }, { external }) => ({ replicas, env: sqlalchemyEnv(2, o, external) });
