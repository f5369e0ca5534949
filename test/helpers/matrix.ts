// The release × tier × backend matrix the real-program tests run (Helm, Kubernetes schemas,
// YAML 1.1 readers, compose interpolation). Every backend set runs on every release; the
// all-bundled set on every tier, the others on two tiers each, rotated so every tier meets
// external backends too.
import { releaseVersions, tierNames } from '../../src/core/data.js';
import { specSchema, type Spec, type SpecInput } from '../../src/core/spec.js';
import { withStateChoices } from './state-choices.js';

const S3 = { type: 's3', bucket: 'dify-files', region: 'us-east-1', accessKey: 'AKIAEXAMPLE', secretKey: 'user-s3-secret' } as const;
const EXTERNAL_PG = { mode: 'external', host: 'pg.internal', user: 'dify', password: 'pg-Secret-7f3', maxConnections: 20000 } as const;
const SENTINEL = { mode: 'external', topology: 'sentinel', sentinels: ['s1.internal:26379', 's2.internal:26379'], sentinelMasterName: 'mymaster', host: 'redis-primary.internal', password: 'r-Secret-9a1', maxClients: 50000 } as const;

/** Backend sets (the chart has no bundled MySQL, Qdrant or Redis Cluster; local storage is single-host only). */
export const BACKENDS: Record<string, Partial<SpecInput>> = {
  'all bundled; s3': { storage: S3 },
  'all bundled; local storage': { storage: { type: 'local' } },
  'external pg, redis; qdrant; azure-blob': {
    database: EXTERNAL_PG,
    redis: { mode: 'external', host: 'redis.internal', password: 'r-Secret-9a1', maxClients: 50000 },
    vectorStore: { type: 'qdrant', mode: 'external', url: 'https://qdrant.internal:6333', apiKey: 'q-key' },
    storage: { type: 'azure-blob', bucket: 'c', accountName: 'acct', secretKey: 'az-secret', accountUrl: 'https://acct.blob.core.windows.net' },
  },
  'external mysql; sentinel; pgvector; aliyun-oss': {
    database: { engine: 'mysql', mode: 'external', host: 'mysql.internal', user: 'dify', password: 'my-Secret-2b', maxConnections: 20000 },
    redis: SENTINEL,
    vectorStore: { type: 'pgvector', mode: 'external', host: 'pgv.internal', user: 'u', password: 'p-Secret', database: 'vec' },
    storage: { type: 'aliyun-oss', bucket: 'b', endpoint: 'https://oss-cn-hangzhou.aliyuncs.com', region: 'cn-hangzhou', accessKey: 'a', secretKey: 's' },
  },
  'bundled pg; external weaviate; s3-compatible endpoint; own TLS': {
    vectorStore: { type: 'weaviate', mode: 'external', url: 'http://weaviate.internal:8080', apiKey: 'w-key' },
    storage: { ...S3, endpoint: 'https://minio.internal:9000' },
    domain: { host: 'dify.example.com', tls: 'own', certFile: 'c.pem', keyFile: 'k.pem' },
  },
  'external pg; milvus; volcengine-tos; certbot TLS': {
    database: EXTERNAL_PG,
    vectorStore: { type: 'milvus', mode: 'external', url: 'http://milvus.internal:19530' },
    storage: { type: 'volcengine-tos', bucket: 'b', endpoint: 'https://tos-cn-beijing.volces.com', region: 'cn-beijing', accessKey: 'a', secretKey: 's' },
    domain: { host: 'dify.example.com', tls: 'certbot', email: 'ops@example.com' },
  },
  'helm.existingSecret; external pg; sentinel; elasticsearch; tencent-cos': {
    helm: { existingSecret: 'dify-app-secrets' },
    database: { ...EXTERNAL_PG, password: undefined },
    redis: SENTINEL,
    vectorStore: { type: 'elasticsearch', mode: 'external', host: 'es.internal', user: 'elastic', password: 'e-Secret' },
    storage: { type: 'tencent-cos', bucket: 'b', region: 'ap-guangzhou', accessKey: 'a', secretKey: 's' },
  },
};

export interface MatrixCase {
  release: string;
  tier: string;
  backend: string;
  spec: Spec;
}

/** Sets only the compose target deploys. */
const COMPOSE_ONLY = new Set(['all bundled; local storage']);

export function matrix(targets: ('compose' | 'helm')[]): MatrixCase[] {
  const tiers = tierNames();
  const names = Object.keys(BACKENDS).filter((b) => !(targets.includes('helm') && COMPOSE_ONLY.has(b)));
  return releaseVersions().flatMap((release) =>
    names.flatMap((backend, i) => {
      const own = i === 0 ? tiers : [tiers[i % tiers.length], tiers[(i + 3) % tiers.length]];
      return own.map((tier) => ({
        release,
        tier,
        backend,
        spec: specSchema.parse(withStateChoices({ release, tier, targets, domain: { host: 'dify.example.com' }, ...BACKENDS[backend] }, targets.includes('helm') ? 'helm' : 'compose')),
      }));
    }),
  );
}
