// Releases and tiers are data files shipped beside dist/: adding one is adding a JSON file.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, didYouMean } from '../io/errors.js';
import type { DerivedRelease } from './releases/derive.js';
import { PACKAGE_ROOT } from './package-root.js';
import { imageParts } from '../dify/components.js';

export { PACKAGE_ROOT };
import type { AppKind, ComponentName } from './spec.js';
import { assumedForRelease, compareVersions, curatedFacts, releaseVersionList, runChart, shippedDefault, storedRelease, type AssumedFacts, type ReleaseOrigin } from './releases/store.js';
import { renamesInEffect } from './releases/curated.js';


export interface DbConnectionModel {
  component: ComponentName;
  pool: 'sqlalchemy' | 'go-sql';
  processes?: { var?: string; default?: number; celery?: boolean; fixed?: number };
  maxOpen?: { var: string; default: number | null };
  why: string;
}

export interface Route {
  path: string;
  upstream: 'api' | 'web' | 'plugin_daemon' | 'api_websocket';
  hookHeader?: boolean;
  websocket?: boolean;
}

/** A release: the facts derived from its files (DerivedRelease) merged with the curated ones. */
export interface Release extends Pick<DerivedRelease, 'version' | 'composeLayout' | 'images' | 'pluginDaemonVersion' | 'services' | 'collaboration' | 'agentBackend'> {
  source: string;
  dbConnections: DbConnectionModel[];
  upstreamDefaults: Record<string, string>;
  entrypointFallbacks: Record<string, string>;
  routes: Route[];
  vectorStores: { supported: string[]; bundled: string[] };
  storageTypes: string[];
  redisModes: { api: string[]; pluginDaemon: string[]; celeryBroker: string[] };
  /** The event bus settings this release reads (EVENT_BUS_REDIS_*), with their source. */
  eventBus?: { channelTypes: string[]; clusters: boolean; source: string };
  helm: { chart: string; repoName: string; repoUrl: string; version: string; appVersion: string; note: string; apiWebsocket: boolean; agentBackend: boolean };
  /** The retention clean-up of workflow logs: its Celery beat task, schedule and batch size (costs the storage model). */
  workflowLogCleanup?: { task: string; schedule: string; batchSize: number; batchSizeVar: string; source: string };
  /** Per service: process variable ← the .env variable upstream's compose maps into it. */
  serviceEnv: Partial<Record<ComponentName, Record<string, string>>>;
  /** Per service: values upstream's compose hard-codes (no .env variable can change them). */
  serviceFixedEnv?: Partial<Record<ComponentName, Record<string, string>>>;
  notes: string[];
  /** Where each app kind runs, and which Celery queues the worker consumes by default. */
  execution: {
    worker: AppKind[];
    api: AppKind[];
    source: string;
    runQueue: string;
    /** The `-Q` list of api/docker/entrypoint.sh at this tag (community edition). */
    defaultQueues: string[];
    /** Queues this release's tasks use that its default list omits: the rendered background worker consumes them too. */
    unlistedQueues?: string[];
    apiTokenQueue: { queue: string; when: string };
    queuesSource: string;
  };
  /** Where the derived part came from (shipped, added by the user, read from files for this run). */
  origin?: ReleaseOrigin;
  /** Curated facts taken from an older release because this one has none of its own. */
  assumed?: AssumedFacts[];
  /** Upstream's definitions of the services compose starts by default (a service dify-deploy does not render itself is passed through). */
  serviceDefinitions?: Record<string, unknown>;
  /** Curated requirements of this release (Docker Compose version, components upgraded together). */
  requirements?: ReleaseRequirements;
}

export interface ReleaseRequirements {
  composeVersion?: { min: string; source: string };
  upgradeTogether?: { components: string[]; source: string };
}

export interface TierComponent {
  replicas: number;
  cpu: number;
  memoryGiB: number;
}

export interface Tier {
  name: string;
  /** The peak-minute arrival rate the tier is sized for. */
  qps: number;
  source: { kind: 'published' | 'interpolated' | 'extrapolated' | 'custom'; text: string };
  assumptions: string[];
  components: Record<ComponentName, TierComponent>;
  celeryConcurrency: number;
  managedDatabase: { class: string; cpus: number; memoryGiB: number; maxConnections: number };
  bundledDatabase: { cpus: number; memoryGiB: number };
  redis: { memoryGiB: number; maxConnections: number };
  /** Default share of requests per app kind (tiers/README says why). */
  workloadMix: Record<AppKind, number>;
  /** Default for spec.availability.ha. */
  highAvailability?: boolean;
}

function readJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(join(PACKAGE_ROOT, ...parts), 'utf8')) as T;
}

/** This package's own version (not npm_package_version: that is whichever project `npx` runs in). */
export function packageVersion(): string {
  return readJson<{ version: string }>('package.json').version;
}

/** Every release dify-deploy has data for: shipped, added with `release add`, or read for this run. */
export function releaseVersions(): string[] {
  return releaseVersionList();
}

/** The shipped default (releases/index.json), not the newest added: a new install gets what the package was tested with. */
export function defaultReleaseVersion(): string {
  return shippedDefault();
}

let pinned: Record<string, { image: string }> | undefined;

