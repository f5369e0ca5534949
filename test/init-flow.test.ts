// The wizard's question flow, driven by scripted prompts: what it asks, what it offers for
// each release, how it validates, and that its answers always make a valid, deployable spec.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRelease, releaseVersions, tierNames } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { parseSpecYaml } from '../src/core/spec-file.js';
import { STORAGE_BACKENDS } from '../src/backends/storage.js';
import { VECTOR_STORES } from '../src/backends/vector-stores.js';
import { askSpec } from '../src/wizard/flow.js';
import { defaultPrompts } from '../src/wizard/prompts.js';
import { specFile } from '../src/render/index.js';
import { Invalid, scriptedPrompts, type ScriptedAnswer } from './helpers/scripted-prompts.js';

/** A valid answer for each backend field, as a user would type it. */
const TYPED: Record<string, string> = {
  url: 'https://store.example.com:8443',
  host: 'store.internal.example.com',
  port: '9200',
  user: 'dify',
  password: 'p4ss-word',
  apiKey: 'k3y',
  database: 'dify_vectors',
  bucket: 'dify-files',
  endpoint: 'https://objects.example.com',
  region: 'eu-west-1',
  accessKey: 'AKIAEXAMPLE',
  secretKey: 's3cr3t',
  accountName: 'difyaccount',
  accountUrl: 'https://difyaccount.blob.core.windows.net',
  serviceAccountJsonBase64: 'eyJ0eXBlIjoic2VydmljZV9hY2NvdW50In0=',
};
const SECRET_FIELDS = ['password', 'apiKey', 'secretKey', 'serviceAccountJsonBase64'];

async function run(answers: Record<string, ScriptedAnswer> = {}) {
  const script = scriptedPrompts(answers);
  const result = await askSpec(script.prompts);
  return { ...script, ...result };
}

function expectDeployable(spec: Parameters<typeof planFor>[0]) {
  for (const target of spec.targets) {
    const plan = planFor(spec, target);
    expect(plan.problems, `${target}: ${plan.problems.join('; ')}`).toEqual([]);
    if (target === 'compose') expect(plan.host.fits).toBe(true);
  }
}

const BUS_URL = 'redis://event-bus.internal:6379';

describe('pressing Enter throughout', () => {
  it('gives a single-host compose deployment of the newest release with bundled services', async () => {
    const { spec, asked } = await run();
    expect(spec.release).toBe(releaseVersions().at(-1));
    expect(spec.targets).toEqual(['compose']);
    expect([spec.database.mode, spec.redis.mode, spec.vectorStore.mode, spec.storage.type, spec.domain.tls]).toEqual(['bundled', 'bundled', 'bundled', 'local', 'none']);
    expect(asked.filter((q) => q.kind === 'secret')).toEqual([]);
    expectDeployable(spec);
  });

  // Every release × tier: the defaults (host sizes from the plan) must always fit and round-trip.
  describe.concurrent.each(releaseVersions())('release %s', (release) => {
    it.each(tierNames())('tier %s: valid, deployable, and dify-deploy.yaml round-trips', async (tier) => {
      // The answers Enter cannot give, each asked only where needed: the event bus's own Redis where its rate
      // needs one, and where the plan needs more than one host (helm pre-selected) an object store's bucket.
      const { spec } = await run({ release, tier, 'redis.eventBus.url': BUS_URL, 'storage.bucket': 'files', 'storage.region': 'eu-west-1', 'storage.useIam': true });
      expect(spec.release).toBe(release);
      expect(spec.tier).toBe(tier);
      expectDeployable(spec);
      expect(parseSpecYaml(specFile(spec, spec.targets).content, 'dify-deploy.yaml')).toEqual(spec);
    });

    // Kubernetes sizes the budget at HPA maxReplicas: the default DB host must hold that too.
    it.each(tierNames())('tier %s, compose and helm (only a bucket typed): deployable on both', async (tier) => {
      const { spec } = await run({ release, tier, targets: ['compose', 'helm'], 'storage.bucket': 'files', 'storage.region': 'eu-west-1', 'storage.useIam': true, 'redis.eventBus.url': BUS_URL });
      expectDeployable(spec);
    });
  });
});

