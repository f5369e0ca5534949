// Where Dify runs each request: both execution paths (API greenlets, Celery run slots) sized from
// the workload mix over release × tier × target × mix, checked against what the rendered files
// carry; hand-computed examples; the mix's validation; queue-coverage on upstream's own files.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { loadRelease, releaseVersions, tierNames } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import { specSchema, type SpecInput } from '../src/core/spec.js';
import { renderFiles } from '../src/render/index.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { runCli } from './helpers/cli.js';
import { effectiveEnv, type ComposeService } from './helpers/compose-env.js';
import { describeUpstream, UPSTREAM } from './helpers/upstream.js';
import { oracleServersFor } from './helpers/service-level.js';
import { withStateChoices } from './helpers/state-choices.js';

const MIXES: Record<string, SpecInput['workload']> = {
  default: {},
  'all-chat': { mix: { chat: 1 } },
  'all-chatflow': { mix: { chatflow: 1 } },
  'half/half': { mix: { chat: 0.5, chatflow: 0.5 } },
  'slow streaming': { mix: { workflowStreaming: 0.7, workflowBlocking: 0.3 }, latencySeconds: { workflowStreaming: 6 } },
};

const base = (release: string, tier: string, target: 'compose' | 'helm', workload: SpecInput['workload']): SpecInput =>
  withStateChoices(
    {
      release,
      tier,
      targets: [target],
      workload,
      domain: { host: 'dify.example.com' },
      storage: target === 'helm' ? { type: 's3', bucket: 'dify', region: 'us-east-1', useIam: true } : { type: 'local' },
    },
    target,
  );

/** Run slots the rendered files give: Σ replicas × CELERY_WORKER_AMOUNT over the workers whose queues include the run queue. */
function renderedRunSlots(input: SpecInput, target: 'compose' | 'helm', runQueue: string, defaults: string[]): number {
  const spec = parseSpecData(input, 'test');
  const { files } = renderFiles(spec, target, resolveSecrets({}));
  const file = (p: string) => files.find((f) => f.path === p)!.content;
  const slots = (env: Record<string, string>, replicas: number) => {
    const queues = (env.CELERY_WORKER_QUEUES || env.CELERY_QUEUES || defaults.join(',')).split(',');
    return queues.includes(runQueue) ? replicas * Number(env.CELERY_WORKER_CONCURRENCY || env.CELERY_WORKER_AMOUNT || '1') : 0;
  };
  if (target === 'compose') {
    const compose = parseYaml(file('docker-compose.yaml')) as { services: Record<string, ComposeService & { deploy?: { replicas?: number } }> };
    const dotenv = file('.env');
    return Object.values(compose.services)
      .map((s) => ({ s, env: effectiveEnv(s, dotenv) }))
      .filter(({ env }) => env.MODE === 'worker')
      .reduce((n, { s, env }) => n + slots(env, s.deploy?.replicas ?? 1), 0);
  }
  const values = parseYaml(file('helm/values.yaml')) as Record<string, { replicas?: number; extraEnv?: { name: string; value: string }[] }>;
  const worker = values.worker;
  const chartWorker = slots(Object.fromEntries((worker.extraEnv ?? []).map((e) => [e.name, e.value])), worker.replicas ?? 1);
  // helm/extra/run-worker.yaml: the run worker's Deployment (its env after the chart's envFrom).
  const extras = parseAllDocuments(file('helm/extra/run-worker.yaml')).map((d) => d.toJS());
  return extras
    .filter((o) => o.kind === 'Deployment')
    .reduce((n, d) => n + slots(Object.fromEntries(d.spec.template.spec.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value ?? ''])), d.spec.replicas), chartWorker);
}

const matrix = releaseVersions().flatMap((release) =>
  tierNames().flatMap((tier) => (['compose', 'helm'] as const).flatMap((target) => Object.keys(MIXES).map((mix) => ({ release, tier, target, mix })))),
);

