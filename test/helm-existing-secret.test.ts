// helm.existingSecret over tiers × releases × backend combinations: values.yaml and the extra
// manifests carry no generated secret; every secret env each chart component reads resolves to
// the user's Secret. The expected env names come from the chart itself (its own
// externalSecret.<component>.remoteRefs/data lists in the vendored values.yaml), not from
// dify-deploy's secret-env.json. The object store's and vector store's credentials, read from the
// Secret under their secrets-store names, are checked against real `helm template` in
// helm-existing-secret-stores.test.ts; here only that they are keys dify-deploy knows.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { loadRelease, releaseVersions, tierNames } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { specSchema, type SpecInput } from '../src/core/spec.js';
import { loadChart } from '../src/helm/chart.js';
import { checkHelmValues } from '../src/helm/check.js';
import { dotted } from '../src/helm/merge.js';
import { isMap, type Values } from '../src/helm/merge.js';
import { renderHelm } from '../src/render/helm.js';
import { CHART_COMPONENTS } from '../src/render/helm/components.js';
import { SECRETS, resolveSecrets } from '../src/render/secrets.js';
import { runCli } from './helpers/cli.js';
import { withStateChoices } from './helpers/state-choices.js';

const SECRET = 'dify-app-secrets';
const S3 = { type: 's3', bucket: 'dify-files', region: 'us-east-1', accessKey: 'AKIA-user', secretKey: 'user-s3-secret' } as const;
const BACKENDS: Record<string, Partial<SpecInput>> = {
  'all bundled; s3': { storage: S3 },
  'external pg and redis without passwords; qdrant': {
    database: { mode: 'external', host: 'pg.internal', user: 'dify', maxConnections: 8000 },
    redis: { mode: 'external', host: 'redis.internal', useSsl: true, maxClients: 60000 },
    vectorStore: { type: 'qdrant', mode: 'external', url: 'https://qdrant.internal:6333', apiKey: 'k' },
    storage: S3,
  },
  'external pg with password; sentinel with passwords; pgvector': {
    database: { mode: 'external', host: 'pg.internal', user: 'dify', password: 'spec-db-password', maxConnections: 8000 },
    redis: { mode: 'external', topology: 'sentinel', sentinels: ['s1:26379', 's2:26379'], sentinelMasterName: 'mymaster', host: 'redis-primary.internal', password: 'spec-redis-password', sentinelPassword: 'spec-sentinel-password', maxClients: 60000 },
    vectorStore: { type: 'pgvector', mode: 'external', host: 'pgv.internal', user: 'u', password: 'p', database: 'vec' },
    storage: S3,
  },
  'bundled pg; external redis with password; external weaviate': {
    redis: { mode: 'external', host: 'redis.internal', password: 'spec-redis-password', maxClients: 60000 },
    vectorStore: { type: 'weaviate', mode: 'external', url: 'http://weaviate:8080', apiKey: 'k' },
    storage: S3,
  },
};

/**
 * Secret keys (docs/secrets.md) the chart's remoteRefs do not name: the object/vector store credentials, and the
 * Sentinel password (credentials.tpl writes REDIS_SENTINEL_PASSWORD and CELERY_SENTINEL_PASSWORD; checked against
 * real `helm template` in helm-existing-secret-stores.test.ts).
 */
const STORE_CREDENTIALS = ['STORAGE_ACCESS_KEY', 'STORAGE_SECRET_KEY', 'STORAGE_SERVICE_ACCOUNT_JSON_BASE64', 'VECTOR_STORE_API_KEY', 'VECTOR_STORE_PASSWORD', 'REDIS_SENTINEL_PASSWORD'];

/** Chart components whose container reads another component's chart Secret (their deployment's envFrom secretRef). */
const SHARES_SECRET_OF: Record<string, string> = { beat: 'worker', apiWebsocket: 'api' };
/** Secret env the chart lists whose value dify-deploy never generates (a user name, credentials of services the user brings). */
const NOT_GENERATED = new Set(['DB_USERNAME', 'RESEND_API_KEY', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'OTLP_API_KEY']);

type Env = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };

/** What the chart says component `key` reads as secrets, less what this spec does not take from the Secret (a password the spec gives inline is taken from it too). */
function expectedSecretEnv(chartVersion: string, key: string, spec: ReturnType<typeof specSchema.parse>): string[] {
  const eso = (loadChart(chartVersion).defaults.externalSecret as Record<string, any>)[SHARES_SECRET_OF[key] ?? key];
  if (!isMap(eso)) return [];
  const names = [...Object.keys((eso.remoteRefs as object) ?? {}), ...Object.keys((eso.data as object) ?? {})];
  const bundledWeaviate = spec.vectorStore.mode === 'bundled' && spec.vectorStore.type === 'weaviate';
  return names
    .filter((n) => !NOT_GENERATED.has(n))
    .filter((n) => !(n === 'WEAVIATE_API_KEY' && !bundledWeaviate))
    .sort();
}