describe('choices come from the release table and the backend lists', () => {
  it.each(releaseVersions())('release %s: vector stores and file storage offered are exactly what it supports', async (release) => {
    const r = loadRelease(release);
    const { question } = await run({ release });
    const vs = question('vectorStore.type')!.choices!.map((c) => c.value);
    expect(vs).toEqual(VECTOR_STORES.filter((v) => r.vectorStores.supported.includes(v.id)).map((v) => v.id));
    const st = question('storage.type')!.choices!.map((c) => c.value);
    expect(st).toEqual(STORAGE_BACKENDS.filter((s) => r.storageTypes.includes(s.difyType)).map((s) => s.id));
  });

  it('offers every tier with its peak QPS and the host it needs, plus a custom load', async () => {
    const { question } = await run();
    const choices = question('tier')!.choices!;
    expect(choices.map((c) => c.value)).toEqual([...tierNames(), 'custom']);
    for (const c of choices.slice(0, -1)) {
      expect(c.name).toMatch(/\d+ QPS at the peak minute/);
      expect(c.description).toMatch(/one host needs ≈\d+ vCPU \/ \d+ GiB/);
    }
  });

  it('a custom load asks QPS and latency instead of a tier', async () => {
    const { spec, question } = await run({ tier: 'custom', qps: '150', latencySeconds: '4' });
    expect(spec.tier).toBeUndefined();
    expect([spec.qps, spec.latencySeconds]).toEqual([150, 4]);
    expect(question('qps')).toBeDefined();
    expectDeployable(spec);
  });
});

describe('vector stores', () => {
  const release = loadRelease();
  const offered = VECTOR_STORES.filter((v) => release.vectorStores.supported.includes(v.id));
  it.each(offered.map((v) => [v.id, v] as const))('%s: bundled when upstream bundles it, else the external fields it needs', async (id, backend) => {
    const bundles = 'bundledService' in backend && release.vectorStores.bundled.includes(id);
    const answers: Record<string, ScriptedAnswer> = { 'vectorStore.type': id, 'vectorStore.mode': 'external' };
    for (const f of backend.externalRequires) answers[`vectorStore.${f}`] = TYPED[f];
    const { spec, question } = await run(answers);
    const modeChoices = question('vectorStore.mode')?.choices?.map((c) => c.value);
    expect(modeChoices).toEqual(bundles ? ['bundled', 'external'] : undefined);
    expect(spec.vectorStore.mode).toBe('external');
    for (const f of backend.externalRequires) {
      expect(question(`vectorStore.${f}`)!.kind).toBe(SECRET_FIELDS.includes(f) ? 'secret' : 'text');
      expect(String(spec.vectorStore[f as keyof typeof spec.vectorStore])).toBe(f === 'port' ? '9200' : TYPED[f]);
    }
    expectDeployable(spec);
  });
});

describe('file storage', () => {
  it.each(STORAGE_BACKENDS.map((s) => [s.id, s] as const))('%s asks exactly the fields it requires, secrets masked', async (id, backend) => {
    const answers: Record<string, ScriptedAnswer> = { 'storage.type': id };
    for (const f of [...backend.requires, ...backend.credentials]) answers[`storage.${f}`] = TYPED[f];
    const { spec, asked } = await run(answers);
    const storageQuestions = asked.filter((q) => q.id.startsWith('storage.') && q.id !== 'storage.type');
    const iam = 'iam' in backend && backend.iam;
    expect(storageQuestions.map((q) => q.id)).toEqual([...backend.requires, ...(iam ? ['endpoint', 'useIam'] : []), ...backend.credentials].map((f) => `storage.${f}`));
    for (const q of storageQuestions.filter((q) => q.kind !== 'confirm')) expect(q.kind).toBe(SECRET_FIELDS.includes(q.id.split('.')[1]) ? 'secret' : 'text');
    expect(spec.storage.type).toBe(id);
    // The answers render: every credential the store needs was asked.
    const { renderFiles } = await import('../src/render/index.js');
    const { resolveSecrets } = await import('../src/render/secrets.js');
    expect(() => renderFiles(spec, 'compose', resolveSecrets({}, spec))).not.toThrow();
  });

  it('S3-compatible (MinIO): endpoint, path style and keys are asked and rendered', async () => {
    const { spec, question } = await run({ 'storage.type': 's3', 'storage.bucket': 'dify', 'storage.region': 'us-east-1', 'storage.endpoint': 'http://minio.internal:9000', 'storage.accessKey': 'minio-user', 'storage.secretKey': 'minio-secret-0123' });
    expect(question('storage.pathStyle')).toBeDefined();
    expect(spec.storage).toMatchObject({ endpoint: 'http://minio.internal:9000', pathStyle: true, useIam: false, accessKey: 'minio-user', secretKey: 'minio-secret-0123' });
  });

  it('S3 with the machine\'s IAM role asks no keys', async () => {
    const { spec, question } = await run({ 'storage.type': 's3', 'storage.bucket': 'dify', 'storage.region': 'us-east-1', 'storage.useIam': true });
    expect(question('storage.secretKey')).toBeUndefined();
    expect(spec.storage.useIam).toBe(true);
  });

  it('a required field left empty is refused with "required"', async () => {
    await expect(run({ 'storage.type': 's3', 'storage.bucket': '' })).rejects.toThrow(new Invalid('storage.bucket', 'required'));
  });
});

