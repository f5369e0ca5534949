// The compose target over the whole tier × vector store × release matrix: schema-valid, every
// .env variable known to the release (derived from upstream's files here, not from our data),
// every sized value reaching its process, shared keys agreeing, no upstream default secret.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse as parseDotenv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { VECTOR_STORES } from '../src/backends/vector-stores.js';
import { releaseVersions, tierNames } from '../src/core/data.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import type { SpecInput } from '../src/core/spec.js';
import { renderFiles } from '../src/render/index.js';
import { resolveSecrets } from '../src/render/secrets.js';
// @ts-expect-error: plain ESM script without types
import { deriveRelease, locateReleaseFiles } from '../src/core/releases/derive.js';
import { effectiveEnv, type ComposeService } from './helpers/compose-env.js';
import { describeUpstream, UPSTREAM, UPSTREAM_REQUIRED } from './helpers/upstream.js';
import { EXTERNAL_BUS_CLUSTER, withStateChoices } from './helpers/state-choices.js';

// Without the fixtures (outside CI) the tests that compare against them are skipped; nothing here reads them then.
const schema = UPSTREAM_REQUIRED ? JSON.parse(readFileSync(join(UPSTREAM, 'compose-spec', 'compose-spec.json'), 'utf8')) : {};
delete schema.$schema;
const validateCompose = new Ajv({ strict: false, allErrors: true }).compile(schema);

const known = new Map<string, Set<string>>((UPSTREAM_REQUIRED ? releaseVersions() : []).map((v) => [v, new Set<string>(deriveRelease(locateReleaseFiles(join(UPSTREAM, `dify-${v}`))).knownEnv.variables)]));

function envExampleFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? envExampleFiles(p) : n.endsWith('.env.example') ? [p] : [];
  });
}

/** Every default upstream ships for a password, key, token or credential, per variable. */
const upstreamSecretDefaults = new Map<string, Set<string>>();
for (const v of UPSTREAM_REQUIRED ? releaseVersions() : []) {
  const docker = join(UPSTREAM, `dify-${v}`, 'docker');
  const files = [join(docker, '.env.example'), ...(statSync(join(docker, 'envs'), { throwIfNoEntry: false }) ? envExampleFiles(join(docker, 'envs')) : [])];
  for (const f of files)
    for (const [k, val] of Object.entries(parseDotenv(readFileSync(f, 'utf8'))))
      if (/(PASSWORD|SECRET|_KEY|TOKEN|CREDENTIALS|_PWD)$/.test(k) && val !== '' && !val.startsWith('your'))
        upstreamSecretDefaults.set(k, new Set([...(upstreamSecretDefaults.get(k) ?? []), val]));
}
/** The ones distinctive enough to look for anywhere (not e.g. ELASTICSEARCH_PASSWORD=elastic, also a user name). */
const distinctiveDefaults = new Set([...upstreamSecretDefaults.values()].flatMap((v) => [...v]).filter((v) => v.length >= 8));

function externalFields(required: readonly string[]): Record<string, unknown> {
  const values: Record<string, unknown> = { url: 'https://vectors.example.com', host: 'vectors.example.com', port: 9443, user: 'dify', password: 'vs-pass"word', apiKey: 'vs-key', database: 'dify_vectors' };
  return Object.fromEntries(required.map((f) => [f, values[f]]));
}

function render(input: SpecInput) {
  const spec = parseSpecData(withStateChoices(input, input.targets?.includes('helm') ? 'helm' : 'compose'), 'test');
  const secrets = resolveSecrets({});
  const { files, plans } = renderFiles(spec, 'compose', secrets);
  const file = (p: string) => files.find((f) => f.path === p)!;
  const compose = parseYaml(file('docker-compose.yaml').content) as { services: Record<string, ComposeService & Record<string, unknown>> };
  return { files, plan: plans[0], secrets, compose, dotenvText: file('.env').content, dotenv: parseDotenv(file('.env').content), file };
}

