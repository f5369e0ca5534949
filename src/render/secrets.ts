// Secrets: generated once from a cryptographic source, then kept forever. A re-render
// reads them back and reuses them, because rotating SECRET_KEY (or the DB password)
// breaks a running Dify.
import { randomBytes } from 'node:crypto';
import { UserError } from '../core/errors.js';
import type { Spec } from '../core/spec.js';

export interface SecretDef {
  /** The .env variable that carries it. */
  name: string;
  /** URL/shell-safe value: no quoting needed in .env, compose, YAML or a redis:// URL. */
  generate: () => string;
  /** Generated only when dify-deploy runs the service itself: an external one already has its password. */
  generatedWhen?: (spec: Spec) => boolean;
}

const token = (bytes: number) => () => randomBytes(bytes).toString('base64url');
/** Dify's own SECRET_KEY advice: `openssl rand -base64 42`. */
const secretKey = () => `sk-${randomBytes(42).toString('base64url')}`;

export const SECRETS: readonly SecretDef[] = [
  { name: 'SECRET_KEY', generate: secretKey },
  { name: 'DB_PASSWORD', generate: token(24), generatedWhen: (spec) => spec.database.mode === 'bundled' },
  { name: 'REDIS_PASSWORD', generate: token(24), generatedWhen: (spec) => spec.redis.mode === 'bundled' },
  // The bundled event-bus Redis (compose, from 500 QPS or mode: bundled); kept once made, so a tier change reuses it.
  { name: 'EVENT_BUS_REDIS_PASSWORD', generate: token(24), generatedWhen: (spec) => spec.redis.eventBus.mode === 'bundled' || spec.redis.eventBus.mode === 'auto' },
  { name: 'SANDBOX_API_KEY', generate: token(32) },
  { name: 'PLUGIN_DAEMON_KEY', generate: token(42) },
  { name: 'PLUGIN_DIFY_INNER_API_KEY', generate: token(42) },
  { name: 'WEAVIATE_API_KEY', generate: token(32) },
  { name: 'QDRANT_API_KEY', generate: token(32) },
  { name: 'PGVECTOR_PASSWORD', generate: token(24) },
  { name: 'DIFY_AGENT_API_TOKEN', generate: token(32) },
  { name: 'DIFY_AGENT_SERVER_SECRET_KEY', generate: token(32) },
  { name: 'DIFY_AGENT_SHELLCTL_AUTH_TOKEN', generate: token(32) },
  { name: 'INIT_PASSWORD', generate: token(18) },
  // Bundled vector stores other than the three above: upstream ships public default passwords.
  { name: 'CHROMA_AUTH_CREDENTIALS', generate: token(32) },
  { name: 'ELASTICSEARCH_PASSWORD', generate: token(24) },
  // OpenSearch's admin password must mix upper, lower, digit and a special character.
  { name: 'OPENSEARCH_PASSWORD', generate: () => `Os1-${randomBytes(24).toString('base64url')}` },
  { name: 'MILVUS_PASSWORD', generate: token(24) },
  { name: 'MINIO_SECRET_KEY', generate: token(32) },
  { name: 'OCEANBASE_VECTOR_PASSWORD', generate: token(24) },
  { name: 'MYSCALE_PASSWORD', generate: token(24) },
];

/**
 * Keeps every secret already present in `existing`; generates only the missing ones. With a
 * spec, the password of an external database or Redis is never generated: it is the server's.
 */
export function resolveSecrets(existing: Record<string, string | undefined>, spec?: Spec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const def of SECRETS) {
    const kept = existing[def.name];
    if (kept !== undefined && kept !== '') out[def.name] = kept;
    else if (!spec || !def.generatedWhen || def.generatedWhen(spec)) out[def.name] = def.generate();
  }
  return out;
}

/**
 * The external database's password: from the spec, else from the secrets store
 * (.dify-deploy/secrets.env, private, never in git). Without either a render would write
 * a password the server does not know, so it stops here.
 */
export function externalDatabasePassword(spec: Spec, secrets: Record<string, string>): string {
  const password = spec.database.password ?? secrets.DB_PASSWORD;
  if (password === undefined)
    throw new UserError([
      'database.password: the external database\'s password is needed; put DB_PASSWORD=… in the output directory\'s .dify-deploy/secrets.env (kept private, mode 0600, out of git) or set database.password in dify-deploy.yaml',
    ]);
  return password;
}

/** An external Redis's password: the spec's, else the secrets store's, else none (no AUTH). */
export function externalRedisPassword(spec: Spec, secrets: Record<string, string>): string {
  return spec.redis.password ?? secrets.REDIS_PASSWORD ?? '';
}
