// An Erlang C oracle written apart from src/core/sizing/queueing.ts: the textbook formula
//   C(c, a) = [aᶜ/c! · c/(c − a)] / [Σ_{k<c} aᵏ/k! + aᶜ/c! · c/(c − a)]
// evaluated in log space (log-sum-exp), so it stays finite for thousands of servers.

function logFactorial(n: number): number {
  let s = 0;
  for (let k = 2; k <= n; k++) s += Math.log(k);
  return s;
}

export function oracleErlangC(c: number, a: number): number {
  if (a <= 0) return 0;
  if (a >= c) return 1;
  const terms: number[] = [];
  let logFact = 0;
  for (let k = 0; k < c; k++) {
    if (k > 0) logFact += Math.log(k);
    terms.push(k * Math.log(a) - logFact);
  }
  const top = c * Math.log(a) - logFactorial(c) + Math.log(c / (c - a));
  const max = Math.max(top, ...terms);
  const sum = terms.reduce((n, t) => n + Math.exp(t - max), 0) + Math.exp(top - max);
  return Math.exp(top - max) / sum;
}

/** P(wait) and the p99 wait of c servers, Poisson arrivals at λ, mean service s, C_s² (Allen–Cunneen on the wait). */
export function oracleQueue(c: number, lambda: number, s: number, scv: number): { waitProbability: number; p99WaitSeconds: number; utilisation: number } {
  const a = lambda * s;
  const p = c > 0 ? oracleErlangC(c, a) : a > 0 ? 1 : 0;
  const p99 = p >= 1 ? Infinity : p <= 0.01 ? 0 : (s * ((1 + scv) / 2) * Math.log(p / 0.01)) / (c - a);
  return { waitProbability: p, p99WaitSeconds: p99, utilisation: c > 0 ? a / c : Infinity };
}
