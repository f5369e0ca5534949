// dify-sandbox: MAX_WORKERS runs code concurrently (excess waits), MAX_REQUESTS answers 503 beyond.
import type { Sizer } from './types.js';

export const sizeSandbox: Sizer = ({ replicas, cpu }, { inFlight }) => ({
  replicas,
  env: {
    MAX_WORKERS: String(Math.max(4, Math.floor(cpu * 4))),
    MAX_REQUESTS: String(Math.max(50, Math.ceil(inFlight / replicas / 4))),
    WORKER_TIMEOUT: '15',
  },
});
