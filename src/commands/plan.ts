// `dify-deploy plan`: the sizing plan, every number with its reason.
import { redactUrlPasswords } from '../core/redact.js';
import { z } from 'zod';
import { planFor } from '../core/resolve.js';
import { waitText, type Plan } from '../core/sizing.js';
import type { Spec } from '../core/spec.js';
import { parseOptions, specFlagsSchema, specFromFlags, targetSchema } from '../cli/options.js';
import { colors, table, type Io } from '../cli/io.js';
import { storageSummary } from '../core/sizing/storage.js';
import { budgetLines } from '../core/budget-lines.js';

const planOptionsSchema = specFlagsSchema.extend({
  target: targetSchema.optional(),
  json: z.boolean().optional(),
});

/** The plan JSON other tools read; names are part of the contract. */
export function planJson(plan: Plan) {
  return {
    release: plan.release,
    tier: plan.tier,
    qps: plan.qps,
    latencySeconds: plan.latencySeconds,
    burstFactor: plan.burstFactor,
    peakQps: plan.peakQps,
    serviceLevel: plan.serviceLevel,
    targetUtilization: plan.targetUtilization,
    inFlight: plan.inFlight,
    workload: plan.workload,
    inFlightApiRequests: plan.inFlightApiRequests,
    inFlightWorkerRuns: plan.inFlightWorkerRuns,
    inFlightStreamingRequests: plan.inFlightStreamingRequests,
    target: plan.target,
    collaboration: plan.collaboration,
    highAvailability: plan.highAvailability,
    components: plan.components,
    infrastructure: plan.infrastructure,
    connections: plan.connections,
    budget: plan.budget,
    capacity: plan.capacity,
    cpu: plan.cpu,
    costs: plan.costs,
    database: plan.database,
    redis: plan.redis,
    sharedEnv: plan.sharedEnv,
    migration: plan.migration,
    recovery: plan.recovery,
    observability: plan.observability,
    storage: plan.storage,
    totals: plan.totals,
    cost: plan.cost,
    host: plan.host,
    problems: plan.problems,
    warnings: plan.warnings,
    sources: plan.sources,
  };
}

/** The Redis budget: every client per server, the sum against maxclients, the bundled servers' settings. */
function redisLines(plan: Plan, c: Awaited<ReturnType<typeof colors>>): string[] {
  const r = plan.redis;
  const bus = r.eventBus;
  const rows = [...r.breakdown, ...bus.breakdown].map((x) => [x.component, x.kind, x.server === 'main' ? 'main' : 'event bus', x.replicas, x.processes, x.perProcess ?? '∞', x.total ?? '∞', x.formula]);
  const from = (f: string) => (f === 'bundled' ? 'set by dify-deploy' : f === 'spec' ? 'declared in the spec' : "Redis' default, assumed");
  const verdict = (required: number | null, max: number, fits: boolean, name: string, f: string) =>
    (fits ? c.green : c.red)(`${name}: required ${required ?? 'unbounded'} ≤ maxclients ${max} (${from(f)}): ${fits ? `fits, headroom ${max - (required ?? 0)}` : 'DOES NOT FIT'}`);
  const settings = (s: NonNullable<typeof r.server>) => `--maxclients ${s.maxclients} --maxmemory ${s.maxmemory} --maxmemory-policy ${s.maxmemoryPolicy}${s.ioThreads ? ` --io-threads ${s.ioThreads} --io-threads-do-reads yes` : ''}; ${s.cpu} vCPU / ${s.memory}`;
  return [
    `Redis (${plan.target === 'helm' ? 'at maxReplicas, ' : ''}every client, worst case):`,
    table(['component', 'client', 'server', 'replicas', 'procs', 'per proc', 'total', 'formula'], rows),
    verdict(r.required, r.maxClients, r.fits, 'Redis budget', r.maxClientsFrom),
    ...(bus.dedicated ? [verdict(bus.required, bus.maxClients, bus.fits, `Event-bus budget (${bus.mode}${bus.url ? ` ${bus.url}` : ''})`, bus.maxClientsFrom)] : []),
    ...(r.server ? [`  bundled redis: ${settings(r.server)}`] : []),
    ...(bus.server ? [`  bundled redis_event_bus: ${settings(bus.server)}`] : []),
    ...(bus.load ? [`Event bus: ${bus.load.formula} → ${Math.round(bus.load.utilization * 100)} % of one thread${bus.load.needsCluster ? `; needs a sharded cluster of ≥ ${bus.load.shards} shards` : bus.load.needsIoThreads ? '; needs io-threads' : ''}`] : []),
    ...r.notes.map((n) => `  ${n}`),
  ];
}

