// The queues a plan must serve, rebuilt from what the plan reports (mix, per-kind latency, the cost
// table's values) without the product's workload or queueing modules, and the oracle's answer for them.
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

const ALL: Kind[] = ['chat', 'completion', 'agent', 'chatflow', 'workflowStreaming', 'workflowBlocking'];
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
