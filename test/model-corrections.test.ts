// The model corrections of issue 10 item 5, each as a property over tier × target × release
// (and several mixes where the load decides), read back from the rendered files where they reach them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadRelease, loadTier, releaseVersions, tierNames } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { CHART_WORKER_CONNECTIONS, GUNICORN_KEEPALIVE_SECONDS } from '../src/core/sizing/nginx.js';
import { nginxSeconds } from '../src/validate/nginx-settings.js';
import { specSchema, type SpecInput } from '../src/core/spec.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import { renderDeployment, renderFiles } from '../src/render/index.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { validate } from '../src/validate/index.js';
import { askSpec } from '../src/wizard/flow.js';
import { apiScv, apiService, codeShareOf, oracleServersFor } from './helpers/service-level.js';
import { oracleQueue } from './helpers/erlang-oracle.js';
import { chartDir, chartProxyReadTimeout, helmBinary, runHelm } from './helpers/helm.js';
import { parseManifests } from './helpers/k8s.js';
import { scriptedPrompts } from './helpers/scripted-prompts.js';
import { describeUpstream, hardened, UPSTREAM, UPSTREAM_REQUIRED } from './helpers/upstream.js';
import { withStateChoices } from './helpers/state-choices.js';

const S3 = { type: 's3', bucket: 'dify', region: 'us-east-1', useIam: true } as const;
const MIXES: Record<string, SpecInput['workload']> = {
  default: {},
  'all chat': { mix: { chat: 1 } },
  'all chatflow': { mix: { chatflow: 1 } },
  'half/half': { mix: { chat: 0.5, chatflow: 0.5 } },
};
const spec = (input: SpecInput) => specSchema.parse(withStateChoices(input, 'helm'));
const cases = tierNames().flatMap((tier) =>
  releaseVersions().flatMap((release) =>
    (['compose', 'helm'] as const).flatMap((target) => Object.keys(MIXES).map((mix) => ({ tier, release, target, mix }))),
  ),
);
const planOf = (c: (typeof cases)[number]) =>
  planFor(spec({ tier: c.tier, release: c.release, workload: MIXES[c.mix], storage: c.target === 'helm' ? S3 : { type: 'local' } }), c.target);
const component = (plan: ReturnType<typeof planFor>, name: string) => plan.components.find((x) => x.name === name)!;