describe('external database', () => {
  const external = {
    'database.mode': 'external',
    'database.host': 'db.internal.example.com',
    'database.user': 'dify',
    'database.password': 'hunter2-Long-Pass-9',
    'database.maxConnections': '1000',
  };

  it('asks its connection, password masked, and its max_connections for the budget', async () => {
    const { spec, question } = await run(external);
    expect(question('database.password')!.kind).toBe('secret');
    expect(question('database.port')!.default).toBe('5432');
    expect(question('database.hostSize.cpus')).toBeUndefined();
    expect(spec.database).toMatchObject({ mode: 'external', host: 'db.internal.example.com', port: 5432, password: 'hunter2-Long-Pass-9', maxConnections: 1000 });
    expectDeployable(spec);
  });

  // The rule render and validate apply (releases/secrets.json), read here from the file itself: a weak
  // password is refused at its question, not after the last one.
  it.each([
    ['database.password', 'DB_PASSWORD', { ...external }],
    ['redis.password', 'REDIS_PASSWORD', { 'redis.mode': 'external', 'redis.host': 'redis.example.com' }],
  ])('%s: a weak one is refused as typed, with the rule', async (path, variable, answers) => {
    const rule = (JSON.parse(readFileSync(fileURLToPath(new URL('../releases/secrets.json', import.meta.url)), 'utf8')) as { secrets: { var: string; minLength: number; why: string }[] }).secrets.find((f) => f.var === variable)!;
    const short = 'Aa1-'.repeat(4).slice(0, rule.minLength - 1);
    await expect(run({ ...answers, [path]: short })).rejects.toThrow(new Invalid(path, `${rule.why} is only ${short.length} characters (use ≥ ${rule.minLength} random characters)`));
    await expect(run({ ...answers, [path]: 'difyai123456' })).rejects.toThrow(/published in Dify's repository/);
    const strong = 'Aa1-Bb2_Cc3.Dd4'.slice(0, rule.minLength);
    expect((await run({ ...answers, [path]: strong })).spec).toMatchObject({ [path.split('.')[0]]: { password: strong } });
  });

  it('MySQL defaults to port 3306', async () => {
    const { spec } = await run({ ...external, 'database.engine': 'mysql' });
    expect(spec.database.port).toBe(3306);
  });

  it.each([
    ['database.host', 'db host!', 'expected a hostname or IP address'],
    ['database.port', '70000', 'expected an integer 1–65535'],
    ['database.port', 'fifty', 'expected a number'],
    ['database.maxConnections', '5', '10'],
    ['database.host', '', 'required'],
  ])('%s = %j is refused as typed: %s', async (id, typed, shown) => {
    const err = await run({ ...external, [id]: typed }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Invalid);
    expect((err as Invalid).id).toBe(id);
    expect((err as Invalid).shown).toContain(shown);
  });

  it('a server too small for the tier shows up as a plan problem', async () => {
    const { spec } = await run({ ...external, tier: '100qps', 'database.maxConnections': '40' }); // below even PgBouncer's ~60 server connections
    // Direct, or behind the PgBouncer the plan turns on above 500 connections: either way the server is named too small.
    expect(planFor(spec, 'compose').problems.join(' ')).toMatch(/can open \d+ connections|need \d+ server connections but the server allows 40/);
  });
});

describe('Redis', () => {
  const release = loadRelease();
  it('offers the topologies the release supports', async () => {
    const { question } = await run({ 'redis.mode': 'external', 'redis.host': 'redis.example.com' });
    // Only what every component can use: never Redis Cluster (the plugin daemon cannot).
    expect(question('redis.topology')!.choices!.map((c) => c.value)).toEqual(['standalone', 'sentinel']);
  });

  it('sentinel: a comma-separated list of host:port, validated as typed', async () => {
    const base = { 'redis.mode': 'external', 'redis.topology': 'sentinel', 'redis.sentinelMasterName': 'mymaster', 'redis.host': 'redis-primary.example.com', 'redis.password': 'pw-Long-Pass-0123' };
    const { spec, question } = await run({ ...base, 'redis.sentinels': 's1.example.com:26379, s2.example.com:26379' });
    expect(spec.redis.sentinels).toEqual(['s1.example.com:26379', 's2.example.com:26379']);
    expect(question('redis.password')!.kind).toBe('secret');
    await expect(run({ ...base, 'redis.sentinels': 's1.example.com' })).rejects.toThrow(new Invalid('redis.sentinels', 'expected host:port'));
  });

});

describe('domain and TLS', () => {
  it('does not offer certbot for localhost or an IP', async () => {
    for (const host of ['localhost', '10.0.0.5']) {
      const { question } = await run({ 'domain.host': host });
      expect(question('domain.tls')!.choices!.map((c) => c.value)).toEqual(['none', 'own']);
    }
  });

  it('certbot for a DNS name needs an e-mail, validated as typed', async () => {
    const { spec } = await run({ 'domain.host': 'dify.example.com', 'domain.tls': 'certbot', 'domain.email': 'ops@example.com' });
    expect(spec.domain).toMatchObject({ host: 'dify.example.com', tls: 'certbot', email: 'ops@example.com' });
    await expect(run({ 'domain.host': 'dify.example.com', 'domain.tls': 'certbot', 'domain.email': 'ops' })).rejects.toThrow(
      new Invalid('domain.email', 'expected an e-mail address'),
    );
  });
});

describe('targets', () => {
  it('helm only: no compose host question, and only file stores every node reaches', async () => {
    const { spec, question } = await run({ targets: ['helm'], 'storage.bucket': 'files', 'storage.region': 'eu-west-1', 'storage.useIam': true });
    expect(spec.targets).toEqual(['helm']);
    expect(question('host.cpus')).toBeUndefined();
    expect(question('storage.type')!.choices!.map((c) => c.value)).toEqual(STORAGE_BACKENDS.filter((s) => s.shared).map((s) => s.id));
    expectDeployable(spec);
  });
});

describe('a second pass ("change my answers")', () => {
  it('offers the earlier answers as defaults, and Enter keeps a password without showing it', async () => {
    const first = await run({ 'database.mode': 'external', 'database.host': 'db1.example.com', 'database.user': 'u', 'database.password': 'secret-1-Long-Pass', 'database.maxConnections': '500' });
    const script = scriptedPrompts({ 'database.password': '' });
    const second = await askSpec(script.prompts, undefined, first.data);
    expect(script.question('database.host')!.default).toBe('db1.example.com');
    expect(script.question('database.mode')!.default).toBe('external');
    expect(JSON.stringify(script.asked)).not.toContain('secret-1');
    expect(second.spec.database.password).toBe('secret-1-Long-Pass');
  });
});

describe('non-interactive defaults', () => {
  it('a required answer with no default is an error naming the field, never a guess', async () => {
    await expect(askSpec(defaultPrompts('answers.yaml'), { data: { database: { mode: 'external' } }, source: 'answers.yaml' })).rejects.toThrow(
      /answers\.yaml: database\.host: required/,
    );
  });
});
