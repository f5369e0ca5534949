// The queues a plan must serve, rebuilt from what the plan reports (mix, per-kind latency, the cost
// table's values) without the product's workload or queueing modules, and the oracle's answer for them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plan } from '../../src/core/sizing.js';
import { oracleQueue } from './erlang-oracle.js';

type Kind = keyof Plan['workload']['mix'];
const GRAPH: Kind[] = ['chatflow', 'workflowStreaming', 'workflowBlocking'];
/** The default share of graph runs with a code node, and their sandbox seconds (docs/sizing-model.md). */
export const CODE_SHARE = 0.5;
export const CODE_SECONDS = 0.2;

export const costValue = (plan: Plan, path: string) => {
  const v = plan.costs.find((c) => c.path === path);
  if (!v) throw new Error(`no cost value ${path} in the plan`);
  return v.value;
};

/** Mean and C_s² of the time a slot is held, over the given kinds (a mixture of per-kind times with their CVs). */
export function serviceOfKinds(plan: Plan, kinds: Kind[]): { share: number; seconds: number; scv: number } {
  const mix = plan.workload.mix;
  const lat = plan.workload.latencySeconds;
  const share = kinds.reduce((n, k) => n + mix[k], 0);
  if (share === 0) return { share, seconds: 0, scv: 1 };
  const mean = kinds.reduce((n, k) => n + mix[k] * lat[k], 0) / share;
  const m2 = kinds.reduce((n, k) => n + mix[k] * lat[k] ** 2 * (1 + costValue(plan, `latencyCv.${k}`) ** 2), 0) / share;
  return { share, seconds: mean, scv: m2 / mean ** 2 - 1 };
}

export const ALL: Kind[] = ['chat', 'completion', 'agent', 'chatflow', 'workflowStreaming', 'workflowBlocking'];
export const apiService = (plan: Plan) => serviceOfKinds(plan, ALL).seconds;
export const apiScv = (plan: Plan) => serviceOfKinds(plan, ALL).scv;
export const codeShareOf = (plan: Plan) => GRAPH.reduce((n, k) => n + plan.workload.mix[k], 0) * CODE_SHARE;

/** The fewest servers whose queue meets the level (the oracle's own search). */
export function oracleServersFor(lambda: number, seconds: number, scv: number, level: { maxWaitProbability: number; p99WaitSeconds: number }): number {
  if (lambda * seconds <= 0) return 0;
  for (let c = Math.floor(lambda * seconds) + 1; ; c++) {
    const q = oracleQueue(c, lambda, seconds, scv);
    if (q.waitProbability <= level.maxWaitProbability + 1e-9 && q.p99WaitSeconds <= level.p99WaitSeconds + 1e-9) return c;
  }
}

/** Does a queue of c servers meet the plan's level at λ? */
export function meetsLevel(plan: Plan, c: number, lambda: number, seconds: number, scv: number): { ok: boolean; waitProbability: number; p99WaitSeconds: number } {
  if (lambda * seconds <= 0) return { ok: true, waitProbability: 0, p99WaitSeconds: 0 };
  const q = oracleQueue(c, lambda, seconds, scv);
  return { ok: q.waitProbability <= plan.serviceLevel.maxWaitProbability + 1e-9 && q.p99WaitSeconds <= plan.serviceLevel.p99WaitSeconds + 1e-9, ...q };
}

// ---- The load a spec asks for, read from the data files (tier, costs/compute.json), not from the plan ----

const COMPUTE = JSON.parse(readFileSync(fileURLToPath(new URL('../../costs/compute.json', import.meta.url)), 'utf8'));
const leaf = (path: string): number => path.split('.').reduce((n, k) => n[k], COMPUTE).value;

export interface ExpectedLoad {
  lambda: number;
  mix: Record<Kind, number>;
  latency: Record<Kind, number>;
  cv: Record<Kind, number>;
  workerKinds: Kind[];
  level: { maxWaitProbability: number; p99WaitSeconds: number };
  utilisation: number;
}

export function expectedLoad(tier: { qps: number; workloadMix: Record<Kind, number> }, workerKinds: string[], workload: { mix?: Partial<Record<Kind, number>>; latencySeconds?: Partial<Record<Kind, number>> } = {}): ExpectedLoad {
  const mix = Object.fromEntries(ALL.map((k) => [k, workload.mix ? (workload.mix[k] ?? 0) : tier.workloadMix[k]])) as Record<Kind, number>;
  return {
    lambda: tier.qps,
    mix,
    latency: Object.fromEntries(ALL.map((k) => [k, workload.latencySeconds?.[k] ?? leaf(`latencySeconds.${k}`)])) as Record<Kind, number>,
    cv: Object.fromEntries(ALL.map((k) => [k, leaf(`latencyCv.${k}`)])) as Record<Kind, number>,
    workerKinds: workerKinds as Kind[],
    level: { maxWaitProbability: 0.01, p99WaitSeconds: 0.5 },
    utilisation: leaf('targetUtilization'),
  };
}