const cases = releaseVersions().flatMap((release) =>
  tierNames().flatMap((tier) =>
    VECTOR_STORES.map((vs) => ({
      release,
      tier,
      vectorStore: vs.bundledService ? { type: vs.id } : { type: vs.id, mode: 'external', ...externalFields(vs.externalRequires) },
    })),
  ),
);

describeUpstream.concurrent('compose render: tier × vector store × release', () => {
  it.each(cases)('$release $tier $vectorStore.type', ({ release, tier, vectorStore }) => {
    const { compose, plan, dotenv, dotenvText, secrets, files } = render({ release, tier, vectorStore } as SpecInput);
    expect(validateCompose(compose), JSON.stringify(validateCompose.errors?.slice(0, 3))).toBe(true);

    // Every .env variable is one the release documents, or one docker-compose.yaml itself interpolates
    // (the bundled event-bus Redis' password), as validate's unknown-variable rule has it.
    const composeText = files.find((f) => f.path === 'docker-compose.yaml')!.content;
    const composeReads = new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]));
    const unknown = Object.keys(dotenv).filter((k) => !known.get(release)!.has(k) && !composeReads.has(k));
    expect(unknown).toEqual([]);

    // Every sized value reaches the process that reads it (nginx's go into its config file).
    for (const c of plan.components.filter((x) => x.name !== 'nginx')) {
      const svc = compose.services[c.name];
      expect(svc, c.name).toBeDefined();
      const env = effectiveEnv(svc, dotenvText);
      for (const [k, v] of Object.entries(c.env)) expect(env[k], `${c.name} ${k}`).toBe(v);
      expect((svc.deploy as { replicas: number }).replicas).toBe(c.replicas);
    }

    // Values that must agree do.
    const api = effectiveEnv(compose.services.api, dotenvText);
    const daemon = effectiveEnv(compose.services.plugin_daemon, dotenvText);
    const sandbox = effectiveEnv(compose.services.sandbox, dotenvText);
    expect(api.CELERY_BROKER_URL).toContain(`:${api.REDIS_PASSWORD}@`);
    expect(daemon.SERVER_KEY).toBe(api.PLUGIN_DAEMON_KEY);
    expect(daemon.DIFY_INNER_API_KEY).toBe(api.INNER_API_KEY_FOR_PLUGIN);
    expect(daemon.DB_DATABASE).toBe(api.DB_PLUGIN_DATABASE);
    expect(sandbox.API_KEY).toBe(api.CODE_EXECUTION_API_KEY);
    expect(api.REDIS_PASSWORD).toBe(secrets.REDIS_PASSWORD);
    expect(api.DB_PASSWORD).toBe(secrets.DB_PASSWORD);
    expect(api.SECRET_KEY).toBe(secrets.SECRET_KEY);
    const redis = effectiveEnv(compose.services.redis, dotenvText);
    expect(redis.REDISCLI_AUTH).toBe(api.REDIS_PASSWORD);
    if (compose.services.weaviate) expect(effectiveEnv(compose.services.weaviate, dotenvText).AUTHENTICATION_APIKEY_ALLOWED_KEYS).toBe(api.WEAVIATE_API_KEY);
    if (compose.services.qdrant) expect(effectiveEnv(compose.services.qdrant, dotenvText).QDRANT_API_KEY).toBe(api.QDRANT_API_KEY);
    if (compose.services.pgvector) expect(effectiveEnv(compose.services.pgvector, dotenvText).POSTGRES_PASSWORD).toBe(api.PGVECTOR_PASSWORD);
    if (compose.services.chroma) expect(effectiveEnv(compose.services.chroma, dotenvText).CHROMA_SERVER_AUTHN_CREDENTIALS).toBe(api.CHROMA_AUTH_CREDENTIALS);
    if (compose.services.agent_backend) {
      const agent = effectiveEnv(compose.services.agent_backend, dotenvText);
      expect(agent.DIFY_AGENT_PLUGIN_DAEMON_API_KEY).toBe(daemon.SERVER_KEY);
      expect(agent.DIFY_AGENT_INNER_API_KEY).toBe(api.INNER_API_KEY_FOR_PLUGIN);
      expect(agent.DIFY_AGENT_REDIS_URL).toContain(`:${api.REDIS_PASSWORD}@`);
      expect(effectiveEnv(compose.services.local_sandbox, dotenvText).SHELLCTL_AUTH_TOKEN).toBe(agent.DIFY_AGENT_SHELLCTL_AUTH_TOKEN);
    }

    // The bundled database is sized to the budget.
    const db = effectiveEnv(compose.services.db_postgres, dotenvText);
    expect(interpolated(compose.services.db_postgres.command as string, dotenv)).toContain(`max_connections=${plan.database.maxConnections}`);
    expect(db.POSTGRES_PASSWORD).toBe(api.DB_PASSWORD);

    // The bundled Redis holds the budget and never evicts the broker's keys; every Dify process has a bounded pool.
    const redisCommand = interpolated(compose.services.redis.command as string, dotenv);
    expect(redisCommand).toContain(`--maxclients ${plan.redis.maxClients}`);
    expect(redisCommand).toContain('--maxmemory-policy noeviction');
    expect(plan.redis.required).toBeLessThanOrEqual(plan.redis.maxClients);
    for (const name of ['api', 'worker', 'worker_beat'])
      expect(Number(effectiveEnv(compose.services[name], dotenvText).REDIS_MAX_CONNECTIONS), name).toBeGreaterThan(0);
    expect(Number(effectiveEnv(compose.services.plugin_daemon, dotenvText).GOMAXPROCS)).toBeGreaterThan(0);
    // From 500 QPS the event bus has its own Redis (bundled, or the external cluster a 1000 QPS bus needs):
    // api and worker point at it, a bundled one with its password.
    const bus = compose.services.redis_event_bus;
    expect(plan.redis.eventBus.dedicated).toBe(plan.qps >= 500);
    expect(bus !== undefined).toBe(plan.redis.eventBus.mode === 'bundled');
    for (const name of ['api', 'worker']) {
      const url = effectiveEnv(compose.services[name], dotenvText).EVENT_BUS_REDIS_URL ?? '';
      if (!plan.redis.eventBus.dedicated) expect(url, name).toBe('');
      else if (bus) expect(interpolated(bus.command as string, dotenv)).toContain(`--requirepass ${decodeURIComponent(new URL(url).password)}`);
      else expect(url, name).toBe(EXTERNAL_BUS_CLUSTER.url);
    }

    // Only the chosen vector store's services; nothing published but nginx (and a lone daemon's debug port).
    const vs = VECTOR_STORES.find((v) => v.id === vectorStore.type)!;
    for (const other of VECTOR_STORES)
      if (other.bundledService && other.id !== vs.id) expect(Object.keys(compose.services)).not.toContain(other.bundledService);
    if (vs.bundledService && vectorStore.mode !== 'external') expect(Object.keys(compose.services)).toContain(vs.bundledService);
    const published = Object.entries(compose.services).filter(([, s]) => s.ports).map(([n]) => n);
    expect(published.filter((n) => n !== 'nginx' && n !== 'plugin_daemon')).toEqual([]);
    // Only nginx listens on every interface; anything else is loopback-only.
    for (const n of published.filter((n) => n !== 'nginx')) for (const p of compose.services[n].ports as string[]) expect(p, n).toMatch(/^127\.0\.0\.1:/);

    // No upstream default password or key survives: not as any variable's value, and long ones nowhere in any file.
    expect(Object.entries(dotenv).filter(([k, v]) => upstreamSecretDefaults.get(k)?.has(v))).toEqual([]);
    const values = [...Object.values(dotenv), ...Object.values(compose.services).flatMap((s) => Object.values(effectiveEnv(s, dotenvText)))];
    expect(values.filter((v) => distinctiveDefaults.has(v))).toEqual([]);
    for (const f of files) {
      const tokens = new Set(f.content.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').split(/[\s"'=,]+/));
      for (const value of distinctiveDefaults) {
        expect(tokens.has(value), `${f.path} contains upstream default ${value}`).toBe(false);
        expect(f.content.includes(`:${value}@`), `${f.path} has upstream default ${value} in a URL`).toBe(false);
      }
    }
    expect(files.find((f) => f.path === '.env')!.mode).toBe(0o600);
  });
});

