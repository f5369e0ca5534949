// The queueing module against a published Erlang C example, hand-computed cases, an oracle written
// apart from it (the textbook sum, in log space), and properties over random queues.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { erlangC, evaluate, maxArrivalRate, serversFor, waitQuantile, waitTail, type ServiceLevel } from '../src/core/sizing/queueing.js';
import { oracleErlangC } from './helpers/erlang-oracle.js';

const level: ServiceLevel = { maxWaitProbability: 0.01, p99WaitSeconds: 0.5 };

describe('published and hand-computed', () => {
  it('Call Centre Helper, "Erlang C Formula – Made Simple": 100 calls / 30 min × 180 s = 10 Erlangs on 11 agents wait with 68.21 %; 39 % answered in 20 s', () => {
    // callcentrehelper.com/erlang-c-formula-example-121281.htm: Pw = 0.6821, service level 39 %; 14 agents reach 88.8 %.
    expect(erlangC(11, 10)).toBeCloseTo(0.6821, 4);
    const q = { arrivalRate: 100 / 1800, serviceSeconds: 180, serviceScv: 1 };
    expect(1 - waitTail(q, 11, 20)).toBeCloseTo(0.39, 2);
    expect(1 - waitTail(q, 14, 20)).toBeCloseTo(0.888, 3);
  });

  it('one server is M/M/1: P(wait) = ρ, p99 wait = E[S]·ln(ρ/0.01)/(1 − ρ)', () => {
    expect(erlangC(1, 0.5)).toBeCloseTo(0.5, 12);
    // λ = 0.25/s, E[S] = 2 s: ρ = 0.5, μ − λ = 0.25/s → ln(50)/0.25.
    expect(waitQuantile({ arrivalRate: 0.25, serviceSeconds: 2, serviceScv: 1 }, 1)).toBeCloseTo(Math.log(50) / 0.25, 9);
  });

  it('two servers, a = 1: C = a²/(2!(1 − a/2)) / (1 + a + a²/(2!(1 − a/2))) = 1/3', () => {
    expect(erlangC(2, 1)).toBeCloseTo(1 / 3, 12);
  });

  it('10 QPS × 2 s (capacity-model.md §2): 26 slots wait 14.3 %, p99 0.89 s; 32 meet 1 %', () => {
    const q = { arrivalRate: 10, serviceSeconds: 2, serviceScv: 1 };
    const r = evaluate(q, 26);
    expect(r.waitProbability).toBeCloseTo(0.1434, 4);
    expect(r.p99WaitSeconds).toBeCloseTo(0.888, 3);
    expect(serversFor(q, { maxWaitProbability: 0.01, p99WaitSeconds: 10 })).toBe(32);
  });

  it('heavier-tailed service stretches the wait by (1 + C_s²)/2, not P(wait)', () => {
    const q = { arrivalRate: 10, serviceSeconds: 2, serviceScv: 1 };
    const heavy = { ...q, serviceScv: 3 };
    expect(evaluate(heavy, 26).waitProbability).toBe(evaluate(q, 26).waitProbability);
    expect(evaluate(heavy, 26).p99WaitSeconds).toBeCloseTo(2 * evaluate(q, 26).p99WaitSeconds, 9);
  });

  it('overload: a ≥ c waits always, forever', () => {
    expect(erlangC(10, 10)).toBe(1);
    expect(evaluate({ arrivalRate: 6, serviceSeconds: 2, serviceScv: 1 }, 10).p99WaitSeconds).toBe(Infinity);
  });

  it('stays finite for thousands of servers (no a^c or c! overflow)', () => {
    const c = erlangC(5000, 4800);
    expect(c).toBeGreaterThan(0);
    expect(c).toBeCloseTo(oracleErlangC(5000, 4800), 9);
  });
});

const queue = fc.record({
  arrivalRate: fc.double({ min: 0.01, max: 400, noNaN: true }),
  serviceSeconds: fc.double({ min: 0.01, max: 12, noNaN: true }),
  serviceScv: fc.double({ min: 0.2, max: 4, noNaN: true }),
});
const levels = fc.record({ maxWaitProbability: fc.double({ min: 0.001, max: 0.2, noNaN: true }), p99WaitSeconds: fc.double({ min: 0.01, max: 5, noNaN: true }) });

describe('properties', () => {
  it('Erlang C is the textbook sum (independent oracle)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.double({ min: 0.001, max: 0.999, noNaN: true }), (c, rho) => {
        expect(erlangC(c, c * rho)).toBeCloseTo(oracleErlangC(c, c * rho), 9);
      }),
    );
  });

  it('serversFor is the fewest servers meeting the level, per the oracle', () => {
    fc.assert(
      fc.property(queue, levels, (q, l) => {
        const c = serversFor(q, l);
        const a = q.arrivalRate * q.serviceSeconds;
        const oracle = (n: number) => {
          const p = oracleErlangC(n, a);
          const p99 = p <= 0.01 ? 0 : (q.serviceSeconds * ((1 + q.serviceScv) / 2) * Math.log(p / 0.01)) / (n - a);
          return n > a && p <= l.maxWaitProbability + 1e-9 && p99 <= l.p99WaitSeconds + 1e-9;
        };
        expect(oracle(c)).toBe(true);
        if (c > 1) expect(oracle(c - 1)).toBe(false);
      }),
    );
  });

  it('more arrivals, longer or more variable service never need fewer servers', () => {
    fc.assert(
      fc.property(queue, levels, fc.double({ min: 1, max: 3, noNaN: true }), (q, l, k) => {
        const c = serversFor(q, l);
        expect(serversFor({ ...q, arrivalRate: q.arrivalRate * k }, l)).toBeGreaterThanOrEqual(c);
        expect(serversFor({ ...q, serviceSeconds: q.serviceSeconds * k }, l)).toBeGreaterThanOrEqual(c);
        expect(serversFor({ ...q, serviceScv: q.serviceScv * k }, l)).toBeGreaterThanOrEqual(c);
      }),
    );
  });

  it('P(wait) rises with load and falls with servers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.double({ min: 0.01, max: 0.98, noNaN: true }), (c, rho) => {
        expect(erlangC(c, c * Math.min(0.99, rho + 0.01))).toBeGreaterThanOrEqual(erlangC(c, c * rho));
        expect(erlangC(c + 1, c * rho)).toBeLessThanOrEqual(erlangC(c, c * rho));
      }),
    );
  });

  it('the QPS at the service level is met at that rate, missed a little above it, and below saturation', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 800 }), fc.double({ min: 0.05, max: 10, noNaN: true }), levels, (c, s, l) => {
        const rate = maxArrivalRate(c, s, 1, l);
        expect(rate).toBeLessThan(c / s);
        if (rate > 0) expect(evaluate({ arrivalRate: rate, serviceSeconds: s, serviceScv: 1 }, c).waitProbability).toBeLessThanOrEqual(l.maxWaitProbability + 1e-9);
        const above = evaluate({ arrivalRate: rate * 1.001 + 1e-9, serviceSeconds: s, serviceScv: 1 }, c);
        expect(above.waitProbability > l.maxWaitProbability || above.p99WaitSeconds > l.p99WaitSeconds).toBe(true);
      }),
    );
  });
});
