// helm.existingSecret: the user keeps the deployment's secrets in a Kubernetes Secret of
// their own, under the same names as our .env. values.yaml then carries none of them: every
// container that reads one gets it through an extraEnv secretKeyRef (a container's env beats
// the chart's envFrom Secret, as the chart's values.yaml says of extraEnv), and the bundled
// subcharts read the same Secret through their own existingSecret keys.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../core/data.js';
import type { Spec } from '../../core/spec.js';
import { chartFactsVersion, loadChart } from '../../helm/chart.js';
import { isMap, type Values } from '../../helm/merge.js';
import { HELM_RELEASE_NAME } from './names.js';
import { CHART_COMPONENTS } from './components.js';
import { externalRedisPassword, SECRETS, STORAGE_CREDENTIAL_SECRETS } from '../secrets.js';
import { CREDENTIAL_FIELDS, urlPassword, withUrlPassword } from '../spec-credentials.js';
import { getAt } from '../../core/data-path.js';
import { UserError } from '../../io/errors.js';
import { storageBackend } from '../../backends/storage.js';
import { vectorStoreBackend } from '../../backends/vector-stores.js';
import { WEAVIATE_KEYS_ENV } from './credentials.js';
import type { RenderContext } from '../types.js';

/** A Kubernetes EnvVar as the chart's extraEnv takes it. */
export type EnvVar = { name: string; value: string } | { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } };

interface ComponentSecretEnv {
  source: string;
  /** Container env name → the dify-deploy secret (.env name) holding its value. */
  env: Record<string, string>;
  /** Env names whose Redis URL the chart builds with the password inside → the externalRedis.db key of its index. */
  redisUrls: Record<string, string>;
}

/** Chart components that read an external store's credentials, and under which env names. */
interface BackendCredentialReader {
  components: string[];
  source: string;
  /** Container env name → the secrets-store name (the user's Secret key) holding its value. */
  env: Record<string, string>;
  /** Env the chart builds with a credential inside: its value with `$(VAR)` for an `env` entry above, and {placeholders}. */
  expand?: Record<string, string>;
}

/** Chart components that read a URL the values block holds, and under which env names. */
interface UrlReader {
  components: string[];
  source: string;
  env: string[];
}

interface BackendCredentials {
  readers: BackendCredentialReader[];
  /** The spec field (a urlPassword one of CREDENTIAL_FIELDS) the values block writes as a URL, and its readers. */
  url?: { field: string; readers: UrlReader[] };
}

interface SecretEnvFacts {
  chart: string;
  components: Record<string, ComponentSecretEnv>;
  /** Keyed by the chart's values block (helmExternalKey). */
  backendCredentials: { storage: Record<string, BackendCredentials>; vectorStore: Record<string, BackendCredentials> };
}

const cache = new Map<string, SecretEnvFacts>();

/** schemas/dify-helm-<version>/secret-env.json: which secret env each chart component reads. */
export function secretEnvFacts(chartVersion: string): SecretEnvFacts {
  let facts = cache.get(chartVersion);
  if (!facts) {
    loadChart(chartVersion); // a clear error for an unknown chart version
    facts = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'schemas', `dify-helm-${chartFactsVersion(chartVersion)}`, 'secret-env.json'), 'utf8')) as SecretEnvFacts;
    cache.set(chartVersion, facts);
  }
  return facts;
}


const bundledWeaviate = (spec: Spec) => spec.vectorStore.mode === 'bundled' && spec.vectorStore.type === 'weaviate';

/**
 * Secrets-store names, beside the generated secrets, that pods read from the Secret: an external
 * Sentinel's password when the deployment has one (the spec's or the store's; without one the
 * chart's "" is right, and render cannot know of one kept only in the Secret).
 */
function storeSecretsInUse(spec: Spec): string[] {
  const r = spec.redis;
  return r.mode === 'external' && r.topology === 'sentinel' && r.sentinelPassword ? ['REDIS_SENTINEL_PASSWORD'] : [];
}

