// The sizing engine over the whole tier × target × release × database matrix, plus
// hand-computed examples from upstream's own files.
import { describe, expect, it } from 'vitest';
import { connectionBudget, connectionUsers } from '../src/core/budget.js';
import { loadRelease, loadTier, releaseVersions, tierNames } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { specSchema, type SpecInput } from '../src/core/spec.js';
import { describeUpstream, upstreamEnvExample } from './helpers/upstream.js';
import { withStateChoices } from './helpers/state-choices.js';
import { chartProxyReadTimeout } from './helpers/helm.js';

const spec = (input: SpecInput) => specSchema.parse(withStateChoices(input, 'helm'));

const matrix = tierNames().flatMap((tier) =>
  releaseVersions().flatMap((release) =>
    (['compose', 'helm'] as const).flatMap((target) =>
      (['bundled', 'external'] as const).map((mode) => ({ tier, release, target, mode })),
    ),
  ),
);

describe('every tier × target × release × database mode', () => {
  it.each(matrix)('$tier $release $target $mode', ({ tier, release, target, mode }) => {
    const managed = loadTier(tier).managedDatabase;
    const s = spec({
      tier,
      release,
      database: mode === 'external' ? { mode, host: 'pg.internal', maxConnections: managed.maxConnections } : { mode },
      // More than one host needs object storage (local files are refused under helm).
      storage: target === 'helm' ? { type: 's3', bucket: 'dify', region: 'us-east-1' } : { type: 'local' },
    });
    const plan = planFor(s, target);
    const b = plan.budget;
    expect(plan.problems).toEqual([]);
    expect(b.fits).toBe(true);
    // required is the sum of the table's peaks, and fits with the reserved slots.
    expect(b.required).toBe(plan.components.reduce((n, c) => n + c.peakDbConnections, 0));
    expect(b.required + b.reserved).toBeLessThanOrEqual(b.maxConnections);
    if (mode === 'bundled') expect(b.maxConnections).toBeLessThanOrEqual(1.25 * (b.required + b.reserved));
    expect(plan.capacity.sustainableQps).toBeGreaterThanOrEqual(plan.qps);
    // Every process that opens connections is counted with a finite maximum.
    for (const c of plan.components) {
      if (c.peakDbConnections > 0) expect(c.peakDbConnections).toBe(c.maxReplicas * c.processesPerReplica * c.connectionsPerProcess);
      expect(c.maxReplicas).toBeGreaterThanOrEqual(c.replicas);
      if (target === 'compose') expect(c.maxReplicas).toBe(c.replicas);
    }
    // The API pool covers every greenlet: a request never waits for a connection.
    const api = plan.components.find((c) => c.name === 'api')!;
    expect(Number(api.env.SQLALCHEMY_POOL_SIZE) + Number(api.env.SQLALCHEMY_MAX_OVERFLOW)).toBeGreaterThanOrEqual(
      Number(api.env.SERVER_WORKER_CONNECTIONS),
    );
    // Timeout chain: nginx read timeout ≥ the longest run; GUNICORN_TIMEOUT (a gevent heartbeat) at upstream's value.
    // Compose sets its nginx's; the chart's proxy keeps its own (templates/config.tpl), which the plan does not restate.
    const nginx = plan.components.find((c) => c.name === 'nginx')!;
    const readTimeout = target === 'compose' ? parseInt(nginx.env.NGINX_PROXY_READ_TIMEOUT, 10) : chartProxyReadTimeout(loadRelease(release).helm.version);
    for (const bound of ['APP_MAX_EXECUTION_TIME', 'WORKFLOW_MAX_EXECUTION_TIME'])
      expect(readTimeout).toBeGreaterThanOrEqual(Number(api.env[bound]));
    expect(Number(api.env.GUNICORN_TIMEOUT)).toBeLessThanOrEqual(Number(loadRelease(release).upstreamDefaults.GUNICORN_TIMEOUT));
    if (plan.database.memory) expect(plan.database.memory.fits).toBe(true);
  });

  it('is deterministic', () => {
    const s = spec({ tier: '200qps' });
    expect(JSON.stringify(planFor(s, 'helm'))).toBe(JSON.stringify(planFor(s, 'helm')));
  });
});

