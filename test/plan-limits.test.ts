// Every number a plan hands to its consumers is finite and within the consumer's limits, or the
// plan carries a problem (and render refuses): checked on the cases found by hand and as a
// property over tiers × targets × arbitrary spec numbers, with an oracle apart from the check.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tierNames } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import { UserError } from '../src/io/errors.js';
import type { SpecInput } from '../src/core/spec.js';

const S3 = { type: 's3', bucket: 'b', region: 'r', useIam: true } as const;
const plan = (input: SpecInput, target: 'compose' | 'helm' = 'compose') => planFor(parseSpecData({ storage: S3, ...input }, 'test spec'), target);

/** Oracle: JSON has no NaN or Infinity (it writes null), so a plan whose numbers survive JSON unchanged is finite. */
function finiteEverywhere(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value === 'string') return !/\b(NaN|Infinity)\b/.test(value);
  if (Array.isArray(value)) return value.every(finiteEverywhere);
  if (value && typeof value === 'object') return Object.entries(value).every(([k, v]) => ['sources', 'warnings', 'problems'].includes(k) || finiteEverywhere(v));
  return true;
}

describe('numbers in range', () => {
  it('api.replicas: 0 is a problem, not "NaN QPS"', () => {
    const p = plan({ tier: '10qps', overrides: { components: { api: { replicas: 0 } } } });
    expect(p.problems.join('\n')).toMatch(/not a number a consumer can take|replicas/);
  });

  it.each([
    [{ tier: '10qps', qps: 100_000 }],
    [{ tier: '10qps', qps: 100_000, database: { pooler: 'none' } }],
  ] as [SpecInput][])('%j has a problem for each target', (input) => {
    for (const target of ['compose', 'helm'] as const) expect(plan(input, target).problems.length, target).toBeGreaterThan(0);
  });

  it('PostgreSQL max_connections above 262143 is named with its limit', () => {
    const p = plan({ tier: '10qps', qps: 100_000, database: { pooler: 'none' } }, 'helm');
    expect(p.problems.join('\n')).toMatch(/PostgreSQL max_connections = \d+ exceeds 262143/);
  });

  it('qps beyond 100000 (1e9, 1e308, 3000000) is bad input naming qps', () => {
    for (const qps of [1e9, 1e308, 3_000_000]) expect(() => plan({ tier: '10qps', qps })).toThrow(/qps: expected at most 100000/);
  });

  it('reservedConnections: 2147483648 is a problem', () => {
    expect(plan({ tier: '10qps', database: { reservedConnections: 2147483648 } }).problems.length).toBeGreaterThan(0);
  });

  it('infinite spec numbers are bad input, named by field', () => {
    for (const input of [{ tier: '10qps', latencySeconds: Infinity }, { tier: '10qps', qps: Infinity }, { tier: '10qps', workload: { latencySeconds: { chat: Infinity } } }]) {
      expect(() => parseSpecData(input, 'test spec')).toThrow(UserError);
      try {
        parseSpecData(input, 'test spec');
      } catch (e) {
        expect((e as UserError).lines.join('\n')).toMatch(/finite/);
      }
    }
  });

  it('property: any spec numbers → a plan with a problem, or finite numbers within PostgreSQL, Linux and machine limits', () => {
    const tiers = tierNames();
    fc.assert(
      fc.property(
        fc.constantFrom(...tiers),
        fc.constantFrom('compose' as const, 'helm' as const),
        fc.option(fc.double({ min: 0.01, max: 1e12, noNaN: true }), { nil: undefined }),
        fc.option(fc.double({ min: 0.01, max: 1e6, noNaN: true }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 2 ** 31 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }),
        fc.constantFrom('none', 'pgbouncer', undefined),
        (tier, target, qps, latencySeconds, reserved, replicas, pooler) => {
          const input: SpecInput = {
            tier,
            ...(qps !== undefined ? { qps } : {}),
            ...(latencySeconds !== undefined ? { latencySeconds } : {}),
            database: { ...(reserved !== undefined ? { reservedConnections: reserved } : {}), ...(pooler ? { pooler } : {}) },
            ...(replicas !== undefined ? { overrides: { components: { api: { replicas } } } } : {}),
          };
          let p;
          try {
            p = plan(input, target);
          } catch (e) {
            if (e instanceof UserError) return; // refused with a message: fine
            throw e;
          }
          if (p.problems.length) return;
          expect(finiteEverywhere(p)).toBe(true);
          expect(p.database.maxConnections).toBeLessThanOrEqual(262143);
          if (p.redis.server) expect(p.redis.server.maxclients + 32).toBeLessThanOrEqual(1048576);
          if (target === 'compose') expect(p.host.required.cpus).toBeLessThanOrEqual(896);
        },
      ),
      { numRuns: 150 },
    );
  });
});
