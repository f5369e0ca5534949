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
export const ENTRYPOINT_VARIABLES: ReadonlySet<string> = new Set([
  'MODE', 'MIGRATION_ENABLED', 'CELERY_AUTO_SCALE', 'CELERY_MAX_WORKERS', 'CELERY_MIN_WORKERS', 'CELERY_WORKER_AMOUNT',
  'CELERY_QUEUES', 'CELERY_WORKER_QUEUES', 'CELERY_WORKER_CONCURRENCY', 'CELERY_WORKER_POOL', 'CELERY_WORKER_CLASS',
  'MAX_TASKS_PER_CHILD', 'CELERY_PREFETCH_MULTIPLIER', 'EDITION', 'DEBUG', 'DIFY_BIND_ADDRESS', 'DIFY_PORT',
  'SERVER_WORKER_AMOUNT', 'SERVER_WORKER_CLASS', 'SERVER_WORKER_CONNECTIONS', 'GUNICORN_TIMEOUT',
]);
