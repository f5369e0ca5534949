// `dify-deploy measure`: the workload of a running Dify, read from its metadata database, as a
// report object (printing is src/commands/measure.ts's). All reads happen in one read-only
// transaction (connect.ts); the figures are derived here and in stats.ts / workload.ts.
import { UserError } from '../io/errors.js';
import { withReadOnlySession, type ReadOnlySession } from './connect.js';
import { ALEMBIC_VERSION, CLOCK, INDEX_LEADS, LONGEST_PLAUSIBLE_SECONDS, SCHEMA_COLUMNS, SOURCE_KINDS, TABLE_SIZES, WINDOW_ROWS, windowSql, type SourceKind } from './queries.js';
import { REQUIRED_COLUMNS, missingIndexes, schemaGaps, type CatalogColumn } from './schema.js';
import type { DbSource } from './source.js';
import { MINUTE_PERCENTILE, arrivalStats, round3, sumCounts, type ArrivalStats } from './stats.js';

export interface LatencyStats {
  /** Finished calls the figures are over. */
  count: number;
  meanSeconds: number;
  /** Standard deviation over the mean. */
  cv: number;
  p50Seconds: number;
  p95Seconds: number;
  p99Seconds: number;
  tokensPerCall: number;
  failedShare: number;
  stoppedShare: number;
}

export interface GraphStats {
  /** Runs of the sample (finished runs in the window whose id hashed into it). */
  sampledRuns: number;
  nodeExecutionsPerRun: number;
  /** Share of runs with at least one code node; code-node executions per run; their seconds per run that has any. */
  codeRunShare: number;
  codeNodesPerRun: number;
  codeSecondsPerCodeRun: number;
  /** Stored bytes of the run row's graph, inputs, outputs and error. */
  bytesPerRun: number;
  /** Stored bytes of a node execution's inputs, process_data, outputs, execution_metadata and error. */
  bytesPerNodeExecution: number;
}

export interface KindMeasure {
  kind: SourceKind;
  arrivals: ArrivalStats;
  latency?: LatencyStats;
  graph?: GraphStats;
}

export interface StorageMeasure {
  databaseBytes: number;
  /** Bytes per day the window's traffic adds: rows per day × each table's bytes per row (heap, TOAST, indexes). */
  growthBytesPerDay?: number;
  tables: { table: string; bytes: number; rows: number; rowsPerDay: number }[];
}

export interface MeasureReport {
  source: string;
  /** Dify's alembic revision, when the table is readable. */
  schemaRevision?: string;
  window: { since: string; until: string; days: number; minutes: number };
  minutePercentile: number;
  total: ArrivalStats;
  kinds: KindMeasure[];
  /** How the node sample was drawn: every `every`-th run by id hash. */
  sample: { finishedRuns: number; sampledRuns: number; every: number };
  storage: StorageMeasure;
  /** What the database could not say, and why. */
  notes: string[];
}

export interface MeasureOptions {
  /** The window: [since, until), both UTC ISO timestamps; until defaults to the database's clock. */
  sinceDays?: number;
  since?: string;
  until?: string;
  timeoutSeconds: number;
  /** At most this many runs have their node executions read (a hash sample beyond). */
  maxSampledRuns: number;
}

/** A row of windowSql: one kind's arrivals, latency (absent when none of its calls finished) and graph figures (absent outside the sample). */
interface WindowRow {
  kind: SourceKind;
  minutes: number[];
  counts: number[];
  n: number | null;
  mean: number;
  sd: number;
  p: number[];
  tokens: string;
  failed: number;
  stopped: number;
  implausible: number;
  longest: number;
  sampled_runs?: number | null;
  nodes?: string;
  runs_with_code: number;
  code_nodes: string;
  code_seconds: number;
  node_bytes: string;
  run_bytes: string;
  finished_runs: number;
  every: number;
}

const MS_PER_MINUTE = 60_000;
/** Dify's timestamps are naive UTC (naive_utc_now()): bounds are given the same way. */
const naive = (iso: string) => iso.replace('T', ' ').replace(/Z$/, '').replace(/\.\d+$/, '');

/** The table whose revision is reported (read only when the user may: a failed read would end the transaction). */
const ALEMBIC_TABLE = 'alembic_version';