describe('every tier × target × release × mix', () => {
  it.each(cases)('$tier $release $target, $mix mix', (c) => {
    const plan = planOf(c);
    const tier = loadTier(c.tier);
    expect(plan.problems).toEqual([]);

    // HPA: the peak is in the queues' slots already, so no ceiling multiplies it again.
    const api = component(plan, 'api');
    const apiProcesses = api.processesPerReplica;
    const greenlets = Number(api.env.SERVER_WORKER_CONNECTIONS);
    // Per replica the API has the fewest slots that meet the service level (oracle), plus at most one greenlet of rounding per process (or upstream's floor of 10).
    const perReplica = oracleServersFor(plan.peakQps / api.replicas, apiService(plan), apiScv(plan), plan.serviceLevel);
    expect(apiProcesses * greenlets).toBeLessThanOrEqual(Math.max(perReplica + apiProcesses - 1, apiProcesses * 10));
    for (const x of plan.components) if (x.maxReplicas > x.replicas) expect(x.name).toBe('web');

    // GUNICORN_TIMEOUT is a heartbeat: upstream's value or below; the run bounds sit under nginx's read timeout.
    const nginx = component(plan, 'nginx');
    const upstream = loadRelease(c.release).upstreamDefaults;
    for (const name of ['api', 'api_websocket'])
      if (plan.components.some((x) => x.name === name)) expect(Number(component(plan, name).env.GUNICORN_TIMEOUT)).toBeLessThanOrEqual(Number(upstream.GUNICORN_TIMEOUT));
    // Compose sets its nginx's read timeout; the chart's proxy keeps its own (templates/config.tpl).
    const readTimeout = c.target === 'compose' ? nginxSeconds(nginx.env.NGINX_PROXY_READ_TIMEOUT) : chartProxyReadTimeout(loadRelease(c.release).helm.version);
    for (const bound of ['APP_MAX_EXECUTION_TIME', 'WORKFLOW_MAX_EXECUTION_TIME']) {
      expect(Number(api.env[bound])).toBeGreaterThan(0);
      expect(readTimeout).toBeGreaterThanOrEqual(Number(api.env[bound]));
    }
    // Keep-alive: nginx drops an idle upstream connection before gunicorn does.
    // (The chart's proxy keeps no idle upstream connections: its config.tpl has no upstream keepalive.)
    if (c.target === 'compose') expect(nginxSeconds(String(nginx.settings!.upstream_keepalive_timeout))).toBeLessThan(GUNICORN_KEEPALIVE_SECONDS);

    // The sandbox's workers meet the service level per replica (oracle), with no replica beyond what its cores need (or the floor).
    const sandbox = component(plan, 'sandbox');
    const sandboxPath = plan.capacity.paths.find((p) => p.name === 'sandbox')!;
    const codeRate = sandboxPath.sustainableQps === null ? 0 : plan.peakQps * codeShareOf(plan);
    const seconds = 0.2;
    expect(oracleQueue(Number(sandbox.env.MAX_WORKERS), codeRate / sandbox.replicas, seconds, 1).waitProbability).toBeLessThanOrEqual(plan.serviceLevel.maxWaitProbability + 1e-9);
    expect(sandbox.replicas).toBe(Math.max(1, Math.ceil((codeRate * 0.1) / 0.65 / sandbox.cpu - 1e-9)));
    expect(Number(sandbox.env.MAX_REQUESTS)).toBeGreaterThanOrEqual(Number(sandbox.env.MAX_WORKERS));

    // nginx: compose runs one container (the ports bind once); Helm's proxy keeps the chart's 1024 per worker and two with HA.
    const workers = nginx.replicas * nginx.processesPerReplica;
    expect(workers * Number(nginx.settings!.worker_connections)).toBeGreaterThanOrEqual(plan.inFlightApiRequests * 4);
    expect(nginx.processesPerReplica).toBe(Number(nginx.env.NGINX_WORKER_PROCESSES));
    if (c.target === 'compose') expect(nginx.replicas).toBe(1);
    else {
      expect(nginx.settings!.worker_connections).toBe(CHART_WORKER_CONNECTIONS);
      if (plan.highAvailability) expect(nginx.replicas).toBeGreaterThanOrEqual(2);
    }

    // The bundled DB host runs the peak's statements and writes at most at the target utilisation: CPU sized, not only RAM.
    const work = plan.database.work!;
    expect(plan.database.hostSize!.cpus * work.targetUtilization).toBeGreaterThanOrEqual(work.busyCores);
    expect(work.statementsPerSecond).toBeGreaterThanOrEqual(plan.qps * plan.burstFactor * 12);
    expect(plan.database.hostSize!.cpus).toBeGreaterThanOrEqual(tier.bundledDatabase.cpus);
    expect(plan.warnings.filter((x) => x.startsWith('database:') && x.includes('vCPU'))).toEqual([]);
  });
});

