// Rendered Helm values for every tier × backend combination and release: they pass the
// chart checks, carry every sized value to the pod that reads it, and the connection
// budget recomputed from the file holds at HPA maxReplicas.
import { describe, expect, test } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { connectionUsers } from '../src/core/budget.js';
import { loadRelease, releaseVersions, tierNames } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { specSchema, type SpecInput } from '../src/core/spec.js';
import { loadChart } from '../src/helm/chart.js';
import { checkHelmValues, dotted } from '../src/helm/check.js';
import { isMap, type Values } from '../src/helm/merge.js';
import { renderHelm } from '../src/render/helm.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { withStateChoices } from './helpers/state-choices.js';

const S3 = { type: 's3', bucket: 'dify-files', region: 'us-east-1', useIam: true } as const;
const BACKENDS: Record<string, Partial<SpecInput>> = {
  'bundled pg, redis, weaviate; s3': { storage: S3 },
  'external pg, redis; qdrant; azure': {
    database: { mode: 'external', host: 'pg.internal', user: 'dify', password: 'pw', maxConnections: 8000 },
    // 30,000 clients: at 1000qps the run workers' pools and event-bus publishers add ~5,000 to the api's; the event bus on a Redis Cluster of its own.
    redis: {
      mode: 'external',
      host: 'redis.internal',
      password: 'rpw',
      maxClients: 30000,
      eventBus: { mode: 'external', url: 'redis://:ebpw@eventbus.internal:6379/0', useClusters: true, maxClients: 30000 },
    },
    vectorStore: { type: 'qdrant', mode: 'external', url: 'https://qdrant.internal:6333', apiKey: 'k' },
    storage: { type: 'azure-blob', bucket: 'c', accountName: 'a', secretKey: 's', accountUrl: 'https://a.blob.core.windows.net' },
  },
  'external mysql; sentinel; pgvector; oss': {
    database: { engine: 'mysql', mode: 'external', host: 'mysql.internal', maxConnections: 20000 },
    // host: the master endpoint the 1.16 agent backend needs (it cannot use Sentinel).
    redis: { mode: 'external', topology: 'sentinel', sentinels: ['s1:26379', 's2:26379'], sentinelMasterName: 'mymaster', host: 'redis-primary.internal', maxClients: 60000 },
    vectorStore: { type: 'pgvector', mode: 'external', host: 'pgv.internal', user: 'u', password: 'p', database: 'vec' },
    storage: { type: 'aliyun-oss', bucket: 'b', endpoint: 'https://oss-cn-hangzhou.aliyuncs.com', region: 'cn-hangzhou', accessKey: 'a', secretKey: 's' },
  },
  'bundled pg; external weaviate; tencent-cos, own TLS': {
    vectorStore: { type: 'weaviate', mode: 'external', url: 'http://weaviate:8080', apiKey: 'k' },
    storage: { type: 'tencent-cos', bucket: 'b', region: 'ap-guangzhou', accessKey: 'a', secretKey: 's' },
    domain: { host: 'dify.example.com', tls: 'own', certFile: 'c.pem', keyFile: 'k.pem' },
  },
  'external pg; milvus; volcengine-tos, certbot': {
    database: { mode: 'external', host: 'pg.internal', maxConnections: 8000 },
    vectorStore: { type: 'milvus', mode: 'external', url: 'http://milvus:19530' },
    storage: { type: 'volcengine-tos', bucket: 'b', endpoint: 'https://tos-cn-beijing.volces.com', region: 'cn-beijing', accessKey: 'a', secretKey: 's' },
    domain: { host: 'dify.example.com', tls: 'certbot', email: 'ops@example.com' },
  },
};

/** The chart's sample credentials (sandbox's "dify-sandbox" is also an image name: checked by path instead). */
function chartSampleSecrets(version: string): string[] {
  const d = loadChart(version).defaults as Record<string, any>;
  return [d.global.appSecretKey, d.pluginDaemon.auth.serverKey, d.redis.auth.password, d.postgresql.global.postgresql.auth.postgresPassword, ...d.weaviate.authentication.apikey.allowed_keys];
}

type ExtraEnv = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };
/** A block's extraEnv as the pod gets it: credentials from the rendered dify-credentials Secret (`credentials`). */
const envOf = (block: Values, credentials: Record<string, string> = {}) =>
  Object.fromEntries(((block.extraEnv as ExtraEnv[]) ?? []).map((e) => [e.name, e.valueFrom?.secretKeyRef.name === 'dify-credentials' ? credentials[e.valueFrom.secretKeyRef.key] : e.value]));
