// The run path on Kubernetes, proven with real Helm on the real chart over release × tier × mix
// (two mixes per release × tier, rotated, so every release and tier meets all five):
// the run slots the plan claims (capacity.paths runs.slots) are exactly Σ replicas × processes ×
// concurrency over the Deployments that `helm template` renders plus helm/extra/, counted where
// CELERY_WORKER_QUEUES (else CELERY_QUEUES, else the release's default list) has the run queue;
// the chart's worker keeps every other queue and not that one; the DB and Redis budgets recomputed
// from those pods (HPA maxReplicas) are the plan's; every queue the pods carry meets the service
// level at the peak and every modelled component has its cores (test/helpers/service-level.ts, an
// Erlang-C oracle apart from the product); and validate finds nothing in the output.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { celeryPoolClass, connectionUsers } from '../src/core/budget.js';
import { loadRelease, loadTier, releaseVersions, tierNames } from '../src/core/data.js';
import { redisClients } from '../src/core/redis.js';
import { planFor } from '../src/core/resolve.js';
import { specSchema, type SpecInput } from '../src/core/spec.js';
import { renderHelm } from '../src/render/helm.js';
import { CHART_COMPONENTS } from '../src/render/helm/components.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { validate } from '../src/validate/index.js';
import { chartDir, helmBinary, runHelm } from './helpers/helm.js';
import { containerEnv, parseManifests, schemaErrors, type K8sObject } from './helpers/k8s.js';
import { BACKENDS } from './helpers/matrix.js';
import { UPSTREAM_REQUIRED } from './helpers/upstream.js';
import { expectedLoad, serviceLevelFailures } from './helpers/service-level.js';

/** A Kubernetes CPU quantity ("2", "500m") in cores; none: 0 (no limit given, so no cores promised). */
const cpuQuantity = (q: string | number | undefined) => (q === undefined ? 0 : String(q).endsWith('m') ? Number(String(q).slice(0, -1)) / 1000 : Number(q));
import { withStateChoices } from './helpers/state-choices.js';

