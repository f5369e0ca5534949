// The sizing engine: spec + release + tier → plan. Pure and deterministic: every number
// in the plan is derived in src/core/sizing/ from data files, and `plan` prints where it came from.
// One module per concern there; this entry wires them in order and is what callers import.
import { connectionBudget } from './budget.js';
import { bypassesPooler, poolerKind, sizePooler } from './pooler.js';
import { sizeRedis } from './redis.js';
import { highAvailability, observabilityEnv, physicalRecovery, recoveryPlan, redisProblems, topologyProblems, workflowLogEffect } from './topology.js';
import { capacityOf } from './sizing/capacity.js';
import { collaborationEnabled, deployedComponents, sizeComponents } from './sizing/components.js';
import { countConnections } from './sizing/connections.js';
import { judgeBudget, planDatabase, serverBudget } from './sizing/database.js';
import { bundledInfrastructure, composeHost } from './sizing/host.js';
import { costOf, totalsOf } from './sizing/totals.js';
import { cpuLines } from './sizing/work.js';
import { computeCosts } from './compute-costs.js';
import type { Plan, SizingInput } from './sizing/types.js';
import { workloadOf } from './sizing/workload.js';
import { planLimitProblems } from './plan-limits.js';
import { databaseWork } from './sizing/database-cpu.js';
import { eventBusLoad } from './sizing/event-bus.js';
import { poolerLayout, poolerResources } from './sizing/pooler-capacity.js';
import { stateCostsFor } from './sizing/state-costs.js';
import { planStorage } from './sizing/storage.js';
import { PGBOUNCER_IMAGE_VERSION } from './pooler.js';

export type { CapacityPath, DatabasePlan, InfraComponent, Plan, PlanComponent, SizingInput } from './sizing/types.js';
export type { StoragePlan } from './sizing/storage.js';
export { gib } from './sizing/units.js';
export { waitText } from './sizing/capacity.js';
export { collaborationEnabled } from './sizing/components.js';

