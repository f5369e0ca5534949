// The event bus by throughput: every event of a run executed in a Celery worker is one PUBLISH
// the API's subscriber reads back (api/tasks/app_generate/workflow_execute_task.py). Events per
// run come from the streamed chunks and the node events (costs/state.json); the rate at the peak
// is judged against one Redis main thread (more with io-threads, Redis ≥ 6) and the host's network.
import type { Release } from '../data.js';
import type { AppKind } from '../spec.js';
import type { StateCosts } from './state-costs.js';
import { round2 } from './units.js';

/** io-threads came with Redis 6.0 (redis.conf "THREADED I/O"). */
const IO_THREADS_SINCE = 6;
/** redis.conf: use io-threads only with at least 4 cores, leaving one to spare ("4 cores: 2 or 3 threads"). */
export const IO_THREADS_MIN_CPUS = 4;
/** A Redis Cluster has at least three masters (redis.io cluster tutorial). */
const MIN_CLUSTER_SHARDS = 3;
/** On a shared main Redis the bus may take this share of the thread: Celery, locks and the plugin daemon need the rest [inference]. */
const SHARED_BUS_SHARE = 0.5;

export interface EventBusLoad {
  eventsPerRun: Partial<Record<AppKind, number>>;
  /** PUBLISH/s at the peak (qps × burst). */
  eventsPerSecond: number;
  /** Published in, and as much delivered out (one subscriber per run). */
  mbPerSecondIn: number;
  mbPerSecondOut: number;
  /** One main thread's PUBLISH rate, and with io-threads when the image supports them. */
  threadCapacity: number;
  ioThreadsSupported: boolean;
  /** One main thread alone passes the target utilisation: the bus server needs io-threads. */
  needsIoThreads: boolean;
  /** Of one thread with io-threads where supported, at the peak. */
  utilization: number;
  /** The bus cannot share the main Redis (its share of a thread would pass SHARED_BUS_SHARE × target). */
  needsOwnServer: boolean;
  /** One server (even with io-threads) cannot carry it: a sharded cluster is required. */
  needsCluster: boolean;
  shards: number;
  formula: string;
}

/** The Redis image's major version, e.g. redis:6-alpine → 6; unknown (latest, a digest) → undefined. */
export function redisMajor(image: string): number | undefined {
  const m = /:(\d+)/.exec(image);
  return m ? Number(m[1]) : undefined;
}

export const ioThreadsSupported = (image: string) => (redisMajor(image) ?? 0) >= IO_THREADS_SINCE;

/** io-threads for a server of `cpu` vCPUs: all but one core, from 4 cores (redis.conf guidance). */
export function ioThreadsFor(cpu: number, image: string): number | undefined {
  return ioThreadsSupported(image) && cpu >= IO_THREADS_MIN_CPUS ? Math.floor(cpu) - 1 : undefined;
}

export function eventBusLoad(qps: number, burstFactor: number, mix: Record<AppKind, number>, release: Release, c: StateCosts): EventBusLoad {
  const streamed = (k: AppKind) => (c.streamedChunksPerRun as Partial<Record<AppKind, number>>)[k] ?? 0;
  const nodes = (k: AppKind) => (c.nodeExecutionsPerRun as Partial<Record<AppKind, number>>)[k] ?? 0;
  const eventsPerRun = Object.fromEntries(release.execution.worker.map((k) => [k, streamed(k) + c.fixedEventsPerRun + c.eventsPerNodeExecution * nodes(k)]));
  const perRequest = release.execution.worker.reduce((n, k) => n + mix[k] * eventsPerRun[k], 0);
  const eventsPerSecond = Math.ceil(qps * burstFactor * perRequest);
  const mb = (eventsPerSecond * c.bytesPerEvent) / 1e6;
  const supported = ioThreadsSupported(release.images.redis);
  const threadCapacity = c.redisOpsPerSecondPerThread * (supported ? c.redisIoThreadsSpeedup : 1);
  const perServer = Math.min(threadCapacity * c.busTargetUtilization, (c.busNetworkMBps * c.busTargetUtilization * 1e6) / (2 * c.bytesPerEvent));
  const needsCluster = eventsPerSecond > perServer;
  return {
    eventsPerRun,
    eventsPerSecond,
    mbPerSecondIn: round2(mb),
    mbPerSecondOut: round2(mb),
    threadCapacity,
    ioThreadsSupported: supported,
    needsIoThreads: eventsPerSecond > c.redisOpsPerSecondPerThread * c.busTargetUtilization,
    utilization: round2(eventsPerSecond / threadCapacity),
    needsOwnServer: eventsPerSecond > c.redisOpsPerSecondPerThread * c.busTargetUtilization * SHARED_BUS_SHARE,
    needsCluster,
    shards: needsCluster ? Math.max(MIN_CLUSTER_SHARDS, Math.ceil(eventsPerSecond / perServer)) : 1,
    formula: `${round2(qps * burstFactor)} req/s × ${round2(perRequest)} events (${Object.entries(eventsPerRun).map(([k, n]) => `${k} ${n}`).join(', ')} per run: streamed chunks + ${c.fixedEventsPerRun} + ${c.eventsPerNodeExecution} per node) = ${eventsPerSecond} PUBLISH/s, ${round2(mb)} MB/s in and out; one server carries ${Math.floor(perServer)}/s at ${c.busTargetUtilization} of ${threadCapacity} ops/s${supported ? ' (io-threads)' : ''} and ${c.busNetworkMBps} MB/s`,
  };
}
