// Whole-deployment totals: app containers at maxReplicas plus the bundled infrastructure.
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
