// capacity: every queue the files carry, judged at the peak the spec claims against its service level
// (spec serviceLevel, else the defaults) with the plan's own queueing model (src/core/sizing/queueing.ts,
// Erlang C): the API's greenlets per replica (nginx spreads requests over the replicas: one queue each),
// the run slots of the workers on the run queue (one queue, pooled by the broker), the sandbox's
// workers per replica, and a transaction-mode PgBouncer's pool for Dify's database per process.
import { resolveTier } from '../../core/resolve.js';
import { computeCosts } from '../../core/compute-costs.js';
import { evaluate, meets, serversFor, type Queue, type ServiceLevel } from '../../core/sizing/queueing.js';
import { workloadOf } from '../../core/sizing/workload.js';
import { intVariable, pythonInt } from '../../core/python-int.js';
import { at, type Diagnostic } from '../diagnostics.js';
import type { Deployment, ServiceModel } from '../deployment.js';
import { helmPoolerSettings, poolerSettings, type PoolerSettings } from '../pooler-settings.js';
import { activeWorkers, workerQueues } from './queue-coverage.js';
import type { Rule } from './rule.js';

/** Upstream's sandbox MAX_WORKERS (docker/volumes/sandbox/conf/config.yaml) when the files set none. */
const SANDBOX_DEFAULT_WORKERS = 4;

const pct = (p: number) => `${Math.round(p * 1000) / 10} %`;
const secs = (s: number) => (Number.isFinite(s) ? `${Math.round(s * 1000) / 1000} s` : 'unbounded: the queue is overloaded');

interface Judged {
  path: 'api' | 'runs' | 'sandbox' | 'pgbouncer';
  /** What the servers are and where they come from, for the message. */
  what: string;
  queue: Queue;
  servers: number;
  /** Independent queues of `servers` each (replicas or processes). */
  queues: number;
  fix: string;
  where: Pick<Diagnostic, 'file' | 'line'>;
}

/** A finding when the queue misses the level: its P(wait), p99 wait and the servers per queue that would meet it. */
function judge(j: Judged, level: ServiceLevel, peakQps: number): Diagnostic[] {
  if (j.queue.arrivalRate <= 0 || j.queue.serviceSeconds <= 0) return [];
  const r = evaluate(j.queue, j.servers);
  if (meets(r, level)) return [];
  const needed = serversFor(j.queue, level);
  const per = j.queues > 1 ? ` per queue (${j.queues} queues, ${Math.round(j.queue.arrivalRate * 1000) / 1000}/s each)` : '';
  return [
    {
      rule: 'capacity',
      severity: 'warning',
      ...j.where,
      message: `${j.path}: ${j.what} at the peak of ${peakQps} QPS: ${pct(r.waitProbability)} of arrivals wait (p99 wait ${secs(r.p99WaitSeconds)}), beyond the service level (P(wait) ≤ ${pct(level.maxWaitProbability)}, p99 wait ≤ ${level.p99WaitSeconds} s); it needs ${needed}${per}`,
      fix: `${j.fix}, or re-render from the spec`,
      data: { path: j.path, servers: j.servers, queues: j.queues, needed, waitProbability: r.waitProbability, p99WaitSeconds: Number.isFinite(r.p99WaitSeconds) ? r.p99WaitSeconds : null, qps: peakQps },
    },
  ];
}

