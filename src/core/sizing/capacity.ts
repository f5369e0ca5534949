// What the sized deployment can serve, by Little's law.
import type { Plan, PlanComponent } from './types.js';

/** Concurrency each API process admits (gevent greenlets), and the QPS it sustains at the latency. */
export function capacityOf(components: PlanComponent[], qps: number, latencySeconds: number, warnings: string[]): Plan['capacity'] {
  const concurrentRequests = components
    .filter((c) => c.name === 'api')
    .reduce((n, c) => n + c.replicas * Number(c.env.SERVER_WORKER_AMOUNT ?? '1') * Number(c.env.SERVER_WORKER_CONNECTIONS ?? '10'), 0);
  const sustainableQps = Math.floor(concurrentRequests / latencySeconds);
  if (sustainableQps < qps)
    warnings.push(`capacity: ${concurrentRequests} concurrent API requests sustain ${sustainableQps} QPS at ${latencySeconds} s each, below the ${qps} QPS asked for`);
  return { concurrentRequests, sustainableQps };
}