function interpolated(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{([A-Z_][A-Z0-9_]*)[^}]*\}/g, (_m, k: string) => env[k] ?? '');
}

describe('compose render: backends and modes', () => {
  it('external database and Redis: no bundled service, the spec\'s hosts, password inside the broker URL (URL-encoded)', () => {
    const { compose, dotenv } = render({
      tier: '50qps',
      // No pooler: the components reach the external server directly (above 500 connections the plan would put PgBouncer first).
      database: { mode: 'external', host: 'pg.internal', user: 'dify', password: 'p@ss/word', maxConnections: 1000, pooler: 'none' },
      redis: { mode: 'external', host: 'redis.internal', password: 'r:pw' },
    });
    expect(compose.services.db_postgres).toBeUndefined();
    expect(compose.services.redis).toBeUndefined();
    expect(dotenv.DB_HOST).toBe('pg.internal');
    expect(dotenv.DB_PASSWORD).toBe('p@ss/word');
    expect(dotenv.CELERY_BROKER_URL).toBe('redis://:r%3Apw@redis.internal:6379/1');
    expect(Object.keys((compose.services.api.depends_on ?? {}) as object)).not.toContain('db_postgres');
  });

  it('bundled MySQL: db_mysql with the budgeted max_connections, root user', () => {
    const { compose, dotenv, plan } = render({ tier: '10qps', database: { engine: 'mysql' } });
    expect(compose.services.db_mysql).toBeDefined();
    expect(dotenv.DB_USERNAME).toBe('root');
    expect(dotenv.MYSQL_MAX_CONNECTIONS).toBe(String(plan.database.maxConnections));
  });

  it('an external vector store without its required fields is a user error naming the field', () => {
    expect(() => render({ tier: '10qps', vectorStore: { type: 'qdrant', mode: 'external' } })).toThrow(/vectorStore\.url: required/);
  });

  it('object storage: the plugin daemon gets the same bucket through its own variable names', () => {
    const { compose, dotenvText } = render({ tier: '10qps', storage: { type: 's3', bucket: 'b1', region: 'eu-west-1', accessKey: 'AK', secretKey: 'SK' } });
    const daemon = effectiveEnv(compose.services.plugin_daemon, dotenvText);
    expect(daemon.PLUGIN_STORAGE_TYPE).toBe('aws_s3');
    expect(daemon.PLUGIN_STORAGE_OSS_BUCKET).toBe('b1');
    expect(daemon.AWS_SECRET_KEY).toBe('SK');
  });

  it('public URLs follow the domain and TLS mode', () => {
    const { dotenv, compose } = render({ tier: '10qps', domain: { host: 'dify.example.com', tls: 'own', certFile: 'certs/a.crt', keyFile: 'certs/a.key', httpsPort: 8443 } });
    expect(dotenv.CONSOLE_API_URL).toBe('https://dify.example.com:8443');
    expect(dotenv.ENDPOINT_URL_TEMPLATE).toBe('https://dify.example.com:8443/e/{hook_id}');
    expect(compose.services.nginx.ports).toContain('8443:8443');
  });
});

describeUpstream('vendored compose schema', () => {
  it('schemas/compose-spec/ is byte-identical to the upstream copy, with its LICENSE', () => {
    for (const f of ['compose-spec.json', 'LICENSE'])
      expect(readFileSync(join(__dirname, '..', 'schemas', 'compose-spec', f), 'utf8'), f).toBe(readFileSync(join(UPSTREAM, 'compose-spec', f), 'utf8'));
  });
});