async function checkSchema(db: ReadOnlySession, source: DbSource): Promise<{ logs: boolean; nodes: boolean; revision: boolean; notes: string[] }> {
  const tables = Object.keys(REQUIRED_COLUMNS);
  const columns = await db.query<CatalogColumn>(SCHEMA_COLUMNS, [[...tables, ALEMBIC_TABLE]]);
  const { missing, unreadable } = schemaGaps(columns);
  // Neither of Dify's core tables: another database. One of them (a release before workflows): name what it lacks.
  if (missing.includes('apps') && missing.includes('workflow_runs'))
    throw new UserError([`${source.label}: not a Dify database (no apps or workflow_runs table in the user's schema); check the database name, or GRANT USAGE on the schema and SELECT on Dify's tables`]);
  if (missing.length)
    throw new UserError([`${source.label}: missing ${missing.join(', ')}; measure reads Dify 1.13.3–1.16.1 databases (an older or unknown release? see docs/measure.md)`]);
  if (unreadable.length)
    throw new UserError([`${source.label}: user ${source.user} may not read ${unreadable.join(', ')}; GRANT SELECT ON ${tables.join(', ')}, ${ALEMBIC_TABLE} TO ${source.user} (docs/measure.md: a read-only role)`]);
  const revision = columns.some((c) => c.table === ALEMBIC_TABLE && c.column === 'version_num' && c.readable);
  const notes: string[] = [];
  const absent = missingIndexes(await db.query<{ table: string; column: string }>(INDEX_LEADS, [tables]));
  const has = (table: string) => !absent.some((a) => a.table === table);
  for (const a of absent.filter((x) => x.table === 'messages' || x.table === 'workflow_runs'))
    notes.push(`no index on ${a.table}(${a.column}): ${a.role} is read by a scan of the whole table (bounded by the statement timeout)`);
  if (!has('workflow_app_logs')) notes.push('no index on workflow_app_logs(workflow_run_id) (Dify before it was added): web-app runs cannot be told from service-API ones, all app runs count as service API');
  if (!has('workflow_node_executions')) notes.push('no index on workflow_node_executions(workflow_run_id): node executions, code nodes and bytes per node are not measured (defaults kept)');
  return { logs: has('workflow_app_logs'), nodes: has('workflow_node_executions'), revision, notes };
}

function emptyKinds<T>(make: () => T): Record<SourceKind, T> {
  return Object.fromEntries(SOURCE_KINDS.map((k) => [k, make()])) as Record<SourceKind, T>;
}