function render(version: string, tier: string, backend: string) {
  const spec = specSchema.parse(withStateChoices({ release: version, tier, targets: ['helm'], domain: { host: 'dify.example.com' }, helm: { existingSecret: SECRET }, ...BACKENDS[backend] }, 'helm'));
  const release = loadRelease(version);
  const plan = planFor(spec, 'helm', release);
  const secrets = resolveSecrets({});
  return { spec, release, plan, secrets, files: renderHelm({ spec, plan, release, secrets }) };
}

describe.concurrent.each(releaseVersions())('Dify %s with helm.existingSecret', (version) => {
  const cases = tierNames().flatMap((tier) => Object.keys(BACKENDS).map((backend) => [tier, backend] as const));
  test.each(cases)('%s, %s', (tier, backend) => {
    const { spec, release, plan, secrets, files } = render(version, tier, backend);
    expect(plan.problems).toEqual([]);
    const chartVersion = release.helm.version;

    // No generated secret anywhere in what is written for Helm.
    for (const f of files) for (const [name, value] of Object.entries(secrets)) expect(f.content.includes(value), `${name} in ${f.path}`).toBe(false);

    const valuesFile = files.find((f) => f.path === 'helm/values.yaml')!;
    const values = parse(valuesFile.content) as Values;
    expect(checkHelmValues(values, chartVersion).map((f) => `${f.rule} ${dotted(f.path)}: ${f.message}`)).toEqual([]);

    const referenced = new Set<string>();
    for (const c of plan.components) {
      const key = CHART_COMPONENTS[c.name].key;
      const block = values[key];
      if (!isMap(block)) continue;
      const env = (block.extraEnv as Env[] | undefined) ?? [];
      const allRefs = env.filter((e) => e.valueFrom?.secretKeyRef);
      for (const e of allRefs) {
        expect(e.valueFrom!.secretKeyRef!.name).toBe(SECRET);
        referenced.add(e.valueFrom!.secretKeyRef!.key);
      }
      const refs = allRefs.filter((e) => !STORE_CREDENTIALS.includes(e.valueFrom!.secretKeyRef!.key));
      // A URL built on $(REDIS_PASSWORD) only expands when that variable is defined before it.
      const urls = env.filter((e) => e.value?.includes('$(REDIS_PASSWORD)'));
      for (const u of urls) expect(env.findIndex((e) => e.name === 'REDIS_PASSWORD'), `${key} ${u.name}`).toBeLessThan(env.indexOf(u));
      const actual = [...refs, ...urls].map((e) => e.name).sort();
      expect(actual, `${key} reads its secrets from ${SECRET}`).toEqual(expectedSecretEnv(chartVersion, key, spec));
      expect(new Set(actual).size).toBe(actual.length);
      expect(env.filter((e) => e.value !== undefined).every((e) => typeof e.value === 'string')).toBe(true);
    }
    // Every secret the processes read is one dify-deploy knows by its .env name or secrets-store name.
    for (const key of referenced) expect([...SECRETS.map((s) => s.name), ...STORE_CREDENTIALS]).toContain(key);

    // Bundled subcharts read the same Secret.
    const pg = values.postgresql as Record<string, any>;
    const redis = values.redis as Record<string, any>;
    const weaviate = values.weaviate as Record<string, any>;
    const subchartKeys: string[] = [];
    if (pg.enabled) {
      expect(pg.auth).toEqual({ existingSecret: SECRET, secretKeys: { adminPasswordKey: 'DB_PASSWORD' } });
      subchartKeys.push(pg.auth.secretKeys.adminPasswordKey);
    }
    if (redis.enabled) {
      expect(redis.auth).toMatchObject({ existingSecret: SECRET, existingSecretPasswordKey: 'REDIS_PASSWORD' });
      subchartKeys.push(redis.auth.existingSecretPasswordKey);
    }
    if (weaviate.enabled) {
      expect(weaviate.env).toHaveProperty('AUTHENTICATION_APIKEY_ALLOWED_KEYS', null);
      subchartKeys.push(...Object.keys(weaviate.envSecrets).filter((k) => weaviate.envSecrets[k] === SECRET));
    }

    // The README's kubectl command lists exactly the keys something reads.
    const readme = files.find((f) => f.path === 'helm/README.md')!.content;
    const listed = [...readme.matchAll(/--from-literal=([A-Z_]+)=…/g)].map((m) => m[1]).sort();
    expect(listed).toEqual([...new Set([...referenced, ...subchartKeys])].sort());
    expect(readme).toContain(`create secret generic ${SECRET}`);

    // Spec-given credentials are read from the Secret too: none is in values.yaml or any file written for Helm.
    for (const given of [spec.database.password, spec.redis.password, spec.redis.sentinelPassword].filter(Boolean) as string[])
      for (const f of files) expect(f.content.includes(given), `a password the spec gives in ${f.path}`).toBe(false);
    // The extra manifests read the Secret like the api pods.
    for (const extra of ['helm/extra/migration-job.yaml', 'helm/extra/backup-cronjob.yaml']) {
      const f = files.find((x) => x.path === extra);
      if (f && referenced.has('DB_PASSWORD')) expect(f.content).toContain(`name: ${SECRET}`);
    }

    // Deterministic: the same inputs give the same files.
    expect(renderHelm({ spec, plan, release, secrets })).toEqual(files);
  });
});

