// The workload: the mix of app kinds, and the in-flight load each execution path carries (Little's law).
import type { Release, Tier } from '../data.js';
import { APP_KINDS, type AppKind, type Spec } from '../spec.js';

export interface Workload {
  mix: Record<AppKind, number>;
  latencySeconds: Record<AppKind, number>;
  /** Every request holds an API greenlet for its life (a worker-run one streams its events from Redis). */
  inFlightApiRequests: number;
  /** Runs executing in a Celery run worker (chatflow, streaming workflow on 1.13+). */
  inFlightWorkerRuns: number;
  /** Requests whose response is an SSE stream fed by the event bus (the worker-run kinds). */
  inFlightStreamingRequests: number;
  /** Σ share × latency over all kinds, and over the worker-run kinds: seconds per request. */
  meanLatencySeconds: number;
  workerSecondsPerRequest: number;
}

/** Given keys of a mix, missing ones 0; no mix: the tier's default. */
export function workloadOf(spec: Spec, tier: Tier, release: Release, qps: number, latency: number): Workload {
  const given = spec.workload.mix;
  const mix = Object.fromEntries(APP_KINDS.map((k) => [k, given ? (given[k] ?? 0) : tier.workloadMix[k]])) as Record<AppKind, number>;
  const latencySeconds = Object.fromEntries(APP_KINDS.map((k) => [k, spec.workload.latencySeconds?.[k] ?? latency])) as Record<AppKind, number>;
  const seconds = (kinds: readonly AppKind[]) => kinds.reduce((n, k) => n + mix[k] * latencySeconds[k], 0);
  const meanLatencySeconds = seconds(APP_KINDS);
  const workerSecondsPerRequest = seconds(release.execution.worker);
  // Round before ceil so 100 × 2 × 1.3 stays 260, not 261 from floating-point noise.
  const inFlight = (s: number) => Math.ceil(Math.round(qps * s * tier.burstFactor * 1e6) / 1e6);
  return {
    mix,
    latencySeconds,
    inFlightApiRequests: inFlight(meanLatencySeconds),
    inFlightWorkerRuns: inFlight(workerSecondsPerRequest),
    inFlightStreamingRequests: inFlight(workerSecondsPerRequest),
    meanLatencySeconds,
    workerSecondsPerRequest,
  };
}
