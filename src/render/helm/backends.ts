// The dify-helm blocks for the spec's backends: bundled subcharts sized from the plan, or
// an external service with the bundled subchart switched off. The chart only ever
// enables one of each kind, so every choice also writes the `enabled: false` it implies.
import { UserError } from '../../io/errors.js';
import { withUrlPassword } from '../spec-credentials.js';
import { gib, type Plan } from '../../core/sizing.js';
import type { RedisServerSettings } from '../../core/redis.js';
import type { Spec } from '../../core/spec.js';
import { storageBackend } from '../../backends/storage.js';
import { vectorStoreBackend } from '../../backends/vector-stores.js';
import { cpuQuantity } from '../../helm/quantity.js';
import type { Values } from '../../helm/merge.js';
import { CREDENTIALS_SECRET, WEAVIATE_KEY_PLACEHOLDER, WEAVIATE_KEYS_ENV } from './credentials.js';
import { externalDatabasePassword, externalRedisPassword, storageWithCredentials } from '../secrets.js';

const DEFAULT_PORTS = { postgresql: 5432, mysql: 3306, redis: 6379 } as const;

/** A `resources` block: requests at half, limits at the whole machine the plan gives it. */
export function resourcesFor(cpu: number, memory: string, request: { cpu: number; memory: string }): Values {
  return {
    requests: { cpu: cpuQuantity(request.cpu), memory: request.memory },
    limits: { cpu: cpuQuantity(cpu), memory },
  };
}


/** `credentialsFromSecret` (helm.existingSecret): the external server's password goes in as "": every pod reads it from the user's Secret (existing-secret.ts). */
export function databaseValues(spec: Spec, plan: Plan, secrets: Record<string, string>, credentialsFromSecret: boolean): Values {
  const db = spec.database;
  if (db.mode === 'bundled') {
    if (db.engine !== 'postgresql')
      throw new UserError(['database.engine: the dify-helm chart bundles PostgreSQL only; use engine: postgresql, or mode: external with your MySQL server']);
    const host = plan.database.hostSize!;
    // extendedConfiguration is appended to postgresql.conf (bitnami/postgresql override.conf).
    const conf = Object.entries(plan.database.settings ?? {})
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n');
    return {
      postgresql: {
        enabled: true,
        // Dify only talks to the primary: a read replica would cost a second server for nothing.
        architecture: 'standalone',
        global: { postgresql: { auth: { postgresPassword: secrets.DB_PASSWORD } } },
        primary: {
          resources: resourcesFor(host.cpus, gib(host.memoryGiB), { cpu: host.cpus, memory: gib(host.memoryGiB) }),
          extendedConfiguration: `${conf}\n`,
          // The storage model's volume: the data at the retention × headroom (the chart's default is 8Gi).
          persistence: { size: `${plan.storage.diskGiB}Gi` },
        },
      },
    };
  }
  const block = {
    enabled: true,
    address: db.host,
    port: db.port ?? DEFAULT_PORTS[db.engine],
    username: db.user ?? (db.engine === 'postgresql' ? 'postgres' : 'root'),
    password: credentialsFromSecret ? '' : externalDatabasePassword(spec, secrets),
    database: { api: db.database, pluginDaemon: db.pluginDatabase },
  };
  return { postgresql: { enabled: false }, ...(db.engine === 'postgresql' ? { externalPostgres: block } : { externalMysql: block }) };
}

/** redis-server flags for a bundled server the plan sized. */
export function redisServerFlags(server: RedisServerSettings): string[] {
  return [
    `--maxclients ${server.maxclients}`,
    `--maxmemory ${server.maxmemory}`,
    `--maxmemory-policy ${server.maxmemoryPolicy}`,
    ...(server.ioThreads ? [`--io-threads ${server.ioThreads}`, '--io-threads-do-reads yes'] : []),
  ];
}

