// Which Dify release the files are for: given, named by the spec, read from image tags,
// or guessed from the variables the .env sets.
import { defaultReleaseVersion, releaseVersions } from '../core/data.js';
import type { ComposeService } from './compose-file.js';
import { knownEnvVariables } from '../core/known-env.js';

export interface ReleaseChoice {
  version: string;
  /** How it was chosen, shown in the report. */
  source: string;
  /** Named by the user or the files (not guessed). */
  stated: boolean;
}

const DIFY_IMAGE = /(?:^|\/)dify-(?:api|web)(?::v?(\d+\.\d+\.\d+))?/;

export { compareVersions } from '../core/releases/store.js';
import { compareVersions, knownReleases, useReleaseForRun } from '../core/releases/store.js';
import { deriveRelease, locateReleaseFiles } from '../core/releases/derive.js';

/** The newest known release not newer than `tag` (the oldest known when all are newer). */
export function nearestRelease(tag: string, known: readonly string[] = releaseVersions()): string {
  const sorted = [...known].sort(compareVersions);
  return [...sorted].reverse().find((v) => compareVersions(v, tag) <= 0) ?? sorted[0];
}

/** The Dify release the compose file's images name, and the service that names it. */
export function difyImageTag(services: readonly ComposeService[], interpolated: (raw: string) => string): { tag: string; service: string } | undefined {
  for (const s of services) {
    const tag = s.image ? DIFY_IMAGE.exec(interpolated(s.image))?.[1] : undefined;
    if (tag) return { tag, service: s.name };
  }
  return undefined;
}

/**
 * A release newer than the table, in a Dify checkout: its own files beside the compose file
 * (.env.example, the compose template, nginx) define it for this run, instead of a guess.
 */
export function releaseFromFilesBeside(dir: string, tag: string): boolean {
  if (releaseVersions().includes(tag)) return false;
  let files;
  try {
    files = locateReleaseFiles(dir);
  } catch {
    return false; // not a Dify docker/ folder: the nearest known release is judged instead
  }
  const release = deriveRelease(files);
  if (release.version !== tag) return false;
  useReleaseForRun(release, files.docker);
  return true;
}

export function releaseFromImages(services: readonly ComposeService[], interpolated: (raw: string) => string): ReleaseChoice | undefined {
  const found = difyImageTag(services, interpolated);
  return found && fromTag(found.tag, `service ${found.service}`);
}

function fromTag(tag: string, where: string): ReleaseChoice {
  const known = releaseVersions();
  const origin = knownReleases().get(tag);
  if (origin?.kind === 'files') return { version: tag, source: `image tag ${tag} (${where}); release data read from upstream's files in ${origin.path}`, stated: true };
  if (known.includes(tag)) return { version: tag, source: `image tag ${tag} (${where})`, stated: true };
  const near = nearestRelease(tag, known);
  return { version: near, source: `image tag ${tag} (${where}) is not in the release table; judged as ${near}, the nearest known`, stated: true };
}

/** dify-helm values pin the API image at image.api.tag. */
export function releaseFromHelmValues(values: unknown): ReleaseChoice | undefined {
  const tag = (values as { image?: { api?: { tag?: unknown } } } | undefined)?.image?.api?.tag;
  const m = typeof tag === 'string' || typeof tag === 'number' ? /^v?(\d+\.\d+\.\d+)/.exec(String(tag)) : null;
  return m ? fromTag(m[1], 'Helm values image.api.tag') : undefined;
}

/**
 * The release whose known variables explain the .env best: fewest variables unknown to it,
 * then the closest match in size (a full 1.13.3 .env.example matches 1.13.3 exactly).
 */
export function releaseFromVariables(names: readonly string[]): ReleaseChoice | undefined {
  if (names.length === 0) return undefined;
  let best: { version: string; unknown: number; jaccard: number } | undefined;
  for (const version of releaseVersions()) {
    const known = knownEnvVariables(version);
    const hits = names.filter((n) => known.has(n)).length;
    const unknown = names.length - hits;
    const jaccard = hits / (known.size + unknown);
    if (!best || unknown < best.unknown || (unknown === best.unknown && jaccard > best.jaccard)) best = { version, unknown, jaccard };
  }
  return best && { version: best.version, source: `inferred from the variables set (pass --release to be sure)`, stated: false };
}

export function defaultRelease(): ReleaseChoice {
  return { version: defaultReleaseVersion(), source: 'no image tag or spec names one: assumed the newest known (pass --release)', stated: false };
}
