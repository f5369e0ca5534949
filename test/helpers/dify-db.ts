// A Dify metadata database in miniature: the tables `measure` reads, with each release's column
// names, types and indexes, filled with synthetic traffic of known parameters from a seeded generator.
//
// The DDL is data, one file per release (test/fixtures/dify-ddl/<release>.sql), each naming its
// source: that release's migrations and model files (repository, tag, commit, paths).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const DDL_DIR = fileURLToPath(new URL('../fixtures/dify-ddl/', import.meta.url));

/** Release → the DDL of its tables, for every release with a file (oldest first). */
export const DIFY_DDL_BY_RELEASE: ReadonlyMap<string, string> = new Map(
  readdirSync(DDL_DIR)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.slice(0, -'.sql'.length))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((release) => [release, readFileSync(`${DDL_DIR}${release}.sql`, 'utf8')]),
);

/** A release measure does not support (test/fixtures/dify-ddl/unsupported/): what it lacks must be named. */
export const unsupportedDdl = (release: string) => readFileSync(`${DDL_DIR}unsupported/${release}.sql`, 'utf8');

/** The newest release's DDL: the tables most tests run against. */
export const DIFY_DDL = [...DIFY_DDL_BY_RELEASE.values()].at(-1)!;

/** mulberry32: a small seeded generator, so every run of the test sees the same traffic. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Poisson(λ) by Knuth's product of uniforms (λ is small here). */
function poisson(rand: () => number, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  for (let p = rand(); p > limit; p *= rand()) k++;
  return k;
}

/** A log-normal draw with a given mean and coefficient of variation (Box–Muller normal). */
function logNormal(rand: () => number, mean: number, cv: number): number {
  const sigma2 = Math.log(1 + cv * cv);
  const mu = Math.log(mean) - sigma2 / 2;
  const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return Math.exp(mu + Math.sqrt(sigma2) * z);
}

/** The log-normal's quantile: exp(μ + σ z_p). */
export function logNormalQuantile(mean: number, cv: number, z: number): number {
  const sigma2 = Math.log(1 + cv * cv);
  return Math.exp(Math.log(mean) - sigma2 / 2 + Math.sqrt(sigma2) * z);
}

export type TrafficKind = 'chat' | 'completion' | 'agent' | 'chatflow' | 'workflowWebApp' | 'workflowServiceApi' | 'workflowTrigger';

export interface KindParams {
  /** Poisson arrivals per minute outside the burst. */
  perMinute: number;
  meanSeconds: number;
  cv: number;
  failedShare: number;
  stoppedShare: number;
}

export interface TrafficParams {
  seed: number;
  /** The window's end (UTC) and its length in minutes. */
  until: string;
  minutes: number;
  kinds: Record<TrafficKind, KindParams>;
  /** Minutes [start, start + length) at `factor` × every rate. */
  burst: { start: number; length: number; factor: number };
  /** Graph runs: plain nodes per run, code nodes (probability of any, how many, seconds each uniform in [lo, hi]). */
  nodes: Record<'chatflow' | 'workflow', { plain: number; codeProbability: number; codeNodes: number; codeSeconds: [number, number] }>;
  /** ASCII lengths of the stored texts. */
  text: { graph: number; runInputs: number; runOutputs: number; nodeInputs: number; nodeOutputs: number; nodeProcess: number; nodeMeta: number };
}

/** What the generator actually drew: the oracle for figures that depend on the draw itself. */
export interface TrafficTruth {
  perMinuteTotal: number[];
  calls: Record<TrafficKind, number>;
  codeRuns: number;
  graphRuns: number;
  nodeExecutions: number;
}

