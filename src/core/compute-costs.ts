// The compute cost table (costs/compute.json): CPU and memory per unit of work, default latency,
// prices. Data, not code: every leaf is { value, source }. The spec overrides any leaf; the result
// keeps, per value, whether it is the table's default or the spec's (plan prints both).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './data.js';
import { APP_KINDS, type AppKind, type Spec } from './spec.js';

type PerKind = Record<AppKind, number>;

export interface ComputeCosts {
  latencySeconds: PerKind;
  latencyCv: PerKind;
  cpuSeconds: { execute: PerKind; relay: PerKind; plugin: PerKind; sandboxExecution: number; nginxRequest: number };
  memoryGiB: {
    base: { apiProcess: number; celeryWorker: number; pluginDaemon: number; sandbox: number; nginxProcess: number };
    perInFlight: { apiRequest: number; workerRun: number; pluginRequest: number; sandboxExecution: number; nginxConnection: number };
    headroom: number;
  };
  targetUtilization: number;
  prices: { vcpuMonth: number; gibMonth: number };
}

/** One value of the table as used: where it came from. */
export interface CostValue {
  path: string;
  value: number;
  from: 'default' | 'spec';
  source: string;
}

type Tree = { [key: string]: Tree | number | string };
interface Leaf {
  value: number;
  source: string;
}
const isLeaf = (x: unknown): x is Leaf => typeof x === 'object' && x !== null && typeof (x as Leaf).value === 'number';

let table: Tree | undefined;
function defaults(): Tree {
  return (table ??= JSON.parse(readFileSync(join(PACKAGE_ROOT, 'costs', 'compute.json'), 'utf8')) as Tree);
}

/** The spec's overrides in the table's shape: workload.costs, plus the per-kind latency fields and the utilisation target. */
function overridesOf(spec: Spec): Tree {
  const w = spec.workload;
  const uniform = spec.latencySeconds === undefined ? {} : Object.fromEntries(APP_KINDS.map((k) => [k, spec.latencySeconds!]));
  return {
    ...((w.costs ?? {}) as Tree),
    latencySeconds: { ...uniform, ...(w.latencySeconds ?? {}) } as Tree,
    latencyCv: (w.latencyCv ?? {}) as Tree,
    ...(w.targetUtilization !== undefined ? { targetUtilization: w.targetUtilization } : {}),
  };
}

/** Every value of the table, the spec's where it gives one. */
export function computeCosts(spec: Spec): { costs: ComputeCosts; values: CostValue[] } {
  const values: CostValue[] = [];
  const walk = (node: Tree, given: Tree | undefined, path: string[]): Tree =>
    Object.fromEntries(
      Object.entries(node)
        .filter(([k]) => k !== '$comment')
        .map(([k, v]) => {
          const here = [...path, k];
          const over = given?.[k];
          if (isLeaf(v)) {
            const fromSpec = typeof over === 'number';
            const value = fromSpec ? over : v.value;
            values.push({ path: here.join('.'), value, from: fromSpec ? 'spec' : 'default', source: fromSpec ? 'dify-deploy.yaml' : v.source });
            return [k, value];
          }
          return [k, walk(v as Tree, typeof over === 'object' ? over : undefined, here)];
        }),
    );
  const costs = walk(defaults(), overridesOf(spec), []) as unknown as ComputeCosts;
  return { costs, values };
}
