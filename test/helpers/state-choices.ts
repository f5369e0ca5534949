// The choices the state model asks a high-tier spec to make (docs/state-sizing.md): where the
// workflow logs go once PostgreSQL cannot carry them, and an event bus of its own (a sharded
// cluster beyond one Redis) once the bus's PUBLISH rate needs it. Tests about other things give
// them so their plans have no problems; tests about the state model leave them out.
import { loadRelease, loadTier } from '../../src/core/data.js';
import { eventBusLoad } from '../../src/core/sizing/event-bus.js';
import { stateCostTable } from '../../src/core/sizing/state-costs.js';
import type { SpecInput, Target } from '../../src/core/spec.js';

export const EXTERNAL_BUS_CLUSTER = { mode: 'external', url: 'redis://event-bus.internal:6379', useClusters: true, channelType: 'sharded', maxClients: 100000 } as const;

/** The spec with rdbms accepted (unless it chose a storage) and an external sharded bus where the tier's rate needs one. */
export function withStateChoices(input: SpecInput, target: Target = 'compose'): SpecInput {
  const tier = loadTier(input.tier ?? '10qps');
  const qps = input.qps ?? tier.qps;
  const release = loadRelease(input.release);
  const given = input.workload?.mix;
  const mix = given ? Object.fromEntries(Object.keys(tier.workloadMix).map((k) => [k, given[k as keyof typeof given] ?? 0])) : tier.workloadMix;
  const load = release.eventBus ? eventBusLoad(qps, input.burstFactor ?? 1, mix as typeof tier.workloadMix, release, stateCostTable().values) : undefined;
  const needsBus = load && (load.needsCluster || (target === 'helm' && (qps >= 500 || load.needsOwnServer)));
  const wl = input.observability?.workflowLogs ?? {};
  return {
    ...input,
    observability: { ...input.observability, workflowLogs: { ...wl, ...(wl.storage ? {} : { acceptLargeDatabase: true }) } },
    ...(needsBus && !input.redis?.eventBus ? { redis: { ...input.redis, eventBus: EXTERNAL_BUS_CLUSTER } } : {}),
  };
}
