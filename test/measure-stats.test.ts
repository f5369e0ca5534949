// The pure parts of `measure`: per-minute arrival statistics and the workload block, against
// oracles written apart (the whole minute series expanded and sorted; shares recomputed by hand).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrivalStats } from '../src/measure/stats.js';
import { mergeWorkload, workloadBlock } from '../src/measure/workload.js';
import type { MeasureReport } from '../src/measure/measure.js';
import { parseSpecYaml } from '../src/core/spec-file.js';
import { planFor } from '../src/core/resolve.js';

const DEFAULT_MIX = { chat: 0.2, completion: 0.05, agent: 0.05, chatflow: 0.4, workflowStreaming: 0.2, workflowBlocking: 0.1 };

describe('arrivalStats', () => {
  it('peak, 99th-percentile minute (nearest rank, quiet minutes included) and mean equal those of the expanded series', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.array(fc.tuple(fc.nat(2999), fc.integer({ min: 1, max: 500 })), { maxLength: 300 }), (minutes, entries) => {
        const counts = new Map<number, number>();
        for (const [m, n] of entries) if (m < minutes) counts.set(m, n);
        const series = Array.from({ length: minutes }, (_, m) => counts.get(m) ?? 0).sort((a, b) => a - b);
        const s = arrivalStats(counts, minutes);
        const total = series.reduce((a, b) => a + b, 0);
        expect(s.total).toBe(total);
        expect(s.peakMinute).toBe(series[series.length - 1]);
        expect(s.p99Minute).toBe(series[Math.ceil(0.99 * minutes) - 1]);
        expect(s.meanQps).toBeCloseTo(total / minutes / 60, 12);
        if (total > 0) expect(s.peakToMean).toBeCloseTo(series[series.length - 1] / (total / minutes), 9);
      }),
    );
  });
});

function report(kinds: { kind: string; calls: number; mean: number; cv: number }[]): MeasureReport {
  const arrivals = (total: number) => ({ total, meanQps: 0, peakMinute: 0, peakMinuteQps: 0, p99Minute: 0, p99MinuteQps: 0, peakToMean: 0, busiestHourQps: 0, peakToBusiestHour: 0 });
  return {
    source: 'db:5432/dify',
    window: { since: '2026-01-01T00:00:00.000Z', until: '2026-01-08T00:00:00.000Z', days: 7, minutes: 10080 },
    minutePercentile: 0.99,
    total: arrivals(kinds.reduce((n, k) => n + k.calls, 0)),
    kinds: kinds.map((k) => ({
      kind: k.kind as never,
      arrivals: arrivals(k.calls),
      latency: { count: k.calls, meanSeconds: k.mean, cv: k.cv, p50Seconds: k.mean, p95Seconds: k.mean, p99Seconds: k.mean, tokensPerCall: 0, failedShare: 0, stoppedShare: 0 },
    })),
    sample: { finishedRuns: 0, sampledRuns: 0, every: 1 },
    storage: { databaseBytes: 0, tables: [] },
    notes: [],
  };
}

describe('workloadBlock', () => {
  const kindArb = fc.constantFrom('chat', 'completion', 'agent', 'chatflow', 'workflowStreaming', 'workflowServiceApi');
  const entries = fc.uniqueArray(fc.record({ kind: kindArb, calls: fc.integer({ min: 1, max: 100_000 }), mean: fc.double({ min: 0.01, max: 300, noNaN: true }), cv: fc.double({ min: 0.01, max: 3, noNaN: true }) }), { selector: (e) => e.kind, minLength: 1 });

  it('the mix sums to exactly 1, each share within rounding of calls / all calls, and the spec accepts the block', () => {
    fc.assert(
      fc.property(entries, fc.constantFrom('streaming', 'blocking', 'default-split') as fc.Arbitrary<'streaming' | 'blocking' | 'default-split'>, (kinds, mode) => {
        const w = workloadBlock(report(kinds), mode, DEFAULT_MIX, '2026-01-08T00:00:00Z');
        const sum = Object.values(w.mix).reduce((a, b) => a + b, 0);
        expect(Math.abs(sum - 1)).toBeLessThan(1e-6);
        const all = kinds.reduce((n, k) => n + k.calls, 0);
        const calls = (k: string) => kinds.find((x) => x.kind === k)?.calls ?? 0;
        const api = calls('workflowServiceApi');
        const blocking = mode === 'blocking' ? api : mode === 'default-split' ? api / 3 : 0;
        expect(Math.abs(w.mix.workflowBlocking - blocking / all)).toBeLessThan(0.01);
        expect(Math.abs(w.mix.chat - calls('chat') / all)).toBeLessThan(0.01);
        const spec = parseSpecYaml(mergeWorkload('tier: 100qps\n', w), 'test.yaml');
        expect(spec.workload.mix).toEqual(w.mix);
      }),
      { numRuns: 200 },
    );
  });

  it("a window of whole days gives the storage model its day: mean ÷ peak minute as workload.state.dailyAverageShare", () => {
    const measured = report([{ kind: 'chat', calls: 1000, mean: 5, cv: 1 }]);
    measured.total = { ...measured.total, meanQps: 3, peakMinuteQps: 12 };
    const w = workloadBlock(measured, 'blocking', DEFAULT_MIX, 'now');
    expect(w.state?.dailyAverageShare).toBe(0.25);
    expect(w.measured.fields).toContain('state.dailyAverageShare');
    const daily = (text: string) => planFor(parseSpecYaml(text, 'test.yaml'), 'compose').storage.daily.requests;
    // The plan's day at the tier's peak: 100 QPS × 0.25 × 86,400 s, where the default share gives 0.5.
    expect(daily(mergeWorkload('tier: 100qps\n', w))).toBeCloseTo(100 * 0.25 * 86_400, 6);
    expect(daily('tier: 100qps\n')).toBeCloseTo(100 * 0.5 * 86_400, 6);
    // A window shorter than a day has no night in it: no share is written.
    const hours = { ...measured, window: { ...measured.window, days: 0.5, minutes: 720 } };
    expect(workloadBlock(hours, 'blocking', DEFAULT_MIX, 'now').state?.dailyAverageShare).toBeUndefined();
  });

  it('pooling two groups gives the mean and CV of their union', () => {
    // Service-API runs as streaming pool with the web app's: two groups of known moments.
    const w = workloadBlock(report([{ kind: 'workflowStreaming', calls: 300, mean: 2, cv: 0.5 }, { kind: 'workflowServiceApi', calls: 100, mean: 6, cv: 1 }]), 'streaming', DEFAULT_MIX, 'now');
    const mean = (300 * 2 + 100 * 6) / 400;
    const secondMoment = (300 * (1 + 4) + 100 * (36 + 36)) / 400;
    expect(w.latencySeconds.workflowStreaming).toBeCloseTo(mean, 2);
    expect(w.latencyCv.workflowStreaming).toBeCloseTo(Math.sqrt(secondMoment - mean * mean) / mean, 2);
    expect(w.latencySeconds.workflowBlocking).toBeUndefined();
  });
});