/** Mean and C_s² of the time a slot is held over the given kinds, with their share of the requests, from the load alone. */
export function serviceOfLoad(l: ExpectedLoad, kinds: Kind[]): { share: number; seconds: number; scv: number } {
  const share = kinds.reduce((n, k) => n + l.mix[k], 0);
  if (share === 0) return { share, seconds: 0, scv: 1 };
  const mean = kinds.reduce((n, k) => n + l.mix[k] * l.latency[k], 0) / share;
  const m2 = kinds.reduce((n, k) => n + l.mix[k] * l.latency[k] ** 2 * (1 + l.cv[k] ** 2), 0) / share;
  return { share, seconds: mean, scv: m2 / mean ** 2 - 1 };
}

/** A running component as the rendered files give it: replicas, its container env, its CPU limit. */
export interface RenderedComponent {
  component: string;
  replicas: number;
  env: Record<string, string>;
  cpu: number;
}

/**
 * Every queue the rendered files carry against the service level at the peak, and every modelled
 * component's cores against λ·c ÷ U. Returns what fails (empty: all good), with the numbers.
 */
/** mainPoolSize: each PgBouncer process's main pool; poolerProcesses: how many processes share the transactions, each with its own pools. */
export function serviceLevelFailures(l: ExpectedLoad, rendered: RenderedComponent[], runQueue: string, defaultQueues: string[], mainPoolSize?: number, poolerProcesses = 1): string[] {
  const out: string[] = [];
  const check = (path: string, c: number, lambda: number, seconds: number, scv: number) => {
    if (lambda * seconds <= 0) return;
    const q = oracleQueue(c, lambda, seconds, scv);
    if (!(q.waitProbability <= l.level.maxWaitProbability + 1e-9 && q.p99WaitSeconds <= l.level.p99WaitSeconds + 1e-9))
      out.push(`${path}: ${c} servers at λ=${lambda.toFixed(3)}/s × ${seconds.toFixed(3)} s: P(wait) ${q.waitProbability.toFixed(4)}, p99 ${q.p99WaitSeconds.toFixed(3)} s`);
  };
  const num = (env: Record<string, string>, k: string, d: string) => Number(env[k] || d);
  const all = serviceOfLoad(l, ALL);
  for (const api of rendered.filter((r) => r.component === 'api'))
    check('api (per replica)', num(api.env, 'SERVER_WORKER_AMOUNT', '1') * num(api.env, 'SERVER_WORKER_CONNECTIONS', '10'), l.lambda / api.replicas, all.seconds, all.scv);
  const queuesOf = (env: Record<string, string>) => (env.CELERY_WORKER_QUEUES || env.CELERY_QUEUES || defaultQueues.join(',')).split(',').map((q) => q.trim());
  const runners = rendered.filter((r) => r.env.MODE === 'worker' && queuesOf(r.env).includes(runQueue));
  const runs = serviceOfLoad(l, l.workerKinds);
  check('runs (pooled)', runners.reduce((n, r) => n + r.replicas * num(r.env, 'CELERY_WORKER_CONCURRENCY', r.env.CELERY_WORKER_AMOUNT || '1'), 0), l.lambda * runs.share, runs.seconds, runs.scv);
  const codeRate = l.lambda * codeShareFromMix(l.mix);
  for (const s of rendered.filter((r) => r.component === 'sandbox')) check('sandbox (per replica)', num(s.env, 'MAX_WORKERS', '4'), codeRate / s.replicas, CODE_SECONDS, 1);
  if (mainPoolSize !== undefined) check('pgbouncer (main pool, per process)', mainPoolSize, l.lambda / poolerProcesses, 0.1, 1);

  // CPU: cores given ≥ Σ λ·c ÷ U, the costs straight from costs/compute.json.
  const onWorker = (k: Kind) => l.workerKinds.includes(k);
  const perKind = (f: (k: Kind) => number) => ALL.reduce((n, k) => n + l.mix[k] * f(k), 0);
  const demand: Record<string, number> = {
    api: l.lambda * perKind((k) => leaf(onWorker(k) ? `cpuSeconds.relay.${k}` : `cpuSeconds.execute.${k}`)),
    worker_runs: l.lambda * perKind((k) => (onWorker(k) ? leaf(`cpuSeconds.execute.${k}`) : 0)),
    plugin_daemon: l.lambda * perKind((k) => leaf(`cpuSeconds.plugin.${k}`)),
    sandbox: codeRate * leaf('cpuSeconds.sandboxExecution'),
    nginx: l.lambda * leaf('cpuSeconds.nginxRequest'),
  };
  for (const [component, use] of Object.entries(demand)) {
    const given = rendered.filter((r) => r.component === component).reduce((n, r) => n + r.replicas * r.cpu, 0);
    if (given + 1e-9 < use / l.utilisation) out.push(`${component}: ${given} cores for ${use.toFixed(3)} in use ÷ ${l.utilisation} = ${(use / l.utilisation).toFixed(3)}`);
  }
  return out;
}

export const codeShareFromMix = (mix: Record<Kind, number>) => GRAPH.reduce((n, k) => n + mix[k], 0) * CODE_SHARE;
