// Celery: the background worker and beat.
import { sqlalchemyEnv } from './pools.js';
import type { Sizer } from './types.js';

export const sizeWorker: Sizer = ({ replicas, o }, { tier, external }) => {
  const concurrency = o?.connectionsPerProcess ?? tier.celeryConcurrency;
  return {
    replicas,
    env: {
      CELERY_WORKER_CLASS: 'gevent',
      CELERY_WORKER_AMOUNT: String(concurrency),
      CELERY_AUTO_SCALE: 'false',
      // One gevent process; each running task may hold a connection, plus a little overflow.
      ...sqlalchemyEnv(concurrency + Math.ceil(concurrency / 4), o, external),
    },
  };
};

// Beat only enqueues: a minimal pool.
export const sizeWorkerBeat: Sizer = ({ replicas, o }, { external }) => ({ replicas, env: sqlalchemyEnv(2, o, external) });
