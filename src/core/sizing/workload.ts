// The workload at the peak: the mix of app kinds, the arrival rate, and the queue and the CPU each
// execution path carries. The tier's QPS is the peak-minute arrival rate; a spec that gives a mean
// multiplies it by its explicit burstFactor.
import type { ComputeCosts } from '../compute-costs.js';
import type { Release, Tier } from '../data.js';
import { APP_KINDS, type AppKind, type Spec } from '../spec.js';
import type { Queue, ServiceLevel } from './queueing.js';

/** The app kinds whose runs are graphs and so may contain code nodes (chat, completion and agent apps have none). */
export const GRAPH_KINDS: readonly AppKind[] = ['chatflow', 'workflowStreaming', 'workflowBlocking'];
/** Share of graph runs that execute at least one code node [inference: no public source measures it]. */
export const CODE_NODE_SHARE = 0.5;
/** Sandbox seconds per such run: a code node or two, each a fresh interpreter under seccomp (~0.1 s) [inference]. */
export const CODE_NODE_SECONDS = 0.2;
/** A code run's limit in the sandbox (upstream's WORKER_TIMEOUT): a run's sandbox time never exceeds it. */
export const WORKER_TIMEOUT_SECONDS = 15;

export interface Workload {
  mix: Record<AppKind, number>;
  latencySeconds: Record<AppKind, number>;
  /** Arrivals per second at the peak: qps × burstFactor. */
  peakQps: number;
  burstFactor: number;
  /** Mean requests in flight at the peak (offered load, Little's law): every request holds an API greenlet for its life. */
  inFlightApiRequests: number;
  /** Runs executing in a Celery run worker (chatflow, streaming workflow on 1.13+), mean at the peak. */
  inFlightWorkerRuns: number;
  /** Requests whose response is an SSE stream fed by the event bus (the worker-run kinds). */
  inFlightStreamingRequests: number;
  /** Σ share × latency over all kinds, and over the worker-run kinds: seconds per request. */
  meanLatencySeconds: number;
  workerSecondsPerRequest: number;
  /** The queues the plan sizes to the service level, and the CPU each arrival costs where it is served. */
  queues: { api: Queue; runs: Queue; sandbox: Queue };
  cpu: { apiPerRequest: number; runPerRun: number; pluginPerRequest: number; sandboxPerExecution: number; nginxPerRequest: number };
  costs: ComputeCosts;
  serviceLevel: ServiceLevel;
  targetUtilization: number;
}

/** Mean and squared coefficient of variation of the time a slot is held, over the kinds with their shares. */
function serviceOf(kinds: readonly AppKind[], mix: Record<AppKind, number>, latency: Record<AppKind, number>, cv: Record<AppKind, number>): { seconds: number; scv: number; share: number } {
  const share = kinds.reduce((n, k) => n + mix[k], 0);
  if (share <= 0) return { seconds: 0, scv: 1, share: 0 };
  const mean = kinds.reduce((n, k) => n + mix[k] * latency[k], 0) / share;
  const second = kinds.reduce((n, k) => n + mix[k] * latency[k] ** 2 * (1 + cv[k] ** 2), 0) / share;
  return { seconds: mean, scv: Math.max(0, second / mean ** 2 - 1), share };
}

/** Given keys of a mix, missing ones 0; no mix: the tier's default. */
export function workloadOf(spec: Spec, tier: Tier, release: Release, qps: number, costs: ComputeCosts): Workload {
  const given = spec.workload.mix;
  const mix = Object.fromEntries(APP_KINDS.map((k) => [k, given ? (given[k] ?? 0) : tier.workloadMix[k]])) as Record<AppKind, number>;
  const latencySeconds = costs.latencySeconds;
  const burstFactor = spec.burstFactor ?? 1;
  // Round so 100 × 1.3 stays 130, not 130.00000000000003.
  const peakQps = Math.round(qps * burstFactor * 1e9) / 1e9;
  const seconds = (kinds: readonly AppKind[]) => kinds.reduce((n, k) => n + mix[k] * latencySeconds[k], 0);
  const meanLatencySeconds = seconds(APP_KINDS);
  const workerSecondsPerRequest = seconds(release.execution.worker);
  const inFlight = (s: number) => Math.ceil(Math.round(peakQps * s * 1e6) / 1e6);
  const onWorker = (k: AppKind) => release.execution.worker.includes(k);
  const api = serviceOf(APP_KINDS, mix, latencySeconds, costs.latencyCv);
  const runs = serviceOf(release.execution.worker, mix, latencySeconds, costs.latencyCv);
  const graph = GRAPH_KINDS.reduce((n, k) => n + mix[k], 0);
  const codeShare = spec.workload.codeNodes?.share ?? CODE_NODE_SHARE;
  const codeSeconds = Math.min(spec.workload.codeNodes?.seconds ?? CODE_NODE_SECONDS, WORKER_TIMEOUT_SECONDS);
  const c = costs.cpuSeconds;
  const perRequest = (f: (k: AppKind) => number) => APP_KINDS.reduce((n, k) => n + mix[k] * f(k), 0);
  return {
    mix,
    latencySeconds,
    peakQps,
    burstFactor,
    inFlightApiRequests: inFlight(meanLatencySeconds),
    inFlightWorkerRuns: inFlight(workerSecondsPerRequest),
    inFlightStreamingRequests: inFlight(workerSecondsPerRequest),
    meanLatencySeconds,
    workerSecondsPerRequest,
    queues: {
      api: { arrivalRate: peakQps, serviceSeconds: api.seconds, serviceScv: api.scv },
      runs: { arrivalRate: peakQps * runs.share, serviceSeconds: runs.seconds, serviceScv: runs.scv },
      // Code runs are CPU-bound and short: exponential service.
      sandbox: { arrivalRate: peakQps * graph * codeShare, serviceSeconds: codeSeconds, serviceScv: 1 },
    },
    cpu: {
      // The API executes its kinds, and relays the events of the runs a worker executes.
      apiPerRequest: perRequest((k) => (onWorker(k) ? c.relay[k] : c.execute[k])),
      runPerRun: runs.share > 0 ? release.execution.worker.reduce((n, k) => n + mix[k] * c.execute[k], 0) / runs.share : 0,
      pluginPerRequest: perRequest((k) => c.plugin[k]),
      sandboxPerExecution: c.sandboxExecution,
      nginxPerRequest: c.nginxRequest,
    },
    costs,
    serviceLevel: { maxWaitProbability: spec.serviceLevel.maxWaitProbability, p99WaitSeconds: spec.serviceLevel.p99WaitSeconds },
    targetUtilization: costs.targetUtilization,
  };
}
