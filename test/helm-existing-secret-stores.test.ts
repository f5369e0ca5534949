// helm.existingSecret with an external object store or vector store that needs credentials, or an
// external database or Redis whose password the spec gives: real `helm template` of the vendored chart. The oracle comes from the chart itself: the same
// spec rendered WITHOUT existingSecret shows which container of which pod reads each credential
// (under which env name, through the chart's Secrets and ConfigMaps, as the kubelet builds env).
// With existingSecret every such container must get that env from the user's Secret under the
// store name, and no credential value may appear in values.yaml or anything Helm renders.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadRelease, releaseVersions } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { specSchema, type SpecInput } from '../src/core/spec.js';
import { renderHelm } from '../src/render/helm.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { runCli } from './helpers/cli.js';
import { chartDir, runHelm } from './helpers/helm.js';
import { containerEnv, externalRef, parseManifests, type K8sObject } from './helpers/k8s.js';

const SECRET = 'my-secret';
/** Spec credential field → its name in .dify-deploy/secrets.env, which is the user's Secret key (docs/secrets.md). */
const STORE_KEY: Record<string, string> = {
  'storage.accessKey': 'STORAGE_ACCESS_KEY',
  'storage.secretKey': 'STORAGE_SECRET_KEY',
  'storage.serviceAccountJsonBase64': 'STORAGE_SERVICE_ACCOUNT_JSON_BASE64',
  'vectorStore.apiKey': 'VECTOR_STORE_API_KEY',
  'vectorStore.password': 'VECTOR_STORE_PASSWORD',
  // Only the password inside the URL (the rest of the URL is no secret).
  'storage.endpoint': 'STORAGE_ENDPOINT_PASSWORD',
  'storage.accountUrl': 'STORAGE_ACCOUNT_URL_PASSWORD',
  'vectorStore.url': 'VECTOR_STORE_URL_PASSWORD',
  'database.password': 'DB_PASSWORD',
  'redis.password': 'REDIS_PASSWORD',
  'redis.sentinelPassword': 'REDIS_SENTINEL_PASSWORD',
};
const cred = (field: string) => `cred-${field.replace('.', '-')}-7f3q9`;

