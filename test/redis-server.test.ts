// The Redis budget proven on a real redis-server (Debian's): render the compose deployment,
// read the clients and the servers' settings back from the files the way validate does, start
// redis-server with the rendered command line, open every planned client at once — all are
// served — fill up to maxclients, and show the next one is refused. Then fill maxmemory and
// show the Celery broker's queue survives under the rendered policy, and is evicted under an
// evicting one (so the check can fail), which validate reports as an error.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planFor } from '../src/core/resolve.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import { renderDeployment } from '../src/render/index.js';
import { loadDeployment } from '../src/validate/load.js';
import { redisBudgetRule, redisBudgetView } from '../src/validate/rules/redis-budget.js';
import { requireRedis, RespClient, splitCommand, startRedis } from './helpers/redis.js';
import { withStateChoices } from './helpers/state-choices.js';

/** The test machine cannot spare the rendered GiBs: maxmemory is scaled down for the eviction check (the policy never is). */
const TEST_MAXMEMORY = '4mb';
const QUEUED_TASKS = 200;

async function rendered(tier: string) {
  const dir = mkdtempSync(join(tmpdir(), 'dd-redisproof-'));
  const spec = parseSpecData(withStateChoices({ tier }), 'test');
  expect((await renderDeployment({ spec, outDir: dir, target: 'compose' })).refused).toEqual([]);
  const { deployment } = loadDeployment({ dir });
  return { dir, spec, deployment, view: redisBudgetView(deployment)! };
}

/** redis-server's own arguments from a compose `command:` line (without the program name). */
const serverArgs = (command: string) => splitCommand(command).slice(1);

async function connectAll(port: number, n: number, password: string): Promise<{ clients: RespClient[]; replies: unknown[] }> {
  const clients: RespClient[] = [];
  const replies: unknown[] = [];
  const batch = 500;
  for (let i = 0; i < n; i += batch) {
    const opened = await Promise.all(Array.from({ length: Math.min(batch, n - i) }, () => RespClient.connect(port)));
    clients.push(...opened);
    replies.push(...(await Promise.all(opened.map(async (c) => [await c.command('AUTH', password), await c.command('PING')]))));
  }
  return { clients, replies };
}

describe('Redis budget on a real redis-server', () => {
  for (const tier of ['10qps', '500qps']) {
    it(`${tier}: every planned client connects at once, one over maxclients is refused`, async (ctx) => {
      if (!requireRedis()) return ctx.skip();
      const { spec, view, deployment } = await rendered(tier);
      const plan = planFor(spec, 'compose');
      const servers = [{ role: 'main' as const, server: view.main }, ...(view.bus ? [{ role: 'eventBus' as const, server: view.bus }] : [])];
      expect(servers.length).toBe(plan.redis.eventBus.dedicated ? 2 : 1);
      for (const { role, server } of servers) {
        const required = view.clients.filter((c) => c.server === role).reduce((n, c) => n + c.total!, 0);
        expect(required).toBe(role === 'main' ? plan.redis.required : plan.redis.eventBus.required);
        const redis = await startRedis(serverArgs(server.service!.command!));
        const all: RespClient[] = [];
        try {
          const probe = await RespClient.connect(redis.port);
          all.push(probe);
          await probe.command('AUTH', server.requirepass!);
          // Redis lowers maxclients when the file-descriptor limit cannot hold it: it must not have.
          expect(await probe.command('CONFIG', 'GET', 'maxclients'), 'the file-descriptor hard limit (ulimit -Hn) must exceed maxclients + 32').toEqual(['maxclients', String(server.maxClients)]);
          expect(server.maxClients).toBeGreaterThanOrEqual(required);

          const planned = await connectAll(redis.port, required, server.requirepass!);
          all.push(...planned.clients);
          expect(planned.replies.every((r) => JSON.stringify(r) === JSON.stringify(['OK', 'PONG'])), `${role}: all ${required} planned clients served`).toBe(true);
          // The headroom (redis-cli, health checks) up to maxclients, then one more.
          const rest = await connectAll(redis.port, server.maxClients! - required - 1, server.requirepass!);
          all.push(...rest.clients);
          expect(rest.replies.every((r) => JSON.stringify(r) === JSON.stringify(['OK', 'PONG']))).toBe(true);
          const over = await RespClient.connect(redis.port);
          all.push(over);
          const refused = await over.command('PING');
          expect(String(refused)).toMatch(/max number of clients reached/);
        } finally {
          for (const c of all) c.close();
          await redis.stop();
        }
      }
      expect(await redisBudgetRule.check(deployment)).toEqual([]);
    }, 120_000);
  }

  it('with maxmemory filled the broker queue is kept under the rendered policy, evicted under allkeys-lru (a validate error)', async (ctx) => {
    if (!requireRedis()) return ctx.skip();
    const { dir, view } = await rendered('100qps');
    const command = view.main.service!.command!;
    expect(view.main.policy).toBe('noeviction');

    async function fillAndCount(args: string[]): Promise<{ queued: unknown; evicted: number; refusedWrite: boolean }> {
      const redis = await startRedis(args);
      const c = await RespClient.connect(redis.port);
      try {
        await c.command('AUTH', view.main.requirepass!);
        await c.command('CONFIG', 'SET', 'maxmemory', TEST_MAXMEMORY);
        // Celery's queue on the broker DB (CELERY_BROKER_URL …/1): one list of task messages.
        await c.command('SELECT', 1);
        for (let i = 0; i < QUEUED_TASKS; i++) await c.command('LPUSH', 'celery', JSON.stringify({ id: i, task: 'tasks.run', body: 'x'.repeat(200) }));
        // The cache fills the rest (DB 0) until Redis refuses or evicts.
        await c.command('SELECT', 0);
        let refusedWrite = false;
        for (let i = 0; i < 5000 && !refusedWrite; i++) {
          const r = await c.command('SET', `cache:${i}`, 'v'.repeat(4096));
          if (r instanceof Error) refusedWrite = /OOM/.test(r.message);
        }
        await c.command('SELECT', 1);
        const queued = await c.command('LLEN', 'celery');
        const info = String(await c.command('INFO', 'stats'));
        return { queued, evicted: Number(/evicted_keys:(\d+)/.exec(info)?.[1] ?? NaN), refusedWrite };
      } finally {
        c.close();
        await redis.stop();
      }
    }

    const kept = await fillAndCount(serverArgs(command));
    expect(kept).toEqual({ queued: QUEUED_TASKS, evicted: 0, refusedWrite: true });

    const evicting = command.replace('--maxmemory-policy noeviction', '--maxmemory-policy allkeys-lru');
    const lost = await fillAndCount(serverArgs(evicting));
    expect(lost.evicted).toBeGreaterThan(0);
    expect(lost.queued).not.toBe(QUEUED_TASKS);

    // The same change in the files is what validate refuses.
    const composePath = join(dir, 'docker-compose.yaml');
    writeFileSync(composePath, readFileSync(composePath, 'utf8').replace('--maxmemory-policy noeviction', '--maxmemory-policy allkeys-lru'));
    const findings = await redisBudgetRule.check(loadDeployment({ dir }).deployment);
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([['redis-budget', 'error']]);
    expect(findings[0].message).toMatch(/Celery broker .* allkeys-lru: when it fills, Redis evicts keys/);
  }, 120_000);
});
