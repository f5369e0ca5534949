// docs/sizing-model.md is where users read where each sizing number comes from; its worked figures
// (the 500 QPS example of §6, the examples of §2 and §8) had drifted from what `plan` prints. Each
// figure the page states is read back from its text here and compared with the plan it describes
// (Dify's default release, default mix and service level), so a change to the model that moves one
// fails until the page says the new number.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tiersReport } from '../src/commands/tiers.js';
import { planFor } from '../src/core/resolve.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import type { Target } from '../src/core/spec.js';
import { memGiB } from '../src/core/sizing/units.js';

// Line breaks and indentation are layout: compare on single spaces.
const PAGE = readFileSync(join(import.meta.dirname, '..', 'docs', 'sizing-model.md'), 'utf8').replace(/\s+/g, ' ');
const between = (from: string, to: string) => {
  const start = PAGE.indexOf(from);
  const end = PAGE.indexOf(to, start + 1);
  expect(start >= 0 && end > start, `docs/sizing-model.md has "${from}" … "${to}"`).toBe(true);
  return PAGE.slice(start, end);
};
const EXAMPLE = between('## 6. Worked example', '## 7.');
const SPREAD = between('**Spreading over replicas**', '## 3.');
const ITEMS = between('## 8.', 'When the budget cannot fit');

/** The numbers a pattern captures in a part of the page ("18 525", "$6,253" → 18525, 6253). */
function stated(text: string, pattern: RegExp): number[] {
  const m = pattern.exec(text);
  expect(m, `docs/sizing-model.md states ${pattern}`).not.toBeNull();
  return m!.slice(1).map((s) => Number(s.replace(/[ ,]/g, '')));
}

type Input = Record<string, unknown>;
const planOf = (input: Input, target: Target = 'compose') => planFor(parseSpecData(input, 'test'), target);
const component = (plan: ReturnType<typeof planOf>, name: string) => plan.components.find((c) => c.name === name)!;
const path = (plan: ReturnType<typeof planOf>, name: string) => plan.capacity.paths.find((p) => p.name === name)!;
const cpuLine = (plan: ReturnType<typeof planOf>, name: string) => plan.cpu.find((c) => c.component === name)!;
const percent = (p: number) => Math.round(p * 1e4) / 100;
const TIERS = ['10qps', '50qps', '100qps', '200qps', '500qps', '1000qps'];

