// The state model over tiers × releases × targets, against arithmetic written here from
// costs/state.json (not the module's code): where the workflow logs go by default, what an explicit
// rdbms costs, the event bus's placement by its rate, and the validate rules that judge files.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { loadRelease, loadTier, releaseVersions, tierNames } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { stateCostTable } from '../src/core/sizing/state-costs.js';
import { specSchema, type SpecInput } from '../src/core/spec.js';
import { renderDeployment } from '../src/render/index.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import { validate } from '../src/validate/index.js';
import { withStateChoices } from './helpers/state-choices.js';

const c = stateCostTable().values;
const spec = (input: SpecInput) => specSchema.parse(input);
const S3 = { type: 's3', bucket: 'b', region: 'r', useIam: true } as const;

/** GiB of workflow logs (runs + node executions) at the retention, from the cost table. */
function logGiB(tier: string, retentionDays: number): number {
  const t = loadTier(tier);
  const m = t.workloadMix;
  const runs = m.chatflow + m.workflowStreaming + m.workflowBlocking;
  const nodes = m.chatflow * c.nodeExecutionsPerRun.chatflow + m.workflowStreaming * c.nodeExecutionsPerRun.workflowStreaming + m.workflowBlocking * c.nodeExecutionsPerRun.workflowBlocking;
  return (t.qps * c.dailyAverageShare * 86400 * (runs * c.bytesPerRun + nodes * c.bytesPerNodeExecution) * retentionDays) / 2 ** 30;
}

/** Hours a day the clean-up needs: a day's runs in batches of the release's size, one batch a cleanupSecondsPerBatch. */
function cleanupHours(tier: string, release: string): number {
  const t = loadTier(tier);
  const runs = t.qps * c.dailyAverageShare * 86400 * (t.workloadMix.chatflow + t.workloadMix.workflowStreaming + t.workloadMix.workflowBlocking);
  return ((runs / loadRelease(release).workflowLogCleanup!.batchSize) * c.cleanupSecondsPerBatch) / 3600;
}

const matrix = releaseVersions().flatMap((release) => tierNames().flatMap((tier) => (['compose', 'helm'] as const).map((target) => ({ release, tier, target }))));

describe('where the workflow logs go by default', () => {
  it.each(matrix)('$release $tier $target', ({ release, tier, target }) => {
    const plan = planFor(spec({ release, tier, storage: S3 }), target);
    const carried = logGiB(tier, 30) <= c.rdbmsMaxLogGiB && cleanupHours(tier, release) <= 24 * c.cleanupMaxDayShare;
    expect(plan.storage.workflowLogs.storage).toBe(carried ? 'rdbms' : 'logstore');
    expect(plan.storage.workflowLogs.chosenBy).toBe('model');
    expect(plan.sharedEnv.WORKFLOW_NODE_EXECUTION_STORAGE === 'rdbms').toBe(carried);
    // Offloaded without SLS settings: one problem that names the ways out, with the retention that would fit.
    const logProblems = plan.problems.filter((p) => p.startsWith('observability.workflowLogs'));
    expect(logProblems.length).toBe(carried ? 0 : 1);
    if (!carried) expect(logProblems[0]).toMatch(new RegExp(`retentionDays ≤ ${Math.max(1, Math.floor(c.rdbmsMaxLogGiB / (logGiB(tier, 30) / 30)))}`));
    // The JSON carries the storage line's numbers.
    expect(plan.storage.diskGiB).toBeGreaterThanOrEqual(plan.storage.dataGiB);
    expect(Math.abs(plan.storage.rdbmsLogGiB! - logGiB(tier, 30))).toBeLessThanOrEqual(1);
  });

  it('the default flips between 50 and 100 QPS (2 TiB of logs at 30 days)', () => {
    expect(planFor(spec({ tier: '50qps' }), 'compose').storage.workflowLogs.storage).toBe('rdbms');
    expect(planFor(spec({ tier: '100qps' }), 'compose').storage.workflowLogs.storage).toBe('logstore');
  });

  it('explicit rdbms above the size is a problem unless accepted; a retention that fits is not', () => {
    const rdbms = planFor(spec({ tier: '500qps', observability: { workflowLogs: { storage: 'rdbms' } } }), 'compose');
    expect(rdbms.problems.join('\n')).toMatch(/observability\.workflowLogs\.storage: rdbms at 500 QPS: .* GiB of workflow logs/);
    const accepted = planFor(spec({ tier: '500qps', observability: { workflowLogs: { storage: 'rdbms', acceptLargeDatabase: true } } }), 'compose');
    expect(accepted.problems.filter((p) => p.startsWith('observability'))).toEqual([]);
    const short = planFor(spec({ tier: '100qps', observability: { workflowLogs: { retentionDays: 7 } } }), 'compose');
    expect(short.storage.workflowLogs.storage).toBe('rdbms');
    expect(short.problems.filter((p) => p.startsWith('observability'))).toEqual([]);
  });

  it('logstore renders its variables and pins dual write off; measured costs override the table', () => {
    const plan = planFor(spec({ tier: '500qps', observability: { workflowLogs: { storage: 'logstore', slsProject: 'p', slsEndpoint: 'e', slsRegion: 'r' } } }), 'compose');
    expect(plan.sharedEnv).toMatchObject({ LOGSTORE_DUAL_WRITE_ENABLED: 'false', ALIYUN_SLS_PROJECT_NAME: 'p', ALIYUN_SLS_LOGSTORE_TTL: '30' });
    expect(plan.sharedEnv.CORE_WORKFLOW_EXECUTION_REPOSITORY).toMatch(/logstore/);
    expect(plan.problems.filter((p) => p.startsWith('observability'))).toEqual([]);
    // A tenth of the bytes per node execution and run: 100 QPS fits PostgreSQL again.
    const light = planFor(spec({ tier: '100qps', workload: { state: { bytesPerRun: c.bytesPerRun / 10, bytesPerNodeExecution: c.bytesPerNodeExecution / 10 } } }), 'compose');
    expect(light.storage.workflowLogs.storage).toBe('rdbms');
  });
});