function findings(d: Deployment, services: ServiceModel[], pooler: PoolerSettings | undefined, file: string | undefined): Diagnostic[] {
  const spec = d.spec!;
  const apis = services.filter((s) => s.active && s.component === 'api' && s.replicas > 0);
  if (apis.length === 0) return [];
  const fallback = d.release.entrypointFallbacks;
  const num = (env: Record<string, string>, name: string) => intVariable(env, name, pythonInt(fallback[name] ?? '1') ?? 1) || 1;
  const tier = resolveTier(spec);
  const w = workloadOf(spec, tier, d.release, spec.qps ?? tier.qps, computeCosts(spec).costs);
  const level = w.serviceLevel;
  const out: Diagnostic[] = [];
  const split = (q: Queue, n: number): Queue => ({ ...q, arrivalRate: q.arrivalRate / n });

  // The API: every request holds a greenlet; the requests spread evenly over all API replicas.
  const apiReplicas = apis.reduce((n, s) => n + s.replicas, 0);
  for (const s of apis) {
    const processes = num(s.env, 'SERVER_WORKER_AMOUNT');
    const greenlets = num(s.env, 'SERVER_WORKER_CONNECTIONS');
    out.push(
      ...judge(
        {
          path: 'api',
          what: `each of ${s.name}'s ${s.replicas} replicas has ${processes * greenlets} greenlets (SERVER_WORKER_AMOUNT ${processes} × SERVER_WORKER_CONNECTIONS ${greenlets}) for 1/${apiReplicas} of the requests`,
          queue: split(w.queues.api, apiReplicas),
          servers: processes * greenlets,
          queues: apiReplicas,
          fix: `raise SERVER_WORKER_CONNECTIONS, SERVER_WORKER_AMOUNT or the replicas of ${s.name} (then re-check connection-budget)`,
          where: s.origin.SERVER_WORKER_CONNECTIONS ? at(s.origin.SERVER_WORKER_CONNECTIONS) : file ? { file } : {},
        },
        level,
        w.peakQps,
      ),
    );
  }

  // The runs: one queue, pooled by the broker over every worker consuming the run queue.
  const runners = activeWorkers(services).filter((s) => workerQueues(s, d.release).includes(d.release.execution.runQueue));
  // gevent/threads: one process, CELERY_WORKER_AMOUNT (or CELERY_WORKER_CONCURRENCY) slots; prefork: as many children.
  const slotsOf = (s: ServiceModel) => intVariable(s.env, 'CELERY_WORKER_CONCURRENCY', intVariable(s.env, 'CELERY_WORKER_AMOUNT', 1));
  if (runners.length)
    out.push(
      ...judge(
        {
          path: 'runs',
          what: `the workers on ${d.release.execution.runQueue} have ${runners.reduce((n, s) => n + s.replicas * slotsOf(s), 0)} run slots (${runners.map((s) => `${s.name}: ${s.replicas} × ${slotsOf(s)}`).join(', ')}) for the chatflow and streaming-workflow runs`,
          queue: w.queues.runs,
          servers: runners.reduce((n, s) => n + s.replicas * slotsOf(s), 0),
          queues: 1,
          fix: 'raise CELERY_WORKER_AMOUNT or the replicas of the worker consuming the run queue (a dedicated worker with CELERY_WORKER_QUEUES=workflow_based_app_execution)',
          where: file ? { file } : {},
        },
        level,
        w.peakQps,
      ),
    );

  // The sandbox: MAX_WORKERS code runs at once per replica, the code runs spread over the replicas.
  const sandboxes = services.filter((s) => s.active && s.component === 'sandbox' && s.replicas > 0);
  const sandboxReplicas = sandboxes.reduce((n, s) => n + s.replicas, 0);
  for (const s of sandboxes) {
    const workers = Number(s.env.MAX_WORKERS) || SANDBOX_DEFAULT_WORKERS;
    out.push(
      ...judge(
        {
          path: 'sandbox',
          what: `each of ${s.name}'s ${s.replicas} replicas runs ${workers} code executions at once (MAX_WORKERS) for 1/${sandboxReplicas} of the code runs`,
          queue: split(w.queues.sandbox, sandboxReplicas),
          servers: workers,
          queues: sandboxReplicas,
          fix: `raise MAX_WORKERS or the replicas of ${s.name}`,
          where: s.origin.MAX_WORKERS ? at(s.origin.MAX_WORKERS) : file ? { file } : {},
        },
        level,
        w.peakQps,
      ),
    );
  }

  // PgBouncer in transaction mode: each process keeps its own pool for Dify's database, a queue of transactions.
  const pool = pooler?.poolMode === 'transaction' ? pooler.pools?.[spec.database.database] : undefined;
  if (pooler && pool !== undefined) {
    const instances = pooler.instances ?? 1;
    out.push(
      ...judge(
        {
          path: 'pgbouncer',
          what: `${pooler.service}'s pool for ${spec.database.database} has ${pool} server connections in each of its ${instances} processes for transactions of ${spec.database.dbTimePerRequestMs} ms (database.dbTimePerRequestMs)`,
          queue: split({ arrivalRate: w.peakQps, serviceSeconds: spec.database.dbTimePerRequestMs / 1000, serviceScv: 1 }, instances),
          servers: pool,
          queues: instances,
          fix: `raise pool_size of ${spec.database.database} in ${pooler.file ?? 'pgbouncer.ini'} (within the server's max_connections)`,
          where: pooler.file ? { file: pooler.file } : {},
        },
        level,
        w.peakQps,
      ),
    );
  }
  return out;
}

export const capacityRule: Rule = {
  id: 'capacity',
  summary: 'API greenlets, run slots, sandbox workers and PgBouncer pools vs the service level at the peak the spec claims (Erlang C)',
  check(d) {
    if (!d.spec) return [];
    const composeFile = d.compose?.file ?? d.envFile?.file;
    return [
      ...findings(d, d.services, poolerSettings(d), composeFile),
      ...(d.helm ? findings(d, d.helm.services, helmPoolerSettings(d, d.helm.services), d.helmValuesFile) : []),
    ];
  },
};