/** Chart component keys of the plan's components that this chart version deploys. */
function deployedComponents(ctx: RenderContext): string[] {
  const defaults = loadChart(ctx.release.helm.version).defaults;
  return ctx.plan.components.map((c) => CHART_COMPONENTS[c.name].key).filter((key) => isMap(defaults[key]));
}

/**
 * The secrets (our .env names, in SECRETS order, then secrets-store names) the deployment reads
 * from the Secret: those some deployed component's container reads. A database or Redis password
 * the spec gives inline is read from the Secret too: values.yaml carries no secret.
 */
export function secretsInUse(ctx: RenderContext): string[] {
  const facts = secretEnvFacts(ctx.release.helm.version);
  const read = new Set(deployedComponents(ctx).flatMap((key) => Object.values(facts.components[key]?.env ?? {})));
  // An external Weaviate's key is vectorStore.apiKey (backendSecrets); other stores never read WEAVIATE_API_KEY.
  const unused = (name: string) => name === 'WEAVIATE_API_KEY' && !bundledWeaviate(ctx.spec);
  return [...SECRETS.map((s) => s.name), ...storeSecretsInUse(ctx.spec)].filter((name) => read.has(name) && !unused(name));
}

const VECTOR_CREDENTIALS = ['apiKey', 'password'] as const;
const storeName = (path: string) => CREDENTIAL_FIELDS.find((f) => f.path === path)!.store;

/** The chart facts of the external object store and vector store the spec uses (helmExternalKey). */
function backendFacts(ctx: RenderContext): { storage?: BackendCredentials; vector?: BackendCredentials } {
  const { storage: storageFacts, vectorStore: vectorFacts } = secretEnvFacts(ctx.release.helm.version).backendCredentials;
  const storageKey = storageBackend(ctx.spec.storage.type).helmExternalKey;
  const vectorKey = vectorStoreBackend(ctx.spec.vectorStore.type).helmExternalKey;
  return {
    storage: storageKey ? storageFacts[storageKey] : undefined,
    vector: ctx.spec.vectorStore.mode === 'external' && vectorKey ? vectorFacts[vectorKey] : undefined,
  };
}

/**
 * The object store's and vector store's credentials the pods read from the Secret, as
 * secrets-store names (the Secret's keys), each with the backend's chart facts. Required ones
 * always (the Secret supplies them, so neither the spec nor the store must), optional ones
 * when the spec gives them.
 */
function backendSecrets(ctx: RenderContext): { facts: BackendCredentials; keys: string[] }[] {
  if (!ctx.spec.helm?.existingSecret) return [];
  const { storage: storageFacts, vector: vectorFacts } = backendFacts(ctx);
  const out: { facts: BackendCredentials; keys: string[] }[] = [];
  const st = ctx.spec.storage;
  const storage = storageBackend(st.type);
  if (storageFacts && !(storage.iam && st.useIam))
    out.push({ facts: storageFacts, keys: storage.credentials.map((f) => STORAGE_CREDENTIAL_SECRETS[f]) });
  const v = ctx.spec.vectorStore;
  const vector = vectorStoreBackend(v.type);
  if (vectorFacts) {
    const fields = VECTOR_CREDENTIALS.filter((f) => (vector.externalRequires as readonly string[]).includes(f) || v[f]);
    out.push({ facts: vectorFacts, keys: fields.map((f) => storeName(`vectorStore.${f}`)) });
  }
  return out;
}

/** With helm.existingSecret: the store credentials' Secret keys. */
export function backendSecretKeys(ctx: RenderContext): string[] {
  return backendSecrets(ctx).flatMap(({ keys }) => keys);
}

/**
 * A password as a URL's user info may hold it unencoded (RFC 3986 userinfo: unreserved, sub-delims, ":"
 * and %XX escapes). Kubernetes' $(VAR) expansion encodes nothing, so the Secret must hold it in this
 * form, which is also how the URL in the spec or store writes it.
 */
const URL_SAFE = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})*$/;
const URL_SAFE_TEXT = "letters, digits, - . _ ~ ! $ & ' ( ) * + , ; = : and %XX escapes";