const STORAGE: Record<string, Record<string, unknown>> = {
  s3: { type: 's3', bucket: 'b', region: 'us-east-1', accessKey: cred('storage.accessKey'), secretKey: cred('storage.secretKey') },
  'aliyun-oss': { type: 'aliyun-oss', bucket: 'b', endpoint: 'https://oss-cn-hangzhou.aliyuncs.com', region: 'cn-hangzhou', accessKey: cred('storage.accessKey'), secretKey: cred('storage.secretKey') },
  'azure-blob': { type: 'azure-blob', bucket: 'c', accountName: 'acct', accountUrl: 'https://acct.blob.core.windows.net', secretKey: cred('storage.secretKey') },
  'google-storage': { type: 'google-storage', bucket: 'b', serviceAccountJsonBase64: cred('storage.serviceAccountJsonBase64') },
  'tencent-cos': { type: 'tencent-cos', bucket: 'b', region: 'ap-guangzhou', accessKey: cred('storage.accessKey'), secretKey: cred('storage.secretKey') },
  'huawei-obs': { type: 'huawei-obs', bucket: 'b', endpoint: 'https://obs.cn-north-4.myhuaweicloud.com', accessKey: cred('storage.accessKey'), secretKey: cred('storage.secretKey') },
  'volcengine-tos': { type: 'volcengine-tos', bucket: 'b', endpoint: 'https://tos-cn-beijing.volces.com', region: 'cn-beijing', accessKey: cred('storage.accessKey'), secretKey: cred('storage.secretKey') },
};
const IAM_S3 = { type: 's3', bucket: 'b', region: 'us-east-1', useIam: true };
const key = cred('vectorStore.apiKey');
const password = cred('vectorStore.password');
const VECTOR: Record<string, Record<string, unknown>> = {
  weaviate: { type: 'weaviate', mode: 'external', url: 'http://weaviate.internal:8080', apiKey: key },
  qdrant: { type: 'qdrant', mode: 'external', url: 'https://qdrant.internal:6333', apiKey: key },
  milvus: { type: 'milvus', mode: 'external', url: 'http://milvus.internal:19530', user: 'u', password, apiKey: key },
  pgvector: { type: 'pgvector', mode: 'external', host: 'pgv.internal', user: 'u', password, database: 'vec' },
  elasticsearch: { type: 'elasticsearch', mode: 'external', host: 'es.internal', user: 'u', password },
  myscale: { type: 'myscale', mode: 'external', host: 'ms.internal', user: 'u', password },
  tencent: { type: 'tencent', mode: 'external', url: 'http://tvdb.internal', user: 'u', apiKey: key },
  tablestore: { type: 'tablestore', mode: 'external', url: 'https://ots.internal', user: 'ak-id', password, database: 'inst' },
};
/** The block with a password in its URL field (`u:<cred>@` after the scheme), or undefined when it has none. */
function withUrlPassword(section: 'storage' | 'vectorStore', block: Record<string, unknown>): Record<string, unknown> | undefined {
  const field = ['endpoint', 'accountUrl', 'url'].find((f) => typeof block[f] === 'string');
  if (!field) return undefined;
  return { ...block, [field]: (block[field] as string).replace('://', `://u:${cred(`${section}.${field}`)}@`) };
}
const S3_ENDPOINT = { ...STORAGE.s3, endpoint: 'https://minio.internal:9000' };
const CASES: [string, Partial<SpecInput>][] = [
  ...Object.entries(STORAGE).map(([id, storage]): [string, Partial<SpecInput>] => [`storage ${id}`, { storage } as Partial<SpecInput>]),
  ...Object.entries(VECTOR).map(([id, vectorStore]): [string, Partial<SpecInput>] => [`vector store ${id}`, { storage: IAM_S3, vectorStore } as Partial<SpecInput>]),
  ...Object.entries({ ...STORAGE, s3: S3_ENDPOINT }).flatMap(([id, block]): [string, Partial<SpecInput>][] => {
    const storage = withUrlPassword('storage', block);
    return storage ? [[`storage ${id}, a password in its URL`, { storage } as Partial<SpecInput>]] : [];
  }),
  ...Object.entries(VECTOR).flatMap(([id, block]): [string, Partial<SpecInput>][] => {
    const vectorStore = withUrlPassword('vectorStore', block);
    return vectorStore ? [[`vector store ${id}, a password in its URL`, { storage: IAM_S3, vectorStore } as Partial<SpecInput>]] : [];
  }),
];

/** External servers whose password the spec gives inline: the pods read it from the Secret too, never from values.yaml. */
const EXTERNAL_PG = { mode: 'external', host: 'pg.internal', user: 'dify', password: cred('database.password'), maxConnections: 8000 };
const SENTINELS = { topology: 'sentinel', sentinels: ['s1:26379', 's2:26379'], sentinelMasterName: 'mymaster', host: 'redis-primary.internal' };
const SERVER_CASES: [string, Partial<SpecInput>][] = [
  ['external PostgreSQL, its password in the spec', { storage: IAM_S3, database: EXTERNAL_PG } as Partial<SpecInput>],
  ['external Redis, its password in the spec', { storage: IAM_S3, redis: { mode: 'external', host: 'redis.internal', password: cred('redis.password'), maxClients: 60000 } } as Partial<SpecInput>],
  [
    'external Redis Sentinel, its passwords in the spec',
    { storage: IAM_S3, database: EXTERNAL_PG, redis: { mode: 'external', ...SENTINELS, password: cred('redis.password'), sentinelPassword: cred('redis.sentinelPassword'), maxClients: 60000 } } as Partial<SpecInput>,
  ],
];

