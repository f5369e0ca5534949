// Releases and tiers are data files shipped beside dist/: adding one is adding a JSON file.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { UserError, didYouMean } from './errors.js';
import type { AppKind, ComponentName } from './spec.js';

/** The package root: src/core and dist/core are both two levels down. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

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

export interface Release {
  version: string;
  source: string;
  composeLayout: 'shared-env-anchor' | 'env-file';
  images: Record<string, string>;
  pluginDaemonVersion: string;
  services: string[];
  collaboration: { service: string; profile: string; defaultEnabled: boolean } | null;
  agentBackend: boolean;
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
}

export interface TierComponent {
  replicas: number;
  cpu: number;
  memoryGiB: number;
}

export interface Tier {
  name: string;
  qps: number;
  latencySeconds: number;
  burstFactor: number;
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

const releaseIndex = () => readJson<{ default: string; releases: string[] }>('releases', 'index.json');

export function releaseVersions(): string[] {
  return releaseIndex().releases;
}

export function defaultReleaseVersion(): string {
  return releaseIndex().default;
}

export function loadRelease(version?: string): Release {
  const v = version ?? defaultReleaseVersion();
  const known = releaseVersions();
  if (!known.includes(v))
    throw new UserError([`release: unknown Dify release "${v}"${didYouMean(v, known)}; known releases: ${known.join(', ')}`]);
  return readJson<Release>('releases', `${v}.json`);
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
