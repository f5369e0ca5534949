// Which of dify-deploy's two worker components a Celery worker is, whatever its service is called.

/** A worker consuming the run queue alone is the run worker (worker_runs); any other is the background worker. */
export function workerComponent(env: Record<string, string>, runQueue: string): 'worker' | 'worker_runs' {
  const queues = (env.CELERY_WORKER_QUEUES || env.CELERY_QUEUES || '').split(',').map((q) => q.trim()).filter(Boolean);
  return queues.length === 1 && queues[0] === runQueue ? 'worker_runs' : 'worker';
}
