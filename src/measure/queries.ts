// The SQL `measure` runs, all inside one READ ONLY transaction (src/measure/measure.ts). Each
// windowed read starts from an index range on created_at (message_created_at_id_idx,
// workflow_run_created_at_id_idx) and reaches other tables by their indexed keys; none sorts or
// hashes a whole table. On a 10M-row workflow_runs PostgreSQL prefers a sequential scan for a 7-day
// window (docs/measure.md gives each query's measured cost there).

/** Where a request came from, finer than the spec's app kinds where Dify records it. */
export const SOURCE_KINDS = ['chat', 'completion', 'agent', 'chatflow', 'workflowStreaming', 'workflowServiceApi', 'workflowTriggered', 'other'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/**
 * A workflow run's kind. The web app and Explore always stream (their front end asks for
 * response_mode streaming), as do console debug runs; the service API takes either mode and
 * Dify does not record which; webhook/schedule/plugin triggers run in Celery, off the request path.
 * `logs`: whether workflow_app_logs can be read by run (its workflow_run_id index exists): one
 * index probe per app-run of a workflow app, never a scan of the whole log table.
 */
function runKind(logs: boolean): string {
  return `CASE
    WHEN a.mode = 'advanced-chat' THEN 'chatflow'
    WHEN a.mode <> 'workflow' THEN 'other'
    WHEN r.triggered_from = 'debugging' THEN 'workflowStreaming'
    WHEN r.triggered_from IN ('webhook', 'schedule', 'plugin') THEN 'workflowTriggered'
    ${logs ? "WHEN (SELECT l.created_from FROM workflow_app_logs l WHERE l.workflow_run_id = r.id LIMIT 1) IN ('web-app', 'installed-app') THEN 'workflowStreaming'" : ''}
    WHEN r.triggered_from = 'app-run' THEN 'workflowServiceApi'
    ELSE 'other' END`;
}

const RUNS_FROM = `workflow_runs r JOIN apps a ON a.id = r.app_id`;

const MESSAGE_KIND = `CASE a.mode WHEN 'chat' THEN 'chat' WHEN 'completion' THEN 'completion' ELSE 'agent' END`;
/** Chatflow messages are counted by their workflow run; these are the apps whose request is the message. */
const MESSAGE_APPS = `a.mode IN ('chat', 'completion', 'agent-chat')`;

export const SCHEMA_COLUMNS = `
  SELECT table_name AS "table", column_name AS "column"
  FROM information_schema.columns
  WHERE table_schema = current_schema() AND table_name = ANY($1::text[])`;

/** (table, leading column) of every index on the tables read. */
export const INDEX_LEADS = `
  SELECT t.relname AS "table", a.attname AS "column"
  FROM pg_index i
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]
  WHERE n.nspname = current_schema() AND t.relname = ANY($1::text[])`;

export const CLOCK = `SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS now`;

export const ALEMBIC_VERSION = `SELECT version_num FROM alembic_version LIMIT 1`;

/** Arrivals per (kind, minute of the window). $1, $2: the window's bounds (UTC, as Dify stores them). */
export function arrivalsSql(logs: boolean): string {
  return `
  SELECT kind, floor(extract(epoch FROM created_at - $1::timestamp) / 60)::int AS minute, count(*)::int AS n
  FROM (
    SELECT ${runKind(logs)} AS kind, r.created_at
    FROM ${RUNS_FROM}
    WHERE r.created_at >= $1::timestamp AND r.created_at < $2::timestamp
    UNION ALL
    SELECT ${MESSAGE_KIND}, m.created_at
    FROM messages m JOIN apps a ON a.id = m.app_id
    WHERE m.created_at >= $1::timestamp AND m.created_at < $2::timestamp AND ${MESSAGE_APPS}
  ) arrivals
  GROUP BY 1, 2`;
}

/**
 * Per kind: service time (workflow runs: elapsed_time; messages: provider_response_latency, the
 * generate pipeline's whole time), tokens per call, and how calls ended. Runs still running are left out.
 */
export function latencySql(logs: boolean): string {
  return `
  SELECT kind, count(*)::int AS n, avg(seconds) AS mean, stddev_pop(seconds) AS sd,
    percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY seconds) AS p,
    avg(tokens) AS tokens,
    count(*) FILTER (WHERE ended = 'failed')::int AS failed,
    count(*) FILTER (WHERE ended = 'stopped')::int AS stopped
  FROM (
    SELECT ${runKind(logs)} AS kind, r.elapsed_time AS seconds, r.total_tokens AS tokens,
      CASE WHEN r.status = 'failed' THEN 'failed' WHEN r.status = 'stopped' THEN 'stopped' ELSE 'ok' END AS ended
    FROM ${RUNS_FROM}
    WHERE r.created_at >= $1::timestamp AND r.created_at < $2::timestamp AND r.status <> 'running'
    UNION ALL
    SELECT ${MESSAGE_KIND}, m.provider_response_latency, m.message_tokens + m.answer_tokens,
      CASE WHEN m.status = 'error' THEN 'failed' ELSE 'ok' END
    FROM messages m JOIN apps a ON a.id = m.app_id
    WHERE m.created_at >= $1::timestamp AND m.created_at < $2::timestamp AND ${MESSAGE_APPS}
  ) calls
  GROUP BY kind`;
}

const stored = (cols: string[], alias: string) => cols.map((c) => `coalesce(pg_column_size(${alias}.${c}), 0)`).join(' + ');

/**
 * Per kind over a sample of finished runs (every run whose id hashes to 0 modulo $3): node
 * executions per run, code nodes and their seconds, and the bytes each stores. pg_column_size
 * is a value's stored (compressed, TOASTed) size, read from its header without decompressing it.
 */
export function nodesSql(logs: boolean): string {
  return `
  SELECT kind, count(*)::int AS runs, sum(nodes)::bigint AS nodes,
    count(*) FILTER (WHERE code_nodes > 0)::int AS runs_with_code, sum(code_nodes)::bigint AS code_nodes,
    sum(code_seconds) AS code_seconds, sum(node_bytes)::bigint AS node_bytes, sum(run_bytes)::bigint AS run_bytes
  FROM (
    SELECT ${runKind(logs)} AS kind, ne.*, (${stored(['graph', 'inputs', 'outputs', 'error'], 'r')}) AS run_bytes
    FROM ${RUNS_FROM}
    CROSS JOIN LATERAL (
      SELECT count(*) AS nodes,
        count(*) FILTER (WHERE n.node_type = 'code') AS code_nodes,
        coalesce(sum(n.elapsed_time) FILTER (WHERE n.node_type = 'code'), 0) AS code_seconds,
        coalesce(sum(${stored(['inputs', 'process_data', 'outputs', 'execution_metadata', 'error'], 'n')}), 0) AS node_bytes
      FROM workflow_node_executions n
      WHERE n.workflow_run_id = r.id
    ) ne
    WHERE r.created_at >= $1::timestamp AND r.created_at < $2::timestamp AND r.status <> 'running'
      AND (hashtext(r.id::text) & 2147483647) % $3::int = 0
    -- A fence: each run is reduced to its numbers here, so no sort or hash below carries its texts.
    OFFSET 0
  ) per_run
  GROUP BY kind`;
}

/** Rows in the window of the tables that grow with traffic (the node executions come from the sample). */
export const WINDOW_ROWS = `
  SELECT
    (SELECT count(*) FROM messages WHERE created_at >= $1::timestamp AND created_at < $2::timestamp)::bigint AS messages,
    (SELECT count(*) FROM workflow_runs WHERE created_at >= $1::timestamp AND created_at < $2::timestamp)::bigint AS workflow_runs`;

/** Size on disk (heap, TOAST, indexes) and row estimate of each table, from the catalog; the database's size. */
export const TABLE_SIZES = `
  SELECT c.relname AS "table", pg_total_relation_size(c.oid)::bigint AS bytes,
    greatest(c.reltuples, coalesce(s.n_live_tup, 0))::bigint AS rows,
    pg_database_size(current_database())::bigint AS database_bytes
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
  WHERE n.nspname = current_schema() AND c.relname = ANY($1::text[]) AND c.relkind = 'r'`;
