// capacity: on each execution path, the slots the files allow against what the spec's tier and mix
// need (Little's law): API greenlets (replicas × SERVER_WORKER_AMOUNT × SERVER_WORKER_CONNECTIONS)
// for every request, run slots (replicas × CELERY_WORKER_AMOUNT of the workers on the run queue)
// for the chatflow and streaming-workflow runs.
import { resolveTier } from '../../core/resolve.js';
import { computeCosts } from '../../core/compute-costs.js';
import { workloadOf } from '../../core/sizing/workload.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Deployment, ServiceModel } from '../deployment.js';
import { activeWorkers, workerQueues } from './queue-coverage.js';
import type { Rule } from './rule.js';

function findings(d: Deployment, services: ServiceModel[], file: string | undefined): Diagnostic[] {
  const spec = d.spec!;
  const apis = services.filter((s) => s.active && s.component === 'api');
  if (apis.length === 0) return [];
  const fallback = d.release.entrypointFallbacks;
  const num = (env: Record<string, string>, name: string) => Number(env[name] || fallback[name] || '1') || 1;
  const tier = resolveTier(spec);
  const qps = spec.qps ?? tier.qps;
  // Little's law at the peak: the floor below which the files cannot serve the claimed load at all.
  const w = workloadOf(spec, tier, d.release, qps, computeCosts(spec).costs);
  const latency = Math.round(w.meanLatencySeconds * 1000) / 1000;
  const out: Diagnostic[] = [];
  const concurrent = apis.reduce((n, s) => n + s.replicas * num(s.env, 'SERVER_WORKER_AMOUNT') * num(s.env, 'SERVER_WORKER_CONNECTIONS'), 0);
  if (concurrent < w.inFlightApiRequests)
    out.push({
      rule: 'capacity',
      severity: 'warning',
      file: d.specFile,
      message: `the API admits ${concurrent} concurrent requests (${apis.map((s) => `${s.name}: ${s.replicas} × ${num(s.env, 'SERVER_WORKER_AMOUNT')} × ${num(s.env, 'SERVER_WORKER_CONNECTIONS')}`).join(', ')}) but ${qps} QPS at ${latency} s needs ${w.inFlightApiRequests}: it sustains ≈${Math.floor(concurrent / w.meanLatencySeconds)} QPS`,
      fix: 'raise SERVER_WORKER_CONNECTIONS, SERVER_WORKER_AMOUNT or the api replicas (then re-check connection-budget), or re-render from the spec',
      data: { path: 'api', concurrent, needed: w.inFlightApiRequests, qps, latencySeconds: latency },
    });
  const runners = activeWorkers(services).filter((s) => workerQueues(s, d.release).includes(d.release.execution.runQueue));
  // gevent/threads: one process, CELERY_WORKER_AMOUNT (or CELERY_WORKER_CONCURRENCY) slots; prefork: as many children.
  const slots = runners.reduce((n, s) => n + s.replicas * Number(s.env.CELERY_WORKER_CONCURRENCY || s.env.CELERY_WORKER_AMOUNT || '1'), 0);
  if (runners.length && w.inFlightWorkerRuns > 0 && slots < w.inFlightWorkerRuns)
    out.push({
      rule: 'capacity',
      severity: 'warning',
      ...(file ? { file } : {}),
      message: `the workers on ${d.release.execution.runQueue} have ${slots} run slots (${runners.map((s) => `${s.name}: ${s.replicas} × ${s.env.CELERY_WORKER_CONCURRENCY || s.env.CELERY_WORKER_AMOUNT || '1'}`).join(', ')}) but ${qps} QPS under the mix needs ${w.inFlightWorkerRuns} chatflow/streaming runs in flight: it sustains ≈${Math.floor(slots / w.workerSecondsPerRequest)} QPS`,
      fix: 'raise CELERY_WORKER_AMOUNT or the replicas of the worker consuming the run queue (a dedicated worker with CELERY_WORKER_QUEUES=workflow_based_app_execution), or re-render from the spec',
      data: { path: 'runs', slots, needed: w.inFlightWorkerRuns, qps },
    });
  return out;
}

export const capacityRule: Rule = {
  id: 'capacity',
  summary: 'API greenlets and run-worker slots the config has vs the tier and mix the spec claims',
  check(d) {
    if (!d.spec) return [];
    return [...findings(d, d.services, d.compose?.file ?? d.envFile?.file), ...(d.helm ? findings(d, d.helm.services, d.helmValuesFile) : [])];
  },
};