export const DEFAULT_TRAFFIC: TrafficParams = {
  seed: 20260301,
  until: '2026-03-02T00:00:00Z',
  minutes: 1440,
  kinds: {
    chat: { perMinute: 1.5, meanSeconds: 3, cv: 0.5, failedShare: 0.02, stoppedShare: 0 },
    completion: { perMinute: 0.4, meanSeconds: 2, cv: 0.3, failedShare: 0, stoppedShare: 0 },
    agent: { perMinute: 0.4, meanSeconds: 12, cv: 0.8, failedShare: 0, stoppedShare: 0 },
    chatflow: { perMinute: 3, meanSeconds: 8, cv: 0.6, failedShare: 0.05, stoppedShare: 0 },
    workflowWebApp: { perMinute: 1.5, meanSeconds: 5, cv: 0.4, failedShare: 0, stoppedShare: 0.04 },
    workflowServiceApi: { perMinute: 1, meanSeconds: 4, cv: 1, failedShare: 0.03, stoppedShare: 0 },
    workflowTrigger: { perMinute: 0.2, meanSeconds: 20, cv: 0.2, failedShare: 0, stoppedShare: 0 },
  },
  burst: { start: 600, length: 10, factor: 6 },
  nodes: {
    chatflow: { plain: 6, codeProbability: 0.5, codeNodes: 1, codeSeconds: [0.1, 0.3] },
    workflow: { plain: 4, codeProbability: 0.3, codeNodes: 2, codeSeconds: [0.2, 0.6] },
  },
  text: { graph: 1000, runInputs: 100, runOutputs: 200, nodeInputs: 200, nodeOutputs: 300, nodeProcess: 100, nodeMeta: 50 },
};

const APP_MODE: Record<TrafficKind, string> = {
  chat: 'chat',
  completion: 'completion',
  agent: 'agent-chat',
  chatflow: 'advanced-chat',
  workflowWebApp: 'workflow',
  workflowServiceApi: 'workflow',
  workflowTrigger: 'workflow',
};

function uuid(rand: () => number): string {
  const h = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16)).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Batched multi-row INSERT (parameters: at most 65535 per statement). */
async function insertRows(client: pg.Client, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  const per = Math.floor(60000 / columns.length);
  for (let i = 0; i < rows.length; i += per) {
    const chunk = rows.slice(i, i + per);
    const values = chunk.map((_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(', ')})`).join(', ');
    await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values}`, chunk.flat());
  }
}

