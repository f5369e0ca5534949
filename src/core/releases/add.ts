// `release add` and `release list` as functions returning reports (src/commands/release.ts prints them).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../../io/errors.js';
import { deriveRelease, locateReleaseFiles, type DerivedRelease } from './derive.js';
import {
  assumedForRelease,
  compareVersions,
  curatedFacts,
  curatedOnlyVersions,
  curatedVersions,
  forgetListing,
  knownReleases,
  projectReleaseDir,
  userReleaseDir,
  type AssumedFacts,
  type OriginKind,
  type StoredRelease,
} from './store.js';

/** The file a derived release is stored as (shipped ones carry no date: the build must be reproducible). */
export function shippedReleaseFile(release: DerivedRelease, input = `langgenius/dify ${release.version} docker/ (../shared/upstream/dify-${release.version})`, addedAt?: string): string {
  const stored: StoredRelease = { input, ...(addedAt ? { addedAt } : {}), release };
  return `${JSON.stringify(stored, null, 2)}\n`;
}

export interface AddReport {
  version: string;
  /** Where the data was stored, and whether an earlier copy was replaced. */
  storedAt: string;
  scope: 'user' | 'project';
  replaced: boolean;
  /** The release ships with dify-deploy: nothing stored. */
  alreadyShipped: boolean;
  counts: { variables: number; services: number; routes: number };
  /** Where the Celery queue list came from. */
  queues: string;
  /** Curated facts taken from an older release, as plan/render/validate will say. */
  assumed: AssumedFacts[];
  /** Services compose starts by default that the newest older known release does not have. */
  newServices: string[];
  /** Services the newest older known release starts by default that this one does not define. */
  removedServices: string[];
}

export interface AddOptions {
  path: string;
  here?: boolean;
  /** The spec's directory for --here (default: the current one). */
  dir?: string;
  entrypoint?: string;
  now?: Date;
}

function writeAtomic(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, file);
}

/** Reads a release's files (all checks first: nothing is stored unless the whole derivation succeeds). */
export function addRelease(opts: AddOptions): AddReport {
  const files = locateReleaseFiles(opts.path, opts.entrypoint);
  const release = deriveRelease(files);
  const oldest = curatedVersions()[0];
  if (compareVersions(release.version, oldest) < 0)
    throw new UserError([
      `${opts.path}: Dify ${release.version} is older than ${oldest}, the oldest release dify-deploy knows: what no file states (where runs execute, sizing facts) would be a newer release's; deploy ${oldest} or later`,
    ]);
  const known = knownReleases();
  const previous = known.get(release.version);
  const dir = opts.here ? projectReleaseDir(opts.dir ?? process.cwd()) : userReleaseDir();
  const storedAt = join(dir, `${release.version}.json`);
  const older = [...known.keys()].filter((v) => compareVersions(v, release.version) < 0).pop();
  const assumed = assumedForRelease(curatedFacts(release.version).assumed, release.defaultQueues !== undefined);
  const report: AddReport = {
    version: release.version,
    storedAt,
    scope: opts.here ? 'project' : 'user',
    replaced: previous !== undefined && previous.kind !== 'shipped' && resolve(previous.path) === storedAt,
    alreadyShipped: previous?.kind === 'shipped',
    counts: { variables: release.knownEnv.variables.length, services: release.services.length, routes: release.routes.length },
    queues: release.defaultQueues ? `${release.defaultQueues.length} queues from ${files.entrypoint}` : 'no api/docker/entrypoint.sh in the input: the nearest older release\'s queue list is assumed (give the whole checkout, or --entrypoint FILE)',
    assumed,
    newServices: older ? release.services.filter((s) => !(knownServices(older) ?? []).includes(s)) : [],
    removedServices: older ? (knownServices(older) ?? []).filter((s) => !release.services.includes(s)) : [],
  };
  if (report.alreadyShipped) return report;
  mkdirSync(dir, { recursive: true });
  writeAtomic(storedAt, shippedReleaseFile(release, resolve(opts.path), (opts.now ?? new Date()).toISOString()));
  forgetListing();
  return report;
}

function knownServices(version: string): string[] | undefined {
  const origin = knownReleases().get(version);
  if (!origin) return undefined;
  try {
    return (JSON.parse(readFile(origin.path)) as StoredRelease).release.services;
  } catch {
    return undefined;
  }
}

const readFile = (p: string) => readFileSync(p, 'utf8');

export interface ListedRelease {
  version: string;
  origin: OriginKind | 'curated only';
  /** The stored file (or the folder read), and what it was built from. */
  path?: string;
  input?: string;
  addedAt?: string;
  /** Curated facts: its own, or which older release's are assumed. */
  curated: string;
}

export interface ListReport {
  releases: ListedRelease[];
  userDir: string;
  projectDir: string;
}

export function listReleases(dir = process.cwd()): ListReport {
  const out: ListedRelease[] = [];
  for (const [version, origin] of knownReleases()) {
    let input: string | undefined;
    let addedAt: string | undefined;
    if (origin.kind !== 'files') {
      const stored = JSON.parse(readFile(origin.path)) as StoredRelease;
      input = stored.input;
      addedAt = stored.addedAt;
    }
    const { assumed } = curatedFacts(version);
    out.push({
      version,
      origin: origin.kind,
      path: origin.path,
      ...(input ? { input } : {}),
      ...(addedAt ? { addedAt } : {}),
      curated: assumed.length ? `assumed from ${assumed.map((a) => a.release).join(', ')}` : 'its own',
    });
  }
  for (const version of curatedOnlyVersions())
    out.push({ version, origin: 'curated only', curated: 'its own (no files yet: `dify-deploy release add` a checkout of it)' });
  out.sort((a, b) => compareVersions(a.version, b.version));
  return { releases: out, userDir: userReleaseDir(), projectDir: projectReleaseDir(dir) };
}
