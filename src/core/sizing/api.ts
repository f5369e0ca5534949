// The API (gunicorn + gevent) and its websocket sibling.
import { DB_HOLD_PER_REQUEST, sqlalchemyEnv } from './pools.js';
import type { Sizer } from './types.js';

/** Below upstream's own default there is no point: 10 greenlets per process. */
const MIN_GREENLETS = 10;
/** Above this a single gevent process spends its time switching greenlets: add replicas instead. */
const MAX_GREENLETS = 500;
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

export const sizeApi: Sizer = ({ replicas, cpu, o }, { inFlight, external, release }) => {
  // A gevent process uses about one core (the GIL): one process per core of the instance.
  const processes = o?.processesPerReplica ?? Math.max(1, Math.floor(cpu));
  let greenlets = o?.connectionsPerProcess ?? Math.max(MIN_GREENLETS, Math.ceil(inFlight / (replicas * processes)));
  if (o?.connectionsPerProcess === undefined && o?.replicas === undefined && greenlets > MAX_GREENLETS) {
    replicas = Math.ceil(inFlight / (processes * MAX_GREENLETS));
    greenlets = Math.max(MIN_GREENLETS, Math.ceil(inFlight / (replicas * processes)));
  }
  const total = Math.max(2, Math.ceil(greenlets * DB_HOLD_PER_REQUEST));
  return {
    replicas,
    processes,
    env: {
      SERVER_WORKER_AMOUNT: String(processes),
      SERVER_WORKER_CLASS: 'gevent',
      SERVER_WORKER_CONNECTIONS: String(greenlets),
      GUNICORN_TIMEOUT: gunicornTimeout(release),
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