describe('the event bus by its rate', () => {
  it('on Helm from 500 QPS a missing external bus is a problem; at 1000 QPS one server is not enough anywhere', () => {
    const helm500 = planFor(spec({ tier: '500qps', storage: S3 }), 'helm');
    expect(helm500.problems.join('\n')).toMatch(/redis\.eventBus: at 500 QPS the event bus needs a Redis of its own/);
    const compose1000 = planFor(spec({ tier: '1000qps' }), 'compose');
    expect(compose1000.redis.eventBus.load!.needsCluster).toBe(true);
    expect(compose1000.problems.join('\n')).toMatch(/sharded Redis Cluster of ≥ \d+ shards/);
    const cluster = planFor(spec(withStateChoices({ tier: '1000qps' })), 'compose');
    expect(cluster.problems.filter((p) => p.startsWith('redis.eventBus'))).toEqual([]);
    // events/s = qps × burst (the plan's: the tier's qps is the peak) × Σ worker kinds' share × (chunks + fixed + 2 per node).
    const t = loadTier('1000qps');
    const m = t.workloadMix;
    const events = t.qps * compose1000.burstFactor * (m.chatflow * (c.streamedChunksPerRun.chatflow + c.fixedEventsPerRun + c.eventsPerNodeExecution * c.nodeExecutionsPerRun.chatflow) + m.workflowStreaming * (c.streamedChunksPerRun.workflowStreaming + c.fixedEventsPerRun + c.eventsPerNodeExecution * c.nodeExecutionsPerRun.workflowStreaming));
    expect(Math.abs(compose1000.redis.eventBus.load!.eventsPerSecond - events)).toBeLessThanOrEqual(1);
  });
});

describe('validate judges the files the same way', () => {
  it('logs kept in PostgreSQL at 500 QPS without acceptance; a single PgBouncer pod under HA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dd-state-validate-'));
    const input = withStateChoices({ tier: '500qps', targets: ['compose', 'helm'], storage: S3 }, 'helm');
    const s = parseSpecData(input, 'test');
    expect((await renderDeployment({ spec: s, outDir: dir, target: 'compose' })).refused).toEqual([]);
    expect((await renderDeployment({ spec: s, outDir: dir, target: 'helm' })).refused).toEqual([]);
    const rules = async () => (await validate({ dir })).diagnostics.filter((d) => ['workflow-log-volume', 'event-bus-throughput', 'pooler-redundancy'].includes(d.rule));
    expect(await rules()).toEqual([]);
    // The spec no longer accepts the size: the same files are now judged too large.
    const specFile = join(dir, 'dify-deploy.yaml');
    const data = parseYaml(readFileSync(specFile, 'utf8'));
    delete data.observability.workflowLogs.acceptLargeDatabase;
    writeFileSync(specFile, stringifyYaml(data));
    // One PgBouncer pod left.
    const pgb = join(dir, 'helm', 'extra', 'pgbouncer.yaml');
    writeFileSync(pgb, readFileSync(pgb, 'utf8').replace(/^  replicas: \d+$/m, '  replicas: 1'));
    const found = await rules();
    expect(found.filter((d) => d.rule === 'workflow-log-volume' && d.severity === 'error').length).toBeGreaterThanOrEqual(1);
    expect(found.filter((d) => d.rule === 'pooler-redundancy').map((d) => d.data)).toEqual([expect.objectContaining({ replicas: 1 })]);
  }, 60_000);
});