/** One release per chart version. */
const RELEASES = [...new Map(releaseVersions().map((v) => [loadRelease(v).helm.version, v])).values()];

async function template(release: string, input: Partial<SpecInput>, existingSecret: boolean) {
  const spec = specSchema.parse({ release, tier: '10qps', targets: ['helm'], domain: { host: 'dify.example.com' }, ...input, ...(existingSecret ? { helm: { existingSecret: SECRET } } : {}) });
  const rel = loadRelease(release);
  const files = renderHelm({ spec, plan: planFor(spec, 'helm', rel), release: rel, secrets: resolveSecrets({}) });
  const dir = mkdtempSync(join(tmpdir(), 'dd-es-stores-'));
  const values = files.find((f) => f.path === 'helm/values.yaml')!;
  writeFileSync(join(dir, 'values.yaml'), values.content);
  const r = await runHelm(['template', 'dify', chartDir(rel.helm.version), '--namespace', 'dify', '-f', join(dir, 'values.yaml')]);
  expect(r.code, r.stderr).toBe(0);
  const extra = files.filter((f) => f.path.startsWith('helm/extra/'));
  const objects = [...parseManifests(r.stdout), ...extra.flatMap((f) => parseManifests(f.content))];
  return { files, values: values.content, stdout: r.stdout, objects };
}

type Containers = { pod: string; container: string; env: Record<string, string> }[];
/** The pods that run (`helm test` hook pods check PostgreSQL and Redis only; they read no store). */
function containers(objects: K8sObject[], external: Set<string>): Containers {
  return objects
    .filter((o) => ['Deployment', 'StatefulSet', 'Job', 'CronJob'].includes(o.kind) && o.metadata.annotations?.['helm.sh/hook'] !== 'test')
    .flatMap((o) => {
      const podSpec = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec;
      return [...(podSpec.initContainers ?? []), ...podSpec.containers].map((c: any) => ({ pod: `${o.kind}/${o.metadata.name}`, container: c.name, env: containerEnv(c, objects, external).env }));
    });
}

describe.each(RELEASES)('Dify %s, helm.existingSecret, store credentials', (release) => {
  test.each([...CASES, ...SERVER_CASES])('%s', async (_, input) => {
    const credentials = Object.fromEntries(Object.keys(STORE_KEY).map((f) => [cred(f), f]));
    // The oracle: who reads which credential under which env name, from the chart without existingSecret.
    const plain = await template(release, input, false);
    // A value holding a credential (the plugin daemon's Azure connection string holds the key) must
    // hold the Secret's key in its place: Kubernetes expands $(VAR) of an entry before it.
    const expected: string[] = [];
    for (const c of containers(plain.objects, new Set()))
      for (const [name, value] of Object.entries(c.env)) {
        const inside = Object.keys(credentials).filter((v) => value.includes(v));
        if (inside.length) expected.push(`${c.pod} ${c.container} ${name}=${inside.reduce((acc, v) => acc.replaceAll(v, externalRef(SECRET, STORE_KEY[credentials[v]])), value)}`);
      }
    expect(expected.length, 'the spec gives a credential some pod reads').toBeGreaterThan(0);

    const own = await template(release, input, true);
    for (const value of Object.keys(credentials)) {
      expect(own.values.includes(value), `${credentials[value]} in values.yaml`).toBe(false);
      expect(own.stdout.includes(value), `${credentials[value]} in helm template output`).toBe(false);
      for (const f of own.files) expect(f.content.includes(value), `${credentials[value]} in ${f.path}`).toBe(false);
    }
    const got = new Map(containers(own.objects, new Set([SECRET])).map((c) => [`${c.pod} ${c.container}`, c.env]));
    const actual = expected.map((e) => {
      const [pod, container, name] = e.split('=')[0].split(' ');
      return `${pod} ${container} ${name}=${got.get(`${pod} ${container}`)?.[name]}`;
    });
    expect(actual).toEqual(expected);
    // The README's kubectl command names each key.
    const readme = own.files.find((f) => f.path === 'helm/README.md')!.content;
    for (const e of expected) for (const m of e.matchAll(/<secret [^/]+\/([A-Z0-9_]+)>/g)) expect(readme).toContain(`--from-literal=${m[1]}=…`);
  });
});