/**
 * With helm.existingSecret: the URLs of the values blocks that hold a password, each with its
 * readers, the Secret key that holds the password and the URL with `$(KEY)` in the password's place.
 */
function urlSecrets(ctx: RenderContext): { readers: UrlReader[]; key: string; field: string; url: string }[] {
  if (!ctx.spec.helm?.existingSecret) return [];
  const { storage, vector } = backendFacts(ctx);
  return [storage?.url, vector?.url].flatMap((facts) => {
    const url = facts && getAt(ctx.spec, facts.field);
    const password = typeof url === 'string' ? urlPassword(url) : undefined;
    if (!facts || !password) return [];
    const key = storeName(facts.field);
    if (!URL_SAFE.test(password))
      throw new UserError([`${facts.field}: with helm.existingSecret the password in this URL is read from the Secret's key ${key} and Kubernetes expands it into the URL unencoded, so it may hold only ${URL_SAFE_TEXT}: percent-encode it where you keep it (the URL in the spec, or ${key} in .dify-deploy/secrets.env) and in the Secret`]);
    return [{ readers: facts.readers, key, field: facts.field, url: withUrlPassword(url as string, `$(${key})`) }];
  });
}

/** The extraEnv entries that give chart component `chartKey` the URLs with a password: its Secret key first, then each URL env expanding it. */
function urlSecretEnv(ctx: RenderContext, chartKey: string): EnvVar[] {
  const secret = ctx.spec.helm?.existingSecret;
  return urlSecrets(ctx).flatMap(({ readers, key, url }) => {
    const mine = readers.filter((r) => r.components.includes(chartKey));
    if (!mine.length) return [];
    return [secretRef(secret!, key, key), ...mine.flatMap((r) => r.env.map((name) => ({ name, value: url })))];
  });
}

/** The {placeholders} of an `expand` value: the object store's settings as the chart's values block holds them (its url with $(KEY) for a password). */
function expandPlaceholders(ctx: RenderContext): Record<string, string> {
  const spec = ctx.spec;
  const url = urlSecrets(ctx).find((u) => u.field === 'storage.accountUrl')?.url ?? spec.storage.accountUrl ?? '';
  return { protocol: url.startsWith('https://') ? 'https' : 'http', account: spec.storage.accountName ?? '', url };
}

/** The extraEnv entries that give chart component `chartKey` the store credentials from the Secret. */
function backendSecretEnv(ctx: RenderContext, chartKey: string): EnvVar[] {
  const secret = ctx.spec.helm?.existingSecret;
  const placeholders = expandPlaceholders(ctx);
  return backendSecrets(ctx).flatMap(({ facts, keys }) => {
    const inUse = new Set(keys);
    return facts.readers
      .filter((r) => r.components.includes(chartKey) && Object.values(r.env).some((key) => inUse.has(key)))
      .flatMap((r) => [
        ...Object.entries(r.env).filter(([, key]) => inUse.has(key)).map(([name, key]) => secretRef(secret!, name, key)),
        // After the entries whose $(VAR) they expand.
        ...Object.entries(r.expand ?? {}).map(([name, value]) => ({ name, value: value.replace(/\{(\w+)\}/g, (_, p: string) => placeholders[p]) })),
      ]);
  });
}

/** Every key the Secret must hold, with why a key that is not an .env name is there. */
export function secretKeys(ctx: RenderContext): { key: string; note?: string }[] {
  const keys: { key: string; note?: string }[] = secretsInUse(ctx).map((key) =>
    // Kubernetes expands $(REDIS_PASSWORD) into the Redis URLs as it is, never URL-encoded.
    key === 'REDIS_PASSWORD' ? { key, note: `only ${URL_UNRESERVED_TEXT}: it is expanded into redis:// URLs unencoded` } : { key },
  );
  keys.push(...backendSecretKeys(ctx).map((key) => ({ key })));
  keys.push(...urlSecrets(ctx).map(({ key, field }) => ({ key, note: `the password in ${field} as the URL writes it: only ${URL_SAFE_TEXT}: it is expanded into the URL unencoded` })));
  if (bundledWeaviate(ctx.spec))
    keys.push({ key: WEAVIATE_KEYS_ENV, note: 'the same value as WEAVIATE_API_KEY: the bundled Weaviate reads it under this name' });
  return keys;
}

