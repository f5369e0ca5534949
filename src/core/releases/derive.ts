// The part of a Dify release's data that upstream's own files state: read from a checkout at a
// tag (or its docker/ folder) by `release add`, and from ../shared/upstream for the releases the
// package ships (test/release-derive.test.ts proves the shipped files are this function's output).
// What no file states — where runs execute, secret formats, sizing facts, renames — is curated
// (releases/<version>.json, src/releases/store.ts merges the two).
import { readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../../io/errors.js';
import { isDirectory, isFile, readTextFile } from '../../io/files.js';
import { parseEnvText } from '../../io/env-file.js';

export interface EnvDefault {
  value: string;
  /** dify-<version>/docker/<file>:<line>. */
  source: string;
}

export interface DerivedRoute {
  path: string;
  upstream: string;
  hookHeader?: boolean;
  websocket?: boolean;
}

/** Everything dify-deploy reads from one release's files (field names as in the Release table). */
export interface DerivedRelease {
  version: string;
  composeLayout: 'shared-env-anchor' | 'env-file';
  images: Record<string, string>;
  pluginDaemonVersion: string;
  /** Services compose starts without a profile, plus the collaboration service. */
  services: string[];
  collaboration: { service: string; profile: string; defaultEnabled: boolean } | null;
  agentBackend: boolean;
  routes: DerivedRoute[];
  /** Per Dify service: container variable ← the differently named .env variable compose reads it from. */
  serviceEnv: Record<string, Record<string, string>>;
  /** Upstream's defaults of the variables sizing and validation read (UPSTREAM_DEFAULT_NAMES). */
  upstreamDefaults: Record<string, string>;
  /** Every variable the release documents: .env.example, envs/**, the compose template's ${VAR}. */
  knownEnv: { sources: string[]; variables: string[] };
  /** Each variable's default and where it is set. */
  envDefaults: Record<string, EnvDefault>;
  /** Upstream's definition of each service compose starts by default (for services dify-deploy does not render itself). */
  serviceDefinitions: Record<string, unknown>;
  /** The community edition's `-Q` list of api/docker/entrypoint.sh, when that file was given. */
  defaultQueues?: string[];
  queuesSource?: string;
}

/** Image keys of the release table, by upstream service name; other services keep their own name. */
const IMAGE_KEYS: Record<string, string> = {
  init_permissions: 'busybox',
  ssrf_proxy: 'squid',
  db_postgres: 'postgres',
  db_mysql: 'mysql',
  'milvus-standalone': 'milvus',
  plugin_daemon: 'pluginDaemon',
  agent_backend: 'agentBackend',
  local_sandbox: 'localSandbox',
};
/** Services whose image the table does not track (api's image again, a second squid, dashboards beside a store). */
const UNTRACKED_IMAGES = new Set(['api_websocket', 'worker', 'worker_beat', 'agent_ssrf_proxy', 'opensearch-dashboards', 'kibana', 'unstructured']);

/** The services whose environment the renderer maps (src/core/spec.ts COMPONENT_NAMES, nginx aside). */
const DIFY_SERVICES = ['api', 'api_websocket', 'worker', 'worker_beat', 'web', 'plugin_daemon', 'sandbox', 'agent_backend', 'local_sandbox'];

/** The variables whose upstream default sizing, rendering and validation fall back to. */
export const UPSTREAM_DEFAULT_NAMES = [
  'SERVER_WORKER_AMOUNT', 'SERVER_WORKER_CLASS', 'SERVER_WORKER_CONNECTIONS', 'GUNICORN_TIMEOUT', 'CELERY_WORKER_AMOUNT',
  'SQLALCHEMY_POOL_SIZE', 'SQLALCHEMY_MAX_OVERFLOW', 'SQLALCHEMY_POOL_TIMEOUT', 'SQLALCHEMY_POOL_RECYCLE', 'SQLALCHEMY_POOL_PRE_PING',
  'DB_MAX_OPEN_CONNS', 'DB_MAX_IDLE_CONNS', 'DB_CONN_MAX_LIFETIME', 'POSTGRES_MAX_CONNECTIONS', 'POSTGRES_SHARED_BUFFERS',
  'POSTGRES_WORK_MEM', 'POSTGRES_MAINTENANCE_WORK_MEM', 'POSTGRES_EFFECTIVE_CACHE_SIZE', 'MYSQL_MAX_CONNECTIONS',
  'NGINX_PROXY_READ_TIMEOUT', 'NGINX_CLIENT_MAX_BODY_SIZE', 'APP_MAX_EXECUTION_TIME', 'WORKFLOW_MAX_EXECUTION_TIME',
  'UPLOAD_FILE_SIZE_LIMIT', 'UPLOAD_IMAGE_FILE_SIZE_LIMIT', 'UPLOAD_VIDEO_FILE_SIZE_LIMIT', 'UPLOAD_AUDIO_FILE_SIZE_LIMIT',
  'PLUGIN_MAX_PACKAGE_SIZE', 'API_WEBSOCKET_WORKER_AMOUNT', 'API_WEBSOCKET_WORKER_CONNECTIONS', 'SANDBOX_MAX_WORKERS',
  'SANDBOX_MAX_REQUESTS', 'NGINX_WORKER_CONNECTIONS',
] as const;

/** Where a release's files are: the docker/ folder, and api/docker/entrypoint.sh when the input has it. */
export interface ReleaseFiles {
  docker: string;
  entrypoint?: string;
}

const REQUIRED = ['.env.example', 'docker-compose.yaml', 'docker-compose-template.yaml', join('nginx', 'conf.d', 'default.conf.template')];

/**
 * A Dify checkout (PATH/docker/…), its docker/ folder, or a copy of that folder. The entrypoint
 * (the default Celery queues) is PATH/api/docker/entrypoint.sh in a checkout, ../api/docker/entrypoint.sh
 * beside a checkout's docker/ folder, or `entrypoint` when given; a bare docker/ copy has none.
 */
export function locateReleaseFiles(path: string, entrypoint?: string): ReleaseFiles {
  const input = resolve(path);
  if (!isDirectory(input)) throw new UserError([`${path}: not a directory; give a Dify checkout at a release tag (git clone --branch <tag> https://github.com/langgenius/dify) or its docker/ folder`]);
  const docker = isFile(join(input, 'docker', 'docker-compose.yaml')) || isDirectory(join(input, 'docker')) ? join(input, 'docker') : input;
  const present = REQUIRED.filter((f) => isFile(join(docker, f)));
  if (present.length === 0)
    throw new UserError([`${path}: not a Dify release: no docker-compose.yaml or .env.example here or in docker/; give a Dify checkout at a release tag or its docker/ folder`]);
  const missing = REQUIRED.filter((f) => !present.includes(f));
  if (!missing.length) missing.push(...missingEnvFiles(docker));
  if (missing.length)
    throw new UserError([
      `${docker}: an incomplete copy of Dify's docker/ folder: missing ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ` and ${missing.length - 4} more` : ''}; copy the whole folder from the release tag`,
    ]);
  if (entrypoint !== undefined) {
    if (!isFile(entrypoint)) throw new UserError([`--entrypoint ${entrypoint}: file not found; give Dify's api/docker/entrypoint.sh of the same tag`]);
    return { docker, entrypoint: resolve(entrypoint) };
  }
  const beside = join(dirname(docker), 'api', 'docker', 'entrypoint.sh');
  return { docker, ...(isFile(beside) ? { entrypoint: beside } : {}) };
}

/** A compose env_file entry's path: `- ./x.env` or `- path: ./x.env`. */
const envFilePaths = (entry: unknown): string[] =>
  (Array.isArray(entry) ? entry : entry === undefined ? [] : [entry]).flatMap((e) => (typeof e === 'string' ? [e] : typeof (e as { path?: unknown })?.path === 'string' ? [(e as { path: string }).path] : []));

/**
 * The env files compose reads that are neither here nor shipped as their `.example` (upstream ships
 * envs/<group>/<name>.env.example, the user copies each to .env): a docker/ folder copied without
 * envs/ would otherwise be read as a release with half its variables.
 */
function missingEnvFiles(docker: string): string[] {
  const { services } = parseCompose(join(docker, 'docker-compose.yaml'));
  const paths = new Set(Object.values(services).flatMap((svc) => envFilePaths(svc?.env_file)));
  return [...paths]
    .map((p) => relative(docker, resolve(docker, p)).split('\\').join('/'))
    .filter((p) => !p.startsWith('..') && !isFile(join(docker, p)) && !isFile(join(docker, `${p}.example`)))
    .sort()
    .map((p) => `${p}.example`);
}

const read = (file: string, what: string) => readTextFile(file, what, 'copy the whole docker/ folder from the release tag');

function envExampleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => (e.isDirectory() ? envExampleFiles(join(dir, e.name)) : e.name.endsWith('.env.example') ? [join(dir, e.name)] : []));
}

