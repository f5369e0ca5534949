// The environment variables a Dify release documents for docker compose: the derived release
// data's knownEnv (src/releases/derive.ts: upstream's .env.example, envs/** and compose template).
// The renderer and `validate` both read it.
import { derivedRelease } from './releases/store.js';

const cache = new Map<string, ReadonlySet<string>>();

export function knownEnvVariables(version: string): ReadonlySet<string> {
  let known = cache.get(version);
  if (!known) {
    known = new Set(derivedRelease(version).knownEnv.variables);
    cache.set(version, known);
  }
  return known;
}

/**
 * Variables the api image's entrypoint (api/docker/entrypoint.sh) reads itself, beside Dify's
 * Python settings: known to every release although no .env.example documents them all.
 */
/**
 * Docker Compose's own variables, read from the project .env by `docker compose` itself
 * (docs.docker.com/compose/how-tos/environment-variables/envvars/): known to every release.
 */
const COMPOSE_VARIABLES: ReadonlySet<string> = new Set([
  'COMPOSE_PROJECT_NAME', 'COMPOSE_FILE', 'COMPOSE_PROFILES', 'COMPOSE_CONVERT_WINDOWS_PATHS', 'COMPOSE_PATH_SEPARATOR',
  'COMPOSE_IGNORE_ORPHANS', 'COMPOSE_REMOVE_ORPHANS', 'COMPOSE_PARALLEL_LIMIT', 'COMPOSE_ANSI', 'COMPOSE_STATUS_STDOUT',
  'COMPOSE_ENV_FILES', 'COMPOSE_DISABLE_ENV_FILE', 'COMPOSE_MENU', 'COMPOSE_EXPERIMENTAL', 'COMPOSE_PROGRESS',
]);

const ENTRYPOINT_VARIABLES: ReadonlySet<string> = new Set([
  'MODE', 'MIGRATION_ENABLED', 'CELERY_AUTO_SCALE', 'CELERY_MAX_WORKERS', 'CELERY_MIN_WORKERS', 'CELERY_WORKER_AMOUNT',
  'CELERY_QUEUES', 'CELERY_WORKER_QUEUES', 'CELERY_WORKER_CONCURRENCY', 'CELERY_WORKER_POOL', 'CELERY_WORKER_CLASS',
  'MAX_TASKS_PER_CHILD', 'CELERY_PREFETCH_MULTIPLIER', 'EDITION', 'DEBUG', 'DIFY_BIND_ADDRESS', 'DIFY_PORT',
  'SERVER_WORKER_AMOUNT', 'SERVER_WORKER_CLASS', 'SERVER_WORKER_CONNECTIONS', 'GUNICORN_TIMEOUT',
]);

/** Read beside Dify's settings by every release: by the api entrypoint or by Docker Compose itself. */
export const readBesideSettings = (name: string): boolean => ENTRYPOINT_VARIABLES.has(name) || COMPOSE_VARIABLES.has(name);
