// Pure statistics over what the database returned: per-minute arrivals and service-time summaries.

/** The percentile of per-minute arrival counts `measure` reports beside the peak minute. */
export const MINUTE_PERCENTILE = 0.99;

export interface ArrivalStats {
  /** Arrivals in the window. */
  total: number;
  /** Requests per second over the whole window. */
  meanQps: number;
  /** The busiest minute's arrivals, and as a rate. */
  peakMinute: number;
  peakMinuteQps: number;
  /** The 99th percentile of per-minute arrivals (every minute of the window, quiet ones included). */
  p99Minute: number;
  p99MinuteQps: number;
  /** Peak minute over the mean minute. */
  peakToMean: number;
  /** Mean rate of the busiest clock hour, and the peak minute over it: the burst on top of a busy hour. */
  busiestHourQps: number;
  peakToBusiestHour: number;
}

/**
 * Nearest-rank percentile of a sorted list with `zeros` extra zero values in front
 * (the minutes without arrivals are not listed one by one).
 */
function percentileWithZeros(sortedNonZero: number[], zeros: number, p: number): number {
  const n = sortedNonZero.length + zeros;
  if (n === 0) return 0;
  const rank = Math.max(1, Math.ceil(p * n)); // 1-based
  return rank <= zeros ? 0 : sortedNonZero[rank - zeros - 1];
}

/** `counts`: arrivals per minute index (0 = the window's first minute); `minutes`: the window's length. */
export function arrivalStats(counts: Map<number, number>, minutes: number): ArrivalStats {
  const nonZero = [...counts.values()].filter((n) => n > 0).sort((a, b) => a - b);
  const total = nonZero.reduce((s, n) => s + n, 0);
  const mean = total / minutes;
  const peakMinute = nonZero.at(-1) ?? 0;
  const p99Minute = percentileWithZeros(nonZero, minutes - nonZero.length, MINUTE_PERCENTILE);
  const hours = new Map<number, number>();
  for (const [minute, n] of counts) hours.set(Math.floor(minute / 60), (hours.get(Math.floor(minute / 60)) ?? 0) + n);
  const busiestHour = Math.max(0, ...hours.values());
  // A window shorter than an hour: its whole length is the "hour".
  const busiestHourQps = busiestHour / (Math.min(60, minutes) * 60);
  return {
    total,
    meanQps: total / (minutes * 60),
    peakMinute,
    peakMinuteQps: peakMinute / 60,
    p99Minute,
    p99MinuteQps: p99Minute / 60,
    peakToMean: mean > 0 ? peakMinute / mean : 0,
    busiestHourQps,
    peakToBusiestHour: busiestHourQps > 0 ? peakMinute / 60 / busiestHourQps : 0,
  };
}

/** Adds per-minute counts of several kinds into one series (the whole deployment's arrivals). */
export function sumCounts(series: Iterable<Map<number, number>>): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of series) for (const [m, n] of s) out.set(m, (out.get(m) ?? 0) + n);
  return out;
}

/** Rounds for display and for the spec: 3 significant digits, never to 0 for a positive number. */
export function round3(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
  return Number(x.toFixed(Math.min(digits, 6)));
}