const helm = helmBinary();
const work = mkdtempSync(join(tmpdir(), 'dd-helm-runs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const MIXES: Record<string, SpecInput['workload']> = {
  default: {},
  'all-chat': { mix: { chat: 1 } },
  'all-chatflow': { mix: { chatflow: 1 } },
  'half/half': { mix: { chat: 0.5, chatflow: 0.5 } },
  'slow streaming': { mix: { workflowStreaming: 0.7, workflowBlocking: 0.3 }, latencySeconds: { workflowStreaming: 20 } },
};
/** Bundled servers, external ones (maxConnections 8000, maxClients 50000) and a user's own Secret, rotated over the cases. */
const BACKEND_SETS = ['all bundled; s3', 'external pg, redis; qdrant; azure-blob', 'helm.existingSecret; external pg; sentinel; elasticsearch; tencent-cos'];

const MIX_NAMES = Object.keys(MIXES);
/** Two mixes per release × tier, rotated so every release and every tier meets every mix (half the Helm runs of the full product). */
const CASES = releaseVersions().flatMap((release, r) =>
  tierNames().flatMap((tier, t) =>
    [r + t, r + t + 2].map((i) => ({ release, tier, mix: MIX_NAMES[i % MIX_NAMES.length], backend: BACKEND_SETS[i % BACKEND_SETS.length] })),
  ),
);

/** Plan component of a pod, by the `component` label the chart (and helm/extra/) set. */
const COMPONENT_OF_LABEL = Object.fromEntries(Object.entries(CHART_COMPONENTS).map(([name, { label }]) => [label, name]));

test('the sample pairs every release and every tier with every mix, on every backend set', () => {
  for (const key of ['release', 'tier'] as const)
    for (const value of new Set(CASES.map((c) => c[key]))) expect(new Set(CASES.filter((c) => c[key] === value).map((c) => c.mix)), `${key} ${value}`).toEqual(new Set(MIX_NAMES));
  expect(new Set(CASES.map((c) => c.backend))).toEqual(new Set(BACKEND_SETS));
});

describe.skipIf(!helm || !UPSTREAM_REQUIRED).each(CASES)('$release $tier $mix ($backend)', ({ release: version, tier, mix, backend }) => {
  test('runs.slots is what the rendered Deployments carry; the budgets count the run worker', async () => {
    const release = loadRelease(version);
    const spec = specSchema.parse(withStateChoices({ release: version, tier, targets: ['helm'], domain: { host: 'dify.example.com' }, ...BACKENDS[backend], workload: MIXES[mix] }, 'helm'));
    const plan = planFor(spec, 'helm', release);
    expect(plan.problems).toEqual([]);
    expect(plan.budget.fits && (plan.budget.server?.fits ?? true) && plan.redis.fits).toBe(true);
    const files = renderHelm({ spec, plan, release, secrets: resolveSecrets({}, spec) });
    const dir = mkdtempSync(join(work, 'case-'));
    for (const f of files) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.content);
    }
    const template = await runHelm(['template', 'dify', chartDir(release.helm.version), '--namespace', 'dify', '-f', join(dir, 'helm', 'values.yaml')]);
    expect(template.code, template.stderr).toBe(0);
    const objects = parseManifests(template.stdout);
    const extras = files.filter((f) => f.path.startsWith('helm/extra/')).flatMap((f) => parseManifests(f.content));
    expect(extras.flatMap(schemaErrors)).toEqual([]);

    const external = new Set(spec.helm?.existingSecret ? [spec.helm.existingSecret] : []);
    const everything = [...objects, ...extras];
    const hpaMax = (d: K8sObject) => everything.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.name === d.metadata.name)?.spec.maxReplicas;
    const pods = everything
      .filter((o) => o.kind === 'Deployment')
      .map((d) => ({
        name: d.metadata.name as string,
        component: COMPONENT_OF_LABEL[d.spec.template.metadata.labels?.component],
        replicas: (d.spec.replicas ?? 1) as number,
        maxReplicas: (hpaMax(d) ?? d.spec.replicas ?? 1) as number,
        env: containerEnv(d.spec.template.spec.containers[0], everything, external).env,
        cpu: cpuQuantity(d.spec.template.spec.containers[0].resources?.limits?.cpu),
      }));
    const { runQueue, defaultQueues, unlistedQueues = [] } = release.execution;
    const queuesOf = (env: Record<string, string>) => (env.CELERY_WORKER_QUEUES || env.CELERY_QUEUES || defaultQueues.join(',')).split(',').map((q) => q.trim());
    const workers = pods.filter((p) => p.env.MODE === 'worker');
    const runners = workers.filter((p) => queuesOf(p.env).includes(runQueue));

    // Σ replicas × processes × concurrency; a gevent worker is one process of CELERY_WORKER_CONCURRENCY (else _AMOUNT) greenlets.
    for (const p of runners) expect(celeryPoolClass(p.env), `${p.name} pool`).toBe('gevent');
    const slots = runners.reduce((n, p) => n + p.replicas * 1 * Number(p.env.CELERY_WORKER_CONCURRENCY || p.env.CELERY_WORKER_AMOUNT || '1'), 0);
    expect(slots).toBe(plan.capacity.paths.find((x) => x.name === 'runs')!.slots);
    expect(runners.map((p) => p.name)).toEqual(['dify-worker-runs']);
    // The chart's worker keeps every other queue, the run queue not.
    const background = workers.find((p) => p.name === 'dify-worker')!;
    expect(queuesOf(background.env).sort()).toEqual([...new Set([...defaultQueues, ...unlistedQueues])].filter((q) => q !== runQueue).sort());

    // The budgets, recomputed from the pods at HPA maxReplicas, are the plan's: the run worker is in both.
    const app = pods.filter((p) => p.component && plan.components.some((c) => c.name === p.component));
    const users = connectionUsers(release, app.map((p) => ({ component: p.component!, replicas: p.maxReplicas, env: p.env })));
    expect(users.map((u) => u.component)).toContain('worker_runs');
    // (pgvector's own pools on a shared server are not a pod's SQLAlchemy pool: the plan adds them apart.)
    const planned = plan.connections.filter((u) => u.component !== 'pgvector pools');
    expect(users.map((u) => [u.component, u.total])).toEqual(planned.map((u) => [u.component, u.total]));
    const processes = (p: (typeof app)[number]) => users.find((u) => u.component === p.component)?.processes ?? 1;
    const clients = redisClients(app.map((p) => ({ component: p.component!, replicas: p.maxReplicas, processes: processes(p), env: p.env })), { eventBusDedicated: plan.redis.eventBus.dedicated });
    expect(clients.filter((c) => c.server === 'main').reduce((n, c) => n + (c.total ?? Infinity), 0)).toBe(plan.redis.required);

    // Every queue the pods carry meets the service level at the tier's peak, and every modelled component has λ·c ÷ U cores
    // (the proxy is the chart's nginx; PgBouncer is compose-only).
    const rendered = pods.filter((p) => p.component).map((p) => ({ component: p.component!, replicas: p.maxReplicas, env: p.env, cpu: p.cpu }));
    expect(serviceLevelFailures(expectedLoad(loadTier(tier), release.execution.worker, MIXES[mix]), rendered, runQueue, defaultQueues)).toEqual([]);

    // validate on the output (values.yaml with extra/ beside it): the run queue is covered, nothing else is wrong.
    const db = spec.database.mode === 'external' ? { dbMaxConnections: spec.database.maxConnections } : {};
    const report = await validate({ helmValues: join(dir, 'helm', 'values.yaml'), release: version, ...db });
    expect(report.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
});