/** Variable names assigned in an env file, commented-out examples (`# VAR=value`) included. */
function envFileKeys(text: string): string[] {
  return [...text.matchAll(/^[ \t]*#?[ \t]*(?:export[ \t]+)?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
}

/** Names a compose file interpolates (`$${VAR}` is an escaped dollar, not interpolation). */
function composeKeys(text: string): string[] {
  return [...text.matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]);
}

/** `${VAR:-default}` / `${VAR-default}` defaults with their lines. */
function composeDefaults(text: string): { name: string; value: string; line: number }[] {
  return text.split(/\r?\n/).flatMap((line, i) => [...line.matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*):?-([^}$]*)\}/g)].map((m) => ({ name: m[1], value: m[2], line: i + 1 })));
}

export interface ComposeService {
  image?: string;
  profiles?: string[];
  environment?: Record<string, unknown> | string[];
  env_file?: unknown;
}

function parseCompose(file: string): { services: Record<string, ComposeService>; top: Record<string, unknown> } {
  let doc: unknown;
  try {
    doc = parseYaml(read(file, 'compose file'), { merge: true, maxAliasCount: -1 });
  } catch (e) {
    throw new UserError([`${file}: not valid YAML (${(e as Error).message.split('\n')[0]}); copy the file again from the release tag`]);
  }
  const services = (doc as { services?: unknown } | null)?.services;
  if (!services || typeof services !== 'object') throw new UserError([`${file}: no services: mapping; not Dify's docker-compose.yaml`]);
  return { services: services as Record<string, ComposeService>, top: doc as Record<string, unknown> };
}

