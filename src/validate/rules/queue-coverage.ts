// queue-coverage: on Dify ≥ 1.13 chatflows and streaming workflows run as Celery tasks on the
// run queue; with no active worker consuming it they are enqueued and never run (1.13.0 upgrade note).
import type { Release } from '../../core/data.js';
import { at, type Diagnostic } from '../diagnostics.js';
import type { ServiceModel } from '../deployment.js';
import type { Rule } from './rule.js';
import { listedQueues } from '../worker-role.js';

/** The queues a worker process consumes: CELERY_WORKER_QUEUES, else CELERY_QUEUES, else the release's default list (entrypoint.sh). */
export function workerQueues(s: ServiceModel, release: Release): string[] {
  return listedQueues(s.env) ?? release.execution.defaultQueues;
}

/** Active, running Celery workers (MODE=worker), whatever the service is called. */
export const activeWorkers = (services: ServiceModel[]) =>
  services.filter((s) => s.active && s.replicas > 0 && (s.component === 'worker' || s.component === 'worker_runs'));

function coverage(services: ServiceModel[], release: Release, file: string | undefined): Diagnostic[] {
  if (!services.some((s) => s.component === 'api')) return [];
  const workers = activeWorkers(services);
  const consumed = new Set(workers.flatMap((s) => workerQueues(s, release)));
  const { runQueue, apiTokenQueue } = release.execution;
  const tokenTask = services.some((s) => s.active && (s.env[apiTokenQueue.when] ?? '').toLowerCase() === 'true');
  const needed = [runQueue, ...(tokenTask ? [apiTokenQueue.queue] : [])];
  // Queue names from the files are shown only when the release knows them: a value is never echoed.
  const known = new Set([...release.execution.defaultQueues, runQueue, apiTokenQueue.queue]);
  const shownQueues = (s: ServiceModel) => {
    const all = workerQueues(s, release);
    const others = all.filter((q) => !known.has(q)).length;
    return [...all.filter((q) => known.has(q)), ...(others ? [`${others} other queue(s)`] : [])].join(',') || 'none';
  };
  const described = workers.length
    ? workers.map((s) => `${s.name}: ${shownQueues(s)}`).join('; ')
    : 'no active worker service';
  return needed
    .filter((q) => !consumed.has(q))
    .map((q) => {
      const w = workers.find((s) => s.env.CELERY_WORKER_QUEUES || s.env.CELERY_QUEUES);
      const origin = w && (w.origin.CELERY_WORKER_QUEUES ?? w.origin.CELERY_QUEUES);
      return {
        rule: 'queue-coverage',
        severity: 'error' as const,
        ...(origin ? at(origin) : file ? { file } : {}),
        message:
          q === runQueue
            ? `no active worker consumes ${q} (${described}): on Dify ${release.version} chatflow and streaming workflow runs are queued there and never run`
            : `${apiTokenQueue.when}=true but no active worker consumes ${q} (${described}): the last-used updates pile up in Redis`,
        fix: `add ${q} to a worker's CELERY_WORKER_QUEUES (or leave CELERY_QUEUES/CELERY_WORKER_QUEUES unset for the default list), or run a dedicated worker with CELERY_WORKER_QUEUES=${q}`,
        data: { queue: q, workers: workers.map((s) => ({ service: s.name, queues: workerQueues(s, release).filter((x) => known.has(x)) })) },
      };
    });
}

export const queueCoverageRule: Rule = {
  id: 'queue-coverage',
  summary: 'some active worker consumes workflow_based_app_execution (and api_token when that task is on)',
  check(d) {
    return [
      ...coverage(d.services, d.release, d.compose?.file ?? d.envFile?.file),
      ...(d.helm ? coverage(d.helm.services, d.release, d.helmValuesFile) : []),
    ];
  },
};