/** `credentialsFromSecret`: as for databaseValues, the Redis and Sentinel passwords too. */
export function redisValues(spec: Spec, plan: Plan, secrets: Record<string, string>, credentialsFromSecret: boolean): Values {
  const r = spec.redis;
  if (r.mode === 'bundled') {
    const infra = plan.infrastructure.find((i) => i.name === 'redis');
    return {
      redis: {
        enabled: true,
        // Dify connects to the master only; the chart's default 3-node replication is unused capacity.
        architecture: 'standalone',
        auth: { password: secrets.REDIS_PASSWORD },
        master: {
          ...(infra ? { resources: resourcesFor(infra.cpu, infra.memory, { cpu: infra.cpu, memory: infra.memory }) } : {}),
          // bitnami/redis appends these to redis-server: the plan's maxclients, and noeviction so queued Celery tasks are never evicted.
          ...(plan.redis.server ? { extraFlags: redisServerFlags(plan.redis.server) } : {}),
        },
      },
    };
  }
  if (r.topology === 'cluster')
    throw new UserError(['redis.topology: the dify-helm chart has no Redis Cluster settings (standalone or sentinel only); use sentinel, or the compose target']);
  const password = credentialsFromSecret ? '' : externalRedisPassword(spec, secrets);
  const external: Values = {
    enabled: true,
    username: r.username ?? '',
    password,
    useSSL: r.useSsl,
    db: { app: r.db },
  };
  if (r.topology === 'sentinel')
    external.sentinel = { enabled: true, masterSet: r.sentinelMasterName, sentinels: r.sentinels, password: credentialsFromSecret ? '' : (r.sentinelPassword ?? '') };
  else Object.assign(external, { host: r.host, port: r.port ?? DEFAULT_PORTS.redis });
  return { redis: { enabled: false }, externalRedis: external };
}

function requireFields(section: string, id: string, spec: Record<string, unknown>, fields: readonly string[]): void {
  const missing = fields.filter((f) => spec[f] === undefined || spec[f] === '');
  if (missing.length) throw new UserError(missing.map((f) => `${section}.${f}: required for ${section}.type ${id}`));
}

/** The chart's external vector-store blocks, keyed by the backend's helmExternalKey. */
const VECTOR_BLOCKS: Record<string, (v: Spec['vectorStore']) => Values> = {
  externalWeaviate: (v) => ({ endpoint: { http: v.url }, apiKey: v.apiKey ?? '' }),
  externalQdrant: (v) => ({ endpoint: v.url, apiKey: v.apiKey ?? '' }),
  externalMilvus: (v) => ({ uri: v.url, user: v.user ?? '', password: v.password ?? '', token: v.apiKey ?? '', database: v.database ?? 'default' }),
  externalPgvector: (v) => ({ address: v.host, port: v.port ?? DEFAULT_PORTS.postgresql, username: v.user, password: v.password, dbName: v.database }),
  externalElasticsearch: (v) => ({ host: v.host, port: v.port ?? 9200, username: v.user, password: v.password }),
  externalMyScaleDB: (v) => ({ host: v.host, port: v.port ?? 8123, username: v.user, password: v.password, database: v.database ?? 'dify' }),
  externalTencentVectorDB: (v) => ({ url: v.url, apiKey: v.apiKey, username: v.user, database: v.database ?? 'dify' }),
  externalTableStore: (v) => ({ endpoint: v.url, accessKeyId: v.user, accessKeySecret: v.password }),
};

/** A URL field without the password in it (the pods get the password from the Secret: existing-secret.ts urlSecrets). */
const withoutPassword = (url: string | undefined) => (url === undefined ? url : withUrlPassword(url, undefined));

/**
 * `credentialsFromSecret` (helm.existingSecret): the credentials go in as "" (a URL without its
 * password) and are neither required here nor written; the pods read them from the user's Secret
 * (existing-secret.ts).
 */