function environmentOf(svc: ComposeService): Record<string, string> {
  const env = svc.environment;
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]));
}

/**
 * Per service (by default the ones the renderer maps): container variable ← the differently named
 * .env variable compose passes it from. Only a plain reference counts: ${VAR}, ${VAR:-default}, ${VAR:?err}.
 */
export function serviceRenames(services: Record<string, ComposeService>, names: readonly string[] = DIFY_SERVICES): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const name of names) {
    const svc = services[name];
    if (!svc) continue;
    for (const [container, value] of Object.entries(environmentOf(svc))) {
      const m = /^\$\{([A-Z_][A-Z0-9_]*)(?::?[-?][^${}]*)?\}$/.exec(value);
      if (m && m[1] !== container) (out[name] ??= {})[container] = m[1];
    }
  }
  return out;
}

/**
 * A service definition without its `VAR: ${VAR…}` entries: they pass .env through under the same
 * name (the x-shared-env anchor of older releases repeats hundreds in every service), which an
 * env_file does as well.
 */
function withoutSameNameEnv(svc: ComposeService): ComposeService {
  if (!svc.environment) return svc;
  const kept = Object.entries(environmentOf(svc)).filter(([k, v]) => !new RegExp(`^\\$\\{${k}(?:[:?-][^}]*)?\\}$`).test(v));
  const { environment: _, ...rest } = svc;
  return kept.length ? { ...rest, environment: Object.fromEntries(kept) } : rest;
}

const tagOf = (image: string | undefined) => (image && /:([^/:]+)$/.exec(image)?.[1]) || undefined;

function versionOf(services: Record<string, ComposeService>, file: string): string {
  const tag = tagOf(services.api?.image);
  const m = tag ? /^v?(\d+\.\d+\.\d+)$/.exec(tag) : null;
  if (!m) throw new UserError([`${file}: service api has no langgenius/dify-api:<version> image (${services.api?.image ?? 'no image'}); not a Dify release's compose file`]);
  return m[1];
}

/** nginx locations and the service each proxies to (its `proxy_pass http://service:port`, or the socket.io upstream). */
function routesOf(text: string): DerivedRoute[] {
  const routes: DerivedRoute[] = [];
  // A block ends at a line holding only `}` (its body has `${…}` placeholders).
  for (const m of text.matchAll(/location\s+(\S+)\s*\{([\s\S]*?)\n\s*\}/g)) {
    const body = m[2];
    const websocket = /proxy_set_header\s+Upgrade/.test(body);
    const upstream = /proxy_pass\s+https?:\/\/([A-Za-z0-9_-]+):\d+/.exec(body)?.[1] ?? (websocket ? 'api_websocket' : undefined);
    if (!upstream) continue;
    routes.push({ path: m[1], upstream, ...(websocket ? { websocket: true } : {}), ...(/Dify-Hook-Url/i.test(body) ? { hookHeader: true } : {}) });
  }
  return routes;
}

