// validate's capacity rule judges the files by the service level, not by Little's law: our rendered
// output is clean; the same files edited to a queue that Little's law still passes (slots ≥ the load in
// flight) but that misses P(wait) ≤ 1 % / p99 ≤ 0.5 s is a finding naming the path, its P(wait) and the
// servers it needs — each number checked against the Erlang-C oracle written apart from the product
// (helpers/erlang-oracle.ts), on the load read from the tier and costs/compute.json.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadRelease, loadTier } from '../src/core/data.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import type { SpecInput } from '../src/core/spec.js';
import { renderDeployment, type RenderTarget } from '../src/render/index.js';
import { validate } from '../src/validate/index.js';
import { oracleQueue } from './helpers/erlang-oracle.js';
import { ALL, CODE_SECONDS, codeShareFromMix, expectedLoad, oracleServersFor, serviceOfLoad } from './helpers/service-level.js';
import { withStateChoices } from './helpers/state-choices.js';

async function rendered(input: SpecInput, target: RenderTarget): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dd-capacity-'));
  const report = await renderDeployment({ spec: parseSpecData(withStateChoices(input, target), 'test'), outDir: dir, target });
  expect(report.refused).toEqual([]);
  return dir;
}

const edit = (path: string, from: RegExp, to: string) => {
  const before = readFileSync(path, 'utf8');
  const after = before.replace(from, to);
  expect(after).not.toBe(before);
  writeFileSync(path, after);
};

const capacity = async (dir: string) => (await validate({ dir })).diagnostics.filter((d) => d.rule === 'capacity');
const LEVEL = { maxWaitProbability: 0.01, p99WaitSeconds: 0.5 };

describe('capacity: the files against the service level (Erlang C)', () => {
  it.each([
    ['10qps', 'compose'],
    ['1000qps', 'compose'],
    ['100qps', 'helm'],
  ] as const)('our %s %s output is clean', async (tier, target) => {
    const input: SpecInput = { tier, ...(target === 'helm' ? { targets: ['helm'], storage: { type: 's3', bucket: 'b', region: 'eu-west-1', useIam: true } } : {}) };
    expect(await capacity(await rendered(input, target))).toEqual([]);
  });

  describe('100qps compose, edited to queues Little’s law passes but the service level does not', () => {
    const tier = loadTier('100qps');
    const release = loadRelease(parseSpecData(withStateChoices({ tier: '100qps' }), 'test').release);
    const load = expectedLoad(tier, release.execution.worker);
    const compose = (dir: string) => parseYaml(readFileSync(join(dir, 'docker-compose.yaml'), 'utf8')).services;
    /** The finding of one path: the oracle's P(wait) for the edited servers and the servers it asks for. */
    const expectFinding = async (dir: string, path: string, servers: number, lambda: number, seconds: number, scv: number) => {
      const q = oracleQueue(servers, lambda, seconds, scv);
      expect(q.waitProbability).toBeGreaterThan(LEVEL.maxWaitProbability);
      expect(servers, 'Little’s law passes: the old rule saw nothing').toBeGreaterThanOrEqual(lambda * seconds);
      const found = await capacity(dir);
      expect(found.map((d) => d.data.path)).toEqual([path]);
      expect(found[0].data.servers).toBe(servers);
      expect(found[0].data.waitProbability as number).toBeCloseTo(q.waitProbability, 6);
      expect(found[0].data.needed).toBe(oracleServersFor(lambda, seconds, scv, LEVEL));
      expect(found[0].message).toMatch(new RegExp(`^${path}: .* ${Math.round(q.waitProbability * 1000) / 10} % of arrivals wait .* it needs ${found[0].data.needed}`));
    };

    it('api: fewer greenlets per replica', async () => {
      const dir = await rendered({ tier: '100qps' }, 'compose');
      const api = compose(dir).api;
      const replicas = api.deploy.replicas as number;
      const processes = Number(/SERVER_WORKER_AMOUNT=(\d+)/.exec(readFileSync(join(dir, '.env'), 'utf8'))![1]);
      const all = serviceOfLoad(load, ALL);
      const lambda = load.lambda / replicas;
      const greenlets = Math.floor((oracleServersFor(lambda, all.seconds, all.scv, LEVEL) - 1) / processes);
      edit(join(dir, '.env'), /^SERVER_WORKER_CONNECTIONS=\d+$/m, `SERVER_WORKER_CONNECTIONS=${greenlets}`);
      await expectFinding(dir, 'api', processes * greenlets, lambda, all.seconds, all.scv);
    });

    it('runs: fewer run slots', async () => {
      const dir = await rendered({ tier: '100qps' }, 'compose');
      const replicas = compose(dir).worker_runs.deploy.replicas as number;
      const runs = serviceOfLoad(load, load.workerKinds);
      const lambda = load.lambda * runs.share;
      const perReplica = Math.floor((oracleServersFor(lambda, runs.seconds, runs.scv, LEVEL) - 1) / replicas);
      edit(join(dir, 'docker-compose.yaml'), /CELERY_WORKER_AMOUNT: "\d+"/, `CELERY_WORKER_AMOUNT: "${perReplica}"`);
      await expectFinding(dir, 'runs', replicas * perReplica, lambda, runs.seconds, runs.scv);
    });

    it('sandbox: fewer workers per replica', async () => {
      const dir = await rendered({ tier: '100qps' }, 'compose');
      const replicas = compose(dir).sandbox.deploy.replicas as number;
      const lambda = (load.lambda * codeShareFromMix(load.mix)) / replicas;
      const workers = oracleServersFor(lambda, CODE_SECONDS, 1, LEVEL) - 1;
      edit(join(dir, 'docker-compose.yaml'), /MAX_WORKERS: "\d+"/, `MAX_WORKERS: "${workers}"`);
      await expectFinding(dir, 'sandbox', workers, lambda, CODE_SECONDS, 1);
    });

    it('pgbouncer: a smaller pool for dify', async () => {
      const dir = await rendered({ tier: '100qps' }, 'compose');
      // 100 ms of transaction per request (database.dbTimePerRequestMs' default), one PgBouncer process.
      const pool = oracleServersFor(load.lambda, 0.1, 1, LEVEL) - 1;
      edit(join(dir, 'pgbouncer', 'pgbouncer.ini'), /^(dify = .*)pool_size=\d+/m, `$1pool_size=${pool}`);
      await expectFinding(dir, 'pgbouncer', pool, load.lambda, 0.1, 1);
    });
  });
});
