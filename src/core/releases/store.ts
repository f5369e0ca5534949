// Where the release table comes from. A release is two parts:
//   derived — read from upstream's files by src/releases/derive.ts: the package's own
//             (releases/derived/<v>.json, built from ../shared/upstream), added by the user with
//             `release add` (per user, or beside the spec with --here), or read for this run from
//             the files beside a .env that `validate` checks;
//   curated — what no file states (releases/<v>.json: where runs execute, sizing facts, chart,
//             notes). A release without its own curated file takes each fact from the nearest
//             older release that has it, and says so (`assumed`).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError, didYouMean } from '../../io/errors.js';
import { PACKAGE_ROOT } from '../package-root.js';
import type { DerivedRelease } from './derive.js';

const SHIPPED_CURATED = join(PACKAGE_ROOT, 'releases');
const SHIPPED_DERIVED = join(SHIPPED_CURATED, 'derived');
const VERSION_FILE = /^(\d+\.\d+\.\d+)\.json$/;

export type OriginKind = 'shipped' | 'user' | 'project' | 'files';

export interface ReleaseOrigin {
  kind: OriginKind;
  /** The stored file, or the folder read for this run. */
  path: string;
  /** What it was built from (the folder `release add` was given). */
  input: string;
  addedAt?: string;
}

/** A stored release: the derived data and where it came from. */
export interface StoredRelease {
  input: string;
  addedAt?: string;
  release: DerivedRelease;
}

/** Facts taken from an older release's curated file because this release has none of its own. */
export interface AssumedFacts {
  release: string;
  facts: string[];
}

export function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split('.').map((p) => parseInt(p, 10) || 0));
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/**
 * The per-user directory `release add` stores into: DIFY_DEPLOY_CONFIG_DIR when set (tests use a
 * temporary one), else the platform's config directory (%APPDATA%, ~/Library/Application Support,
 * $XDG_CONFIG_HOME or ~/.config), under dify-deploy/.
 */
export function userConfigDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.DIFY_DEPLOY_CONFIG_DIR) return resolve(env.DIFY_DEPLOY_CONFIG_DIR);
  const base =
    platform === 'win32'
      ? (env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'))
      : platform === 'darwin'
        ? join(homedir(), 'Library', 'Application Support')
        : (env.XDG_CONFIG_HOME ?? join(homedir(), '.config'));
  return join(base, 'dify-deploy');
}

export const userReleaseDir = () => join(userConfigDir(), 'releases');
/** Beside a spec: the deployment's .dify-deploy/ folder (next to its secrets store). */
export const projectReleaseDir = (dir: string) => join(resolve(dir), '.dify-deploy', 'releases');

const projectDirs = new Set<string>();
const forRun = new Map<string, { release: DerivedRelease; origin: ReleaseOrigin }>();
let listed: Map<string, ReleaseOrigin> | undefined;
/** The user directory and working directory the listing was made for (a test switches them). */
let listedFor = '';
const derivedCache = new Map<string, DerivedRelease>();
/** Stored files already read, by path: a render asks for its release several times (≈ 190 KB of JSON each). */
const readCache = new Map<string, StoredRelease>();
let curatedCache: { version: string; data: Record<string, unknown> }[] | undefined;

/** After `release add` stored a file: the next lookup lists the directories again. */
export function forgetListing(): void {
  listed = undefined;
  derivedCache.clear();
  readCache.clear();
}

/** A chart given with --chart: every release's helm facts name it for this run. */
export interface RunChartRef {
  version: string;
  appVersion: string;
  path: string;
  factsFrom: string;
}
let chartForRun: RunChartRef | undefined;
export function useChartForRun(chart: RunChartRef): void {
  chartForRun = chart;
}
export const runChart = (): RunChartRef | undefined => chartForRun;

/** A spec's directory: releases added there with --here are known while it is in use. */
export function useProjectReleases(dir: string): void {
  const d = resolve(dir);
  if (projectDirs.has(d)) return;
  projectDirs.add(d);
  listed = undefined;
}

/** A release read from files for this run only (validate on a newer release's own files). */
export function useReleaseForRun(release: DerivedRelease, input: string): void {
  forRun.set(release.version, { release, origin: { kind: 'files', path: input, input } });
  derivedCache.set(release.version, release);
  listed = undefined;
}

function versionsIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => VERSION_FILE.exec(f)?.[1] ?? []);
}

function readStored(path: string): StoredRelease {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StoredRelease;
  } catch (e) {
    throw new UserError([`${path}: not readable release data (${(e as Error).message}); add the release again with \`dify-deploy release add PATH\``]);
  }
}