describe.concurrent('both paths cover their load: release × tier × target × mix', () => {
  it.each(matrix)('$release $tier $target $mix', ({ release, tier, target, mix }) => {
    const input = base(release, tier, target, MIXES[mix]);
    const plan = planFor(specSchema.parse(input), target);
    const r = loadRelease(release);
    expect(plan.problems).toEqual([]);
    expect(plan.budget.fits).toBe(true);
    const [api, runs] = plan.capacity.paths;
    expect(api.name).toBe('api');
    expect(runs.name).toBe('runs');
    expect(api.inFlight).toBe(plan.inFlightApiRequests);
    expect(runs.inFlight).toBe(plan.inFlightWorkerRuns);
    expect(api.slots).toBeGreaterThanOrEqual(api.inFlight);
    expect(runs.slots).toBeGreaterThanOrEqual(runs.inFlight);
    expect(plan.capacity.sustainableQps).toBeGreaterThanOrEqual(plan.qps);
    for (const p of plan.capacity.paths) if (p.sustainableQps !== null) expect(p.sustainableQps).toBeGreaterThanOrEqual(plan.qps);
    // The weakest loaded path sets the claim.
    expect(plan.capacity.sustainableQps).toBe(Math.min(...plan.capacity.paths.flatMap((p) => (p.sustainableQps === null ? [] : [p.sustainableQps]))));
    // Every request holds an API greenlet; the worker-run kinds (and only they) hold a run slot too.
    const shares = plan.workload.mix;
    const workerShare = r.execution.worker.reduce((n, k) => n + shares[k], 0);
    if (workerShare === 0) expect(runs.sustainableQps).toBeNull();
    expect(runs.inFlight).toBeLessThanOrEqual(api.inFlight + (mix === 'slow streaming' ? Infinity : 0));
    // The run-queue slots are what the rendered files carry.
    expect(renderedRunSlots(input, target, r.execution.runQueue, r.execution.defaultQueues)).toBe(runs.slots);
    // The background worker keeps every other queue (the default list, and those it omits), the run worker only the run queue.
    const worker = plan.components.find((c) => c.name === 'worker')!;
    const runner = plan.components.find((c) => c.name === 'worker_runs')!;
    expect(runner.env.CELERY_WORKER_QUEUES).toBe(r.execution.runQueue);
    const everyQueue = new Set([...r.execution.defaultQueues, ...(r.execution.unlistedQueues ?? [])]);
    expect([...worker.env.CELERY_WORKER_QUEUES.split(','), r.execution.runQueue].sort()).toEqual([...everyQueue].sort());
    // Its pool covers every greenlet: a run never waits for a connection.
    expect(Number(runner.env.SQLALCHEMY_POOL_SIZE) + Number(runner.env.SQLALCHEMY_MAX_OVERFLOW)).toBeGreaterThanOrEqual(Number(runner.env.CELERY_WORKER_AMOUNT));
  });
});

describe('hand-computed', () => {
  const plan = (tier: string, workload: SpecInput['workload'], target: 'compose' | 'helm' = 'compose') => planFor(specSchema.parse(base('1.16.1', tier, target, workload)), target);

  // Latencies per kind from costs/compute.json: chat, completion 6 s, agent 15 s, graphs 8 s; CV 1.
  const level = { maxWaitProbability: 0.01, p99WaitSeconds: 0.5 };

  it('100qps, default mix: 60 runs/s × 8 s = 480 in flight; Erlang C slots over ⌈60 × 0.15 core·s ÷ 0.65⌉ = 14+ one-core workers of ≤ ⌊0.65 × 8 ÷ 0.15⌋ = 34 greenlets', () => {
    const p = plan('100qps', {});
    expect(p.inFlightApiRequests).toBe(785); // 100 × (0.3 × 6 + 0.05 × 15 + 0.7 × 8) s
    expect(p.inFlightWorkerRuns).toBe(480);
    const slots = oracleServersFor(60, 8, 1, level);
    const replicas = Math.max(2, 14, Math.ceil(slots / 34));
    const runner = p.components.find((c) => c.name === 'worker_runs')!;
    expect(runner.replicas).toBe(replicas);
    expect(runner.env.CELERY_WORKER_AMOUNT).toBe(String(Math.ceil(slots / replicas)));
    expect(p.capacity.paths[1]).toMatchObject({ name: 'runs', inFlight: 480, slots: replicas * Math.ceil(slots / replicas), queues: 1, meetsServiceLevel: true });
  });

  it('500qps, all chatflow: 500 runs/s × 0.15 core·s ÷ 0.65 = 116 cores → at least 116 run workers, greenlets ≤ 34 each', () => {
    const p = plan('500qps', { mix: { chatflow: 1 } });
    const runner = p.components.find((c) => c.name === 'worker_runs')!;
    expect(p.inFlightWorkerRuns).toBe(4000);
    const slots = oracleServersFor(500, 8, 1, level);
    expect(runner.replicas).toBe(Math.max(116, Math.ceil(slots / 34)));
    expect(Number(runner.env.CELERY_WORKER_AMOUNT)).toBeLessThanOrEqual(34);
    expect(runner.replicas * Number(runner.env.CELERY_WORKER_AMOUNT)).toBeGreaterThanOrEqual(slots);
    expect(p.capacity.paths[1].sustainableQps).toBe(Math.floor((runner.replicas * Number(runner.env.CELERY_WORKER_AMOUNT)) / 8));
  });

  it('all chat: nothing runs in a worker, the run path bounds nothing', () => {
    const p = plan('100qps', { mix: { chat: 1 } });
    expect(p.inFlightWorkerRuns).toBe(0);
    expect(p.capacity.paths[1].sustainableQps).toBeNull();
    expect(p.capacity.sustainableQps).toBe(p.capacity.paths[0].sustainableQps);
  });

  it('per-kind latency: 10qps, 50 % chatflow at 10 s + 50 % chat at its default 6 s → 8 s mean, 50 runs in flight', () => {
    const p = plan('10qps', { mix: { chat: 0.5, chatflow: 0.5 }, latencySeconds: { chatflow: 10 } });
    expect(p.inFlightApiRequests).toBe(80);
    expect(p.inFlightWorkerRuns).toBe(50);
  });

  it('helm: the run worker beside the chart\'s worker, sized like compose\'s', () => {
    const helm = plan('100qps', {}, 'helm');
    const compose = plan('100qps', {});
    const runner = (p: typeof helm) => p.components.find((c) => c.name === 'worker_runs')!;
    expect(runner(helm)).toMatchObject({ replicas: runner(compose).replicas, maxReplicas: runner(compose).replicas, env: { CELERY_WORKER_QUEUES: 'workflow_based_app_execution' } });
    expect(runner(helm).env).toEqual(runner(compose).env);
    expect(helm.capacity.paths[1]).toEqual(compose.capacity.paths[1]);
    // The background worker is the tier's again (100qps: 8 greenlets), not also carrying the runs.
    expect(helm.components.find((c) => c.name === 'worker')!.env.CELERY_WORKER_AMOUNT).toBe('8');
  });
});

