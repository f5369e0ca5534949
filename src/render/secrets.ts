// Secrets: generated once from a cryptographic source, then kept forever. A re-render
// reads them back and reuses them, because rotating SECRET_KEY (or the DB password)
// breaks a running Dify.
import { randomBytes } from 'node:crypto';

export interface SecretDef {
  /** The .env variable that carries it. */
  name: string;
  /** URL/shell-safe value: no quoting needed in .env, compose, YAML or a redis:// URL. */
  generate: () => string;
}

const token = (bytes: number) => () => randomBytes(bytes).toString('base64url');
/** Dify's own SECRET_KEY advice: `openssl rand -base64 42`. */
const secretKey = () => `sk-${randomBytes(42).toString('base64url')}`;

export const SECRETS: readonly SecretDef[] = [
  { name: 'SECRET_KEY', generate: secretKey },
  { name: 'DB_PASSWORD', generate: token(24) },
  { name: 'REDIS_PASSWORD', generate: token(24) },
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

/** Keeps every secret already present in `existing`; generates only the missing ones. */
export function resolveSecrets(existing: Record<string, string | undefined>, defs: readonly SecretDef[] = SECRETS): Record<string, string> {
  const out: Record<string, string> = {};
  for (const def of defs) {
    const kept = existing[def.name];
    out[def.name] = kept !== undefined && kept !== '' ? kept : def.generate();
  }
  return out;
}