export async function measureWorkload(source: DbSource, opts: MeasureOptions): Promise<MeasureReport> {
  return withReadOnlySession(source, opts.timeoutSeconds, async (db) => {
    const { logs, nodes, revision, notes } = await checkSchema(db, source);
    const [{ now }] = await db.query<{ now: string }>(CLOCK);
    // Minutes after the database's clock hold no requests yet: counted, they would thin every rate.
    const untilMs = Math.min(Date.parse(opts.until ?? now), Date.parse(now));
    if (opts.until && Date.parse(opts.until) > untilMs) notes.push(`--until ${opts.until} is after the database's clock (${now}): the window ends there`);
    const sinceMs = opts.since ? Date.parse(opts.since) : untilMs - (opts.sinceDays ?? 7) * 86_400_000;
    if (!(sinceMs < untilMs)) throw new UserError([`--since: the window's start is not before its end (${new Date(untilMs).toISOString()})`]);
    const minutes = Math.ceil((untilMs - sinceMs) / MS_PER_MINUTE);
    const window = { since: new Date(sinceMs).toISOString(), until: new Date(untilMs).toISOString(), days: (untilMs - sinceMs) / 86_400_000, minutes };
    const bounds = [naive(window.since), naive(window.until)];
    const schemaRevision = revision ? (await db.query<{ version_num: string }>(ALEMBIC_VERSION))[0]?.version_num : undefined;

    const rows = await db.query<WindowRow>(windowSql(logs, nodes), [...bounds, opts.maxSampledRuns]);
    const perMinute = emptyKinds(() => new Map<number, number>());
    for (const r of rows) perMinute[r.kind] = new Map(r.minutes.map((minute, i) => [minute, r.counts[i]]));
    // Requests: what reaches the API. Trigger runs start inside Dify (Celery), so they are reported but not counted.
    const total = arrivalStats(sumCounts(SOURCE_KINDS.filter((k) => k !== 'other' && k !== 'workflowTriggered').map((k) => perMinute[k])), minutes);
    if (total.total === 0)
      throw new UserError([`${source.label}: no requests between ${window.since} and ${window.until}; nothing to measure — widen --since, or check that this is the database Dify writes to`], 1);

    const latency = emptyKinds<LatencyStats | undefined>(() => undefined);
    const graph = emptyKinds<GraphStats | undefined>(() => undefined);
    let sampledRuns = 0;
    let sampledNodes = 0;
    for (const r of rows) {
      // A kind whose calls in the window are all still running has arrivals only.
      if (r.n === null) continue;
      const mean = Number(r.mean);
      latency[r.kind] = {
        count: r.n,
        meanSeconds: mean,
        cv: mean > 0 ? Number(r.sd) / mean : 0,
        p50Seconds: Number(r.p[0]),
        p95Seconds: Number(r.p[1]),
        p99Seconds: Number(r.p[2]),
        tokensPerCall: Number(r.tokens),
        failedShare: r.failed / r.n,
        stoppedShare: r.stopped / r.n,
      };
      if (r.implausible > 0)
        notes.push(`${r.implausible} ${r.kind} calls took longer than ${LONGEST_PLAUSIBLE_SECONDS} s (the longest ${Math.round(Number(r.longest))} s), past Dify's run time limit (APP_MAX_EXECUTION_TIME): the mean of ${r.kind} (${round3(mean)} s) includes them; if they are stuck or resumed runs rather than requests, measure a window without them`);
      // Kinds without sampled runs (messages; runs none of which hashed into the sample): no graph figures.
      if (!r.sampled_runs) continue;
      const runs = r.sampled_runs;
      const n = Number(r.nodes);
      sampledRuns += runs;
      sampledNodes += n;
      graph[r.kind] = {
        sampledRuns: runs,
        nodeExecutionsPerRun: n / runs,
        codeRunShare: r.runs_with_code / runs,
        codeNodesPerRun: Number(r.code_nodes) / runs,
        codeSecondsPerCodeRun: r.runs_with_code > 0 ? Number(r.code_seconds) / r.runs_with_code : 0,
        bytesPerRun: Number(r.run_bytes) / runs,
        bytesPerNodeExecution: n > 0 ? Number(r.node_bytes) / n : 0,
      };
    }
    const { finished_runs: finishedRuns, every } = rows[0];
    if (nodes && every > 1) notes.push(`node executions read for 1 finished run in ${every} (${sampledRuns} of ${finishedRuns}), chosen by a hash of the run id`);

    const storage = await storageOf(db, bounds, window.days, sampledRuns > 0 ? sampledNodes / sampledRuns : undefined);
    if (perMinute.workflowTriggered.size)
      notes.push(`${[...perMinute.workflowTriggered.values()].reduce((a, b) => a + b, 0)} workflow runs started by webhook, schedule or plugin triggers run in Celery off the request path: reported, not in the mix or the request rate`);
    if (perMinute.other.size) notes.push(`${[...perMinute.other.values()].reduce((a, b) => a + b, 0)} runs of other app kinds (knowledge pipelines, unknown modes) are left out of the mix`);
    return {
      source: source.label,
      ...(schemaRevision ? { schemaRevision } : {}),
      window,
      minutePercentile: MINUTE_PERCENTILE,
      total,
      kinds: SOURCE_KINDS.map((kind) => ({
        kind,
        arrivals: arrivalStats(perMinute[kind], minutes),
        ...(latency[kind] ? { latency: latency[kind] } : {}),
        ...(graph[kind] ? { graph: graph[kind] } : {}),
      })).filter((k) => k.arrivals.total > 0),
      sample: { finishedRuns, sampledRuns, every },
      storage,
      notes,
    };
  });
}

async function storageOf(db: ReadOnlySession, bounds: string[], days: number, nodesPerRun: number | undefined): Promise<StorageMeasure> {
  const tables = ['messages', 'workflow_runs', 'workflow_node_executions', 'workflow_app_logs'];
  const sizes = await db.query<{ table: string; bytes: string; rows: string; database_bytes: string }>(TABLE_SIZES, [tables]);
  const [rows] = await db.query<{ messages: string; workflow_runs: string }>(WINDOW_ROWS, bounds);
  const runsPerDay = Number(rows.workflow_runs) / days;
  const perDay: Record<string, number | undefined> = {
    messages: Number(rows.messages) / days,
    workflow_runs: runsPerDay,
    workflow_node_executions: nodesPerRun === undefined ? undefined : runsPerDay * nodesPerRun,
    // One app log per published workflow-app run; debug and chatflow runs have none, so this is an upper bound.
    workflow_app_logs: runsPerDay,
  };
  const table = sizes.map((s) => ({ table: s.table, bytes: Number(s.bytes), rows: Number(s.rows), rowsPerDay: perDay[s.table] ?? 0 }));
  const known = table.every((t) => perDay[t.table] !== undefined);
  const growth = table.reduce((sum, t) => sum + (t.rows > 0 ? (t.bytes / t.rows) * t.rowsPerDay : 0), 0);
  return { databaseBytes: Number(sizes[0]?.database_bytes ?? 0), ...(known ? { growthBytesPerDay: growth } : {}), tables: table };
}
