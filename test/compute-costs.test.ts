// costs/compute.json: every value sourced, the spec's partial overrides reach the plan and are
// reported as the spec's, bad overrides are refused with the field named.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planFor } from '../src/core/resolve.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import { specSchema } from '../src/core/spec.js';

type Node = { [k: string]: Node | unknown };
const table = JSON.parse(readFileSync(new URL('../costs/compute.json', import.meta.url), 'utf8')) as Node;

function leaves(node: Node, path: string[] = []): { path: string; value: unknown; source: unknown }[] {
  return Object.entries(node)
    .filter(([k]) => k !== '$comment')
    .flatMap(([k, v]) => {
      const here = [...path, k];
      const o = v as Node;
      return 'value' in o ? [{ path: here.join('.'), value: o.value, source: o.source }] : leaves(o, here);
    });
}

describe('costs/compute.json', () => {
  it('every value is a number ≥ 0 with a source, or marked inference with its reasoning', () => {
    const all = leaves(table);
    expect(all.length).toBeGreaterThan(40);
    for (const l of all) {
      expect(typeof l.value, l.path).toBe('number');
      expect(l.value as number, l.path).toBeGreaterThanOrEqual(0);
      expect(typeof l.source === 'string' && l.source.length > 20, l.path).toBe(true);
      // A source is a citation (a URL-like name, an issue) or an inference followed by its reasoning.
      expect(/inference: .{10,}|[a-z0-9-]+\.[a-z]{2,}|dify#\d+|GCE /i.test(l.source as string), `${l.path}: ${l.source}`).toBe(true);
    }
  });

  it('the plan reports each value as used: the spec\'s where given, the table\'s elsewhere', () => {
    const base = planFor(specSchema.parse({ tier: '100qps' }), 'compose');
    const plan = planFor(
      specSchema.parse({ tier: '100qps', workload: { costs: { cpuSeconds: { execute: { chatflow: 0.3 } }, prices: { vcpuMonth: 40 } }, targetUtilization: 0.5, latencyCv: { chat: 2 } } }),
      'compose',
    );
    const from = (p: typeof plan, path: string) => p.costs.find((v) => v.path === path)!;
    expect(from(plan, 'cpuSeconds.execute.chatflow')).toMatchObject({ value: 0.3, from: 'spec' });
    expect(from(plan, 'prices.vcpuMonth')).toMatchObject({ value: 40, from: 'spec' });
    expect(from(plan, 'targetUtilization')).toMatchObject({ value: 0.5, from: 'spec' });
    expect(from(plan, 'latencyCv.chat')).toMatchObject({ value: 2, from: 'spec' });
    expect(from(plan, 'cpuSeconds.execute.chat')).toMatchObject({ value: 0.08, from: 'default' });
    expect(plan.costs.filter((v) => v.from === 'spec')).toHaveLength(4);
    expect(base.costs.every((v) => v.from === 'default')).toBe(true);
    // The override reaches the work: 100 × 0.4 chatflow share × 0.3 + 100 × 0.2 × 0.15 = 15 cores in use, ÷ 0.5.
    expect(plan.cpu.find((l) => l.component === 'worker_runs')!.coresNeeded).toBe(30);
    expect(plan.cost.prices.vcpuMonth).toBe(40);
  });

  it('latencySeconds for all kinds, workload.latencySeconds per kind on top', () => {
    const plan = planFor(specSchema.parse({ tier: '10qps', latencySeconds: 3, workload: { latencySeconds: { agent: 20 } } }), 'compose');
    expect(plan.workload.latencySeconds).toEqual({ chat: 3, completion: 3, agent: 20, chatflow: 3, workflowStreaming: 3, workflowBlocking: 3 });
  });

  it('refuses a bad override, naming the field', () => {
    const bad = (workload: unknown) => () => parseSpecData({ tier: '100qps', workload }, 'dify-deploy.yaml');
    expect(bad({ costs: { cpuSeconds: { execute: { chatflow: -1 } } } })).toThrow(/workload\.costs\.cpuSeconds\.execute\.chatflow/);
    expect(bad({ costs: { cpuSeconds: { execute: { chatflo: 0.1 } } } })).toThrow(/chatflo/);
    expect(bad({ targetUtilization: 1.5 })).toThrow(/workload\.targetUtilization/);
    expect(() => parseSpecData({ tier: '100qps', serviceLevel: { maxWaitProbability: 0 } }, 'dify-deploy.yaml')).toThrow(/serviceLevel\.maxWaitProbability/);
  });

  it('a stricter service level never gets fewer slots; a looser one never more', () => {
    const slots = (level: object) => planFor(specSchema.parse({ tier: '100qps', serviceLevel: level }), 'compose').capacity.paths.map((p) => p.slots);
    const [strict, normal, loose] = [slots({ maxWaitProbability: 0.001 }), slots({}), slots({ maxWaitProbability: 0.2, p99WaitSeconds: 5 })];
    normal.forEach((n, i) => {
      expect(strict[i]).toBeGreaterThanOrEqual(n);
      expect(loose[i]).toBeLessThanOrEqual(n);
    });
  });
});
