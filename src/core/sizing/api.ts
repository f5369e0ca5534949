// The API (gunicorn + gevent) and its websocket sibling.
import { DB_HOLD_PER_REQUEST, sqlalchemyEnv } from './pools.js';
import { serversFor } from './queueing.js';
import { perReplicaAmounts } from './spread.js';
import type { Sizer } from './types.js';
import { coresFor, cpuDemand, cpuRequestFor, greenletsPerCore, memoryFor } from './work.js';

/** Below upstream's own default there is no point: 10 greenlets per process (unless CPU allows fewer). */
const MIN_GREENLETS = 10;
/** Above this a single gevent process spends its time switching greenlets: add processes instead. */
const MAX_GREENLETS = 500;
/**
 * A gevent API process grows ~130 MB/h without gunicorn's --max-requests (dify#37180). Dify's
 * entrypoint passes no such flag, but gunicorn reads GUNICORN_CMD_ARGS from the environment: recycle
 * each process after about an hour of its peak traffic (jitter so processes do not restart together),
 * and let a recycling process finish streams up to this long instead of gunicorn's 30 s.
 */
const RECYCLE_SECONDS = 3600;
const MIN_MAX_REQUESTS = 1000;
const GRACEFUL_TIMEOUT_SECONDS = 120;
/** Dify's maximum app/workflow run time (APP_MAX_EXECUTION_TIME, WORKFLOW_MAX_EXECUTION_TIME defaults). */
const MAX_EXECUTION_SECONDS = 1200;
/** The variables that bound a run (api/core/app: the app and workflow execution limits); nginx must wait at least this long. */
export const RUN_BOUND_VARIABLES = ['APP_MAX_EXECUTION_TIME', 'WORKFLOW_MAX_EXECUTION_TIME'] as const;

/**
 * GUNICORN_TIMEOUT is a heartbeat for gevent workers, not a request limit: the worker's main
 * greenlet notifies the arbiter every second (gunicorn workers/ggevent.py, `while self.alive:
 * self.notify(); gevent.sleep(1.0)`; config.py: "for the non sync workers it just means that
 * the worker process is still communicating and is not tied to the length of time required to
 * handle a single request"). A run is bounded by APP_/WORKFLOW_MAX_EXECUTION_TIME instead; a
 * higher value only leaves a wedged worker (a greenlet hogging the loop) unkilled for longer.
 * So: the release's own value (.env.example, 360 s).
 */
export const gunicornTimeout = (release: { upstreamDefaults: Record<string, string> }) => release.upstreamDefaults.GUNICORN_TIMEOUT ?? '360';

/**
 * One queue per replica: nginx (compose) and the chart's proxy through the api Service (kube-proxy)
 * spread connections without regard to load, so each replica's processes × greenlets serve their
 * own share of the arrivals (within a replica the processes share the listen socket: one queue).
 * Processes per replica: the tier instance's cores (a gevent process uses one core at most);
 * replicas: enough cores for λ·c ÷ U, and enough that no process needs more greenlets than its core
 * runs at U (greenlets ≤ U × E[S] ÷ CPU per request); greenlets: Erlang C per replica, chosen after
 * the replicas so that the replicas together never have fewer than one replica fewer would.
 */
export const sizeApi: Sizer = ({ replicas, cpu, o }, { external, release, workload: w }) => {
  const q = w.queues.api;
  const demand = cpuDemand('api', w)!;
  const { use, needed } = coresFor(demand, w);
  const processes = o?.processesPerReplica ?? Math.max(1, Math.floor(cpu));
  const perCore = greenletsPerCore(q.serviceSeconds, demand.cpuSeconds, w, MAX_GREENLETS);
  const slotsPerReplica = (n: number) => serversFor({ ...q, arrivalRate: q.arrivalRate / n }, w.serviceLevel);
  if (o?.replicas === undefined) {
    replicas = Math.max(replicas, Math.ceil(needed / processes - 1e-9));
    while (Math.ceil(slotsPerReplica(replicas) / processes) > perCore) replicas++;
  }
  // Greenlets per process for n replicas, spread (spread.ts) so that a replica added for CPU never leaves fewer in total;
  // a lift past the greenlet cap only adds idle greenlets (the busy ones, λ·E[S], and so the CPU stay the same).
  const greenletsFor = perReplicaAmounts(replicas, (n) => o?.connectionsPerProcess ?? Math.max(Math.ceil(slotsPerReplica(n) / processes), Math.min(MIN_GREENLETS, perCore)));
  const greenlets = greenletsFor[greenletsFor.length - 1];
  const total = Math.max(2, Math.ceil(greenlets * DB_HOLD_PER_REQUEST));
  const m = w.costs.memoryGiB;
  const maxRequests = Math.max(MIN_MAX_REQUESTS, Math.ceil(((q.arrivalRate / (replicas * processes)) * RECYCLE_SECONDS) / 100) * 100);
  return {
    replicas,
    processes,
    cpu: o?.cpu ?? processes,
    cpuRequest: cpuRequestFor(use, replicas, o?.cpu ?? processes),
    memoryGiB: memoryFor(m.base.apiProcess, processes, m.perInFlight.apiRequest, (n) => processes * greenletsFor[n - 1], replicas, w),
    env: {
      SERVER_WORKER_AMOUNT: String(processes),
      SERVER_WORKER_CLASS: 'gevent',
      SERVER_WORKER_CONNECTIONS: String(greenlets),
      GUNICORN_TIMEOUT: gunicornTimeout(release),
      GUNICORN_CMD_ARGS: `--max-requests ${maxRequests} --max-requests-jitter ${maxRequests / 10} --graceful-timeout ${GRACEFUL_TIMEOUT_SECONDS}`,
      // Bound long runs here; nginx's read timeout (3600 s) stays above them.
      ...Object.fromEntries(RUN_BOUND_VARIABLES.map((v) => [v, String(MAX_EXECUTION_SECONDS)])),
      ...sqlalchemyEnv(total, o, external),
    },
  };
};

// The chart and upstream compose both run one GeventWebSocketWorker process; it touches the DB rarely.
export const sizeApiWebsocket: Sizer = ({ replicas, o }, { inFlight, external, release }) => ({
  replicas,
  env: {
    SERVER_WORKER_AMOUNT: '1',
    SERVER_WORKER_CLASS: 'geventwebsocket.gunicorn.workers.GeventWebSocketWorker',
    SERVER_WORKER_CONNECTIONS: String(Math.max(1000, inFlight)),
    GUNICORN_TIMEOUT: gunicornTimeout(release),
    ...sqlalchemyEnv(10, o, external),
  },
});