/** The community edition's DEFAULT_QUEUES: the assignment outside the CLOUD branch. */
function queuesOf(text: string, file: string): string[] {
  const lines = text.split(/\r?\n/);
  let cloud = false;
  let found: string | undefined;
  for (const line of lines) {
    if (/^\s*if\b.*CLOUD/.test(line)) cloud = true;
    else if (/^\s*(else|fi)\b/.test(line)) cloud = false;
    const m = /^\s*DEFAULT_QUEUES="([^"]*)"/.exec(line);
    if (m && !cloud) found = m[1];
  }
  if (!found) throw new UserError([`${file}: no DEFAULT_QUEUES="…" assignment; give Dify's api/docker/entrypoint.sh (or leave it out: the nearest older release's queue list is then assumed)`]);
  return found.split(',').map((q) => q.trim()).filter(Boolean);
}

export function deriveRelease(files: ReleaseFiles): DerivedRelease {
  const { docker } = files;
  const compose = parseCompose(join(docker, 'docker-compose.yaml'));
  const templateFile = join(docker, 'docker-compose-template.yaml');
  const template = read(templateFile, 'compose template');
  const version = versionOf(compose.services, join(docker, 'docker-compose.yaml'));
  const name = (file: string) => `dify-${version}/docker/${relative(docker, file).split('\\').join('/')}`;

  const envFiles = [join(docker, '.env.example'), ...(isDirectory(join(docker, 'envs')) ? envExampleFiles(join(docker, 'envs')) : [])];
  const texts = envFiles.map((f) => ({ file: f, text: read(f, 'env example') }));
  const variables = new Set<string>();
  const envDefaults: Record<string, EnvDefault> = {};
  for (const { file, text } of texts) {
    envFileKeys(text).forEach((k) => variables.add(k));
    const parsed = parseEnvText(text, file);
    for (const k of Object.keys(parsed.values)) if (/^[A-Z][A-Z0-9_]*$/.test(k)) envDefaults[k] ??= { value: parsed.values[k], source: `${name(file)}:${parsed.lines[k]}` };
  }
  composeKeys(template).forEach((k) => variables.add(k));
  for (const d of composeDefaults(template)) envDefaults[d.name] ??= { value: d.value, source: `${name(templateFile)}:${d.line}` };

  const services = compose.services;
  const images: Record<string, string> = {};
  for (const [svc, def] of Object.entries(services))
    if (def.image && !UNTRACKED_IMAGES.has(svc)) images[IMAGE_KEYS[svc] ?? svc] ??= def.image;
  const collaborationProfile = services.api_websocket?.profiles?.[0];
  const defaultOn = Object.keys(services).filter((s) => !services[s].profiles?.length || s === 'api_websocket');
  const upstreamDefaults: Record<string, string> = {};
  for (const k of UPSTREAM_DEFAULT_NAMES) if (envDefaults[k]) upstreamDefaults[k] = envDefaults[k].value;
  const queues = files.entrypoint ? queuesOf(readTextFile(files.entrypoint, 'entrypoint script', "give Dify's api/docker/entrypoint.sh"), files.entrypoint) : undefined;

  return {
    version,
    composeLayout: DIFY_SERVICES.some((s) => services[s]?.env_file !== undefined) ? 'env-file' : 'shared-env-anchor',
    images,
    pluginDaemonVersion: (tagOf(services.plugin_daemon?.image) ?? '').replace(/-local$/, ''),
    services: defaultOn,
    collaboration: collaborationProfile
      ? { service: 'api_websocket', profile: collaborationProfile, defaultEnabled: (envDefaults.COMPOSE_PROFILES?.value ?? '').split(',').includes(collaborationProfile) }
      : null,
    agentBackend: 'agent_backend' in services,
    routes: routesOf(read(join(docker, 'nginx', 'conf.d', 'default.conf.template'), 'nginx template')),
    serviceEnv: serviceRenames(services),
    upstreamDefaults,
    knownEnv: { sources: [...envFiles, templateFile].map(name), variables: [...variables].sort() },
    envDefaults: Object.fromEntries(Object.keys(envDefaults).sort().map((k) => [k, envDefaults[k]])),
    serviceDefinitions: Object.fromEntries(defaultOn.map((s) => [s, withoutSameNameEnv(services[s])])),
    ...(queues ? { defaultQueues: queues, queuesSource: `api/docker/entrypoint.sh of Dify ${version}, community edition DEFAULT_QUEUES` } : {}),
  };
}
