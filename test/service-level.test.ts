// The service level, proven on the rendered compose files over release × tier × mix: every queue
// (API greenlets per replica, the pooled run slots, each sandbox's workers, PgBouncer's main pool)
// meets P(wait) ≤ 1 % and p99 wait ≤ 0.5 s at the tier's peak, and every modelled component has the
// cores λ·c ÷ U asks for — checked by an Erlang-C oracle written apart from the product
// (helpers/erlang-oracle.ts) on loads read from the tier and costs/compute.json, not from the plan.
// (Helm: the same check on `helm template` output runs in helm-run-slots.test.ts.) Then the
// monotonicity properties: more load or costlier work never gets fewer slots, cores or bytes; nor do longer
// requests on the same replicas.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadRelease, loadTier, releaseVersions, tierNames } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import { specSchema, type SpecInput } from '../src/core/spec.js';
import { memGiB } from '../src/core/sizing/units.js';
import { renderFiles } from '../src/render/index.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { effectiveEnv, type ComposeService } from './helpers/compose-env.js';
import { expectedLoad, serviceLevelFailures, type RenderedComponent } from './helpers/service-level.js';
import { withStateChoices } from './helpers/state-choices.js';

export const SERVICE_LEVEL_MIXES: Record<string, SpecInput['workload']> = {
  default: {},
  'all-chat': { mix: { chat: 1 } },
  'all-chatflow': { mix: { chatflow: 1 } },
  'half/half': { mix: { chat: 0.5, chatflow: 0.5 } },
  'slow streaming': { mix: { workflowStreaming: 0.7, workflowBlocking: 0.3 }, latencySeconds: { workflowStreaming: 20 } },
};

const cases = releaseVersions().flatMap((release) => tierNames().flatMap((tier) => Object.keys(SERVICE_LEVEL_MIXES).map((mix) => ({ release, tier, mix }))));

type Service = ComposeService & { deploy?: { replicas?: number; resources?: { limits?: { cpus?: string } } } };

describe.concurrent('compose: the rendered files meet the service level and the CPU the work needs', () => {
  it.each(cases)('$release $tier $mix', ({ release: version, tier, mix }) => {
    const release = loadRelease(version);
    const workload = SERVICE_LEVEL_MIXES[mix];
    const spec = parseSpecData(withStateChoices({ release: version, tier, workload, domain: { host: 'dify.example.com' } }), 'test');
    const { files } = renderFiles(spec, 'compose', resolveSecrets({}));
    const file = (p: string) => files.find((f) => f.path === p)?.content;
    const compose = parseYaml(file('docker-compose.yaml')!) as { services: Record<string, Service> };
    const dotenv = file('.env')!;
    const rendered: RenderedComponent[] = Object.entries(compose.services).map(([name, s]) => ({
      component: name,
      replicas: s.deploy?.replicas ?? 1,
      env: effectiveEnv(s, dotenv),
      cpu: Number(s.deploy?.resources?.limits?.cpus ?? 0),
    }));
    const ini = file('pgbouncer/pgbouncer.ini');
    const pool = ini ? Number(new RegExp(`^${spec.database.database} = .* pool_size=(\\d+)`, 'm').exec(ini)![1]) : undefined;
    // PgBouncer processes sharing one port (so_reuseport): the container's own plus the ones its command starts.
    const extra = ini && /^\s*so_reuseport\s*=\s*1/m.test(ini) ? /while \[ \$+i -lt (\d+) \]/.exec(JSON.stringify(compose.services.pgbouncer?.command ?? compose.services.pgbouncer?.entrypoint ?? '')) : null;
    const load = expectedLoad(loadTier(tier), release.execution.worker, workload);
    expect(serviceLevelFailures(load, rendered, release.execution.runQueue, release.execution.defaultQueues, pool, 1 + (extra ? Number(extra[1]) : 0))).toEqual([]);
  });
});

/** Every slot, core and byte of a plan, per component and path. */
function amounts(plan: ReturnType<typeof planFor>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of plan.components) {
    out[`${c.name} cores`] = c.replicas * c.cpu;
    out[`${c.name} bytes`] = c.maxReplicas * memGiB(c.memory);
  }
  for (const p of plan.capacity.paths) out[`${p.name} slots`] = p.slots;
  return out;
}