const mixLine = (plan: Plan) =>
  Object.entries(plan.workload.mix)
    .filter(([, share]) => share > 0)
    .map(([kind, share]) => `${kind} ${Math.round(share * 1000) / 10} %${plan.workload.latencySeconds[kind as keyof Plan['workload']['latencySeconds']] !== plan.latencySeconds ? ` (${plan.workload.latencySeconds[kind as keyof Plan['workload']['latencySeconds']]} s)` : ''}`)
    .join(' · ');

const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;

/** One line per queue path: slots, P(wait), p99 wait and utilisation at the peak, the QPS at the service level; then the weakest. */
function capacityLines(plan: Plan): string[] {
  const how = {
    api: 'API greenlets (SERVER_WORKER_AMOUNT × SERVER_WORKER_CONNECTIONS per replica, one queue per replica)',
    runs: 'run slots (replicas × CELERY_WORKER_AMOUNT on workflow_based_app_execution, one queue pooled by the broker)',
    sandbox: 'sandbox workers (MAX_WORKERS per replica, one queue per replica)',
    pgbouncer: "PgBouncer server connections (the main database's pool, transactions queue for it)",
  };
  const level = plan.serviceLevel;
  return [
    `Service level: every queue at the peak (${plan.peakQps} QPS${plan.burstFactor !== 1 ? ` = ${plan.qps} × burstFactor ${plan.burstFactor}` : ', the peak-minute rate'}) has P(wait) ≤ ${pct(level.maxWaitProbability)} and p99 wait ≤ ${level.p99WaitSeconds} s (Erlang C; Allen–Cunneen for the service-time spread)`,
    ...plan.capacity.paths.map((p) =>
      p.sustainableQps === null
        ? `Capacity (${p.name}): ${p.slots} ${how[p.name]}: not loaded by this mix`
        : `Capacity (${p.name}): ${p.queues > 1 ? `${p.queues} × ${p.serversPerQueue} = ` : ''}${p.slots} ${how[p.name]}, ${p.inFlight} busy on average: P(wait) ${pct(p.waitProbability)}, p99 wait ${waitText(p.p99WaitSeconds)}, utilisation ${pct(p.utilisation)} at the peak; ${p.qpsAtServiceLevel} QPS at the service level, saturates at ${p.sustainableQps}${p.meetsServiceLevel ? '' : ' — MISSES THE SERVICE LEVEL'}`,
    ),
    `Capacity: ${plan.capacity.qpsAtServiceLevel} QPS at the service level (the weakest path) for ${plan.peakQps} QPS at the peak; saturation at ${plan.capacity.sustainableQps}`,
  ];
}

/** CPU and memory per component from the work, against what it is given. */
function cpuLines(plan: Plan, c: Awaited<ReturnType<typeof colors>>): string[] {
  return [
    `CPU from the work (cores = arrivals × core·s each ÷ ${plan.targetUtilization} target utilisation; memory = base RSS × processes + per in-flight × in-flight, + headroom):`,
    ...plan.cpu.map((l) =>
      l.rate === undefined
        ? `  ${l.component}: ${l.coresGiven} cores, ${l.memoryGiB} GiB (the tier's instance: no request model)`
        : (l.fits ? (x: string) => x : c.red)(
            `  ${l.component}: ${l.rate}/s × ${l.cpuSecondsPer} core·s per ${l.per} = ${l.coresInUse} cores in use → ${l.coresNeeded} needed, ${l.coresGiven} given; ${l.memoryGiB} GiB`,
          ),
    ),
  ];
}

/** The cost table's values: the spec's first, then the defaults grouped with their sources. */
function costTableLines(plan: Plan): string[] {
  const fromSpec = plan.costs.filter((v) => v.from === 'spec');
  const defaults = plan.costs.filter((v) => v.from === 'default');
  return [
    `Cost table (costs/compute.json): ${fromSpec.length} value(s) from the spec, ${defaults.length} defaults`,
    ...(fromSpec.length ? [`  from the spec: ${fromSpec.map((v) => `${v.path}=${v.value}`).join(' ')}`] : []),
    `  defaults: ${defaults.map((v) => `${v.path}=${v.value}`).join(' ')}`,
    '  (each default names its source or reasoning in costs/compute.json; override any under workload.costs, workload.latencySeconds, workload.latencyCv, workload.targetUtilization)',
  ];
}

/** Which workload numbers came from `dify-deploy measure --write` (the spec's workload.measured). */
function measuredLines(measured: Spec['workload']['measured']): string[] {
  if (!measured) return [];
  const rates = measured.p99MinuteQps !== undefined ? `; it measured ${measured.meanQps} qps mean, ${measured.p99MinuteQps} qps in the p99 minute, ${measured.peakMinuteQps} at the peak` : '';
  // latencySeconds.chat, latencySeconds.agent → latencySeconds (chat, agent)
  const groups = new Map<string, string[]>();
  for (const f of measured.fields ?? []) {
    const [head, ...rest] = f.split('.');
    groups.set(head, [...(groups.get(head) ?? []), ...(rest.length ? [rest.join('.')] : [])]);
  }
  const fields = [...groups].map(([head, keys]) => (keys.length ? `${head} (${keys.join(', ')})` : head)).join(', ');
  return [`Measured (dify-deploy measure, ${measured.source ?? 'a Dify database'}, ${measured.windowDays ?? '?'}-day window to ${measured.measuredAt}): ${fields || 'nothing'}; every other workload number is a default${rates}`];
}

