// The nginx reverse proxy in front of api, web and the plugin daemon: one shape in the plan,
// the compose file and the Helm proxy (replicas, worker processes, worker_connections, limits).
import { highAvailability } from '../topology.js';
import type { Sizer } from './types.js';
import { coresFor, cpuDemand, cpuRequestFor, memoryFor } from './work.js';

/** The dify-helm chart's proxy hard-codes `worker_connections 1024` (templates/config.tpl, dify.nginx.config.nginx). */
export const CHART_WORKER_CONNECTIONS = 1024;

/**
 * gunicorn closes an idle keep-alive connection after `--keep-alive` seconds; Dify's
 * api/docker/entrypoint.sh passes none and api/gunicorn.conf.py sets none, so gunicorn's
 * default applies: 2 s (gunicorn/config.py, Keepalive.default).
 */
export const GUNICORN_KEEPALIVE_SECONDS = 2;
/**
 * nginx's upstream `keepalive_timeout` (default 60 s) must end an idle cached connection before
 * the server does, or nginx sends a request down a connection gunicorn is closing (a 502, and a
 * non-idempotent POST is not retried). One second below gunicorn's covers every upstream here:
 * web (Node's http server: 5 s) and the plugin daemon (Go net/http without IdleTimeout) keep theirs longer.
 */
export const UPSTREAM_KEEPALIVE_SECONDS = GUNICORN_KEEPALIVE_SECONDS - 1;

export const sizeNginx: Sizer = ({ replicas, cpu, o }, { inFlight, target, spec, tier, workload: w }) => {
  const { use, needed } = coresFor(cpuDemand('nginx', w)!, w);
  // Compose: nginx binds the host's ports once, so one container carries the tier's instances and the work.
  if (target === 'compose') {
    cpu = Math.max(cpu * replicas, Math.ceil(needed - 1e-9));
    replicas = 1;
  }
  const workerProcesses = Math.max(1, Math.floor(cpu));
  // Each proxied request holds a client and an upstream connection; ×2 again for idle keep-alive clients.
  const connections = inFlight * 4;
  if (target === 'helm' && o?.replicas === undefined) {
    // The chart's proxy cannot raise worker_connections: more replicas instead, and two with high availability.
    replicas = Math.max(replicas, Math.ceil(needed / cpu - 1e-9), Math.ceil(connections / (workerProcesses * CHART_WORKER_CONNECTIONS)), highAvailability(spec, tier) ? 2 : 1);
  }
  const perWorker = Math.ceil(connections / (replicas * workerProcesses));
  const workerConnections = Math.max(1024, Math.ceil(perWorker / 1024) * 1024);
  const m = w.costs.memoryGiB;
  const settings: Record<string, number | string> =
    target === 'compose'
      ? { worker_connections: workerConnections, worker_rlimit_nofile: workerConnections * 2, upstream_keepalive_timeout: `${UPSTREAM_KEEPALIVE_SECONDS}s` }
      : { worker_connections: CHART_WORKER_CONNECTIONS, connections_per_worker: perWorker };
  return {
    replicas,
    cpu,
    cpuRequest: cpuRequestFor(use, replicas, cpu),
    memoryGiB: memoryFor(m.base.nginxProcess, workerProcesses, m.perInFlight.nginxConnection, (n) => Math.ceil(connections / n), replicas, w),
    processes: workerProcesses,
    // Compose renders its own nginx from all of these (.env and nginx.conf). The chart's proxy takes
    // only workerProcesses and clientMaxBodySize (helm/values.ts) and keeps worker_connections
    // CHART_WORKER_CONNECTIONS, so Helm gets replicas instead; the plan states what each target runs.
    env: {
      NGINX_WORKER_PROCESSES: String(workerProcesses),
      ...(target === 'compose' ? { NGINX_PROXY_READ_TIMEOUT: '3600s' } : {}),
      NGINX_CLIENT_MAX_BODY_SIZE: '100M',
    },
    settings,
  };
};