// A fixed seed for CI; MONO_SEED / MONO_RUNS run others by hand — seeds 1…30 × 40 runs each pass (docs/sizing-model.md
// §7). Before spread.ts, seed 1 found a raised CPU cost that added an API replica and rounded the slots per replica
// down (8544 → 8532 at 1000qps, default mix, chat execute ×1.27).
const MONOTONE_RUNS = { numRuns: Number(process.env.MONO_RUNS ?? 40), seed: Number(process.env.MONO_SEED ?? 20261205) };

describe('monotone: more QPS or costlier work never gets fewer slots, cores or bytes; longer requests, on the same replicas, neither', () => {
  const tiers = tierNames();
  const kinds = ['chat', 'completion', 'agent', 'chatflow', 'workflowStreaming', 'workflowBlocking'] as const;
  const plan = (input: SpecInput) => planFor(specSchema.parse(input), 'compose');
  /** The components whose replicas the plan takes from the work (the others keep the tier's). */
  const WORK_SIZED: string[] = ['api', 'worker_runs', 'plugin_daemon', 'sandbox'];
  const base = fc.record({
    tier: fc.constantFrom(...tiers),
    mix: fc.constantFrom(...Object.keys(SERVICE_LEVEL_MIXES)),
    factor: fc.double({ min: 1.01, max: 3, noNaN: true }),
    kind: fc.constantFrom(...kinds),
  });
  /**
   * Nothing drops: every core, byte and API slot of the larger load's plan is at least the smaller's. The run
   * slots and sandbox workers are the queue's need split evenly over replicas the CPU sets: a replica added for
   * CPU may give back the split's rounding, at most one slot per replica (the matrix above checks they still
   * meet the service level; docs/sizing-model.md §2 says why they are not spread like the API's greenlets).
   */
  const SPLIT_BY_CPU: Record<string, string> = { 'runs slots': 'worker_runs', 'sandbox slots': 'sandbox' };
  const noDrop = (a: Record<string, number>, b: Record<string, number>, bPlan: ReturnType<typeof planFor>) => {
    for (const [k, v] of Object.entries(a)) {
      const rounding = k in SPLIT_BY_CPU ? bPlan.components.find((c) => c.name === SPLIT_BY_CPU[k])!.replicas : 0;
      expect(b[k] ?? 0, k).toBeGreaterThanOrEqual(v - rounding - 1e-9);
    }
  };

  it('raising QPS', () => {
    fc.assert(
      fc.property(base, ({ tier, mix, factor }) => {
        const qps = loadTier(tier).qps;
        const w = SERVICE_LEVEL_MIXES[mix];
        const after = plan({ tier, qps: qps * factor, workload: w });
        noDrop(amounts(plan({ tier, qps, workload: w })), amounts(after), after);
      }),
      MONOTONE_RUNS,
    );
  });

  it('raising a CPU cost', () => {
    fc.assert(
      fc.property(base, fc.constantFrom('execute', 'relay', 'plugin'), ({ tier, mix, factor, kind }, table) => {
        const w = SERVICE_LEVEL_MIXES[mix];
        const given = plan({ tier, workload: w }).costs.find((v) => v.path === `cpuSeconds.${table}.${kind}`)!.value;
        const after = plan({ tier, workload: { ...w, costs: { cpuSeconds: { [table]: { [kind]: given * factor } } } } });
        noDrop(amounts(plan({ tier, workload: w })), amounts(after), after);
      }),
      MONOTONE_RUNS,
    );
  });

  it('raising a latency, on the same replicas', () => {
    fc.assert(
      fc.property(base, ({ tier, mix, factor, kind }) => {
        const w = SERVICE_LEVEL_MIXES[mix];
        const before = plan({ tier, workload: w });
        const latency = before.workload.latencySeconds[kind];
        // The replicas held where they were. Left free, a longer request costs less CPU per second, so a gevent
        // process may carry more greenlets and the plan fewer replicas: one replica fewer pools the queue, which
        // then needs fewer slots in all (and fewer cores, never below λ·c ÷ U). docs/sizing-model.md §7 says so.
        const replicas = Object.fromEntries(before.components.filter((c) => WORK_SIZED.includes(c.name)).map((c) => [c.name, { replicas: c.replicas }]));
        const after = plan({ tier, workload: { ...w, latencySeconds: { ...w?.latencySeconds, [kind]: latency * factor } }, overrides: { components: replicas } });
        noDrop(amounts(before), amounts(after), after);
      }),
      MONOTONE_RUNS,
    );
  });
});