describe('hand-computed examples', () => {
  it('100qps, default mix: code runs 100 × 0.7 graph share × 0.5 with code = 35/s × 0.1 core·s ÷ 0.65 = 5.4 → 6 one-vCPU sandboxes; per replica 5.83/s × 0.2 s = 1.17 Erlangs → 5 workers for P(wait) ≤ 1 %', () => {
    const sandbox = component(planFor(spec({ tier: '100qps' }), 'compose'), 'sandbox');
    expect([sandbox.replicas, sandbox.env.MAX_WORKERS]).toEqual([6, '5']);
  });

  it('workload.codeNodes overrides the assumption: every run 1 s in the sandbox → 70 runs/s, 70 Erlangs over 11 replicas', () => {
    const sandbox = component(planFor(spec({ tier: '100qps', workload: { codeNodes: { share: 1, seconds: 1 } } }), 'compose'), 'sandbox');
    // 70/s × 0.1 core·s ÷ 0.65 = 10.8 → 11 replicas; 6.36 Erlangs each → 13 workers (oracle: the fewest with P(wait) ≤ 1 %).
    expect(sandbox.replicas).toBe(11);
    expect(Number(sandbox.env.MAX_WORKERS)).toBe(oracleServersFor(70 / 11, 1, 1, { maxWaitProbability: 0.01, p99WaitSeconds: 0.5 }));
    // All chat: no graph runs, no code nodes: one sandbox.
    expect(component(planFor(spec({ tier: '100qps', workload: { mix: { chat: 1 } } }), 'compose'), 'sandbox').replicas).toBe(1);
  });

  it('DB host CPU from work: 500 QPS × 1.3 = 650 req/s × 27.85 statements × 0.5 ms + 3445 row writes × 0.1 ms = 9.4 cores, ÷ 0.6 → 16 vCPU; twice the statements → 32', () => {
    // A spec that gives its mean (500) and a 1.3 peak. Default mix, logs in PostgreSQL: statements .2×15 + .05×12 + .05×25 + .4×35 + .3×30 = 27.85; rows .7 runs + 3.9 node executions + .7 messages.
    expect(planFor(spec({ tier: '500qps', burstFactor: 1.3 }), 'compose').database.hostSize!.cpus).toBe(16);
    const twice = { chat: 30, completion: 24, agent: 50, chatflow: 70, workflowStreaming: 60, workflowBlocking: 60 };
    expect(planFor(spec({ tier: '500qps', burstFactor: 1.3, workload: { state: { statementsPerRequest: twice } } }), 'compose').database.hostSize!.cpus).toBe(32);
    const given = planFor(spec({ tier: '500qps', burstFactor: 1.3, database: { hostSize: { cpus: 8, memoryGiB: 64 } } }), 'compose');
    expect(given.warnings.join('\n')).toMatch(/a 8 vCPU DB host is short for the peak's work: .* give database\.hostSize\.cpus ≥ 16/);
  });

  it('high availability puts the Helm proxy at 2 replicas even when one carries the load (10qps: 104 connections)', () => {
    const ha = planFor(spec({ tier: '10qps', storage: S3, availability: { ha: true } }), 'helm');
    expect(component(ha, 'nginx').replicas).toBe(2);
    expect(component(planFor(spec({ tier: '10qps', storage: S3 }), 'helm'), 'nginx').replicas).toBe(1);
    // Compose keeps its one container: the host's ports bind once.
    expect(component(planFor(spec({ tier: '10qps', availability: { ha: true } }), 'compose'), 'nginx').replicas).toBe(1);
  });

  it('500qps on Helm: 500 QPS × 7.85 s = 3925 in flight × 4 connections over the chart\'s 1024 per worker → 16 proxy replicas; compose: one 2-vCPU container', () => {
    expect(component(planFor(spec({ tier: '500qps', storage: S3 }), 'helm'), 'nginx')).toMatchObject({ replicas: 16, cpu: 1, processesPerReplica: 1 });
    // Memory from the work: (2 processes × 0.05 GiB + 15,700 connections × 100 KiB) × 1.25 headroom = 2.0875 GiB → 2138Mi (whole MiB).
    expect(component(planFor(spec({ tier: '500qps' }), 'compose'), 'nginx')).toMatchObject({ replicas: 1, cpu: 2, memory: '2138Mi', processesPerReplica: 2 });
  });
});

/** `upstream` blocks of an nginx.conf: name → its directives. */
function upstreamBlocks(conf: string): Map<string, string> {
  return new Map([...conf.matchAll(/upstream\s+(\S+)\s*\{([^}]*)\}/g)].map((m) => [m[1], m[2]]));
}