export async function formatPlan(plan: Plan): Promise<string> {
  const c = await colors();
  const helm = plan.target === 'helm';
  const rows = plan.components.map((p) => [
    p.name,
    helm && p.maxReplicas !== p.replicas ? `${p.replicas}-${p.maxReplicas}` : p.replicas,
    // nginx: its worker processes (the same number its nginx.conf or the chart's proxy runs).
    p.peakDbConnections || p.name === 'nginx' ? p.processesPerReplica : '-',
    p.peakDbConnections ? p.connectionsPerProcess : '-',
    helm ? `${p.peakDbConnectionsAtReplicas}/${p.peakDbConnections}` : p.peakDbConnections,
    `${p.cpu} / ${p.requests.cpu}`,
    `${p.memory} / ${p.requests.memory}`,
  ]);
  const envLines = plan.components
    .filter((p) => Object.keys(p.env).length > 0 || p.settings)
    .map((p) => `  ${p.name}: ${[...Object.entries(p.env), ...Object.entries(p.settings ?? {})].map(([k, v]) => `${k}=${v}`).join(' ')}`);
  const b = plan.budget;
  const db = plan.database;
  const dbSettings = db.settings ? Object.entries(db.settings).map(([k, v]) => `${k}=${v}`).join(' ') : '';
  const lines = [
    c.bold(`Dify ${plan.release} · ${plan.tier} · target ${plan.target}`),
    `Load: ${plan.peakQps} QPS at the peak${plan.burstFactor !== 1 ? ` (${plan.qps} mean × burstFactor ${plan.burstFactor})` : ' (the peak-minute arrival rate)'} × ${plan.latencySeconds} s mean latency under the mix = ${plan.inFlight} requests in flight on average (Little's law)`,
    `Mix: ${mixLine(plan)}; ${plan.inFlightWorkerRuns} of them run in Celery run workers (chatflow, streaming workflow), all hold an API greenlet`,
    '',
    table(
      ['component', helm ? 'replicas (min-max)' : 'replicas', 'procs/replica', 'conns/proc', helm ? 'peak DB conns (min/max)' : 'peak DB conns', 'cpu limit/request', 'memory limit/request'],
      rows,
    ),
    '',
    'Connections (every process that can open one, worst case):',
    ...plan.connections.map((u) => `  ${u.component}: ${u.formula} = ${u.total ?? 'unlimited'}`),
    '',
    ...budgetLines(b, db, helm).map((l) => (l.fits ? c.green : c.red)(`Budget: ${l.text}`)),
    ...(db.pooler
      ? [
          `Pooler: PgBouncer, transaction pooling; ${plan.peakQps} QPS at the peak × ${db.pooler.dbTimePerRequestMs} ms DB time per request = ${db.pooler.activeTransactions} active transactions on average; each pool from Erlang C at the service level (plugin daemon: half the transactions), at least 20 over all processes${(db.pooler.instances ?? 1) > 1 ? `; ${db.pooler.instances} PgBouncer processes, each its own queue with its own pools` : ''}`,
          ...(db.pooler.layout
            ? [
                `PgBouncer: ${db.pooler.layout.formula}; ${db.pooler.layout.replicas} × ${db.pooler.layout.cpu} vCPU / ${db.pooler.layout.memory}, nofile ${db.pooler.layout.nofile} (max_client_conn ${db.pooler.maxClientConn} + server connections)${helm ? '' : '; one host: the container restarts on failure (restart: always) but the host is a single point of failure'}`,
              ]
            : []),
        ]
      : []),
    '',
    ...redisLines(plan, c),
    '',
    `Database: ${db.engine} ${db.mode}${db.hostSize ? ` on ${db.hostSize.cpus} vCPU / ${db.hostSize.memoryGiB} GiB` : ''}; admin headroom ${db.adminHeadroom}${dbSettings ? `; ${dbSettings}` : ''}`,
    `Database CPU: ${db.work.formula}`,
    `Storage: ${storageSummary(plan.storage)}`,
    `  ${plan.target === 'helm' ? (db.mode === 'bundled' ? `the chart's PostgreSQL PVC: ${plan.storage.diskGiB}Gi (postgresql.primary.persistence.size)` : `the external database needs ≈${plan.storage.diskGiB} GiB of disk and ${plan.storage.peak.iops} IOPS`) : db.mode === 'bundled' ? `the volume under ./volumes/db needs ≥ ${plan.storage.diskGiB} GiB free and ≈${plan.storage.peak.iops} IOPS` : `the external database needs ≈${plan.storage.diskGiB} GiB of disk and ${plan.storage.peak.iops} IOPS`}; WAL ${plan.storage.daily.walGiB} GiB/day`,
    `  restore: pg_dump (rendered) ≈${plan.storage.backup.dumpRestoreMinutes} min${plan.storage.backup.method !== 'pg_dump' ? `; needs ${plan.storage.backup.method === 'physical' ? 'physical base backups + WAL archiving' : "the provider's snapshots + PITR"}: ≈${plan.storage.backup.restoreMinutes} min, RPO ≈${plan.storage.backup.rpoMinutes} min` : ''} — against the ${plan.storage.backup.rtoMinutes}-min RTO`,
    ...capacityLines(plan),
    ...cpuLines(plan, c),
    // One host only means something for compose; a cluster is judged by its totals.
    ...(helm ? [] : [`Host: needs ≈${plan.host.required.cpus} vCPU / ${plan.host.required.memoryGiB} GiB of requests${plan.host.given ? ` (given ${plan.host.given.cpus} vCPU / ${plan.host.given.memoryGiB} GiB)` : ''}`]),
    ...(plan.infrastructure.length ? [`Infrastructure: ${plan.infrastructure.map((i) => `${i.name} ${i.replicas ?? 1} × ${i.cpu} vCPU / ${i.memory}`).join(' · ')}`] : []),
    `Totals: ${plan.totals.replicas} ${helm ? 'pods' : 'containers'}, ${plan.totals.cpuLimits} vCPU / ${plan.totals.memoryLimitsGiB} GiB limits, ${plan.totals.cpuRequests} vCPU / ${plan.totals.memoryRequestsGiB} GiB requests${helm ? ' (cluster, at maxReplicas)' : ''}`,
    `Cost: ${plan.cost.vcpu} vCPU and ${plan.cost.memoryGiB} GiB at limits ≈ $${plan.cost.monthly} a month, $${plan.cost.perQps} per QPS (indicative: $${plan.cost.prices.vcpuMonth}/vCPU-month, $${plan.cost.prices.gibMonth}/GiB-month)`,
    ...costTableLines(plan),
    '',
    'Production topology:',
    `  availability: ${plan.highAvailability ? '≥ 2 replicas of api, web, worker and plugin daemon (a replica can fail or roll without downtime)' : 'single replicas (no redundancy: fine below 100 QPS, set availability.ha: true to change)'}`,
    `  migrations: once per deploy in a one-shot MODE=migration job; MIGRATION_ENABLED=false in every long-running container (no race between replicas)`,
    `  backups: ${plan.recovery.method}; schedule "${plan.recovery.schedule}" for RPO ${plan.recovery.rpoMinutes} min, restore drill against RTO ${plan.recovery.rtoMinutes} min (see RUNBOOK.md)`,
    `  logs: ${plan.sharedEnv.LOG_OUTPUT_FORMAT} application logs; traces ${plan.sharedEnv.ENABLE_OTEL === 'true' ? `to ${plan.sharedEnv.OTLP_BASE_ENDPOINT}` : 'off'}; Sentry ${plan.sharedEnv.API_SENTRY_DSN ? 'on' : 'off'}`,
    `  workflow logs: ${plan.observability.workflowLogs}`,
    '',
    'Sized environment:',
    ...envLines,
    `  all Dify API processes: ${Object.entries(plan.sharedEnv).map(([k, v]) => `${k}=${v}`).join(' ')}`,
  ];
  if (plan.warnings.length) lines.push('', ...plan.warnings.map((w) => c.yellow(`warning: ${w}`)));
  if (plan.problems.length) lines.push('', ...plan.problems.map((p) => c.red(`problem: ${p}`)));
  lines.push('', 'Sources:', ...plan.sources.map((s) => `  - ${s}`));
  return lines.join('\n');
}

export async function runPlan(raw: unknown, io: Io): Promise<number> {
  const opts = parseOptions(planOptionsSchema, raw);
  const { spec } = await specFromFlags(opts);
  const target = opts.target ?? spec.targets[0];
  const plan = planFor(spec, target);
  const measured = spec.workload.measured;
  // The plan shows the env it sets; a URL's password in it (OTLP, Sentry DSN) is not printed.
  io.out(redactUrlPasswords(opts.json ? JSON.stringify({ ...planJson(plan), ...(measured ? { measuredWorkload: measured } : {}) }, null, 2) : [...measuredLines(measured), await formatPlan(plan)].join('\n')));
  return plan.problems.length ? 1 : 0;
}
