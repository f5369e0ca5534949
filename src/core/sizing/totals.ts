// Whole-deployment totals: app containers at maxReplicas plus the bundled infrastructure.
import type { ComputeCosts } from '../compute-costs.js';
import type { InfraComponent, Plan, PlanComponent } from './types.js';
import { memGiB, round2 } from './units.js';

export function totalsOf(components: PlanComponent[], infrastructure: InfraComponent[]): Plan['totals'] {
  const everything = [
    ...components.map((c) => ({ n: c.maxReplicas, cpu: c.cpu, mem: memGiB(c.memory), rcpu: c.requests.cpu, rmem: memGiB(c.requests.memory) })),
    ...infrastructure.map((i) => ({ n: i.replicas ?? 1, cpu: i.cpu, mem: memGiB(i.memory), rcpu: i.cpu, rmem: memGiB(i.memory) })),
  ];
  const sum = (f: (x: (typeof everything)[number]) => number) => round2(everything.reduce((n, x) => n + x.n * f(x), 0));
  return { replicas: sum(() => 1), cpuLimits: sum((x) => x.cpu), memoryLimitsGiB: sum((x) => x.mem), cpuRequests: sum((x) => x.rcpu), memoryRequestsGiB: sum((x) => x.rmem) };
}

/** The indicative monthly cost of the totals at limits (what the deployment may use), from the cost table's prices. */
export function costOf(totals: Plan['totals'], costs: ComputeCosts, qps: number): Plan['cost'] {
  const { vcpuMonth, gibMonth } = costs.prices;
  const monthly = Math.round(totals.cpuLimits * vcpuMonth + totals.memoryLimitsGiB * gibMonth);
  return { vcpu: totals.cpuLimits, memoryGiB: totals.memoryLimitsGiB, monthly, perQps: round2(monthly / qps), prices: { vcpuMonth, gibMonth } };
}
