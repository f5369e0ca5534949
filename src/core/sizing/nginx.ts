// The nginx reverse proxy in front of api, web and the plugin daemon.
import type { Sizer } from './types.js';

export const sizeNginx: Sizer = ({ replicas, cpu }, { inFlight }) => {
  const workerProcesses = Math.max(1, Math.floor(cpu));
  // Each proxied request holds a client and an upstream connection; ×2 again for idle keep-alive clients.
  const perWorker = Math.ceil((inFlight * 4) / (replicas * workerProcesses));
  const workerConnections = Math.max(1024, Math.ceil(perWorker / 1024) * 1024);
  return {
    replicas,
    env: { NGINX_WORKER_PROCESSES: String(workerProcesses), NGINX_PROXY_READ_TIMEOUT: '3600s', NGINX_CLIENT_MAX_BODY_SIZE: '100M' },
    settings: { worker_connections: workerConnections, worker_rlimit_nofile: workerConnections * 2 },
  };
};
