// Queueing maths for every independent queue the plan sizes (API greenlets per replica, the run
// queue, PgBouncer's server pools, the sandbox's workers). Poisson arrivals at the peak, c servers:
// M/M/c (Erlang C) for the probability of waiting; for non-exponential service the waiting time is
// stretched by the Allen–Cunneen factor (C_a² + C_s²)/2 with C_a² = 1, and P(wait) is Erlang C's
// (the usual M/G/c approximation: the probability that all servers are busy hardly depends on C_s).

/** One queue: arrivals per second, mean seconds a server is held, squared coefficient of variation of that time. */
export interface Queue {
  arrivalRate: number;
  serviceSeconds: number;
  /** C_s² (1 = exponential). */
  serviceScv: number;
}

/** What a sized queue must meet at its peak. */
export interface ServiceLevel {
  /** Largest share of arrivals that may wait for a server at all. */
  maxWaitProbability: number;
  /** Largest 99th-percentile wait for a server. */
  p99WaitSeconds: number;
}

export interface QueueReport {
  servers: number;
  /** Offered load a = λ·E[S] (Erlangs): the mean busy servers. */
  offered: number;
  utilisation: number;
  waitProbability: number;
  p99WaitSeconds: number;
  meanWaitSeconds: number;
}

/**
 * Erlang C: probability that an arrival finds all c servers busy, offered load a. Through the
 * Erlang B recursion B(k) = a·B(k−1) / (k + a·B(k−1)), which never overflows (no a^c or c!), then
 * C = c·B / (c − a·(1 − B)). 1 when a ≥ c (the queue grows without bound).
 */
export function erlangC(servers: number, offered: number): number {
  if (offered <= 0) return 0;
  if (offered >= servers) return 1;
  if (servers > MAX_EXACT_SERVERS) return halfinWhitt((servers - offered) / Math.sqrt(offered));
  let b = 1;
  for (let k = 1; k <= servers; k++) b = (offered * b) / (k + offered * b);
  return (servers * b) / (servers - offered * (1 - b));
}

/**
 * Beyond a million servers the O(c) recursions would run for minutes (a qps of 1e9 is bad input the
 * plan-limits check reports, but it must end): Halfin–Whitt's limit of Erlang C for c = a + β√a,
 * C ≈ 1 / (1 + β·Φ(β)/φ(β)), and square-root staffing (β = 3) for the server count.
 */
const MAX_EXACT_SERVERS = 1e6;

function halfinWhitt(beta: number): number {
  const pdf = Math.exp((-beta * beta) / 2) / Math.sqrt(2 * Math.PI);
  // Φ(β) by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
  const x = beta / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  const cdf = 0.5 * (1 + Math.sign(x) * erf);
  return 1 / (1 + (beta * cdf) / pdf);
}

/** Allen–Cunneen: waiting times of G/G/c ≈ M/M/c's × (C_a² + C_s²)/2, Poisson arrivals (C_a² = 1). */
const waitStretch = (q: Queue) => (1 + q.serviceScv) / 2;

/** P(W > t): C·e^{−(c − a)·t / (E[S]·stretch)} (exact for M/M/c where stretch = 1). */
export function waitTail(q: Queue, servers: number, t: number): number {
  const a = q.arrivalRate * q.serviceSeconds;
  const c = erlangC(servers, a);
  if (c >= 1) return 1;
  return c * Math.exp((-(servers - a) * t) / (q.serviceSeconds * waitStretch(q)));
}

/** The p-quantile of the wait: 0 when fewer than 1 − p of arrivals wait at all. */
export function waitQuantile(q: Queue, servers: number, p = 0.99): number {
  return quantileOfWait(q, servers, erlangC(servers, q.arrivalRate * q.serviceSeconds), p);
}

/** waitQuantile given Erlang C's probability of waiting `c` (O(servers) to compute: evaluate needs it twice). */
function quantileOfWait(q: Queue, servers: number, c: number, p = 0.99): number {
  const a = q.arrivalRate * q.serviceSeconds;
  if (c >= 1) return Infinity;
  if (c <= 1 - p) return 0;
  return (q.serviceSeconds * waitStretch(q) * Math.log(c / (1 - p))) / (servers - a);
}

export function evaluate(q: Queue, servers: number): QueueReport {
  const offered = q.arrivalRate * q.serviceSeconds;
  const waitProbability = erlangC(servers, offered);
  const stable = offered < servers;
  return {
    servers,
    offered,
    utilisation: servers > 0 ? offered / servers : Infinity,
    waitProbability,
    p99WaitSeconds: quantileOfWait(q, servers, waitProbability),
    meanWaitSeconds: stable ? (waitProbability * q.serviceSeconds * waitStretch(q)) / (servers - offered) : Infinity,
  };
}

export const meets = (r: Pick<QueueReport, 'waitProbability' | 'p99WaitSeconds'>, level: ServiceLevel) =>
  r.waitProbability <= level.maxWaitProbability + 1e-12 && r.p99WaitSeconds <= level.p99WaitSeconds + 1e-12;

/** The fewest servers (≥ 1) that meet the service level; 0 when nothing arrives. */
export function serversFor(q: Queue, level: ServiceLevel): number {
  const a = q.arrivalRate * q.serviceSeconds;
  if (a <= 0) return 0;
  if (!(a <= MAX_EXACT_SERVERS)) return Math.ceil(a + 3 * Math.sqrt(a)); // NaN and Infinity too: the limits check reports them
  // Grow c from the first stable count, carrying Erlang B along: O(c) overall.
  let b = 1;
  let c = 0;
  for (;;) {
    c++;
    b = (a * b) / (c + a * b);
    if (c <= a) continue;
    const wait = (c * b) / (c - a * (1 - b));
    const p99 = wait <= 0.01 ? 0 : (q.serviceSeconds * waitStretch(q) * Math.log(wait / 0.01)) / (c - a);
    if (meets({ waitProbability: wait, p99WaitSeconds: p99 }, level)) return c;
  }
}

/**
 * The largest arrival rate c servers carry at the service level (bisection: the wait grows with λ).
 * The "QPS at the service level" of a path, as opposed to c ÷ E[S], which is the saturation point.
 */
export function maxArrivalRate(servers: number, serviceSeconds: number, serviceScv: number, level: ServiceLevel): number {
  if (servers <= 0 || serviceSeconds <= 0) return 0;
  const ok = (rate: number) => meets(evaluate({ arrivalRate: rate, serviceSeconds, serviceScv }, servers), level);
  let lo = 0;
  let hi = servers / serviceSeconds;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
