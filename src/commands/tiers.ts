// `dify-deploy tiers`: the traffic tiers, what each assumes, and what our plan for each costs beside
// the anchor it cites (SAE's instance matrix), both priced from costs/compute.json.
import { loadAllTiers, type Tier } from '../core/data.js';
import { planFor } from '../core/resolve.js';
import { specSchema } from '../core/spec.js';
import { table, type Io } from '../cli/io.js';

/** The components SAE's matrix sizes (help.aliyun.com/zh/sae/dify-performance-optimization). */
const ANCHOR_COMPONENTS = ['nginx', 'api', 'plugin_daemon', 'worker', 'web', 'sandbox'] as const;

export interface TierCost {
  vcpu: number;
  memoryGiB: number;
  monthly: number;
}

export interface TiersReport {
  tiers: Tier[];
  /** Per tier: the anchor's app instances, and our compose plan's app components (default mix, default service level), same prices. */
  costs: { tier: string; anchor: TierCost; plan: TierCost & { qpsAtServiceLevel: number; serviceLevel: { maxWaitProbability: number; p99WaitSeconds: number } } }[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export function tiersReport(): TiersReport {
  const tiers = loadAllTiers();
  const costs = tiers.map((t) => {
    const plan = planFor(specSchema.parse({ tier: t.name }), 'compose');
    const { vcpuMonth, gibMonth } = plan.cost.prices;
    const price = (vcpu: number, memoryGiB: number) => ({ vcpu: round2(vcpu), memoryGiB: round2(memoryGiB), monthly: Math.round(vcpu * vcpuMonth + memoryGiB * gibMonth) });
    const anchor = ANCHOR_COMPONENTS.map((n) => t.components[n]);
    // Ours adds the run worker: since 1.13 it executes the runs SAE's API executed.
    const ours = plan.cpu.filter((c) => (ANCHOR_COMPONENTS as readonly string[]).includes(c.component) || c.component === 'worker_runs');
    return {
      tier: t.name,
      anchor: price(anchor.reduce((n, c) => n + c.replicas * c.cpu, 0), anchor.reduce((n, c) => n + c.replicas * c.memoryGiB, 0)),
      plan: {
        ...price(ours.reduce((n, c) => n + c.coresGiven, 0), ours.reduce((n, c) => n + c.memoryGiB, 0)),
        qpsAtServiceLevel: plan.capacity.qpsAtServiceLevel,
        serviceLevel: plan.serviceLevel,
      },
    };
  });
  return { tiers, costs };
}

export function formatTiers({ tiers, costs }: TiersReport): string {
  const rows = tiers.map((t) => {
    const c = costs.find((x) => x.tier === t.name)!;
    return [
      t.name,
      t.qps,
      `${t.components.api.replicas} × ${t.components.api.cpu}C${t.components.api.memoryGiB}G`,
      `${t.components.plugin_daemon.replicas} × ${t.components.plugin_daemon.cpu}C${t.components.plugin_daemon.memoryGiB}G`,
      `${t.managedDatabase.cpus}C${t.managedDatabase.memoryGiB}G`,
      `${c.anchor.vcpu} / ${c.anchor.memoryGiB} / $${c.anchor.monthly}`,
      `${c.plan.vcpu} / ${c.plan.memoryGiB} / $${c.plan.monthly}`,
      c.plan.qpsAtServiceLevel,
      t.source.kind,
    ];
  });
  const level = costs[0]?.plan.serviceLevel;
  return [
    table(['tier', 'peak qps', 'anchor api', 'anchor plugin daemon', 'managed DB', 'anchor vCPU / GiB / month', 'plan vCPU / GiB / month', 'plan qps at level', 'numbers'], rows),
    '',
    `qps is the peak-minute arrival rate. "anchor": the instances the tier's source lists for the app components (${ANCHOR_COMPONENTS.join(', ')});`,
    `"plan": dify-deploy's compose plan for the same components from the work (default mix, costs/compute.json), every queue at P(wait) ≤ ${(level?.maxWaitProbability ?? 0) * 100} % and p99 wait ≤ ${level?.p99WaitSeconds} s;`,
    'both priced from costs/compute.json (indicative, list prices). Sources:',
    ...tiers.map((t) => `  ${t.name}: ${t.source.text}`),
  ].join('\n');
}

export async function runTiers(opts: { json?: boolean }, io: Io): Promise<number> {
  const report = tiersReport();
  io.out(opts.json ? JSON.stringify(report, null, 2) : formatTiers(report));
  return 0;
}