describe.concurrent('nginx: the plan, the compose files and the Helm proxy agree', () => {
  const work = mkdtempSync(join(tmpdir(), 'dd-nginx-agree-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const helm = helmBinary();
  for (const tier of tierNames())
    it(`${tier}: replicas, worker processes, worker_connections and limits`, async () => {
      const s = spec({ tier, targets: ['compose', 'helm'], storage: S3 });
      const { files, plans } = renderFiles(s, 'all', resolveSecrets({}, s));
      const file = (p: string) => files.find((f) => f.path === p)!.content;
      const [compose, helmPlan] = [plans.find((p) => p.target === 'compose')!, plans.find((p) => p.target === 'helm')!];

      // Compose: the service and nginx.conf carry the plan's one container.
      const n = component(compose, 'nginx');
      const svc = parseYaml(file('docker-compose.yaml')).services.nginx;
      expect(svc.deploy.replicas ?? 1).toBe(n.replicas);
      expect([Number(svc.deploy.resources.limits.cpus), svc.deploy.resources.limits.memory]).toEqual([n.cpu, `${parseInt(n.memory, 10)}${n.memory.endsWith('Mi') ? 'm' : 'g'}`]);
      const conf = file('nginx/nginx.conf');
      expect(Number(/worker_processes (\d+);/.exec(conf)![1])).toBe(n.processesPerReplica);
      expect(Number(/worker_connections (\d+);/.exec(conf)![1])).toBe(n.settings!.worker_connections);
      for (const [name, body] of upstreamBlocks(conf)) {
        const t = /keepalive_timeout\s+([^;]+);/.exec(body)?.[1];
        expect(t, `${name} keepalive_timeout`).toBeDefined();
        expect(nginxSeconds(t!), name).toBeLessThan(GUNICORN_KEEPALIVE_SECONDS);
      }

      // Helm: the proxy values, and the chart's own nginx.conf as helm template renders it.
      const h = component(helmPlan, 'nginx');
      const proxy = parseYaml(file('helm/values.yaml')).proxy;
      expect([proxy.replicas, Number(proxy.workerProcesses), proxy.resources.limits]).toEqual([h.replicas, h.processesPerReplica, { cpu: String(h.cpu), memory: h.memory }]);
      // The chart lives in the upstream fixtures: outside CI without them, the values check above is all.
      if (!helm || !UPSTREAM_REQUIRED) return;
      const valuesPath = join(work, `${tier}.yaml`);
      writeFileSync(valuesPath, file('helm/values.yaml'));
      const out = await runHelm(['template', 'dify', chartDir(loadRelease(s.release).helm.version), '--namespace', 'dify', '-f', valuesPath]);
      expect(out.code, out.stderr).toBe(0);
      const cm = parseManifests(out.stdout).find((o) => o.kind === 'ConfigMap' && typeof o.data?.['nginx.conf'] === 'string')!;
      expect(Number(/worker_processes\s+(\d+);/.exec(cm.data['nginx.conf'])![1])).toBe(h.processesPerReplica);
      expect(Number(/worker_connections\s+(\d+);/.exec(cm.data['nginx.conf'])![1])).toBe(h.settings!.worker_connections);
      const deployment = parseManifests(out.stdout).find((o) => o.kind === 'Deployment' && o.spec.template.metadata.labels?.component === 'proxy')!;
      expect(deployment.spec.replicas).toBe(h.replicas);
    });
});

describe('validate: timeout-chain on the run bounds, the heartbeat and the keep-alive', () => {
  const tempDir = () => mkdtempSync(join(tmpdir(), 'dd-timeouts-'));

  it('our compose output is clean; an nginx.conf without the upstream keepalive_timeout (nginx default 60 s) is flagged per gunicorn upstream', async () => {
    const dir = tempDir();
    const report = await renderDeployment({ spec: parseSpecData({ tier: '10qps' }, 'test'), outDir: dir, target: 'compose' });
    expect(report.refused).toEqual([]);
    expect((await validate({ dir })).diagnostics.filter((d) => d.rule === 'timeout-chain')).toEqual([]);
    const path = join(dir, 'nginx', 'nginx.conf');
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^\s*keepalive_timeout 1s;\n/gm, ''));
    const found = (await validate({ dir })).diagnostics.filter((d) => d.rule === 'timeout-chain');
    expect(found.map((d) => (d.data as { upstream: string }).upstream).sort()).toEqual(['dify_api', 'dify_api_websocket']);
    expect(found[0].message).toMatch(/for 60s but gunicorn closes them after 2 s/);
    expect(found[0].file).toBe(path);
  });

  describeUpstream('on upstream files', () => {
    it.each(releaseVersions())('%s: GUNICORN_TIMEOUT at upstream is fine; raised to 1200 it is a pointless heartbeat; nginx 60 s is short of the run bounds only', async (version) => {
      const env = join(UPSTREAM, `dify-${version}`, 'docker', '.env.example');
      const write = (extra: Record<string, string>) => {
        const p = join(tempDir(), '.env');
        writeFileSync(p, hardened(readFileSync(env, 'utf8'), { REDIS_MAX_CONNECTIONS: '50', ...extra }));
        return p;
      };
      const rules = async (extra: Record<string, string>) =>
        (await validate({ env: write(extra) })).diagnostics.filter((d) => d.rule === 'timeout-chain').map((d) => (d.data as { variable: string }).variable).sort();
      expect(await rules({})).toEqual([]);
      expect(await rules({ GUNICORN_TIMEOUT: '1200' })).toContain('GUNICORN_TIMEOUT');
      expect(await rules({ GUNICORN_TIMEOUT: '400' })).toContain('GUNICORN_TIMEOUT');
      expect(await rules({ GUNICORN_TIMEOUT: '120' })).toEqual([]);
      expect(await rules({ NGINX_PROXY_READ_TIMEOUT: '60s' })).toEqual(['APP_MAX_EXECUTION_TIME', 'WORKFLOW_MAX_EXECUTION_TIME']);
    });
  });
});

describe('the wizard: the default compose host is what the plan needs', () => {
  it.each(tierNames())('%s: the default fits exactly, and one vCPU less draws the too-small-host warning', async (tier) => {
    // Where the bus needs a cluster (1000 QPS) the wizard asks for its URL: give one.
    // compose chosen: past one host the wizard pre-selects helm.
    const script = scriptedPrompts({ tier, targets: ['compose'], 'redis.eventBus.url': 'redis://event-bus.internal:6379' });
    const { spec: s } = await askSpec(script.prompts);
    const plan = planFor(s, 'compose');
    expect(s.host).toEqual(plan.host.required);
    expect(plan.warnings.filter((x) => x.startsWith('host:'))).toEqual([]);
    const smaller = planFor({ ...s, host: { ...s.host!, cpus: s.host!.cpus - 1 } }, 'compose');
    expect(smaller.host.fits).toBe(false);
    expect(smaller.warnings.join('\n')).toMatch(new RegExp(`host: ${tier} needs ≈${plan.host.required.cpus} vCPU`));
  });
});