test('repro: storage keys only in .dify-deploy/secrets.env render under helm.existingSecret, and stay out of values.yaml', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-es-store-'));
  const config = join(dir, 'dify-deploy.yaml');
  const out = join(dir, 'out');
  const spec = { tier: '10qps', targets: ['helm'], domain: { host: 'dify.example.com' }, helm: { existingSecret: SECRET }, storage: STORAGE.s3 };
  writeFileSync(config, stringify(spec));
  const first = await runCli(['render', '--config', config, '--out', out]);
  expect(first.code, first.stderr).toBe(0);
  expect(readFileSync(join(out, '.dify-deploy', 'secrets.env'), 'utf8')).toContain(`STORAGE_SECRET_KEY=${cred('storage.secretKey')}`);
  // As render's notice says: delete them from the spec.
  writeFileSync(config, stringify({ ...spec, storage: { type: 's3', bucket: 'b', region: 'us-east-1' } }));
  const again = await runCli(['render', '--config', config, '--out', out]);
  expect(again.code, again.stderr).toBe(0);
  const values = readFileSync(join(out, 'helm', 'values.yaml'), 'utf8');
  expect(values).not.toContain(cred('storage.secretKey'));
  expect(values).not.toContain(cred('storage.accessKey'));
  const api = (parse(values).api.extraEnv as { name: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[]).find((e) => e.name === 'S3_SECRET_KEY');
  expect(api?.valueFrom?.secretKeyRef).toEqual({ name: SECRET, key: 'STORAGE_SECRET_KEY' });
});

test.each(CASES)('%s: credentials only in the user\'s Secret (in neither spec nor store) render, and the README asks for them', async (_, input) => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-es-nowhere-'));
  const strip = (block: Record<string, unknown> | undefined) => block && Object.fromEntries(Object.entries(block).filter(([, v]) => !String(v).startsWith('cred-')));
  const given = input as { storage?: Record<string, unknown>; vectorStore?: Record<string, unknown> };
  const spec = { tier: '10qps', targets: ['helm'], domain: { host: 'dify.example.com' }, helm: { existingSecret: SECRET }, storage: strip(given.storage), ...(given.vectorStore ? { vectorStore: strip(given.vectorStore) } : {}) };
  writeFileSync(join(dir, 'dify-deploy.yaml'), stringify(spec));
  const r = await runCli(['render', '--config', join(dir, 'dify-deploy.yaml'), '--out', join(dir, 'out')]);
  expect(r.code, r.stderr).toBe(0);
  const readme = readFileSync(join(dir, 'out', 'helm', 'README.md'), 'utf8');
  const required = Object.entries({ ...given.storage, ...given.vectorStore })
    .filter(([f, v]) => String(v).startsWith('cred-') && !(f === 'apiKey' && ['qdrant', 'milvus'].includes(String(given.vectorStore?.type))) && !(f === 'password' && given.vectorStore?.type === 'milvus'))
    .map(([f]) => STORE_KEY[`${given.vectorStore && (f === 'apiKey' || f === 'password') ? 'vectorStore' : 'storage'}.${f}`]);
  for (const k of required) expect(readme).toContain(`--from-literal=${k}=…`);
});

