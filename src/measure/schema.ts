// What `measure` reads from a Dify metadata database, checked before any figure is computed.
// Names and types from Dify's migrations and models (api/models/model.py: App, Message;
// api/models/workflow.py: WorkflowRun, WorkflowNodeExecutionModel, WorkflowAppLog) — the same in
// 1.13.3 through 1.16.1 (each release's tables: test/fixtures/dify-ddl/; docs/measure.md lists the
// indexes each query relies on).

export const REQUIRED_COLUMNS: Record<string, readonly string[]> = {
  apps: ['id', 'mode'],
  messages: ['id', 'app_id', 'created_at', 'provider_response_latency', 'message_tokens', 'answer_tokens', 'workflow_run_id', 'status'],
  workflow_runs: ['id', 'app_id', 'created_at', 'elapsed_time', 'triggered_from', 'status', 'total_tokens', 'graph', 'inputs', 'outputs', 'error'],
  workflow_node_executions: ['id', 'workflow_run_id', 'node_type', 'elapsed_time', 'inputs', 'process_data', 'outputs', 'execution_metadata', 'error'],
  workflow_app_logs: ['workflow_run_id', 'created_from'],
};

/**
 * The index each windowed read needs, as (table, leading column): Dify's own
 * message_created_at_id_idx, workflow_run_created_at_id_idx, workflow_node_execution_workflow_run_id_idx
 * (workflow_node_execution_workflow_run_idx before migration 288345cd01d1, which leads with tenant_id)
 * and workflow_app_log_workflow_run_id_idx.
 */
export const NEEDED_INDEXES = [
  { table: 'messages', column: 'created_at', role: 'the window of messages' },
  { table: 'workflow_runs', column: 'created_at', role: 'the window of workflow runs' },
  { table: 'workflow_node_executions', column: 'workflow_run_id', role: 'node executions per run' },
  { table: 'workflow_app_logs', column: 'workflow_run_id', role: 'where each workflow run came from (web app or service API)' },
] as const;

export type NeededIndex = (typeof NEEDED_INDEXES)[number];

/** A column of a table `measure` reads, as the catalog lists it, and whether the user may SELECT it. */
export interface CatalogColumn {
  table: string;
  column: string;
  readable: boolean;
}

/**
 * What stands between the user and the figures: `missing`, every required column the database lacks
 * ("table.column"; a whole missing table as "table"); `unreadable`, every table whose required
 * columns are there but not all readable by the user (a grant missing, not an older schema).
 */
export function schemaGaps(present: CatalogColumn[]): { missing: string[]; unreadable: string[] } {
  const have = new Map<string, Map<string, boolean>>();
  for (const { table, column, readable } of present) (have.get(table) ?? have.set(table, new Map()).get(table)!).set(column, readable);
  const missing: string[] = [];
  const unreadable: string[] = [];
  for (const [table, columns] of Object.entries(REQUIRED_COLUMNS)) {
    const cols = have.get(table);
    if (!cols) {
      missing.push(table);
      continue;
    }
    missing.push(...columns.filter((c) => !cols.has(c)).map((c) => `${table}.${c}`));
    if (columns.some((c) => cols.get(c) === false)) unreadable.push(table);
  }
  return { missing, unreadable };
}

/** The needed indexes the database lacks, from (table, leading column) pairs of its indexes. */
export function missingIndexes(leading: { table: string; column: string }[]): NeededIndex[] {
  return NEEDED_INDEXES.filter((n) => !leading.some((l) => l.table === n.table && l.column === n.column));
}
