// Secrets: generated once from a cryptographic source, then kept forever. A re-render
// reads them back and reuses them, because rotating SECRET_KEY (or the DB password)
// breaks a running Dify.
import { randomBytes } from 'node:crypto';
import { UserError } from '../io/errors.js';
import { storageBackend, type StorageCredential } from '../backends/storage.js';
import type { Spec } from '../core/spec.js';
import { publishedValue, secretData } from '../core/secret-data.js';

export interface SecretDef {
  /** The .env variable that carries it. */
  name: string;
  /** URL/shell-safe value: no quoting needed in .env, compose, YAML or a redis:// URL. */
  generate: () => string;
  /** Generated only when dify-deploy runs the service itself: an external one already has its password. */
  generatedWhen?: (spec: Spec) => boolean;
  /**
   * Why replacing an adopted value hurts a running deployment. `refuse`: a published value is
   * not replaced at all (the render stops with `how`); otherwise it is replaced and `how` says
   * what to do on the live side.
   */
  live?: { refuse?: boolean; how: string };
}

const token = (bytes: number) => () => randomBytes(bytes).toString('base64url');
/** Dify's own SECRET_KEY advice: `openssl rand -base64 42`. */
const secretKey = () => `sk-${randomBytes(42).toString('base64url')}`;

export const SECRETS: readonly SecretDef[] = [
  {
    name: 'SECRET_KEY',
    generate: secretKey,
    live: {
      refuse: true,
      how:
        'it signs sessions and tokens and encrypts data in the database, so a new one logs everyone out and makes that data unreadable. ' +
        'To rotate it: back up (backup/backup.sh), stop the deployment, put SECRET_KEY=<openssl rand -base64 42> in .dify-deploy/secrets.env, re-render, start, and re-enter the credentials Dify can no longer decrypt; ' +
        'if this deployment has never run, simply delete the SECRET_KEY line from .env',
    },
  },
  {
    name: 'DB_PASSWORD',
    generate: token(24),
    generatedWhen: (spec) => spec.database.mode === 'bundled',
    live: { how: "a bundled database keeps the password its data volume was created with: on a running deployment, set the new one first (PostgreSQL: ALTER USER postgres PASSWORD '<new DB_PASSWORD>'; MySQL: ALTER USER 'root'@'%' IDENTIFIED BY '<new>')" },
  },
  { name: 'REDIS_PASSWORD', generate: token(24), generatedWhen: (spec) => spec.redis.mode === 'bundled' },
  // The bundled event-bus Redis (compose, from 500 QPS or mode: bundled); kept once made, so a tier change reuses it.
  { name: 'EVENT_BUS_REDIS_PASSWORD', generate: token(24), generatedWhen: (spec) => spec.redis.eventBus.mode === 'bundled' || spec.redis.eventBus.mode === 'auto' },
  { name: 'SANDBOX_API_KEY', generate: token(32) },
  { name: 'PLUGIN_DAEMON_KEY', generate: token(42) },
  { name: 'PLUGIN_DIFY_INNER_API_KEY', generate: token(42) },
  { name: 'WEAVIATE_API_KEY', generate: token(32) },
  { name: 'QDRANT_API_KEY', generate: token(32) },
  {
    name: 'PGVECTOR_PASSWORD',
    generate: token(24),
    live: { how: "a bundled pgvector keeps the password its data volume was created with: on a running deployment, run ALTER USER postgres PASSWORD '<new PGVECTOR_PASSWORD>' in it first" },
  },
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

/** Why a live secret at a published value is refused rather than replaced: render and import say the same. */
export function notRotated(def: SecretDef, published: string): string {
  return `${def.name}: the adopted value is a published upstream ${published}, and it is not rotated automatically: ${def.live?.how ?? ''}`;
}

/**
 * Screens secrets adopted from an existing deployment: a value anyone can read (an upstream
 * default or placeholder, releases/secrets.json) is dropped so a new one is generated, and
 * reported; where that would break live data (SECRET_KEY), the render stops instead.
 */
export function screenAdoptedSecrets(existing: Record<string, string>): { kept: Record<string, string>; notices: string[] } {
  const kept: Record<string, string> = {};
  const notices: string[] = [];
  const refused: string[] = [];
  for (const [name, value] of Object.entries(existing)) if (!SECRETS.some((d) => d.name === name)) kept[name] = value;
  for (const def of SECRETS) {
    const value = existing[def.name];
    if (value === undefined) continue;
    const published = publishedValue(value);
    if (!published) kept[def.name] = value;
    else if (def.live?.refuse) refused.push(notRotated(def, published));
    else notices.push(`${def.name}: the adopted value was a published upstream ${published}; a new one is generated${def.live ? ` — ${def.live.how}` : ''}`);
  }
  if (refused.length) throw new UserError(refused);
  return { kept, notices };
}

let knownSecrets: Set<string> | undefined;

/**
 * Whether `name` is a secret set to a value anyone can read: one dify-deploy generates, or one
 * releases/secrets.json knows (a narrower set than isSecretName: `admin` or `dify` may be a real
 * value of some other credential, e.g. a MinIO access key).
 */
export function publishedSecret(name: string, value: string): 'default' | 'placeholder' | undefined {
  knownSecrets ??= new Set([...SECRETS.map((d) => d.name), ...secretData().secrets.map((f) => f.var)]);
  return knownSecrets.has(name) ? publishedValue(value) : undefined;
}

/**
 * Secrets the spec's overrides set to a value anyone can read (an upstream default or a
 * placeholder): refused like an adopted one, since overrides.env reaches every Dify container.
 * The value is never shown.
 */
export function publishedOverrides(spec: Spec): string[] {
  const layers: [string, Record<string, string> | undefined][] = [
    ['overrides.env', spec.overrides.env],
    ...Object.entries(spec.overrides.components ?? {}).map(([c, o]): [string, Record<string, string> | undefined] => [`overrides.components.${c}.env`, o?.env]),
  ];
  return layers.flatMap(([where, env]) =>
    Object.entries(env ?? {}).flatMap(([name, value]) => {
      const published = typeof value === 'string' ? publishedSecret(name, value) : undefined;
      return published
        ? [`${where}.${name}: is a published upstream ${published} anyone can read; remove it (dify-deploy generates a secret and keeps it in .dify-deploy/secrets.env) or set a value of your own`]
        : [];
    }),
  );
}

/**
 * Keeps every secret already present in `existing`; generates only the missing ones. With a
 * spec, the password of an external database or Redis is never generated: it is the server's.
 */
export function resolveSecrets(existing: Record<string, string | undefined>, spec?: Spec): Record<string, string> {
  // Entries operators add to the store (external passwords, storage credentials) pass through.
  const out: Record<string, string> = Object.fromEntries(Object.entries(existing).filter((e): e is [string, string] => !!e[1] && !SECRETS.some((d) => d.name === e[0])));
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

/** Where an object store's credentials live in the secrets store when the spec leaves them out. */
export const STORAGE_CREDENTIAL_SECRETS: Record<StorageCredential, string> = {
  accessKey: 'STORAGE_ACCESS_KEY',
  secretKey: 'STORAGE_SECRET_KEY',
  serviceAccountJsonBase64: 'STORAGE_SERVICE_ACCOUNT_JSON_BASE64',
};

/**
 * spec.storage with its credentials: the spec's, else the secrets store's. A store without
 * them (and, for S3, without useIam: true) would render a deployment that cannot reach its
 * files, so the render stops naming both places to put them.
 */
export function storageWithCredentials(spec: Spec, secrets: Record<string, string>): Spec['storage'] {
  const st = { ...spec.storage };
  const backend = storageBackend(st.type);
  for (const field of backend.credentials) if (!st[field]) st[field] = secrets[STORAGE_CREDENTIAL_SECRETS[field]] || undefined;
  const missing = backend.credentials.filter((f) => !st[f]);
  if (missing.length && !(backend.iam && st.useIam))
    throw new UserError([
      `storage: ${backend.label} needs ${missing.map((f) => `storage.${f}`).join(' and ')}; set ${missing.length > 1 ? 'them' : 'it'} in dify-deploy.yaml, or (kept out of the spec) put ${missing.map((f) => `${STORAGE_CREDENTIAL_SECRETS[f]}=…`).join(' and ')} in the output directory's .dify-deploy/secrets.env${backend.iam ? ", or set storage.useIam: true to use the machine's IAM role" : ''}`,
    ]);
  return st;
}

/** An external Redis's password: the spec's, else the secrets store's, else none (no AUTH). */
export function externalRedisPassword(spec: Spec, secrets: Record<string, string>): string {
  return spec.redis.password ?? secrets.REDIS_PASSWORD ?? '';
}