describeUpstream('connection budget on upstream defaults (hand-computed)', () => {
  // What each process sees in the upstream compose: the .env, plus the service's own mapping.
  function upstreamInputs(release: string) {
    const rel = loadRelease(release);
    const env = upstreamEnvExample(release);
    const serviceEnv = (name: string) => {
      const mapped = Object.fromEntries(
        Object.entries(rel.serviceEnv[name as keyof typeof rel.serviceEnv] ?? {}).flatMap(([k, from]) => (env[from] !== undefined ? [[k, env[from]]] : [])),
      );
      return { ...env, ...mapped, ...(rel.serviceFixedEnv?.[name as keyof typeof rel.serviceFixedEnv] ?? {}) };
    };
    const names = rel.collaboration ? ['api', 'api_websocket', 'worker', 'worker_beat', 'plugin_daemon'] : ['api', 'worker', 'worker_beat', 'plugin_daemon'];
    return { rel, env, inputs: names.map((component) => ({ component, replicas: 1, env: serviceEnv(component) })) };
  }

  it('1.13.3: api 1×40 + worker 40 + beat 40 + plugin daemon 30 = 150 against 100 − 3', () => {
    const { rel, env, inputs } = upstreamInputs('1.13.3');
    const users = connectionUsers(rel, inputs);
    expect(users.map((u) => [u.component, u.total])).toEqual([
      ['api', 40],
      ['worker', 40],
      ['worker_beat', 40],
      ['plugin_daemon', 30],
    ]);
    const budget = connectionBudget(users, Number(env.POSTGRES_MAX_CONNECTIONS), 3);
    expect(budget).toMatchObject({ required: 150, available: 97, fits: false });
  });

  it.each(['1.14.2', '1.15.0', '1.16.1'])('%s: api, api_websocket, worker, beat 40 each + daemon 30 = 190 against 200', (release) => {
    const { rel, env, inputs } = upstreamInputs(release);
    const budget = connectionBudget(connectionUsers(rel, inputs), Number(env.POSTGRES_MAX_CONNECTIONS), 3);
    expect(budget).toMatchObject({ required: 190, maxConnections: 200, fits: true, headroom: 7 });
  });

  it('counts prefork celery children and unlimited pools', () => {
    const rel = loadRelease('1.16.1');
    const prefork = connectionUsers(rel, [
      { component: 'worker', replicas: 2, env: { CELERY_WORKER_CLASS: 'prefork', CELERY_WORKER_AMOUNT: '8', SQLALCHEMY_POOL_SIZE: '5', SQLALCHEMY_MAX_OVERFLOW: '0' } },
    ]);
    expect(prefork[0].total).toBe(2 * 8 * 5);
    const unlimited = connectionUsers(rel, [{ component: 'plugin_daemon', replicas: 1, env: { DB_MAX_OPEN_CONNS: '0' } }]);
    expect(unlimited[0].total).toBeNull();
    expect(connectionBudget(unlimited, 1000, 3).fits).toBe(false);
  });
});

describe('plan behaviour', () => {
  it('refuses an external database that is too small, naming the numbers', () => {
    const plan = planFor(spec({ tier: '500qps', database: { mode: 'external', host: 'db', maxConnections: 500, pooler: 'none' } }), 'compose');
    expect(plan.budget.fits).toBe(false);
    const problem = plan.problems.join('\n');
    expect(problem).toContain(`can open ${plan.budget.required} connections`);
    expect(problem).toContain('allows 500 − 3 reserved = 497');
    expect(problem).toMatch(/PgBouncer/);
  });

  it('recomputes the budget from overridden env values', () => {
    const base = planFor(spec({ tier: '10qps' }), 'compose');
    const over = planFor(spec({ tier: '10qps', overrides: { components: { api: { env: { SQLALCHEMY_POOL_SIZE: '100' } } } } }), 'compose');
    const api = (p: typeof base) => p.components.find((c) => c.name === 'api')!;
    // Every API process of every replica opens its own pool.
    const processes = api(base).replicas * api(base).processesPerReplica;
    expect(api(over).peakDbConnections - api(base).peakDbConnections).toBe(processes * (100 - Number(api(base).env.SQLALCHEMY_POOL_SIZE)));
    expect(over.budget.maxConnections).toBeGreaterThan(base.budget.maxConnections);
  });

  it('no HPA ceiling above the components sized from the peak (api: its greenlets already hold it); web keeps one', () => {
    const plan = planFor(spec({ tier: '100qps', storage: { type: 's3', bucket: 'dify', region: 'us-east-1' } }), 'helm');
    const byName = (n: string) => plan.components.find((c) => c.name === n)!;
    expect(byName('api').maxReplicas).toBe(byName('api').replicas);
    // web's count is SAE's for the tier's QPS, derived from no request model: its HPA may add 30 %.
    expect(byName('web').maxReplicas).toBe(Math.ceil(byName('web').replicas * 1.3));
    // No component that opens DB connections autoscales, so the budget is the same at either count.
    expect(plan.budget.required).toBe(plan.budget.requiredAtReplicas);
    expect(plan.budget.required + plan.budget.reserved).toBeLessThanOrEqual(plan.budget.maxConnections);
  });

  it('counts pgvector pools on the metadata server', () => {
    const db = { mode: 'external' as const, host: 'pg.internal', maxConnections: 5000 };
    const separate = planFor(spec({ tier: '10qps', database: db, vectorStore: { type: 'pgvector', mode: 'external', host: 'other' } }), 'compose');
    const shared = planFor(spec({ tier: '10qps', database: db, vectorStore: { type: 'pgvector', mode: 'external', host: 'pg.internal' } }), 'compose');
    const pg = shared.connections.find((u) => u.component === 'pgvector pools');
    expect(pg?.total).toBeGreaterThan(0);
    expect(shared.budget.required - separate.budget.required).toBe(pg!.total);
  });

  it('sizes a custom qps from the smallest tier that covers it', () => {
    const plan = planFor(spec({ qps: 150, latencySeconds: 5 }), 'compose');
    expect(plan.tier).toContain('200qps');
    // 150 QPS is the peak: Little's law without a burst multiplier.
    expect(plan.inFlight).toBe(Math.ceil(150 * 5));
    expect(plan.capacity.sustainableQps).toBeGreaterThanOrEqual(150);
    expect(plan.budget.fits).toBe(true);
  });

  it('flags a bundled DB host too small for its connections', () => {
    const plan = planFor(spec({ tier: '500qps', database: { hostSize: { cpus: 2, memoryGiB: 4 }, pooler: 'none' } }), 'compose');
    expect(plan.problems.join('\n')).toMatch(/4 GiB DB host cannot hold max_connections=\d+/);
  });

  it('says when a compose host is too small and points to helm', () => {
    const plan = planFor(spec({ tier: '100qps', host: { cpus: 4, memoryGiB: 8 } }), 'compose');
    expect(plan.host.fits).toBe(false);
    expect(plan.warnings.join('\n')).toMatch(/--target helm/);
  });
});

