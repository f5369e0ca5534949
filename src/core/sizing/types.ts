// The plan's shape, and what each sizing module receives.
import type { ConnectionBudget, ConnectionUser } from '../budget.js';
import type { Release, Tier } from '../data.js';
import type { PostgresMemoryCheck, PostgresSettings } from '../pgtune.js';
import type { AppKind, ComponentName, ComponentOverride, Spec, Target } from '../spec.js';
import type { PoolerPlan } from '../pooler.js';
import type { RedisPlan } from '../redis.js';
import type { RecoveryPlan } from '../topology.js';
import type { Workload } from './workload.js';
import type { CostValue } from '../compute-costs.js';
import type { DatabaseWork } from './database-cpu.js';
import type { StoragePlan } from './storage.js';

export interface PlanComponent {
  name: ComponentName;
  replicas: number;
  /** Helm: HPA maxReplicas (the budget holds at this count). Compose: = replicas. */
  maxReplicas: number;
  processesPerReplica: number;
  connectionsPerProcess: number;
  /** Worst case at maxReplicas. */
  peakDbConnections: number;
  /** Worst case at replicas (differs from peakDbConnections only under autoscaling). */
  peakDbConnectionsAtReplicas: number;
  cpu: number;
  memory: string;
  requests: { cpu: number; memory: string };
  env: Record<string, string>;
  /** Non-env settings (rendered into config files), e.g. nginx worker_connections. */
  settings?: Record<string, number | string>;
}

/**
 * One path (an independent set of queues): the load in flight on it (mean at the peak), the slots it
 * has, the QPS it saturates at (slots ÷ seconds, ρ = 1) and the QPS it carries at the service level;
 * P(wait), p99 wait and utilisation at the planned peak (Erlang C per queue, queueing.ts).
 */
export interface CapacityPath {
  name: 'api' | 'runs' | 'sandbox' | 'pgbouncer';
  inFlight: number;
  slots: number;
  /** null: the mix sends nothing down this path, so it bounds nothing. */
  sustainableQps: number | null;
  /** Independent queues (api and sandbox: one per replica; runs: one, pooled by the broker; pgbouncer: the main pool). */
  queues: number;
  serversPerQueue: number;
  qpsAtServiceLevel: number | null;
  waitProbability: number;
  /** null: the queue is overloaded (utilisation ≥ 1), its wait unbounded. */
  p99WaitSeconds: number | null;
  utilisation: number;
  meetsServiceLevel: boolean;
}

export interface InfraComponent {
  name: string;
  cpu: number;
  memory: string;
  /** Default 1 (PgBouncer runs ≥ 2 under HA on Helm). */
  replicas?: number;
}

export interface DatabasePlan {
  engine: 'postgresql' | 'mysql';
  mode: 'bundled' | 'external';
  maxConnections: number;
  reserved: number;
  adminHeadroom: number;
  hostSize?: { cpus: number; memoryGiB: number };
  settings?: PostgresSettings | Record<string, string | number>;
  memory?: PostgresMemoryCheck;
  /** PgBouncer between the components and the server; maxConnections is then sized from its pools. */
  pooler?: PoolerPlan;
  /** Statements and row writes at the peak → the cores they need (src/core/sizing/database-cpu.ts). */
  work: DatabaseWork;
}

