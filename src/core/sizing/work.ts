// CPU and memory from the work: per component, the arrivals it serves at the peak × the CPU each
// costs (costs/compute.json) ÷ the target utilisation; memory = base RSS × processes + per
// in-flight × in-flight, with headroom. The sizers take their cores and bytes from here, and the
// plan's CPU lines report the same figures against what was given.
import type { ComponentName } from '../spec.js';
import type { CpuLine, PlanComponent } from './types.js';
import { perReplica } from './spread.js';
import { memGiB, round2 } from './units.js';
import type { Workload } from './workload.js';

/** The request work of a component at the peak: arrivals per second and core-seconds per arrival. */
export interface CpuDemand {
  rate: number;
  cpuSeconds: number;
  /** What, per arrival: a request, a run, a code execution. */
  per: string;
}

/** Components whose CPU follows the request load (the others are sized from the tier's instance). */
export function cpuDemand(name: ComponentName, w: Workload): CpuDemand | undefined {
  const q = w.queues;
  switch (name) {
    case 'api':
      return { rate: q.api.arrivalRate, cpuSeconds: w.cpu.apiPerRequest, per: 'request (executed here, or the SSE relay of a worker run)' };
    case 'worker_runs':
      return { rate: q.runs.arrivalRate, cpuSeconds: w.cpu.runPerRun, per: 'run' };
    case 'plugin_daemon':
      return { rate: w.peakQps, cpuSeconds: w.cpu.pluginPerRequest, per: 'request (model and tool calls relayed)' };
    case 'sandbox':
      return { rate: q.sandbox.arrivalRate, cpuSeconds: w.cpu.sandboxPerExecution, per: 'code execution' };
    case 'nginx':
      return { rate: w.peakQps, cpuSeconds: w.cpu.nginxPerRequest, per: 'request' };
    default:
      return undefined;
  }
}

/** Cores in use at the peak (λ·c) and cores to provision so they run at the target utilisation (λ·c ÷ U). */
export function coresFor(d: CpuDemand, w: Workload): { use: number; needed: number } {
  const use = d.rate * d.cpuSeconds;
  return { use, needed: use / w.targetUtilization };
}

/** Greenlets a single-core gevent process may run before its CPU passes U: U × E[S] ÷ CPU per request. */
export function greenletsPerCore(serviceSeconds: number, cpuSeconds: number, w: Workload, cap: number): number {
  if (cpuSeconds <= 0) return cap;
  return Math.max(1, Math.min(cap, Math.floor((w.targetUtilization * serviceSeconds) / cpuSeconds + 1e-9)));
}

/**
 * A memory limit per replica: (base × processes + per in-flight × in-flight) × (1 + headroom), where
 * each of n replicas holds `inFlight(n)`, in whole MiB (at least 128), spread so that the replicas
 * together never get fewer bytes than one replica fewer did (spread.ts). Whole MiB rather than a
 * coarser step: a replica's amount then stays far above the replica count, so the spreading never
 * has to lift it by more than a few MiB (the base RSS each added replica brings outweighs the rounding).
 */
export function memoryFor(base: number, processes: number, perInFlight: number, inFlight: (replicas: number) => number, replicas: number, w: Workload): number {
  const mib = (n: number) => Math.max(128, Math.ceil((base * processes + perInFlight * inFlight(n)) * (1 + w.costs.memoryGiB.headroom) * 1024 - 1e-9));
  return perReplica(replicas, mib) / 1024;
}

/** CPU request = the modelled use at the peak per replica (never above the limit), in hundredths of a core. */
export const cpuRequestFor = (use: number, replicas: number, limit: number) => Math.min(limit, Math.max(0.05, Math.ceil((use / Math.max(1, replicas)) * 100 - 1e-9) / 100));

/** The CPU lines, and a problem for every component whose slots fit but whose cores do not. */
export function cpuLines(components: PlanComponent[], w: Workload, problems: string[]): CpuLine[] {
  return components.map((c) => {
    const d = cpuDemand(c.name, w);
    const coresGiven = round2(c.replicas * c.cpu);
    const memoryGiB = round2(c.maxReplicas * memGiB(c.memory));
    if (!d) return { component: c.name, coresGiven, memoryGiB, fits: true };
    const { use, needed } = coresFor(d, w);
    const fits = coresGiven + 1e-9 >= needed;
    if (!fits)
      problems.push(
        `${c.name}: ${round2(d.rate)}/s × ${d.cpuSeconds} core·s per ${d.per.split(' ')[0]} = ${round2(use)} cores in use at the peak, ${round2(needed)} at ${w.targetUtilization * 100} % utilisation, but it has ${coresGiven} (replicas × cpu); its slots would wait on CPU. Give it more replicas or cpu (overrides.components.${c.name}), or lower workload.costs if you measured less`,
      );
    return { component: c.name, rate: round2(d.rate), cpuSecondsPer: Math.round(d.cpuSeconds * 1e4) / 1e4, per: d.per, coresInUse: round2(use), coresNeeded: round2(needed), coresGiven, memoryGiB, fits };
  });
}
