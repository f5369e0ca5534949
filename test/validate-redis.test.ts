// validate's redis-budget rule on our own outputs with one edit each: what a user's change
// breaks is found, on the line that caused it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpecData } from '../src/core/spec-parse.js';
import { renderDeployment } from '../src/render/index.js';
import { loadDeployment } from '../src/validate/load.js';
import { redisBudgetRule } from '../src/validate/rules/redis-budget.js';
import { withStateChoices } from './helpers/state-choices.js';

async function output(tier: string, edit: (files: { env: string; compose: string }) => { env?: string; compose?: string }) {
  const dir = mkdtempSync(join(tmpdir(), 'dd-vredis-'));
  expect((await renderDeployment({ spec: parseSpecData(withStateChoices({ tier }), 'test'), outDir: dir, target: 'compose' })).refused).toEqual([]);
  const paths = { env: join(dir, '.env'), compose: join(dir, 'docker-compose.yaml') };
  const before = { env: readFileSync(paths.env, 'utf8'), compose: readFileSync(paths.compose, 'utf8') };
  const after = edit(before);
  if (after.env !== undefined) writeFileSync(paths.env, after.env);
  if (after.compose !== undefined) writeFileSync(paths.compose, after.compose);
  const findings = await redisBudgetRule.check(loadDeployment({ dir }).deployment);
  return { findings, after: { ...before, ...after } };
}

const setVar = (env: string, name: string, value: string) => (new RegExp(`^${name}=`, 'm').test(env) ? env.replace(new RegExp(`^${name}=.*$`, 'm'), `${name}=${value}`) : `${env}\n${name}=${value}\n`);
const lineOf = (text: string, line: number | undefined) => text.split('\n')[(line ?? 0) - 1];

describe.concurrent('validate redis-budget on edited outputs', () => {
  it('our outputs are clean (shared and dedicated event bus)', async () => {
    for (const tier of ['10qps', '500qps']) expect((await output(tier, () => ({}))).findings).toEqual([]);
  });

  it('EVENT_BUS_REDIS_USE_CLUSTERS=true without an event-bus URL: an error on that line', async () => {
    const { findings, after } = await output('10qps', ({ env }) => ({ env: setVar(env, 'EVENT_BUS_REDIS_USE_CLUSTERS', 'true') }));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'redis-budget', severity: 'error' });
    expect(findings[0].message).toMatch(/EVENT_BUS_REDIS_USE_CLUSTERS=true without a cluster URL/);
    expect(lineOf(after.env, findings[0].line)).toBe('EVENT_BUS_REDIS_USE_CLUSTERS=true');
  });

  it('sharded pub/sub on the main standalone Redis: an error', async () => {
    const { findings } = await output('10qps', ({ env }) => ({ env: setVar(env, 'EVENT_BUS_REDIS_CHANNEL_TYPE', 'sharded') }));
    expect(findings.map((f) => f.message)).toEqual([expect.stringMatching(/EVENT_BUS_REDIS_CHANNEL_TYPE=sharded without a cluster URL/)]);
  });

  it("an event-bus URL whose password is not its server's: an error", async () => {
    const { findings } = await output('500qps', ({ env }) => ({ env: env.replace(/^(EVENT_BUS_REDIS_URL=redis:\/\/:)[^@]+@/m, '$1wrong-password@') }));
    expect(findings.map((f) => f.message)).toEqual([expect.stringMatching(/the password in EVENT_BUS_REDIS_URL differs from its server's \(redis_event_bus --requirepass\)/)]);
  });

  it('USE_CLUSTERS on the bundled standalone event-bus Redis: an error', async () => {
    const { findings } = await output('500qps', ({ env }) => ({ env: setVar(env, 'EVENT_BUS_REDIS_USE_CLUSTERS', 'true') }));
    expect(findings.map((f) => f.message)).toEqual([expect.stringMatching(/points at the compose service redis_event_bus, a standalone Redis/)]);
  });

  it('maxclients below the worst case: an error with the sum; emptied pools: a warning', async () => {
    const small = await output('100qps', ({ compose }) => ({ compose: compose.replace(/--maxclients \d+/, '--maxclients 100') }));
    expect(small.findings).toHaveLength(1);
    expect(small.findings[0].message).toMatch(/worst case \d+ Redis connections on Redis redis .* against maxclients 100:/);
    const unbounded = await output('100qps', ({ env }) => ({ env: setVar(env, 'REDIS_MAX_CONNECTIONS', '') }));
    expect(unbounded.findings.map((f) => [f.severity, f.message.split(':')[0]])).toEqual([['warning', 'unbounded Redis pools on Redis redis']]);
  });
});

describe('validate redis-budget on Helm values', () => {
  it("the chart's Redis: our values are clean; a smaller --maxclients or an evicting policy in extraFlags is an error on that key", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dd-vredis-helm-'));
    const spec = parseSpecData(withStateChoices({ tier: '100qps', targets: ['helm'], storage: { type: 's3', bucket: 'b', region: 'r', accessKey: 'a', secretKey: 's' } }, 'helm'), 'test');
    expect((await renderDeployment({ spec, outDir: dir, target: 'helm' })).refused).toEqual([]);
    const check = async () => redisBudgetRule.check(loadDeployment({ dir }).deployment);
    expect(await check()).toEqual([]);
    const path = join(dir, 'helm', 'values.yaml');
    const original = readFileSync(path, 'utf8');
    writeFileSync(path, original.replace(/--maxclients \d+/, '--maxclients 500'));
    const small = await check();
    expect(small.map((f) => [f.severity, f.message.split(':')[0]])).toEqual([['error', expect.stringMatching(/^worst case \d+ Redis connections on Redis redis/)]]);
    expect(lineOf(readFileSync(path, 'utf8'), small[0].line)).toMatch(/--maxclients 500/);
    writeFileSync(path, original.replace('--maxmemory-policy noeviction', '--maxmemory-policy allkeys-lru'));
    expect((await check()).map((f) => f.message)).toEqual([expect.stringMatching(/the chart's Redis \(also the Celery broker\) runs with --maxmemory \S+ --maxmemory-policy allkeys-lru/)]);
  });
});
