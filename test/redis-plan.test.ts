// The Redis budget over the whole tier × release × target matrix: properties of the plan, not
// numbers copied from it — every client summed, every pool bounded and large enough for the
// concurrency of its process, the bundled servers sized to the sum, the event bus where it belongs.
import { describe, expect, it } from 'vitest';
import { releaseVersions, tierNames } from '../src/core/data.js';
import { redisClients } from '../src/core/redis.js';
import { planFor } from '../src/core/resolve.js';
import { specSchema, TARGETS, type SpecInput } from '../src/core/spec.js';
import { withStateChoices } from './helpers/state-choices.js';

const spec = (input: SpecInput) => specSchema.parse(withStateChoices(input, 'helm'));
const matrix = releaseVersions().flatMap((release) => tierNames().flatMap((tier) => TARGETS.map((target) => ({ release, tier, target }))));

describe.concurrent('Redis budget: tier × release × target', () => {
  it.each(matrix)('$release $tier $target', ({ release, tier, target }) => {
    const plan = planFor(spec({ release, tier, storage: { type: 's3', bucket: 'b', region: 'r', accessKey: 'a', secretKey: 's' } }), target);
    const r = plan.redis;
    const sum = (list: { total: number | null }[]) => list.reduce((n, c) => n + c.total!, 0);
    expect(r.required).toBe(sum(r.breakdown));
    expect(r.fits).toBe(true);
    expect(r.server!.maxclients).toBeGreaterThanOrEqual(r.required! + 32);
    expect(r.server!.maxmemoryPolicy).toBe('noeviction');

    // Every process that has a Redis client is counted, at maxReplicas, with a bounded pool.
    for (const c of plan.components.filter((c) => ['api', 'api_websocket', 'worker', 'worker_beat', 'plugin_daemon'].includes(c.name))) {
      const mine = [...r.breakdown, ...r.eventBus.breakdown].filter((b) => b.component === c.name);
      expect(mine.length, c.name).toBeGreaterThan(0);
      for (const b of mine) expect(b.replicas, `${c.name} ${b.kind}`).toBe(c.maxReplicas);
      if (c.name === 'plugin_daemon') expect(Number(c.env.GOMAXPROCS)).toBe(Math.ceil(c.cpu));
      else expect(Number(c.env.REDIS_MAX_CONNECTIONS), c.name).toBeGreaterThanOrEqual(Number(c.env.SERVER_WORKER_CONNECTIONS ?? c.env.CELERY_WORKER_AMOUNT ?? 0));
    }
    // Each in-flight (streaming) request can hold its event-bus subscription.
    const subscriptions = [...r.breakdown, ...r.eventBus.breakdown].filter((b) => b.kind.startsWith('event bus (subscriptions)'));
    expect(sum(subscriptions)).toBeGreaterThanOrEqual(plan.inFlight);

    // A Redis of its own for the event bus from 500 QPS (the spec gives an external one there: withStateChoices).
    expect(r.eventBus.dedicated).toBe(plan.qps >= 500);
    if (r.eventBus.dedicated) {
      expect(r.breakdown.some((b) => b.kind.startsWith('event bus'))).toBe(false);
      if (r.eventBus.server) expect(r.eventBus.server.maxclients).toBeGreaterThanOrEqual(r.eventBus.required!);
    }
    expect(plan.problems.filter((p) => p.startsWith('redis.eventBus'))).toEqual([]);
  });
});

describe('Redis budget: limits', () => {
  it('an external Redis whose declared maxclients is too small is a problem naming both numbers', () => {
    const plan = planFor(spec({ tier: '500qps', redis: { mode: 'external', host: 'r', maxClients: 1000 } }), 'compose');
    expect(plan.problems.join('\n')).toMatch(new RegExp(`redis: the deployment can open ${plan.redis.required} Redis connections but the server allows maxclients 1000`));
    expect(planFor(spec({ tier: '500qps', redis: { mode: 'external', host: 'r', maxClients: plan.redis.required! } }), 'compose').problems).toEqual([]);
  });

  it('an unbounded pool (REDIS_MAX_CONNECTIONS emptied by an override) is a problem', () => {
    const plan = planFor(spec({ tier: '10qps', overrides: { components: { worker: { env: { REDIS_MAX_CONNECTIONS: '' } } } } }), 'compose');
    expect(plan.redis.required).toBeNull();
    expect(plan.problems.join('\n')).toMatch(/redis: worker redis-py pool has no bound/);
  });

  it('an api pool smaller than its greenlets is a problem (subscriptions would fail first)', () => {
    const plan = planFor(spec({ tier: '100qps', overrides: { components: { api: { env: { REDIS_MAX_CONNECTIONS: '5' } } } } }), 'compose');
    expect(plan.problems.join('\n')).toMatch(/redis: api REDIS_MAX_CONNECTIONS=5 is below its \d+ greenlets per process/);
  });

  it('without GOMAXPROCS the plugin daemon pool is unbounded (10 × the host CPUs)', () => {
    const [c] = redisClients([{ component: 'plugin_daemon', replicas: 2, processes: 1, env: {} }], { eventBusDedicated: false });
    expect(c.total).toBeNull();
    const [d] = redisClients([{ component: 'plugin_daemon', replicas: 2, processes: 1, env: { GOMAXPROCS: '4' } }], { eventBusDedicated: false });
    expect(d.total).toBe(2 * (10 * 4 + 2));
  });

  it('an external event bus may be a Redis Cluster (sharded pub/sub); the plan never prints its password', () => {
    const url = 'redis://:s3cret@bus.internal:6379/0';
    // maxClients: at 1000qps the main Redis serves ~150 run workers' pools (CPU from the work) and the bus ~4800 streams in flight (8 s latency): beyond 20,000 and 10,000.
    const plan = planFor(spec({ tier: '1000qps', redis: { maxClients: 50000, eventBus: { mode: 'external', url, useClusters: true, maxClients: 20000 } } }), 'helm');
    expect(plan.problems.filter((p) => p.startsWith('redis'))).toEqual([]);
    expect(plan.redis.eventBus).toMatchObject({ dedicated: true, mode: 'external', channelType: 'sharded', useClusters: true, url: 'redis://:***@bus.internal:6379/0' });
    expect(JSON.stringify(plan)).not.toContain('s3cret');
  });

  it('a bundled event bus on Helm is a problem (the chart has one Redis); shared keeps it on the main Redis', () => {
    expect(planFor(spec({ tier: '10qps', redis: { eventBus: { mode: 'bundled' } } }), 'helm').problems.join('\n')).toMatch(/redis\.eventBus\.mode: bundled runs a second Redis service in compose only/);
    expect(planFor(spec({ tier: '1000qps', redis: { eventBus: { mode: 'shared' } } }), 'compose').redis.eventBus.dedicated).toBe(false);
  });

  it('the spec refuses an event-bus cluster that is not external, or an external one without a URL', () => {
    expect(specSchema.safeParse({ tier: '10qps', redis: { eventBus: { useClusters: true } } }).success).toBe(false);
    expect(specSchema.safeParse({ tier: '10qps', redis: { eventBus: { mode: 'external' } } }).success).toBe(false);
  });
});