const CHART_KEY: Record<string, string> = { nginx: 'proxy', api: 'api', api_websocket: 'apiWebsocket', worker: 'worker', worker_beat: 'beat', web: 'web', plugin_daemon: 'pluginDaemon', sandbox: 'sandbox', agent_backend: 'agentBackend', local_sandbox: 'localSandbox' };

describe.concurrent.each(releaseVersions())('Dify %s', (version) => {
  const release = loadRelease(version);
  const cases = tierNames().flatMap((tier) => Object.keys(BACKENDS).map((backend) => [tier, backend] as const));
  test.each(cases)('%s, %s', (tier, backend) => {
    const spec = specSchema.parse(withStateChoices({ release: version, tier, targets: ['helm'], domain: { host: 'dify.example.com' }, ...BACKENDS[backend] }, 'helm'));
    const plan = planFor(spec, 'helm', release);
    expect(plan.problems).toEqual([]);
    const secrets = resolveSecrets({});
    const files = renderHelm({ spec, plan, release, secrets });
    const valuesFile = files.find((f) => f.path === 'helm/values.yaml')!;
    expect(valuesFile.mode).toBe(0o600);
    const values = parse(valuesFile.content) as Values;
    const credentialsFile = files.find((f) => f.path === 'helm/extra/credentials.yaml');
    const credentials = credentialsFile ? (parse(credentialsFile.content).stringData as Record<string, string>) : {};

    // What Helm cannot tell: every key is one the chart's templates read (schema, types and
    // quantities are proven with real Helm and the Kubernetes schemas in helm-real.test.ts).
    const keyFindings = checkHelmValues(values, release.helm.version).filter((f) => f.rule === 'helm-unknown-key' || f.rule === 'helm-dead-key');
    expect(keyFindings.map((f) => `${f.rule} ${dotted(f.path)}: ${f.message}`)).toEqual([]);

    const inputs = [];
    // The run worker is a Deployment in helm/extra/ (the chart has one worker): its replicas and env as the pod gets them.
    const runWorker = parseAllDocuments(files.find((f) => f.path === 'helm/extra/run-worker.yaml')!.content).map((d) => d.toJS());
    for (const c of plan.components.filter((x) => x.name === 'worker_runs')) {
      const deployment = runWorker.find((o) => o.kind === 'Deployment');
      const hpa = runWorker.find((o) => o.kind === 'HorizontalPodAutoscaler');
      expect(deployment.spec.replicas).toBe(c.replicas);
      expect(hpa?.spec.maxReplicas ?? c.replicas).toBe(c.maxReplicas);
      const env = Object.fromEntries(deployment.spec.template.spec.containers[0].env.filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]));
      for (const [k, v] of Object.entries(c.env)) expect(env[k], `${c.name} ${k}`).toBe(v);
      inputs.push({ component: c.name, replicas: c.maxReplicas, env });
    }
    for (const c of plan.components.filter((x) => x.name !== 'worker_runs')) {
      const block = values[CHART_KEY[c.name]];
      expect(isMap(block), `${c.name} has a values block`).toBe(true);
      const b = block as Values;
      if ('replicas' in b) expect(b.replicas).toBe(c.replicas);
      const hpa = b.autoscaling as Values | undefined;
      if (c.maxReplicas > c.replicas) expect(hpa).toMatchObject({ enabled: true, minReplicas: c.replicas, maxReplicas: c.maxReplicas });
      else expect(hpa).toBeUndefined();
      expect(b.affinity !== undefined).toBe(c.maxReplicas >= 2);
      const env = envOf(b, credentials);
      // A literal string, or a credential read from a Secret (never a literal).
      for (const e of (b.extraEnv as { value?: unknown; valueFrom?: { secretKeyRef?: unknown } }[]) ?? []) expect(typeof e.value === 'string' || e.valueFrom?.secretKeyRef !== undefined, JSON.stringify(e)).toBe(true);
      // Every sized variable reaches the pod that reads it (the chart's nginx reads no env).
      if (c.name !== 'nginx') for (const [k, v] of Object.entries(c.env)) expect(env[k], `${c.name} ${k}`).toBe(v);
      inputs.push({ component: c.name, replicas: hpa ? (hpa.maxReplicas as number) : c.replicas, env });
    }
    // The event bus reaches api and workers exactly when it has a Redis of its own; a bundled Redis gets the plan's flags.
    for (const key of ['api', 'worker']) {
      const env = envOf(values[key] as Values, credentials);
      expect(env.EVENT_BUS_REDIS_URL, key).toBe(spec.redis.eventBus.url);
      if (spec.redis.eventBus.useClusters) expect(env).toMatchObject({ EVENT_BUS_REDIS_USE_CLUSTERS: 'true', EVENT_BUS_REDIS_CHANNEL_TYPE: 'sharded' });
    }
    if (plan.redis.server)
    {
      // io-threads where the plan gives the server ≥ 4 vCPU (Redis ≥ 6: the chart's 7.0).
      const io = plan.redis.server.ioThreads ? [`--io-threads ${plan.redis.server.ioThreads}`, '--io-threads-do-reads yes'] : [];
      expect((values.redis as any).master.extraFlags).toEqual([`--maxclients ${plan.redis.maxClients}`, `--maxmemory ${plan.redis.server.maxmemory}`, '--maxmemory-policy noeviction', ...io]);
      expect(io.length > 0).toBe(plan.redis.server.cpu >= 4);
    }
    // The chart's default entries survive the list override.
    expect(envOf(values.api as Values)).toHaveProperty('CHECK_UPDATE_URL', '');
    expect(envOf(values.sandbox as Values)).toHaveProperty('WORKER_TIMEOUT');

    // The budget recomputed from the file at maxReplicas fits the server.
    const required = connectionUsers(release, inputs).reduce((n, u) => n + (u.total ?? Infinity), 0);
    expect(required).toBe(plan.budget.required);
    const pg = values.postgresql as Values;
    const max = pg.enabled ? Number(/max_connections = (\d+)/.exec(String((pg.primary as Values).extendedConfiguration))![1]) : spec.database.maxConnections!;
    // Behind PgBouncer the clients fit max_client_conn and the server holds the pools.
    if (plan.database.pooler) expect(required).toBeLessThanOrEqual(plan.database.pooler.maxClientConn);
    expect((plan.budget.server?.required ?? required) + plan.database.reserved).toBeLessThanOrEqual(max);

    // Secrets: the generated ones are in, the chart's samples are gone.
    expect(valuesFile.content).toContain(secrets.SECRET_KEY);
    expect((values.sandbox as any).auth.apiKey).toBe(secrets.SANDBOX_API_KEY);
    expect((values.pluginDaemon as any).auth.serverKey).toBe(secrets.PLUGIN_DAEMON_KEY);
    for (const sample of chartSampleSecrets(release.helm.version)) expect(valuesFile.content).not.toContain(sample);

    // Exactly one backend of each kind is enabled.
    const enabled = (keys: string[]) => keys.filter((k) => isMap(values[k]) && (values[k] as Values).enabled === true);
    expect(enabled(['postgresql', 'externalPostgres', 'externalMysql'])).toHaveLength(1);
    expect(enabled(['redis', 'externalRedis'])).toHaveLength(1);
    expect(enabled(['weaviate', 'externalWeaviate', 'externalQdrant', 'externalMilvus', 'externalPgvector'])).toHaveLength(1);

    // Deterministic: the same inputs give the same files.
    expect(renderHelm({ spec, plan, release, secrets })).toEqual(files);
  });
});

