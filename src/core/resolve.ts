// From a spec to the release and tier it names, and on to the plan.
import { unrenderable } from './target-support.js';
import { loadAllTiers, loadRelease, loadTier, type Release, type Tier } from './data.js';
import { sizePlan, type Plan } from './sizing.js';
import type { Spec, Target } from './spec.js';

/** The spec's tier, or for a custom qps the smallest tier that covers it (the largest if none does). */
export function resolveTier(spec: Spec): Tier {
  if (spec.tier !== undefined) return loadTier(spec.tier);
  const tiers = loadAllTiers();
  return tiers.find((t) => t.qps >= spec.qps!) ?? tiers[tiers.length - 1];
}

/** The sizing plan, with what the target cannot render among its problems (render refuses them all). */
export function planFor(spec: Spec, target: Target, release: Release = loadRelease(spec.release)): Plan {
  const plan = sizePlan({ spec, release, tier: resolveTier(spec), target });
  const unsupported = unrenderable(spec, target, release);
  return unsupported.length ? { ...plan, problems: [...plan.problems, ...unsupported] } : plan;
}