export function sizePlan({ spec, release, tier, target }: SizingInput): Plan {
  const problems: string[] = [];
  const warnings: string[] = [];
  const qps = spec.qps ?? tier.qps;
  const { costs, values: costValues } = computeCosts(spec);
  const workload = workloadOf(spec, tier, release, qps, costs);
  const inFlight = workload.inFlightApiRequests;
  const collaboration = collaborationEnabled(spec, release, target);
  const names = deployedComponents(release, target, collaboration);
  const external = spec.database.mode === 'external';
  const components = sizeComponents({ spec, release, tier, inFlight, external, target, workload }, names, target);
  const ha = highAvailability(spec, tier);
  // The state: what the requests write and where the logs go, the statements it takes, the events it streams.
  const stateCosts = stateCostsFor(spec);
  const storage = planStorage({ spec, release, qps, burstFactor: workload.burstFactor, mix: workload.mix, costs: stateCosts }, problems, warnings);
  const work = databaseWork(qps, workload.burstFactor, workload.mix, storage, stateCosts);
  const busLoad = release.eventBus ? eventBusLoad(qps, workload.burstFactor, workload.mix, release, stateCosts) : undefined;

  const { users, required, requiredAtReplicas } = countConnections(spec, release, components, problems);
  // PgBouncer: processes from the statement rate (one core each), pools split over them, then memory and nofile.
  const planPooler = () => {
    const layout = poolerLayout(work.statementsPerSecond, ha, target, PGBOUNCER_IMAGE_VERSION, stateCosts);
    const p = sizePooler({ users, qps, burstFactor: workload.burstFactor, serviceLevel: workload.serviceLevel, dbTimePerRequestMs: spec.database.dbTimePerRequestMs, database: spec.database.database, pluginDatabase: spec.database.pluginDatabase, instances: layout.replicas * layout.processesPerReplica, survivesLoss: layout.survivesLoss });
    const perProcess = p.databases.reduce((n, d) => n + d.poolSize + d.reservePoolSize, 0) + 1;
    return { ...p, layout: poolerResources(layout, p.maxClientConn, perProcess) };
  };
  const pooler = poolerKind(spec.database.pooler, spec.database.engine, required) === 'pgbouncer' ? planPooler() : undefined;
  const database = { ...planDatabase(spec, tier, pooler?.serverRequired ?? required, problems, warnings, work), ...(pooler ? { pooler } : {}) };
  const server = pooler && serverBudget(pooler, database, problems);
  const budget = pooler
    ? connectionBudget(users.filter((u) => !bypassesPooler(u)), pooler.maxClientConn, 0, 'client')
    : connectionBudget(users, database.maxConnections, database.reserved);
  if (!pooler) judgeBudget(budget, users, database, problems, warnings);

  const capacity = capacityOf(components, release, workload, pooler, warnings);
  const cpu = cpuLines(components, workload, problems);
  // Each in-flight worker-executed run streams its events to an API subscriber over the event bus.
  const inFlightStreaming = workload.inFlightStreamingRequests;
  const redisInputs = components.map((c) => ({ component: c.name, replicas: c.maxReplicas, processes: c.processesPerReplica, env: c.env }));
  const redis = sizeRedis({ spec, release, target, qps, memoryGiB: tier.redis.memoryGiB, inputs: redisInputs, inFlightStreaming, busLoad }, problems, warnings);
  const infrastructure = bundledInfrastructure(spec, database, redis);
  const host = composeHost(spec, tier, target, components, infrastructure, warnings);
  const daemon = components.find((c) => c.name === 'plugin_daemon');
  problems.push(...topologyProblems(spec, target, daemon?.maxReplicas ?? 0), ...redisProblems(spec, release, names.includes('agent_backend')));
  const recovery = recoveryPlan(spec, problems);
  const recoveryWithSize = storage.backup.method === 'pg_dump' ? { ...recovery, kind: 'pg_dump' as const, restoreEstimateMinutes: storage.backup.restoreMinutes } : physicalRecovery(recovery, storage, warnings);
  const sharedEnv = { ...observabilityEnv(spec, problems, storage.workflowLogs), MIGRATION_ENABLED: 'false' };
  const totals = totalsOf(components, infrastructure);

  const plan: Plan = {
    release: release.version,
    tier: spec.qps !== undefined ? `custom (${qps} qps, sized from ${tier.name})` : tier.name,
    qps,
    latencySeconds: Math.round(workload.meanLatencySeconds * 1000) / 1000,
    burstFactor: workload.burstFactor,
    peakQps: workload.peakQps,
    serviceLevel: workload.serviceLevel,
    targetUtilization: workload.targetUtilization,
    target,
    inFlight,
    workload: { mix: workload.mix, latencySeconds: workload.latencySeconds },
    inFlightApiRequests: workload.inFlightApiRequests,
    inFlightWorkerRuns: workload.inFlightWorkerRuns,
    inFlightStreamingRequests: workload.inFlightStreamingRequests,
    collaboration,
    highAvailability: ha,
    components,
    infrastructure,
    connections: users,
    budget: { ...budget, required, headroom: budget.headroom ?? budget.maxConnections - required - budget.reserved, requiredAtReplicas, databaseMaxConnections: database.maxConnections, ...(pooler ? { maxClientConn: pooler.maxClientConn } : {}), ...(server ? { server } : {}) },
    capacity,
    cpu,
    costs: costValues,
    database,
    redis,
    sharedEnv,
    migration: 'job',
    recovery: recoveryWithSize,
    observability: { workflowLogs: workflowLogEffect(spec, storage.workflowLogs.storage) },
    storage,
    totals,
    cost: costOf(totals, costs, qps),
    host,
    problems,
    warnings,
    sources: [tier.source.text, release.source, ...tier.assumptions],
  };
  // Whatever the modules above computed: finite, and within what each consumer accepts.
  plan.problems.push(...planLimitProblems(plan));
  return plan;
}