test('the README names the chart version and the install commands', () => {
  const spec = specSchema.parse({ tier: '10qps', targets: ['helm'], storage: S3 });
  const release = loadRelease(spec.release);
  const readme = renderHelm({ spec, plan: planFor(spec, 'helm', release), release, secrets: resolveSecrets({}) }).find((f) => f.path === 'helm/README.md')!.content;
  expect(readme).toContain(`helm repo add ${release.helm.repoName} ${release.helm.repoUrl}`);
  expect(readme).toContain(`helm upgrade --install dify ${release.helm.repoName}/${release.helm.chart} --version ${release.helm.version}`);
});

describe('backends the chart cannot deploy are refused with a message naming the field', () => {
  const render = (extra: Partial<SpecInput>) => {
    const spec = specSchema.parse({ tier: '10qps', targets: ['helm'], storage: S3, ...extra });
    const release = loadRelease(spec.release);
    return () => renderHelm({ spec, plan: planFor(spec, 'helm', release), release, secrets: resolveSecrets({}) });
  };
  test('bundled MySQL', () => expect(render({ database: { engine: 'mysql' } })).toThrow(/database.engine/));
  test('bundled Qdrant', () => expect(render({ vectorStore: { type: 'qdrant' } })).toThrow(/vectorStore/));
  test('Redis Cluster', () => expect(render({ redis: { mode: 'external', topology: 'cluster', clusterNodes: ['a:6379'] } })).toThrow(/redis.topology/));
});