export function vectorStoreValues(spec: Spec, credentialsFromSecret: boolean): Values {
  const v = credentialsFromSecret ? { ...spec.vectorStore, apiKey: '', password: '', url: withoutPassword(spec.vectorStore.url) } : spec.vectorStore;
  const backend = vectorStoreBackend(v.type);
  if (v.mode === 'bundled') {
    if (v.type !== 'weaviate')
      throw new UserError([`vectorStore: the dify-helm chart bundles Weaviate only; use type: weaviate, or mode: external for ${backend.label}`]);
    // The key reaches Weaviate from a Secret (envSecrets; the chart sets AUTHENTICATION_APIKEY_ENABLED,
    // and Weaviate's env beats its config file), never its ConfigMap or a literal env value: the
    // config file gets a placeholder, the chart's literal env entry is deleted (null), and the
    // api-image pods read WEAVIATE_API_KEY from the same Secret (values.ts apiImageEnv).
    return {
      weaviate: {
        enabled: true,
        authentication: { apikey: { allowed_keys: [WEAVIATE_KEY_PLACEHOLDER] } },
        env: { [WEAVIATE_KEYS_ENV]: null },
        envSecrets: { [WEAVIATE_KEYS_ENV]: CREDENTIALS_SECRET },
      },
    };
  }
  const key = backend.helmExternalKey;
  if (!key) throw new UserError([`vectorStore.type: the dify-helm chart has no settings for an external ${backend.label}; choose one of the stores it supports (weaviate, qdrant, milvus, pgvector, elasticsearch, myscale, tencent, tablestore)`]);
  requireFields('vectorStore', v.type, v, backend.externalRequires.filter((f) => !(credentialsFromSecret && (f === 'apiKey' || f === 'password'))));
  return { weaviate: { enabled: false }, [key]: { enabled: true, ...VECTOR_BLOCKS[key](v) } };
}

type StorageSpec = Spec['storage'];
const bucketNames = (s: StorageSpec) => ({ api: s.bucket, pluginDaemon: s.pluginBucket ?? s.bucket });

/** The chart's external object-storage blocks, keyed by the backend's helmExternalKey. */
const STORAGE_BLOCKS: Record<string, (s: StorageSpec) => Values> = {
  externalS3: (s) => ({
    endpoint: s.endpoint ?? `https://s3.${s.region}.amazonaws.com`,
    region: s.region,
    accessKey: s.accessKey ?? '',
    secretKey: s.secretKey ?? '',
    pathStyle: s.pathStyle ?? false,
    useIAM: s.useIam ?? false,
    bucketName: bucketNames(s),
  }),
  externalAzureBlobStorage: (s) => ({ url: s.accountUrl, account: s.accountName, key: s.secretKey, container: s.bucket }),
  // path: the object-key prefix; the chart's sample "your-path" would become one.
  externalOSS: (s) => ({ endpoint: s.endpoint, region: s.region, accessKey: s.accessKey, secretKey: s.secretKey, path: '', bucketName: bucketNames(s) }),
  externalGCS: (s) => ({ serviceAccountJsonBase64: s.serviceAccountJsonBase64, bucketName: bucketNames(s) }),
  externalCOS: (s) => ({ secretId: s.accessKey, secretKey: s.secretKey, region: s.region, scheme: 'https', bucketName: bucketNames(s) }),
  externalOBS: (s) => ({ endpoint: s.endpoint, accessKey: s.accessKey, secretKey: s.secretKey, bucketName: bucketNames(s) }),
  externalTOS: (s) => ({ endpoint: s.endpoint, region: s.region, accessKey: s.accessKey, secretKey: s.secretKey, bucketName: bucketNames(s) }),
};

/** `credentialsFromSecret`: as for vectorStoreValues. */
export function storageValues(spec: Spec, secrets: Record<string, string>, credentialsFromSecret: boolean): Values {
  const backend = storageBackend(spec.storage.type);
  if (!backend.helmExternalKey) return {}; // local: the chart's ReadWriteMany PVCs
  requireFields('storage', spec.storage.type, spec.storage, backend.requires);
  const s = credentialsFromSecret
    ? { ...spec.storage, endpoint: withoutPassword(spec.storage.endpoint), accountUrl: withoutPassword(spec.storage.accountUrl), ...Object.fromEntries(backend.credentials.map((f) => [f, ''])) }
    : storageWithCredentials(spec, secrets);
  return { [backend.helmExternalKey]: { enabled: true, ...STORAGE_BLOCKS[backend.helmExternalKey](s) } };
}
