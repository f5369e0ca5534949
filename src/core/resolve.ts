// From a spec to the release and tier it names, and on to the plan.
import { servicesNotInRelease, unmodelledServices, unrenderable } from './target-support.js';
import { loadAllTiers, loadRelease, loadTier, releaseNotices, type Release, type Tier } from './data.js';
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
  const sized = sizePlan({ spec, release, tier: resolveTier(spec), target });
  // What the release data assumed or requires comes first: the rest of the plan rests on it.
  const unmodelled = unmodelledServices(release);
  const passThrough = unmodelled.length
    ? [
        target === 'compose'
          ? `Dify ${release.version} starts services dify-deploy has no model of: ${unmodelled.join(', ')}; docker-compose.yaml runs them as upstream's compose defines them (reading .env), not sized — check their needs in the release notes`
          : `Dify ${release.version} starts services dify-deploy has no model of: ${unmodelled.join(', ')}; the Helm chart does not deploy them`,
      ]
    : [];
  const plan = { ...sized, warnings: [...releaseNotices(release, target), ...passThrough, ...sized.warnings] };
  const absent = target === 'compose' ? servicesNotInRelease(spec, sized.components.map((c) => c.name), release) : [];
  const unsupported = [
    ...unrenderable(spec, target, release),
    ...absent.map(
      (s) =>
        `${s}: Dify ${release.version}'s docker-compose.yaml defines no ${s} service, which this deployment runs (dify-deploy's model of Dify has it): it cannot be rendered or sized for this release; check the release notes for what replaced it`,
    ),
  ];
  return unsupported.length ? { ...plan, problems: [...plan.problems, ...unsupported] } : plan;
}
