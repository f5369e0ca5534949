// The queues a Celery worker consumes, and which of dify-deploy's two worker components it is,
// whatever its service is called.

/** CELERY_WORKER_QUEUES, else CELERY_QUEUES (entrypoint.sh's order); undefined when neither is set. */
export function listedQueues(env: Record<string, string>): string[] | undefined {
  const list = env.CELERY_WORKER_QUEUES || env.CELERY_QUEUES;
  return list ? list.split(',').map((q) => q.trim()).filter(Boolean) : undefined;
}

/** A worker consuming the run queue alone is the run worker (worker_runs); any other is the background worker. */
export function workerComponent(env: Record<string, string>, runQueue: string): 'worker' | 'worker_runs' {
  const queues = listedQueues(env) ?? [];
  return queues.length === 1 && queues[0] === runQueue ? 'worker_runs' : 'worker';
}
