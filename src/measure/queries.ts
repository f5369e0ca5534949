// The SQL `measure` runs, all inside one READ ONLY transaction (src/measure/measure.ts). Each
// windowed read starts from an index range on created_at (message_created_at_id_idx,
// workflow_run_created_at_id_idx) and reaches other tables by their indexed keys; none sorts or
// hashes a whole table. On a 10M-row workflow_runs PostgreSQL prefers a sequential scan for a 7-day
// window, so the window is read by one statement, once (windowSql; docs/measure.md gives the cost).

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

/**
 * Every column of the tables read, from the catalog (information_schema lists only the columns the
 * user may read, so a missing grant would look like an older schema), with whether the user may
 * SELECT it (a table grant or a column grant).
 */
export const SCHEMA_COLUMNS = `
  SELECT c.relname AS "table", a.attname AS "column", has_column_privilege(c.oid, a.attnum, 'SELECT') AS readable
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  WHERE n.nspname = current_schema() AND c.relname = ANY($1::text[])`;

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

/**
 * Service times above this are not a request holding a slot: Dify stops a run at APP_MAX_EXECUTION_TIME
 * (the spec's latencySeconds allows at most 3600 s for that reason). They are counted and named, not dropped.
 */
export const LONGEST_PLAUSIBLE_SECONDS = 3600;

const stored = (cols: string[], alias: string) => cols.map((c) => `coalesce(pg_column_size(${alias}.${c}), 0)`).join(' + ');

/**
 * Every per-kind figure of the window, one row per kind that had calls, from one read of the
 * window: on a large workflow_runs PostgreSQL reads the window by a scan of the whole table, so
 * it is read once, into `calls`, and every figure below is computed from that (a temporary file
 * when it outgrows work_mem; no table). $1, $2: the window's bounds (UTC, as Dify stores them);
 * $3: at most this many runs have their node executions read.
 * - arrivals: per minute of the window (minutes, counts);
 * - latency, of finished calls: service time (workflow runs: elapsed_time; messages:
 *   provider_response_latency, the generate pipeline's whole time), tokens per call, how calls ended,
 *   and how many took longer than LONGEST_PLAUSIBLE_SECONDS (the longest);
 * - graphs (`nodes`: workflow_node_executions can be read by run), over a sample of finished runs
 *   (every run whose id hashes to 0 modulo `every`): node executions per run, code nodes and their
 *   seconds, and the bytes each stores. pg_column_size is a value's stored (compressed, TOASTed)
 *   size, read from its header without decompressing it.
 * Each row also carries finished_runs and the sample's `every` (the same on every row).
 */
export function windowSql(logs: boolean, nodes: boolean): string {
  const graphs = `,
  graphs AS (
    SELECT kind, count(*)::int AS sampled_runs, sum(node_count)::bigint AS nodes,
      count(*) FILTER (WHERE code_nodes > 0)::int AS runs_with_code, sum(code_nodes)::bigint AS code_nodes,
      sum(code_seconds) AS code_seconds, sum(node_bytes)::bigint AS node_bytes, sum(run_bytes)::bigint AS run_bytes
    FROM calls c
    CROSS JOIN sample
    CROSS JOIN LATERAL (
      SELECT count(*) AS node_count,
        count(*) FILTER (WHERE n.node_type = 'code') AS code_nodes,
        coalesce(sum(n.elapsed_time) FILTER (WHERE n.node_type = 'code'), 0) AS code_seconds,
        coalesce(sum(${stored(['inputs', 'process_data', 'outputs', 'execution_metadata', 'error'], 'n')}), 0) AS node_bytes
      FROM workflow_node_executions n
      WHERE n.workflow_run_id = c.run_id
    ) ne
    WHERE c.finished AND c.run_id IS NOT NULL AND (hashtext(c.run_id::text) & 2147483647) % sample.every = 0
    GROUP BY kind
  )`;
  return `
  WITH calls AS MATERIALIZED (
    SELECT ${runKind(logs)} AS kind, floor(extract(epoch FROM r.created_at - $1::timestamp) / 60)::int AS minute,
      r.status <> 'running' AS finished, r.elapsed_time AS seconds, r.total_tokens AS tokens,
      CASE WHEN r.status = 'failed' THEN 'failed' WHEN r.status = 'stopped' THEN 'stopped' ELSE 'ok' END AS ended,
      r.id AS run_id, (${stored(['graph', 'inputs', 'outputs', 'error'], 'r')}) AS run_bytes
    FROM ${RUNS_FROM}
    WHERE r.created_at >= $1::timestamp AND r.created_at < $2::timestamp
    UNION ALL
    SELECT ${MESSAGE_KIND}, floor(extract(epoch FROM m.created_at - $1::timestamp) / 60)::int,
      true, m.provider_response_latency, m.message_tokens + m.answer_tokens,
      CASE WHEN m.status = 'error' THEN 'failed' ELSE 'ok' END, NULL, NULL
    FROM messages m JOIN apps a ON a.id = m.app_id
    WHERE m.created_at >= $1::timestamp AND m.created_at < $2::timestamp AND ${MESSAGE_APPS}
  ),
  per_minute AS (
    SELECT kind, minute, count(*)::int AS n FROM calls GROUP BY kind, minute
  ),
  arrivals AS (
    SELECT kind, array_agg(minute) AS minutes, array_agg(n) AS counts FROM per_minute GROUP BY kind
  ),
  latency AS (
    SELECT kind, count(*)::int AS n, avg(seconds) AS mean, stddev_pop(seconds) AS sd,
      percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY seconds) AS p,
      avg(tokens) AS tokens,
      count(*) FILTER (WHERE ended = 'failed')::int AS failed,
      count(*) FILTER (WHERE ended = 'stopped')::int AS stopped,
      count(*) FILTER (WHERE seconds > ${LONGEST_PLAUSIBLE_SECONDS})::int AS implausible, max(seconds) AS longest
    FROM calls
    WHERE finished
    GROUP BY kind
  ),
  sample AS (
    SELECT count(*)::int AS finished_runs, greatest(1, ceil(count(*) / $3::numeric))::int AS every
    FROM calls
    WHERE finished AND run_id IS NOT NULL
  )${nodes ? graphs : ''}
  SELECT *
  FROM arrivals
  LEFT JOIN latency USING (kind)
  ${nodes ? 'LEFT JOIN graphs USING (kind)' : ''}
  CROSS JOIN sample`;
}

/** Rows in the window of the tables that grow with traffic (the node executions come from the sample). */
export const WINDOW_ROWS = `
  SELECT
    (SELECT count(*) FROM messages WHERE created_at >= $1::timestamp AND created_at < $2::timestamp)::bigint AS messages,
    (SELECT count(*) FROM workflow_runs WHERE created_at >= $1::timestamp AND created_at < $2::timestamp)::bigint AS workflow_runs`;

/**
 * Size on disk (heap, TOAST, indexes) and row estimate of each table, from the catalog; the database's
 * size. The live-row count comes from the function under pg_stat_user_tables, not the view: a
 * hardened server may revoke the statistics views from PUBLIC, and a failed read ends the transaction.
 */
export const TABLE_SIZES = `
  SELECT c.relname AS "table", pg_total_relation_size(c.oid)::bigint AS bytes,
    greatest(c.reltuples, pg_stat_get_live_tuples(c.oid))::bigint AS rows,
    pg_database_size(current_database())::bigint AS database_bytes
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = current_schema() AND c.relname = ANY($1::text[]) AND c.relkind = 'r'`;