describe('production topology', () => {
  const s3 = { type: 's3' as const, bucket: 'dify', region: 'us-east-1' };

  it.each(tierNames())('%s: HA from 100 QPS means ≥ 2 replicas of api, web, worker, plugin daemon', (tier) => {
    const plan = planFor(spec({ tier, storage: s3 }), 'helm');
    const expectHa = loadTier(tier).qps >= 100;
    expect(plan.highAvailability).toBe(expectHa);
    for (const name of ['api', 'web', 'worker', 'plugin_daemon']) {
      const c = plan.components.find((x) => x.name === name)!;
      if (expectHa) expect(c.replicas).toBeGreaterThanOrEqual(2);
    }
  });

  it('refuses local file storage on Kubernetes, with the reason', () => {
    const plan = planFor(spec({ tier: '100qps' }), 'helm');
    expect(plan.problems.join('\n')).toMatch(/storage: local file storage on Kubernetes: .*cannot read each other's files/);
    expect(planFor(spec({ tier: '100qps' }), 'compose').problems).toEqual([]);
  });

  it('refuses a scaled-out plugin daemon on a store it cannot use', () => {
    const gcs = { type: 'google-storage' as const, bucket: 'b', serviceAccountJsonBase64: 'e30=' };
    expect(planFor(spec({ tier: '100qps', storage: gcs }), 'helm').problems.join('\n')).toMatch(/plugin_daemon: \d+ replicas must share installed plugins/);
    // One replica must then carry the daemon's whole CPU (100/s × 0.047 core·s ÷ 0.65 ≈ 7.2 cores).
    const single = spec({ tier: '100qps', storage: gcs, overrides: { components: { plugin_daemon: { replicas: 1, cpu: 8 } } } });
    expect(planFor(single, 'helm').problems).toEqual([]);
  });

  it('runs migrations once: MIGRATION_ENABLED=false for every long-running process', () => {
    const plan = planFor(spec({ tier: '200qps', storage: s3 }), 'helm');
    expect(plan.migration).toBe('job');
    expect(plan.sharedEnv.MIGRATION_ENABLED).toBe('false');
  });

  it.each([
    [15, '*/15 * * * *'],
    [45, '*/45 * * * *'],
    [60, '0 * * * *'],
    [240, '0 */4 * * *'],
    [300, '0 */4 * * *'],
    [720, '0 */12 * * *'],
    [1440, '0 3 * * *'],
  ])('RPO %i min → backups "%s" (never further apart than the RPO)', (rpo, cron) => {
    const plan = planFor(spec({ tier: '10qps', recovery: { rpoMinutes: rpo } }), 'compose');
    expect(plan.recovery.schedule).toBe(cron);
  });

  it('refuses an RPO pg_dump cannot meet', () => {
    expect(planFor(spec({ tier: '10qps', recovery: { rpoMinutes: 5 } }), 'compose').problems.join('\n')).toMatch(/WAL archiving/);
  });

  it('turns observability choices into env and explains the workflow-log cost', () => {
    const plan = planFor(
      spec({ tier: '10qps', observability: { otlpEndpoint: 'http://otel:4318', sentryDsn: 'https://k@sentry.example.com/1', workflowLogs: { retentionDays: 14 } } }),
      'compose',
    );
    expect(plan.sharedEnv).toMatchObject({ LOG_OUTPUT_FORMAT: 'json', ENABLE_OTEL: 'true', OTLP_BASE_ENDPOINT: 'http://otel:4318', API_SENTRY_DSN: 'https://k@sentry.example.com/1', WORKFLOW_LOG_RETENTION_DAYS: '14' });
    expect(plan.observability.workflowLogs).toMatch(/rows in PostgreSQL.*14 days/);
    const hybridLocal = planFor(spec({ tier: '10qps', observability: { workflowLogs: { storage: 'hybrid' } } }), 'compose');
    expect(hybridLocal.problems.join('\n')).toMatch(/hybrid writes node executions to object storage/);
    const logstore = planFor(spec({ tier: '10qps', observability: { workflowLogs: { storage: 'logstore' } } }), 'compose');
    expect(logstore.problems.join('\n')).toMatch(/slsProject: required/);
  });

  it('totals count every container at maxReplicas', () => {
    const plan = planFor(spec({ tier: '100qps', storage: s3 }), 'helm');
    const appContainers = plan.components.reduce((n, c) => n + c.maxReplicas, 0);
    expect(plan.totals.replicas).toBe(appContainers + plan.infrastructure.reduce((n, i) => n + (i.replicas ?? 1), 0));
    expect(plan.totals.cpuLimits).toBeGreaterThan(plan.totals.cpuRequests);
  });
});

describe('Redis topologies', () => {
  it.each(releaseVersions())('%s: Redis Cluster is refused (the plugin daemon and the broker cannot use it); Sentinel is fine', (release) => {
    const cluster = planFor(spec({ tier: '10qps', release, redis: { mode: 'external', topology: 'cluster', clusterNodes: ['r1:6379', 'r2:6379'] } }), 'compose');
    // Refused for the main Redis, naming each component that cannot use it; the event bus may be one.
    expect(cluster.problems.join('\n')).toMatch(/redis\.topology: cluster cannot be the main Redis .*: the plugin daemon \(.*\) and the Celery broker \(.*\) cannot use it; use standalone or sentinel .*the event bus can use a Cluster/);
    const sentinelSpec = { mode: 'external' as const, topology: 'sentinel' as const, sentinels: ['s1:26379'], sentinelMasterName: 'mymaster' };
    const sentinel = planFor(spec({ tier: '10qps', release, redis: sentinelSpec }), 'compose');
    // The 1.16 agent backend takes a plain URL, and the event bus builds its URL from REDIS_HOST:
    // both need a master endpoint besides the sentinels (or the event bus a URL of its own).
    if (loadRelease(release).agentBackend) expect(sentinel.problems.join('\n')).toMatch(/redis\.host: the agent backend takes a plain Redis URL/);
    else expect(sentinel.problems.join('\n')).toMatch(/redis\.host: Dify .*'s event bus takes its URL from REDIS_HOST:REDIS_PORT, not from Sentinel/);
    expect(planFor(spec({ tier: '10qps', release, redis: { ...sentinelSpec, host: 'redis-master.internal' } }), 'compose').problems).toEqual([]);
    const ownBus = { ...sentinelSpec, eventBus: { mode: 'external' as const, url: 'redis://bus.internal:6379/0' } };
    if (!loadRelease(release).agentBackend) expect(planFor(spec({ tier: '10qps', release, redis: ownBus }), 'compose').problems).toEqual([]);
  });
});

describeUpstream('the websocket service is counted as upstream runs it', () => {
  it.each(['1.14.2', '1.15.0'])('%s: one websocket process whatever the api worker count (compose hard-codes it)', (release) => {
    const rel = loadRelease(release);
    const env = { ...upstreamEnvExample(release), SERVER_WORKER_AMOUNT: '8' };
    const ws = { ...env, ...rel.serviceFixedEnv?.api_websocket };
    const [user] = connectionUsers(rel, [{ component: 'api_websocket', replicas: 1, env: ws }]);
    expect(user.processes).toBe(1);
  });
});