describe('docs/sizing-model.md states what plan prints', () => {
  const p = planOf({ tier: '500qps' });
  const api = component(p, 'api');
  const runs = component(p, 'worker_runs');

  it('§6, the 500 QPS example: latency, the API, the run queue', () => {
    expect(stated(EXAMPLE, /= \*\*([\d.]+) s\*\*; (\d+) requests in flight/)).toEqual([p.latencySeconds, p.inFlightApiRequests]);
    expect(stated(EXAMPLE, /÷ 0\.65 = \*\*([\d.]+) cores\*\*/)).toEqual([Math.round(cpuLine(p, 'api').coresNeeded! * 10) / 10]);
    expect(stated(EXAMPLE, /(\d+) processes per replica, ⌈[\d.]+ \/ \d+⌉ = \*\*(\d+) replicas\*\*/)).toEqual([api.processesPerReplica, api.replicas]);
    const a = path(p, 'api');
    expect(stated(EXAMPLE, /= (\d+) per process \(≤ \d+\), \*\*(\d+) per replica\*\*/)).toEqual([api.connectionsPerProcess, a.serversPerQueue]);
    expect(stated(EXAMPLE, /At the peak: P\(wait\) ([\d.]+) %, p99 wait 0, ([\d.]+) QPS at the service level \(saturation (\d+)\)/)).toEqual([
      percent(a.waitProbability),
      a.qpsAtServiceLevel,
      a.sustainableQps,
    ]);
    const r = path(p, 'runs');
    expect(stated(EXAMPLE, /\*\*(\d+) run workers × (\d+)\*\*/)).toEqual([runs.replicas, Number(runs.env.CELERY_WORKER_AMOUNT)]);
    expect(stated(EXAMPLE, /\*\*(\d+) slots\*\*\. P\(wait\) ([\d.]+) %, ([\d.]+) QPS/)).toEqual([r.slots, percent(r.waitProbability), r.qpsAtServiceLevel]);
  });

  it('§6: plugin daemon, sandbox, PgBouncer, nginx, memory, totals and cost', () => {
    const plugin = component(p, 'plugin_daemon');
    const sandbox = component(p, 'sandbox');
    expect(stated(EXAMPLE, /\*\*(\d+) × (\d+) vCPU\*\*\. \*\*Sandbox\*\*/)).toEqual([plugin.replicas, plugin.cpu]);
    expect(stated(EXAMPLE, /\*\*(\d+) × (\d+) vCPU\*\*; \d+ Erlangs of code runs, [\d.]+ per replica → MAX_WORKERS (\d+)/)).toEqual([
      sandbox.replicas,
      sandbox.cpu,
      Number(sandbox.env.MAX_WORKERS),
    ]);
    const pool = path(p, 'pgbouncer');
    expect(stated(EXAMPLE, /pool \*\*(\d+)\*\* \(P\(wait\) ([\d.]+) %\)/)).toEqual([pool.serversPerQueue, percent(pool.waitProbability)]);
    expect(stated(EXAMPLE, /\*\*nginx\*\* ([\d.]+) cores → the tier's (\d+)/)).toEqual([Math.round(cpuLine(p, 'nginx').coresNeeded! * 100) / 100, component(p, 'nginx').cpu]);
    expect(stated(EXAMPLE, /\(([\d ]+) MiB, request = limit\); run worker/)).toEqual([memGiB(api.memory) * 1024]);
    expect(stated(EXAMPLE, /\*\*[\d.]+ GiB\*\* \((\d+) MiB\); plugin daemon ([\d.]+) GiB; sandbox ([\d.]+) GiB/)).toEqual([
      memGiB(runs.memory) * 1024,
      Math.round(memGiB(plugin.memory) * 100) / 100,
      Math.round(memGiB(sandbox.memory) * 100) / 100,
    ]);
    expect(stated(EXAMPLE, /\*\*Totals and cost\.\*\* ([\d.]+) vCPU, (\d+) GiB at limits \(app containers plus the bundled PostgreSQL (\d+) vCPU \/ (\d+) GiB/)).toEqual([
      p.totals.cpuLimits,
      Math.round(p.totals.memoryLimitsGiB),
      p.database.hostSize!.cpus,
      p.database.hostSize!.memoryGiB,
    ]);
    expect(stated(EXAMPLE, /≈ \*\*\$([\d,]+) a month, \$([\d.]+) per QPS\*\*/)).toEqual([p.cost.monthly, Math.round(p.cost.perQps * 10) / 10]);
    const { anchor, plan } = tiersReport().costs.find((c) => c.tier === '500qps')!;
    expect(stated(EXAMPLE, /SAE has (\d+) vCPU \/ (\d+) GiB \(≈ \$([\d,]+)\); our plan has (\d+) vCPU \/ (\d+) GiB \(≈ \$([\d,]+)\)/)).toEqual([
      anchor.vcpu,
      Math.round(anchor.memoryGiB),
      anchor.monthly,
      plan.vcpu,
      Math.round(plan.memoryGiB),
      plan.monthly,
    ]);
    expect(stated(EXAMPLE, /our plan puts (\d+) cores on the runs and (\d+) on the API/)).toEqual([cpuLine(p, 'worker_runs').coresGiven, cpuLine(p, 'api').coresGiven]);
  });

  it('§2: the run workers and sandboxes CPU sets at 1000 QPS', () => {
    const q = planOf({ tier: '1000qps' });
    const [r, s] = [component(q, 'worker_runs'), component(q, 'sandbox')];
    expect(stated(SPREAD, /1000 QPS: (\d+) run workers × (\d+) greenlets, (\d+) sandboxes × (\d+) workers/)).toEqual([
      r.replicas,
      Number(r.env.CELERY_WORKER_AMOUNT),
      s.replicas,
      Number(s.env.MAX_WORKERS),
    ]);
  });

  it('§8: pools, the budget, web\'s HPA, nginx, the sandbox, in-flight work and the run worker', () => {
    expect(stated(ITEMS, /500 QPS, (\d+) greenlets → (\d+) \+ (\d+)/)).toEqual([api.connectionsPerProcess, Number(api.env.SQLALCHEMY_POOL_SIZE), Number(api.env.SQLALCHEMY_MAX_OVERFLOW)]);
    expect(stated(ITEMS, /500 QPS: (\d+) \+ (\d+) reserved \+ (\d+) headroom = (\d+)\)/)).toEqual([
      p.database.pooler!.serverRequired,
      p.database.reserved,
      p.database.adminHeadroom,
      p.database.maxConnections,
    ]);
    const web = (tier: string) => component(planOf({ tier }, 'helm'), 'web');
    const [w10, w50, w100] = ['10qps', '50qps', '100qps'].map(web);
    expect(stated(ITEMS, /(\d+) → (\d+) at 10 and 50 QPS, (\d+) → (\d+) from 100 QPS/)).toEqual([w10.replicas, w10.maxReplicas, w100.replicas, w100.maxReplicas]);
    expect([w50.replicas, w50.maxReplicas]).toEqual([w10.replicas, w10.maxReplicas]);
    for (const tier of ['200qps', '500qps', '1000qps']) expect([web(tier).replicas, web(tier).maxReplicas]).toEqual([w100.replicas, w100.maxReplicas]);

    const nginx = component(p, 'nginx');
    expect(stated(ITEMS, /\(500 QPS: (\d+) vCPU, (\d+) processes, (\d+)\)/)).toEqual([nginx.cpu, nginx.processesPerReplica, nginx.settings!.worker_connections]);
    const proxy = component(planOf({ tier: '500qps' }, 'helm'), 'nginx');
    expect(stated(ITEMS, /\(500 QPS: ⌈(\d+) × 4 ÷ 1024⌉ = (\d+) × (\d+) vCPU\)/)).toEqual([p.inFlightApiRequests, proxy.replicas, proxy.cpu]);

    const s100 = component(planOf({ tier: '100qps' }), 'sandbox');
    expect(stated(ITEMS, /→ (\d+) replicas; [\d.]+ × [\d.]+ s = \d+ Erlangs, [\d.]+ per replica → `MAX_WORKERS` (\d+), `MAX_REQUESTS` (\d+)/)).toEqual([
      s100.replicas,
      Number(s100.env.MAX_WORKERS),
      Number(s100.env.MAX_REQUESTS),
    ]);
    expect(stated(ITEMS, /\(500 QPS: (\d+) and (\d+);/)).toEqual([p.inFlightApiRequests, p.inFlightWorkerRuns]);
    expect(stated(ITEMS, /500 QPS, (\d+) replicas × (\d+) greenlets, (\d+) MiB each/)).toEqual([runs.replicas, Number(runs.env.CELERY_WORKER_AMOUNT), memGiB(runs.memory) * 1024]);
  });

  it('§8: the database CPU per tier, logs in PostgreSQL and offloaded, and the hosts', () => {
    const list = (pattern: RegExp) => stated(ITEMS, pattern);
    const sls = { storage: 'logstore', slsProject: 'p', slsEndpoint: 'e', slsRegion: 'r' };
    const plans = (workflowLogs: Input) => TIERS.map((tier) => planOf({ tier, observability: { workflowLogs } }));
    const [inPgPlans, offloadedPlans] = [plans({ acceptLargeDatabase: true }), plans(sls)];
    expect([...new Set(inPgPlans.map((q) => q.storage.workflowLogs.storage))]).toEqual(['rdbms']);
    expect([...new Set(offloadedPlans.map((q) => q.storage.workflowLogs.storage))]).toEqual(['logstore']);
    const [inPg, offloaded] = [inPgPlans.map((q) => q.database), offloadedPlans.map((q) => q.database)];
    const six = (before: string, after: string) => list(new RegExp(`${before}${' (\\d+) /'.repeat(5)} (\\d+)${after}`));
    expect(six('Default mix:', ' vCPU of work')).toEqual(inPg.map((d) => d.work!.cpus));
    expect(six('logs in PostgreSQL,', ' with them offloaded')).toEqual(offloaded.map((d) => d.work!.cpus));
    expect(six('the hosts are', ' vCPU either way')).toEqual(inPg.map((d) => d.hostSize!.cpus));
    expect(offloaded.map((d) => d.hostSize!.cpus)).toEqual(inPg.map((d) => d.hostSize!.cpus));
  });
});