/** A password Kubernetes can expand into a URL's user info as it is: unreserved characters only (an %XX escape would differ from REDIS_PASSWORD). */
const URL_UNRESERVED = /^[A-Za-z0-9\-._~]*$/;
const URL_UNRESERVED_TEXT = 'letters, digits and - . _ ~';

/** The Redis password render knows: the bundled server's generated one, or the external server's from the spec or store. */
const knownRedisPassword = (ctx: RenderContext) => (ctx.spec.redis.mode === 'bundled' ? (ctx.secrets.REDIS_PASSWORD ?? '') : externalRedisPassword(ctx.spec, ctx.secrets));

/**
 * With helm.existingSecret the Redis URLs hold `$(REDIS_PASSWORD)`, expanded unencoded: a password
 * render knows (the spec's or the store's) that a URL would misread stops the render here, rather
 * than a broker that cannot log in.
 */
export function checkRedisPasswordExpands(ctx: RenderContext): void {
  if (!ctx.spec.helm?.existingSecret || !secretsInUse(ctx).includes('REDIS_PASSWORD')) return;
  const r = ctx.spec.redis;
  if (URL_UNRESERVED.test(knownRedisPassword(ctx))) return;
  const where = r.mode === 'external' && r.password !== undefined ? 'redis.password in dify-deploy.yaml' : 'REDIS_PASSWORD in .dify-deploy/secrets.env';
  throw new UserError([
    `${where}: with helm.existingSecret the pods read the Redis password from the Secret's key REDIS_PASSWORD and Kubernetes expands it into the redis:// URLs unencoded, so it may hold only ${URL_UNRESERVED_TEXT}; set such a password on the Redis server, here and in the Secret`,
  ]);
}

const secretRef = (secret: string, name: string, key: string): EnvVar => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });

/**
 * A Redis URL as the chart's credentials.tpl builds it, with `userInfo` (already URL-encoded, or
 * `:$(REDIS_PASSWORD)` for Kubernetes to expand from the REDIS_PASSWORD entry written before it).
 */
function redisUrl(ctx: RenderContext, dbKey: string, sentinelAllowed: boolean, userInfo: string): string {
  const defaults = loadChart(ctx.release.helm.version).defaults as Record<string, any>;
  const db = defaults.externalRedis?.db?.[dbKey];
  const r = ctx.spec.redis;
  if (r.mode === 'bundled') {
    // credentials.tpl: redis://:<password>@<release>-redis-master:<redis.master.service.ports.redis>/<db>
    const port = defaults.redis?.master?.service?.ports?.redis ?? 6379;
    return `redis://${userInfo}@${HELM_RELEASE_NAME}-redis-master:${port}/${db}`;
  }
  if (r.topology === 'sentinel' && sentinelAllowed) return (r.sentinels ?? []).map((s) => `sentinel://${userInfo}@${s}/${db}`).join(';');
  return `${r.useSsl ? 'rediss' : 'redis'}://${userInfo}@${r.host}:${r.port ?? 6379}/${db}`;
}

/**
 * The Redis URLs a component reads (CELERY_BROKER_URL, DIFY_AGENT_REDIS_URL) that the chart cannot
 * build right. It writes the username and password into them as they are, which is right only
 * while neither holds a character a URL reserves (`Tok/en=42` ends the authority at "/"): then the
 * URLs are given here, encoded. From the user's Secret the password is `$(REDIS_PASSWORD)`, which
 * Kubernetes expands unencoded. With Sentinel the chart builds sentinel:// URLs for every one, and
 * only Celery's broker can use Sentinel: the agent backend's URL is the master's address.
 */