/** Every release with derived data, and where it comes from: for this run, beside a spec, per user, shipped. */
export function knownReleases(): Map<string, ReleaseOrigin> {
  const key = `${userReleaseDir()}\0${process.cwd()}`;
  if (listed && listedFor === key) return listed;
  listedFor = key;
  const out = new Map<string, ReleaseOrigin>();
  const add = (kind: OriginKind, dir: string) => {
    for (const v of versionsIn(dir)) if (!out.has(v)) out.set(v, { kind, path: join(dir, `${v}.json`), input: '' });
  };
  for (const [v, { origin }] of forRun) out.set(v, origin);
  for (const d of [...projectDirs, process.cwd()]) add('project', projectReleaseDir(d));
  add('user', userReleaseDir());
  add('shipped', SHIPPED_DERIVED);
  listed = new Map([...out].sort((a, b) => compareVersions(a[0], b[0])));
  return listed;
}

export function releaseVersionList(): string[] {
  return [...knownReleases().keys()];
}

export function storedRelease(version: string): { stored: StoredRelease; origin: ReleaseOrigin } {
  const origin = knownReleases().get(version);
  if (!origin) {
    const known = releaseVersionList();
    throw new UserError([
      `release: unknown Dify release "${version}"${didYouMean(version, known)}; known releases: ${known.join(', ')}. A newer release: \`dify-deploy release add PATH\` with its checkout (git clone --branch ${version} https://github.com/langgenius/dify)`,
    ]);
  }
  const run = forRun.get(version);
  if (run) return { stored: { input: run.origin.input, release: run.release }, origin: run.origin };
  let stored = readCache.get(origin.path);
  if (!stored) readCache.set(origin.path, (stored = readStored(origin.path)));
  return { stored, origin: { ...origin, input: stored.input, ...(stored.addedAt ? { addedAt: stored.addedAt } : {}) } };
}

export function derivedRelease(version: string): DerivedRelease {
  let d = derivedCache.get(version);
  if (!d) derivedCache.set(version, (d = storedRelease(version).stored.release));
  return d;
}

/** The curated facts of each release that has a file of them (releases/<v>.json). */
/** Read once: they are the package's own files. */
function curatedFiles(): { version: string; data: Record<string, unknown> }[] {
  return (curatedCache ??= versionsIn(SHIPPED_CURATED)
    .sort(compareVersions)
    .map((version) => ({ version, data: JSON.parse(readFileSync(join(SHIPPED_CURATED, `${version}.json`), 'utf8')) as Record<string, unknown> })));
}

/** Facts of one release only: another release's source and notes never apply. */
const OWN_ONLY = new Set(['version', 'source', 'notes']);

/**
 * Each curated fact of `version`: its own file's, else the nearest older release's that states
 * it. A release older than every curated file takes the oldest one's.
 */
export function curatedFacts(version: string): { facts: Record<string, unknown>; assumed: AssumedFacts[] } {
  const files = curatedFiles();
  const older = files.filter((f) => compareVersions(f.version, version) <= 0);
  const chain = older.length ? older : files.slice(0, 1);
  const facts: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  for (const f of chain)
    for (const [k, v] of Object.entries(f.data))
      if (!OWN_ONLY.has(k) || f.version === version) {
        facts[k] = v;
        from[k] = f.version;
      }
  const assumed = new Map<string, string[]>();
  for (const [k, v] of Object.entries(from)) if (v !== version) assumed.set(v, [...(assumed.get(v) ?? []), k]);
  return { facts, assumed: [...assumed].map(([release, list]) => ({ release, facts: list })) };
}

/** The assumed facts as said to the user: a release whose own entrypoint gave its queue list assumes only where runs execute. */
export function assumedForRelease(assumed: AssumedFacts[], ownQueues: boolean): AssumedFacts[] {
  if (!ownQueues) return assumed;
  return assumed.map((a) => ({ ...a, facts: a.facts.map((f) => (f === 'execution' ? "execution (where runs execute, not the queue list: that is this release's own)" : f)) }));
}

/** Every release with a curated file, oldest first. */
export const curatedVersions = (): string[] => curatedFiles().map((f) => f.version);

/** Curated files of releases that have no derived data yet (facts known before the files). */
export function curatedOnlyVersions(): string[] {
  const known = knownReleases();
  return versionsIn(SHIPPED_CURATED).filter((v) => !known.has(v)).sort(compareVersions);
}

/** The shipped default: index.json's. */
export function shippedDefault(): string {
  return (JSON.parse(readFileSync(join(SHIPPED_CURATED, 'index.json'), 'utf8')) as { default: string }).default;
}

/** For tests and the build: where the package's own derived files are. */
export const SHIPPED_DERIVED_DIR = SHIPPED_DERIVED;
