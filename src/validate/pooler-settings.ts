// A PgBouncer in the files: a compose service running a pgbouncer image that Dify's DB_HOST names,
// with its pgbouncer.ini beside the compose file (pgbouncer/pgbouncer.ini or pgbouncer.ini).
import { dirname, join } from 'node:path';
import type { Deployment, ServiceModel } from './deployment.js';
import { isFile, readTextFile } from '../io/files.js';
import { extraDirOf, manifestFile } from './helm-extra.js';

export interface PoolerSettings {
  service: string;
  file?: string;
  poolMode: string;
  maxClientConn?: number;
  /** Σ over [databases] of pool_size (else default_pool_size) + reserve_pool (else reserve_pool_size), × the PgBouncer instances (each keeps its own pools). */
  serverConnections?: number;
  /** Per database of [databases]: its pool_size (else default_pool_size), in each instance. */
  pools?: Record<string, number>;
  /** PgBouncer processes, each with its own pools: replicas × so_reuseport processes. */
  instances?: number;
}

/** PgBouncer processes one compose container runs: with so_reuseport, the start script's extra ones (dify-deploy's loop) plus the exec'd one. */
function composeProcesses(svc: ServiceModel, ini: string): number {
  if (!/^\s*so_reuseport\s*=\s*1/m.test(ini)) return 1;
  const extra = /while \[ \$+i -lt (\d+) \]/.exec(svc.command ?? '');
  return 1 + (extra ? Number(extra[1]) : 0);
}

const scaled = (p: PoolerSettings, n: number): PoolerSettings => ({ ...p, instances: n, ...(p.serverConnections === undefined ? {} : { serverConnections: p.serverConnections * n }) });

function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) section = head[1].trim().toLowerCase();
    else {
      const eq = line.indexOf('=');
      if (eq > 0) (out[section] ??= {})[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
  }
  return out;
}

const intOr = (v: string | undefined, d?: number) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : d);

/** PgBouncer's defaults: session pooling, max_client_conn 100, default_pool_size 20, no reserve. */
export function poolerSettings(d: Deployment): PoolerSettings | undefined {
  const svc = d.services.find((s) => s.active && /(^|\/)[^/]*pgbouncer[^/]*(:|$)/.test(s.image ?? ''));
  if (!svc) return undefined;
  const base = d.dir ?? (d.compose ? dirname(d.compose.file) : undefined);
  const file = base === undefined ? undefined : [join(base, 'pgbouncer', 'pgbouncer.ini'), join(base, 'pgbouncer.ini')].find(isFile);
  if (!file) return { service: svc.name, poolMode: (svc.env.POOL_MODE ?? 'session').toLowerCase(), maxClientConn: intOr(svc.env.MAX_CLIENT_CONN, 100) };
  const text = readTextFile(file, 'PgBouncer config', 'fix or remove it', base);
  return scaled(poolerFromIni(svc.name, file, text), svc.replicas * composeProcesses(svc, text));
}

/** The Helm view: pgbouncer.yaml's ConfigMap in extra/ beside the values, when the Dify pods' DB_HOST names its Service. */
export function helmPoolerSettings(d: Deployment, services: ServiceModel[]): PoolerSettings | undefined {
  const file = d.helmValuesFile === undefined ? undefined : join(extraDirOf(d.helmValuesFile), 'pgbouncer.yaml');
  if (!file || !isFile(file)) return undefined;
  // helmView has read extra/ already (pgbouncer.yaml is one of its files).
  const docs = (d.helm ? d.helm.manifests.filter((m) => m.file === file) : manifestFile(file)).map((m) => m.obj as Record<string, any>);
  const config = docs.find((x) => x?.kind === 'ConfigMap' && typeof x?.data?.['pgbouncer.ini'] === 'string');
  const service = docs.find((x) => x?.kind === 'Service')?.metadata?.name;
  if (!config || typeof service !== 'string' || !services.some((s) => s.env.DB_HOST === service)) return undefined;
  const replicas = Number(docs.find((x) => x?.kind === 'Deployment')?.spec?.replicas ?? 1) || 1;
  return scaled(poolerFromIni(service, file, config.data['pgbouncer.ini']), replicas);
}

export function poolerFromIni(service: string, file: string, text: string): PoolerSettings {
  const ini = parseIni(text);
  const g = ini.pgbouncer ?? {};
  const defaultPool = intOr(g.default_pool_size, 20)!;
  const defaultReserve = intOr(g.reserve_pool_size, 0)!;
  const entries = Object.entries(ini.databases ?? {}).map(([name, entry]) => {
    const kv = Object.fromEntries([...entry.matchAll(/(\w+)=('(?:[^']|'')*'|\S+)/g)].map((m) => [m[1], m[2]]));
    return { name, pool: intOr(kv.pool_size) ?? defaultPool, reserve: intOr(kv.reserve_pool) ?? defaultReserve };
  });
  const serverConnections = entries.reduce((n, e) => n + e.pool + e.reserve, 0);
  const pools = Object.fromEntries(entries.map((e) => [e.name, e.pool]));
  return { service, file, poolMode: (g.pool_mode ?? 'session').toLowerCase(), maxClientConn: intOr(g.max_client_conn, 100), serverConnections, pools };
}

/** Whether a service's DB_HOST is the pooler. */
export const throughPooler = (s: ServiceModel, p: PoolerSettings) => (s.env.DB_HOST ?? '') === p.service;
