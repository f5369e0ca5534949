// What runs beside Dify when bundled, and the single compose host all of it needs.
import type { Tier } from '../data.js';
import type { RedisPlan } from '../redis.js';
import type { Spec, Target } from '../spec.js';
import { vectorStoreBackend } from '../../backends/vector-stores.js';
import type { DatabasePlan, InfraComponent, Plan, PlanComponent } from './types.js';
import { gib, memGiB } from './units.js';

/** Redis, the vector store and the DB, when bundled, run beside Dify (on the compose host). */
export function bundledInfrastructure(spec: Spec, database: DatabasePlan, redis: RedisPlan): InfraComponent[] {
  const infrastructure: InfraComponent[] = [];
  // PgBouncer runs beside Dify whatever the database's mode.
  const layout = database.pooler?.layout;
  if (layout) infrastructure.push({ name: 'pgbouncer', cpu: layout.cpu, memory: layout.memory, replicas: layout.replicas });
  if (database.mode === 'bundled') infrastructure.push({ name: database.engine === 'postgresql' ? 'db_postgres' : 'db_mysql', cpu: database.hostSize!.cpus, memory: gib(database.hostSize!.memoryGiB) });
  if (redis.server) infrastructure.push({ name: 'redis', cpu: redis.server.cpu, memory: redis.server.memory });
  if (redis.eventBus.server) infrastructure.push({ name: 'redis_event_bus', cpu: redis.eventBus.server.cpu, memory: redis.eventBus.server.memory });
  const service = vectorStoreBackend(spec.vectorStore.type).bundledService;
  if (spec.vectorStore.mode === 'bundled' && service) infrastructure.push({ name: service, cpu: 2, memory: '4Gi' });
  return infrastructure;
}

/**
 * The most vCPUs one compose host is expected to have (inference: the larger general-purpose
 * cloud machines stop at 64–96 vCPU, and one Docker host past that is a single point of failure
 * for every component); beyond it the plan points to Kubernetes.
 */
export const ONE_HOST_MAX_CPUS = 64;

/** The compose host this needs (resource requests), and whether the given one holds it. */
export function composeHost(spec: Spec, tier: Tier, target: Target, components: PlanComponent[], infrastructure: InfraComponent[], warnings: string[]): Plan['host'] {
  const required = {
    cpus: Math.ceil(components.reduce((n, c) => n + c.replicas * c.requests.cpu, 0) + infrastructure.reduce((n, i) => n + (i.replicas ?? 1) * i.cpu, 0)),
    memoryGiB: Math.ceil(components.reduce((n, c) => n + c.replicas * memGiB(c.requests.memory), 0) + infrastructure.reduce((n, i) => n + (i.replicas ?? 1) * memGiB(i.memory), 0)),
  };
  const host: Plan['host'] = { required };
  if (target !== 'compose') return host;
  if (spec.host) {
    host.given = spec.host;
    host.fits = spec.host.cpus >= required.cpus && spec.host.memoryGiB >= required.memoryGiB;
    if (!host.fits)
      warnings.push(
        `host: ${tier.name} needs ≈${required.cpus} vCPU / ${required.memoryGiB} GiB (resource requests) but the host has ${spec.host.cpus} vCPU / ${spec.host.memoryGiB} GiB; use a bigger host or --target helm to spread it over a Kubernetes cluster`,
      );
  } else if (required.cpus > ONE_HOST_MAX_CPUS) {
    warnings.push(`host: ${tier.name} needs ≈${required.cpus} vCPU, more than one typical machine; Kubernetes (--target helm) is the way past one host`);
  }
  if (components.some((c) => c.replicas > 1 && c.name === 'plugin_daemon'))
    warnings.push('plugin_daemon: several replicas on one host share ./volumes/plugin_daemon; its debugging port is published only for a single replica');
  return host;
}