describe('workload.mix validation', () => {
  const bad = (workload: unknown) => () => parseSpecData({ tier: '100qps', workload }, 'dify-deploy.yaml');
  it('rejects shares that do not sum to 1, naming the key', () => {
    expect(bad({ mix: { chat: 0.5, chatflow: 0.4 } })).toThrow(/workload\.mix.*sum to 0\.9/);
  });
  it('rejects a negative share and an unknown kind', () => {
    expect(bad({ mix: { chat: -0.5, chatflow: 1.5 } })).toThrow(/workload\.mix\.chat/);
    expect(bad({ mix: { chatbot: 1 } })).toThrow(/chatbot/);
  });
  it('names the line in a YAML spec', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mix-'));
    writeFileSync(join(dir, 'dify-deploy.yaml'), 'tier: 100qps\nworkload:\n  mix:\n    chat: 0.3\n    chatflow: 0.3\n');
    const r = await runCli(['plan', '--config', join(dir, 'dify-deploy.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/dify-deploy\.yaml.*workload\.mix/);
    expect(r.stderr).toMatch(/\(line 4\)/); // the mapping under mix:
  });
});

describeUpstream('queue-coverage on upstream files', () => {
  const validate = async (release: string, edit: (compose: string, env: string) => [string, string]) => {
    const dir = mkdtempSync(join(tmpdir(), 'queues-'));
    const docker = join(UPSTREAM, `dify-${release}`, 'docker');
    const [compose, env] = edit(readFileSync(join(docker, 'docker-compose.yaml'), 'utf8'), readFileSync(join(docker, '.env.example'), 'utf8'));
    writeFileSync(join(dir, 'docker-compose.yaml'), compose);
    writeFileSync(join(dir, '.env'), env);
    const r = await runCli(['validate', '--compose', join(dir, 'docker-compose.yaml'), '--env', join(dir, '.env'), '--format', 'json']);
    return (JSON.parse(r.stdout).diagnostics as { rule: string; message: string }[]).filter((d) => d.rule === 'queue-coverage');
  };
  it.each(releaseVersions())('%s: unmodified, the default list covers the run queue', async (release) => {
    expect(await validate(release, (c, e) => [c, e])).toEqual([]);
  });
  it.each(releaseVersions())('%s: CELERY_QUEUES without the run queue is an error', async (release) => {
    // Set in the worker's own environment: every compose layout passes that to the process.
    const found = await validate(release, (c, e) => {
      const doc = parseYaml(c, { merge: true }) as { services: Record<string, { environment?: Record<string, string> }> };
      doc.services.worker.environment = { ...doc.services.worker.environment, CELERY_QUEUES: 'dataset,mail,ops_trace' };
      return [JSON.stringify(doc), e];
    });
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/workflow_based_app_execution/);
  });
  it('the API-token task on without a worker on api_token is an error', async () => {
    const found = await validate('1.16.1', (c, e) => [c, `${e}\nENABLE_API_TOKEN_LAST_USED_UPDATE_TASK=true\nCELERY_QUEUES=dataset,workflow_based_app_execution\n`]);
    expect(found.map((f) => f.message)).toEqual([expect.stringMatching(/api_token/)]);
  });
  it('no worker service at all is an error', async () => {
    const found = await validate('1.16.1', (c, e) => {
      const doc = parseYaml(c, { merge: true }) as { services: Record<string, unknown> };
      delete doc.services.worker;
      return [JSON.stringify(doc), e];
    });
    expect(found).toHaveLength(1);
  });
});