test('a URL password Kubernetes cannot expand as it is (a character a URL must encode) is refused: exit 2, the field named, nothing written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-es-url-'));
  const out = join(dir, 'out');
  const vectorStore = { ...VECTOR.qdrant, url: 'https://u:pa ss@qdrant.internal:6333' };
  writeFileSync(join(dir, 'dify-deploy.yaml'), stringify({ tier: '10qps', targets: ['helm'], domain: { host: 'dify.example.com' }, helm: { existingSecret: SECRET }, storage: IAM_S3, vectorStore }));
  const r = await runCli(['render', '--config', join(dir, 'dify-deploy.yaml'), '--out', out]);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain('vectorStore.url');
  expect(r.stderr).toContain('VECTOR_STORE_URL_PASSWORD');
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(existsSync(join(out, 'helm', 'values.yaml'))).toBe(false);
});

test.each([
  ['in the spec', { password: 'pa/ss+word' }, {}, 'redis.password in dify-deploy.yaml'],
  ['in the store', {}, { REDIS_PASSWORD: 'pa/ss+word' }, 'REDIS_PASSWORD in .dify-deploy/secrets.env'],
])('a Redis password %s that the redis:// URLs would misread once Kubernetes expands it is refused: exit 2, where named, nothing written', async (_, given, store, where) => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-es-redis-'));
  const out = join(dir, 'out');
  mkdirSync(join(out, '.dify-deploy'), { recursive: true });
  writeFileSync(join(out, '.dify-deploy', 'secrets.env'), Object.entries(store).map(([k, v]) => `${k}=${v}\n`).join(''), { mode: 0o600 });
  const redis = { mode: 'external', host: 'redis.internal', maxClients: 60000, ...given };
  writeFileSync(join(dir, 'dify-deploy.yaml'), stringify({ tier: '10qps', targets: ['helm'], domain: { host: 'dify.example.com' }, helm: { existingSecret: SECRET }, storage: IAM_S3, redis }));
  const r = await runCli(['render', '--config', join(dir, 'dify-deploy.yaml'), '--out', out]);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain(where);
  expect(r.stderr).toContain('REDIS_PASSWORD');
  expect(r.stderr).not.toContain('pa/ss+word');
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(existsSync(join(out, 'helm', 'values.yaml'))).toBe(false);
});

test('a password the spec gives inline under helm.existingSecret: render says the Secret must hold it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-es-notice-'));
  writeFileSync(join(dir, 'dify-deploy.yaml'), stringify({ tier: '10qps', targets: ['helm'], domain: { host: 'dify.example.com' }, helm: { existingSecret: SECRET }, storage: IAM_S3, database: EXTERNAL_PG }));
  const r = await runCli(['render', '--config', join(dir, 'dify-deploy.yaml'), '--out', join(dir, 'out')]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout + r.stderr).toMatch(new RegExp(`database\\.password: .*the Helm pods read it from the Secret ${SECRET}`));
  expect(readFileSync(join(dir, 'out', 'helm', 'README.md'), 'utf8')).toContain('--from-literal=DB_PASSWORD=…');
  expect(readFileSync(join(dir, 'out', 'helm', 'values.yaml'), 'utf8')).not.toContain(cred('database.password'));
});

test.each(RELEASES)('Dify %s: a URL password with the sub-delimiters a URL allows unencoded reaches the pods as the spec writes it', async (release) => {
  const password = "Sub!$&'()*+,;=:delims";
  const url = (pw: string) => `https://u:${pw}@qdrant.internal:6333`;
  const own = await template(release, { storage: IAM_S3, vectorStore: { ...VECTOR.qdrant, url: url(password) } } as Partial<SpecInput>, true);
  for (const f of own.files) expect(f.content.includes(password), f.path).toBe(false);
  expect(own.stdout.includes(password)).toBe(false);
  const api = containers(own.objects, new Set([SECRET])).find((c) => c.pod === 'Deployment/dify-api')!;
  // With the Secret's key holding the password as the URL writes it, the kubelet's expansion gives back the spec's URL.
  expect(api.env.QDRANT_URL).toBe(url(externalRef(SECRET, 'VECTOR_STORE_URL_PASSWORD')));
});