test('without helm.existingSecret only the credentials Secret is referred to, and no kubectl secret command is shown', () => {
  const spec = specSchema.parse({ tier: '10qps', targets: ['helm'], storage: S3 });
  const release = loadRelease(spec.release);
  const files = renderHelm({ spec, plan: planFor(spec, 'helm', release), release, secrets: resolveSecrets({}) });
  const referred = files.flatMap((f) => [...f.content.matchAll(/secretKeyRef:\s*\n\s*name: (\S+)/g)].map((m) => m[1]));
  expect(new Set(referred)).toEqual(new Set(['dify-credentials']));
  expect(files.find((f) => f.path === 'helm/README.md')!.content).not.toContain('create secret generic');
});

test('bundled Weaviate: its key comes from the credentials Secret, which holds the key Dify sends', () => {
  const spec = specSchema.parse({ tier: '10qps', targets: ['helm'], storage: S3 });
  const release = loadRelease(spec.release);
  const secrets = resolveSecrets({});
  const files = renderHelm({ spec, plan: planFor(spec, 'helm', release), release, secrets });
  const values = parse(files.find((f) => f.path === 'helm/values.yaml')!.content);
  expect(values.weaviate.env.AUTHENTICATION_APIKEY_ALLOWED_KEYS).toBeNull();
  expect(values.weaviate.envSecrets.AUTHENTICATION_APIKEY_ALLOWED_KEYS).toBe('dify-credentials');
  expect(values.weaviate.authentication.apikey.allowed_keys).not.toContain(secrets.WEAVIATE_API_KEY);
  const credentials = files.find((f) => f.path === 'helm/extra/credentials.yaml')!;
  expect(credentials.mode).toBe(0o600);
  const data = parse(credentials.content).stringData;
  expect(data.AUTHENTICATION_APIKEY_ALLOWED_KEYS).toBe(secrets.WEAVIATE_API_KEY);
  expect(data.WEAVIATE_API_KEY).toBe(secrets.WEAVIATE_API_KEY);
});

test('a Secret name that Kubernetes would reject is a spec error naming the field', () => {
  const r = specSchema.safeParse({ tier: '10qps', helm: { existingSecret: 'Dify_Secrets' } });
  expect(r.success).toBe(false);
  expect(r.error!.issues[0].path).toEqual(['helm', 'existingSecret']);
});

describe('validate --helm-values accepts the output', () => {
  test.each(releaseVersions().flatMap((v) => Object.keys(BACKENDS).map((b) => [v, b] as const)))('%s, %s', async (version, backend) => {
    const { files } = render(version, tierNames()[0], backend);
    const dir = mkdtempSync(join(tmpdir(), 'dify-existing-secret-'));
    // values.yaml with extra/ beside it: the run worker there consumes the run queue.
    for (const f of files.filter((x) => x.path.startsWith('helm/'))) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.content);
    }
    const path = join(dir, 'helm', 'values.yaml');
    // Values alone do not say an external server's max_connections: pass the spec's, as a CI job would.
    const external = (BACKENDS[backend as keyof typeof BACKENDS] as { database?: { mode?: string; maxConnections?: number } }).database;
    const limit = external?.mode === 'external' ? ['--db-max-connections', String(external.maxConnections)] : [];
    const r = await runCli(['validate', '--helm-values', path, '--release', version, ...limit]);
    expect(r.stdout).toContain('no findings');
    expect(r.code).toBe(0);
  });
});