/** An image at :latest (or untagged) replaced by the tag releases/pinned-images.json names for its repository. */
function pinLatest(images: Record<string, string>): Record<string, string> {
  pinned ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'releases', 'pinned-images.json'), 'utf8')) as { pins: Record<string, { image: string }> }).pins;
  const pins = pinned;
  return Object.fromEntries(
    Object.entries(images).map(([key, ref]) => {
      const { repository, tag } = imageParts(ref);
      return [key, tag === 'latest' && pins[repository] ? pins[repository].image : ref];
    }),
  );
}

/** A release's derived data (src/releases/derive.ts) merged with its curated facts (releases/<v>.json, or the nearest older one's). */
export function loadRelease(version?: string): Release {
  const v = version ?? defaultReleaseVersion();
  const { stored, origin } = storedRelease(v);
  const d = stored.release;
  const { facts, assumed } = curatedFacts(v);
  const c = facts as unknown as Release;
  const chart = runChart();
  const execution = d.defaultQueues
    ? { ...c.execution, defaultQueues: d.defaultQueues, queuesSource: d.queuesSource ?? '', unlistedQueues: c.execution.unlistedQueues?.filter((q) => !d.defaultQueues?.includes(q)) }
    : c.execution;
  return {
    ...c,
    version: v,
    source: c.source ?? `${stored.input} (added with \`dify-deploy release add\`)`,
    composeLayout: d.composeLayout,
    // Curated images are the ones upstream's compose does not have (the pooler); :latest is pinned.
    images: pinLatest({ ...d.images, ...c.images }),
    pluginDaemonVersion: d.pluginDaemonVersion,
    services: d.services,
    collaboration: d.collaboration,
    agentBackend: d.agentBackend,
    routes: d.routes as Route[],
    // worker_runs is dify-deploy's own split of the worker: the same image, the same mappings.
    serviceEnv: { ...d.serviceEnv, ...(d.serviceEnv.worker ? { worker_runs: d.serviceEnv.worker } : {}) },
    // Curated defaults are the ones no upstream file states (the plugin daemon's Go defaults…).
    upstreamDefaults: { ...c.upstreamDefaults, ...d.upstreamDefaults },
    notes: c.notes ?? [],
    execution,
    origin,
    assumed: assumedForRelease(assumed, d.defaultQueues !== undefined),
    serviceDefinitions: d.serviceDefinitions,
    ...(chart ? { helm: { ...c.helm, version: chart.version, appVersion: chart.appVersion, note: `dify-helm ${chart.version} from --chart ${chart.path} (its values and schema; what its templates read and its secrets as in the shipped ${chart.factsFrom})` } } : {}),
  };
}

/** What plan and render say about the release data: facts assumed from an older release, and its curated requirements. */
export function releaseNotices(release: Release, target: 'compose' | 'helm'): string[] {
  const out: string[] = [];
  const assumed = assumedNotice(release);
  if (assumed) out.push(assumed);
  const chartBehind = target === 'helm' ? chartOlderThanRelease(release) : undefined;
  if (chartBehind) out.push(chartBehind);
  const compose = release.requirements?.composeVersion;
  if (compose && target === 'compose') out.push(`Dify ${release.version} needs Docker Compose ${compose.min} or later (${compose.source})`);
  return out;
}

/**
 * A chart given with --chart that was made for an older Dify (its appVersion) writes that release's
 * variable names: the pods of the newer release do not read the ones renamed since (1.17's agent
 * backend refuses to start without DIFY_AGENT_LOCAL_SANDBOX_AUTH_TOKEN, which the 0.38 chart never
 * writes). The shipped chart of each release is paired with it on purpose (releases/<v>.json).
 */
function chartOlderThanRelease(release: Release): string | undefined {
  const { version, appVersion } = release.helm;
  if (!runChart() || !/^\d+\.\d+\.\d+$/.test(appVersion) || compareVersions(appVersion, release.version) >= 0) return undefined;
  const renamed = [...renamesInEffect(release.version).values()].filter((r) => compareVersions(r.since, appVersion) > 0);
  if (!renamed.length) return undefined;
  return `dify-helm ${version} deploys Dify ${appVersion}: its templates write the names ${appVersion} reads, and Dify ${release.version} reads ${renamed.map((r) => `${r.to}, not ${r.from}`).join('; ')} (releases/renames.json); use a chart made for Dify ${renamed.map((r) => r.since).sort(compareVersions).pop()} or newer (its appVersion)`;
}

/** Once per release: the curated facts a release took from an older one, for plan/render/validate to say. */
export function assumedNotice(release: Release): string | undefined {
  if (!release.assumed?.length) return undefined;
  const parts = release.assumed.map((a) => `${a.release}'s ${a.facts.join(', ')}`);
  return `Dify ${release.version}: dify-deploy has no curated facts of its own for this release; assumed ${parts.join('; ')} (docs/releases.md says what each is)`;
}

export function tierNames(): string[] {
  return readdirSync(join(PACKAGE_ROOT, 'tiers'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
}

export function loadTier(name: string): Tier {
  const known = tierNames();
  if (!known.includes(name))
    throw new UserError([`tier: unknown tier "${name}"${didYouMean(name, known)}; known tiers: ${known.join(', ')} (or give qps: in dify-deploy.yaml)`]);
  return readJson<Tier>('tiers', `${name}.json`);
}

export function loadAllTiers(): Tier[] {
  return tierNames().map(loadTier);
}