const naive = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** Fills the tables (created by a release's DDL) with the traffic; returns what was drawn. */
export async function fillTraffic(client: pg.Client, p: TrafficParams): Promise<TrafficTruth> {
  const rand = seeded(p.seed);
  const text = (n: number) => Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(rand() * 26))).join('');
  const tenant = uuid(rand);
  const user = uuid(rand);
  const apps = Object.fromEntries(Object.keys(p.kinds).map((k) => [k, uuid(rand)])) as Record<TrafficKind, string>;
  const appRows = (Object.keys(apps) as TrafficKind[]).map((k) => [apps[k], tenant, `app ${k}`, APP_MODE[k], true, true]);
  // A knowledge-pipeline app with no traffic, and an app of another tenant: neither changes a figure.
  appRows.push([uuid(rand), tenant, 'pipeline', 'rag-pipeline', false, false]);
  await insertRows(client, 'apps', ['id', 'tenant_id', 'name', 'mode', 'enable_site', 'enable_api'], appRows);

  const start = Date.parse(p.until) - p.minutes * 60_000;
  const truth: TrafficTruth = { perMinuteTotal: Array(p.minutes).fill(0), calls: Object.fromEntries(Object.keys(p.kinds).map((k) => [k, 0])) as Record<TrafficKind, number>, codeRuns: 0, graphRuns: 0, nodeExecutions: 0 };
  const messages: unknown[][] = [];
  const runs: unknown[][] = [];
  const nodes: unknown[][] = [];
  const logs: unknown[][] = [];
  for (let minute = 0; minute < p.minutes; minute++) {
    const factor = minute >= p.burst.start && minute < p.burst.start + p.burst.length ? p.burst.factor : 1;
    for (const kind of Object.keys(p.kinds) as TrafficKind[]) {
      const k = p.kinds[kind];
      const n = poisson(rand, k.perMinute * factor);
      truth.calls[kind] += n;
      if (kind !== 'workflowTrigger') truth.perMinuteTotal[minute] += n;
      for (let i = 0; i < n; i++) {
        const at = start + minute * 60_000 + Math.floor(rand() * 60_000);
        const seconds = logNormal(rand, k.meanSeconds, k.cv);
        const u = rand();
        const ended = u < k.failedShare ? 'failed' : u < k.failedShare + k.stoppedShare ? 'stopped' : 'succeeded';
        const id = uuid(rand);
        if (kind === 'chat' || kind === 'completion' || kind === 'agent') {
          messages.push([id, apps[kind], uuid(rand), '{}', 'hello', '[]', 100 + Math.floor(rand() * 201), 'answer', 300 + Math.floor(rand() * 201), 0, 0, seconds, 'USD', ended === 'failed' ? 'error' : 'normal', 'web-app', 'api', naive(at), null]);
          continue;
        }
        const graphKind = kind === 'chatflow' ? 'chatflow' : 'workflow';
        const triggered = kind === 'workflowTrigger' ? 'webhook' : 'app-run';
        runs.push([id, tenant, apps[kind], uuid(rand), graphKind === 'chatflow' ? 'chat' : 'workflow', triggered, 'v1', text(p.text.graph), text(p.text.runInputs), ended, text(p.text.runOutputs), seconds, 500 + Math.floor(rand() * 1001), 'end_user', user, naive(at), naive(at + seconds * 1000)]);
        if (kind === 'chatflow')
          messages.push([uuid(rand), apps[kind], uuid(rand), '{}', 'hello', '[]', 0, 'answer', 0, 0, 0, seconds, 'USD', 'normal', 'web-app', 'api', naive(at), id]);
        if (kind === 'workflowWebApp' || kind === 'workflowServiceApi')
          logs.push([uuid(rand), tenant, apps[kind], uuid(rand), id, kind === 'workflowWebApp' ? 'web-app' : 'service-api', 'end_user', user, naive(at)]);
        if (kind === 'workflowTrigger') continue; // trigger runs: arrivals and latency only
        const shape = p.nodes[graphKind];
        const code = rand() < shape.codeProbability ? shape.codeNodes : 0;
        truth.graphRuns++;
        if (code > 0) truth.codeRuns++;
        for (let j = 0; j < shape.plain + code; j++) {
          const isCode = j >= shape.plain;
          const [lo, hi] = shape.codeSeconds;
          truth.nodeExecutions++;
          nodes.push([uuid(rand), tenant, apps[kind], uuid(rand), 'workflow-run', id, j, `n${j}`, isCode ? 'code' : 'llm', `node ${j}`, text(p.text.nodeInputs), text(p.text.nodeProcess), text(p.text.nodeOutputs), 'succeeded', isCode ? lo + rand() * (hi - lo) : 0.05, text(p.text.nodeMeta), naive(at), 'end_user', user]);
        }
      }
    }
  }
  await insertRows(client, 'messages', ['id', 'app_id', 'conversation_id', 'inputs', 'query', 'message', 'message_tokens', 'answer', 'answer_tokens', 'message_unit_price', 'answer_unit_price', 'provider_response_latency', 'currency', 'status', 'invoke_from', 'from_source', 'created_at', 'workflow_run_id'], messages);
  await insertRows(client, 'workflow_runs', ['id', 'tenant_id', 'app_id', 'workflow_id', 'type', 'triggered_from', 'version', 'graph', 'inputs', 'status', 'outputs', 'elapsed_time', 'total_tokens', 'created_by_role', 'created_by', 'created_at', 'finished_at'], runs);
  await insertRows(client, 'workflow_node_executions', ['id', 'tenant_id', 'app_id', 'workflow_id', 'triggered_from', 'workflow_run_id', 'index', 'node_id', 'node_type', 'title', 'inputs', 'process_data', 'outputs', 'status', 'elapsed_time', 'execution_metadata', 'created_at', 'created_by_role', 'created_by'], nodes);
  await insertRows(client, 'workflow_app_logs', ['id', 'tenant_id', 'app_id', 'workflow_id', 'workflow_run_id', 'created_from', 'created_by_role', 'created_by', 'created_at'], logs);
  await client.query('ANALYZE');
  return truth;
}

/** PostgreSQL's stored size of an ASCII text kept inline: a 1-byte header up to 126 bytes, else 4 (storage docs, "TOAST"). */
export const inlineTextBytes = (length: number) => length + (length + 1 <= 127 ? 1 : 4);