function redisUrlEnv(ctx: RenderContext, urls: Record<string, string>, fromSecret: boolean): EnvVar[] {
  const r = ctx.spec.redis;
  const user = r.mode === 'bundled' ? '' : (r.username ?? '');
  const sentinelBroker = (name: string) => name === 'CELERY_BROKER_URL';
  let userInfo = `${user}:$(REDIS_PASSWORD)`;
  let names = Object.keys(urls);
  if (!fromSecret) {
    const password = knownRedisPassword(ctx);
    userInfo = `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
    const chartSentinel = r.mode === 'external' && r.topology === 'sentinel';
    if (encodeURIComponent(password) === password && encodeURIComponent(user) === user) names = names.filter((name) => chartSentinel && !sentinelBroker(name));
  }
  return names.map((name) => ({ name, value: redisUrl(ctx, urls[name], sentinelBroker(name), userInfo) }));
}

/**
 * The extraEnv entries that give one chart component its secrets from the Secret (with
 * helm.existingSecret), and the Redis URLs the chart cannot build right (see redisUrlEnv).
 */
export function secretEnv(ctx: RenderContext, chartKey: string): EnvVar[] {
  const secret = ctx.spec.helm?.existingSecret;
  const facts = secretEnvFacts(ctx.release.helm.version).components[chartKey];
  if (!facts) return [];
  const inUse = new Set(secret ? secretsInUse(ctx) : []);
  const out = Object.entries(facts.env)
    .filter(([, key]) => inUse.has(key))
    .map(([name, key]) => secretRef(secret!, name, key));
  // The URL passwords first: the Azure connection string (an expand entry) reads $(STORAGE_ACCOUNT_URL_PASSWORD).
  out.push(...urlSecretEnv(ctx, chartKey));
  out.push(...backendSecretEnv(ctx, chartKey));
  out.push(...redisUrlEnv(ctx, facts.redisUrls, inUse.has('REDIS_PASSWORD')));
  return out;
}

/** The bundled subcharts, pointed at the same Secret through their own keys. */
export function subchartSecretValues(ctx: RenderContext): Values {
  const secret = ctx.spec.helm?.existingSecret;
  if (!secret) return {};
  const inUse = new Set(secretsInUse(ctx));
  const out: Values = {};
  // bitnami/postgresql 12.5.6 _helpers.tpl: with an existingSecret the admin password key must be named
  // (postgresql.adminPasswordKey is empty otherwise); dify's user is postgres, which reads the admin key.
  if (ctx.spec.database.mode === 'bundled' && inUse.has('DB_PASSWORD'))
    out.postgresql = { auth: { existingSecret: secret, secretKeys: { adminPasswordKey: 'DB_PASSWORD' } } };
  // bitnami/redis 16.13.2: auth.existingSecret + auth.existingSecretPasswordKey (both in dify-helm's redis: block).
  if (ctx.spec.redis.mode === 'bundled' && inUse.has('REDIS_PASSWORD'))
    out.redis = { auth: { existingSecret: secret, existingSecretPasswordKey: 'REDIS_PASSWORD' } };
  // weaviate-helm renders envSecrets as secretKeyRef {name: <value>, key: <env name>}.
  if (bundledWeaviate(ctx.spec) && inUse.has('WEAVIATE_API_KEY')) out.weaviate = { envSecrets: { [WEAVIATE_KEYS_ENV]: secret } };
  return out;
}

/** The shell command that creates the Secret, values elided: for helm/README.md. */
export function createSecretCommand(ctx: RenderContext, namespace: string, credentialKeys: string[]): { command: string; notes: string[] } | undefined {
  const secret = ctx.spec.helm?.existingSecret;
  if (!secret) return undefined;
  // Credentials of the env (an event bus URL, secrets in overrides.env) are read from the Secret too (credentials.ts).
  const keys = secretKeys(ctx);
  for (const key of credentialKeys) if (!keys.some((k) => k.key === key)) keys.push({ key, note: 'a credential of the deployment\'s env (its value as dify-deploy.yaml or overrides.env gives it)' });
  const command = [`kubectl -n ${namespace} create secret generic ${secret}`, ...keys.map((k) => `  --from-literal=${k.key}=…`)].join(' \\\n');
  return { command, notes: keys.filter((k) => k.note).map((k) => `${k.key}: ${k.note}`) };
}
