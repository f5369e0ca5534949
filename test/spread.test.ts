// spread.ts: whole per-replica amounts whose total never falls as replicas are added, nor as the need grows.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { perReplica, perReplicaAmounts } from '../src/core/sizing/spread.js';

const needs = fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 60 });
const RUNS = { numRuns: 300, seed: 27 };

describe('perReplicaAmounts', () => {
  it('a flat need of 100 over 1…4 replicas: 100, 50, 34, 25 → totals 100, 100, 102, 100 become 100, 100, 102, 104', () => {
    expect(perReplicaAmounts(4, (n) => Math.ceil(100 / n))).toEqual([100, 50, 34, 26]);
    expect(perReplica(0, (n) => Math.ceil(100 / n))).toBe(100);
  });

  it('each amount covers its need and the total never falls as replicas are added', () => {
    fc.assert(
      fc.property(needs, (need) => {
        const a = perReplicaAmounts(need.length, (n) => need[n - 1]);
        a.forEach((x, i) => {
          expect(x).toBeGreaterThanOrEqual(need[i]);
          if (i > 0) expect((i + 1) * x).toBeGreaterThanOrEqual(i * a[i - 1]);
        });
      }),
      RUNS,
    );
  });

  it('a larger need at every count never gives a smaller amount', () => {
    fc.assert(
      fc.property(needs, fc.array(fc.nat({ max: 50 }), { minLength: 60, maxLength: 60 }), (need, extra) => {
        const a = perReplicaAmounts(need.length, (n) => need[n - 1]);
        const b = perReplicaAmounts(need.length, (n) => need[n - 1] + extra[n - 1]);
        b.forEach((x, i) => expect(x).toBeGreaterThanOrEqual(a[i]));
      }),
      RUNS,
    );
  });
});