export interface Plan {
  release: string;
  tier: string;
  qps: number;
  latencySeconds: number;
  burstFactor: number;
  target: Target;
  inFlight: number;
  collaboration: boolean;
  /** ≥ 2 replicas of api, web, worker and plugin daemon. */
  highAvailability: boolean;
  components: PlanComponent[];
  infrastructure: InfraComponent[];
  connections: ConnectionUser[];
  /**
   * Without a pooler: the server side (components → the database; maxConnections is its max_connections).
   * With one: the client side (components → PgBouncer; maxConnections is max_client_conn), and `server`
   * the database side. `side` and `limit` say which; databaseMaxConnections is always the database's.
   */
  budget: PlanBudget;
  capacity: { concurrentRequests: number; sustainableQps: number; qpsAtServiceLevel: number; paths: CapacityPath[] };
  /** The peak the plan is sized for (qps × burstFactor, arrivals per second) and the level every queue meets there. */
  peakQps: number;
  serviceLevel: { maxWaitProbability: number; p99WaitSeconds: number };
  targetUtilization: number;
  /** CPU per component from the work (work.ts). */
  cpu: CpuLine[];
  /** Every value of costs/compute.json as used: the table's default or the spec's. */
  costs: CostValue[];
  /** Totals at limits priced from the cost table's price list (indicative). */
  cost: { vcpu: number; memoryGiB: number; monthly: number; perQps: number; prices: { vcpuMonth: number; gibMonth: number } };
  /** The mix and the in-flight load per execution path (Little's law), for the pooler and Redis models. */
  workload: { mix: Record<AppKind, number>; latencySeconds: Record<AppKind, number> };
  inFlightApiRequests: number;
  inFlightWorkerRuns: number;
  inFlightStreamingRequests: number;
  database: DatabasePlan;
  redis: RedisPlan;
  /** Deployment-wide env every Dify API process gets (observability, migrations). */
  sharedEnv: Record<string, string>;
  /** Migrations run once per deploy as a one-shot job (MODE=migration), never racing in every replica. */
  migration: 'job';
  recovery: RecoveryPlan;
  observability: { workflowLogs: string };
  /** The metadata database's growth, disk, clean-up and restore estimate (src/core/sizing/storage.ts). */
  storage: StoragePlan;
  /** Whole-deployment totals (app components at maxReplicas plus bundled infrastructure). */
  totals: { replicas: number; cpuLimits: number; memoryLimitsGiB: number; cpuRequests: number; memoryRequestsGiB: number };
  host: { required: { cpus: number; memoryGiB: number }; given?: { cpus: number; memoryGiB: number }; fits?: boolean };
  /** Things that make this plan unsafe to deploy; render refuses while any is present. */
  problems: string[];
  warnings: string[];
  sources: string[];
}

export interface SizingInput {
  spec: Spec;
  release: Release;
  tier: Tier;
  target: Target;
}

/** What sizing one component needs to know about the load and the deployment. */
export interface SizingContext {
  spec: Spec;
  release: Release;
  tier: Tier;
  inFlight: number;
  external: boolean;
  target: Target;
  workload: Workload;
}

/** A component's sized processes, env and config settings (replicas may grow, see api; instance size may change, see nginx). */
export interface Sized {
  replicas: number;
  cpu?: number;
  /** The modelled CPU use per replica at the peak (else half the limit: no model of its use). */
  cpuRequest?: number;
  memoryGiB?: number;
  processes?: number;
  env: Record<string, string>;
  settings?: Record<string, number | string>;
}

/** Sizes one component from its tier instance (replicas before sizing, vCPUs, memory) and the user's override. */
export type Sizer = (c: { replicas: number; cpu: number; memoryGiB: number; o?: ComponentOverride }, x: SizingContext) => Sized;

/** One CPU line of the plan. */
export interface CpuLine {
  component: ComponentName;
  /** Arrivals per second at the peak, core-seconds each; absent: sized from the tier's instance (no request model). */
  rate?: number;
  cpuSecondsPer?: number;
  per?: string;
  /** Cores in use at the peak (λ·c), and what the target utilisation needs (λ·c ÷ U). */
  coresInUse?: number;
  coresNeeded?: number;
  /** Cores the component is given: replicas × CPU limit (at maxReplicas). */
  coresGiven: number;
  memoryGiB: number;
  fits: boolean;
}

export type PlanBudget = ConnectionBudget & {
  required: number;
  headroom: number;
  requiredAtReplicas: number;
  /** The database server's max_connections, whichever side the budget is. */
  databaseMaxConnections: number;
  /** PgBouncer's max_client_conn (with a pooler: the limit of this budget). */
  maxClientConn?: number;
  server?: ConnectionBudget & { required: number; headroom: number };
};
