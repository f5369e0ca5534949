// The storage model's bytes per run against a real PostgreSQL: Dify's workflow_runs and
// workflow_node_executions tables (columns and indexes of api/models/workflow.py) filled with
// synthetic runs whose JSON columns carry costs/state.json's payload sizes, then measured with
// pg_total_relation_size (heap, TOAST and indexes). The payloads are random hex, which neither
// pglz nor lz4 compresses: the model is the incompressible upper bound (real JSON compresses).
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateCostTable } from '../src/core/sizing/state-costs.js';
import { requirePostgres, startPostgres, type PgServer } from './helpers/postgres.js';

const maybe = requirePostgres() ? describe : describe.skip;
/** Runs inserted: enough that page and index-page rounding is well under the tolerance. */
const RUNS = 2000;
/** How far the model's per-row bytes may sit from the measured ones. */
const TOLERANCE = 0.2;

// Columns and indexes of Dify's models (api/models/workflow.py WorkflowRun, WorkflowNodeExecutionModel).
const DDL = `
CREATE TABLE workflow_runs (
  id uuid NOT NULL DEFAULT gen_random_uuid(), tenant_id uuid NOT NULL, app_id uuid NOT NULL, sequence_number integer NOT NULL,
  workflow_id uuid NOT NULL, type varchar(255) NOT NULL, triggered_from varchar(255) NOT NULL, version varchar(255) NOT NULL,
  graph text, inputs text, status varchar(255) NOT NULL, outputs text DEFAULT '{}', error text, elapsed_time double precision NOT NULL DEFAULT 0,
  total_tokens bigint NOT NULL DEFAULT 0, total_steps integer DEFAULT 0, created_by_role varchar(255) NOT NULL, created_by uuid NOT NULL,
  created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP, finished_at timestamp, exceptions_count integer DEFAULT 0,
  CONSTRAINT workflow_run_pkey PRIMARY KEY (id));
CREATE INDEX workflow_run_triggerd_from_idx ON workflow_runs (tenant_id, app_id, triggered_from);
CREATE INDEX workflow_run_tenant_app_sequence_idx ON workflow_runs (tenant_id, app_id, sequence_number);
CREATE TABLE workflow_node_executions (
  id uuid NOT NULL DEFAULT gen_random_uuid(), tenant_id uuid NOT NULL, app_id uuid NOT NULL, workflow_id uuid NOT NULL,
  triggered_from varchar(255) NOT NULL, workflow_run_id uuid, index integer NOT NULL, predecessor_node_id varchar(255),
  node_execution_id varchar(255), node_id varchar(255) NOT NULL, node_type varchar(255) NOT NULL, title varchar(255) NOT NULL,
  inputs text, process_data text, outputs text, status varchar(255) NOT NULL, error text, elapsed_time double precision NOT NULL DEFAULT 0,
  execution_metadata text, created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP, created_by_role varchar(255) NOT NULL,
  created_by uuid NOT NULL, finished_at timestamp,
  CONSTRAINT workflow_node_execution_pkey PRIMARY KEY (id));
CREATE INDEX workflow_node_execution_workflow_run_idx ON workflow_node_executions (tenant_id, app_id, workflow_id, triggered_from, workflow_run_id);
CREATE INDEX workflow_node_execution_node_run_idx ON workflow_node_executions (tenant_id, app_id, workflow_id, triggered_from, node_id);
CREATE INDEX workflow_node_execution_id_idx ON workflow_node_executions (tenant_id, app_id, workflow_id, triggered_from, node_execution_id);
-- n characters of random hex (incompressible for pglz and lz4).
CREATE FUNCTION rnd(n integer) RETURNS text VOLATILE LANGUAGE sql AS
  $$ SELECT left(string_agg(md5(random()::text), ''), n) FROM generate_series(1, n / 32 + 1) $$;
`;

maybe('bytes per run and per node execution in a real PostgreSQL', () => {
  const { values: c } = stateCostTable();
  const nodes = c.nodeExecutionsPerRun.chatflow;
  let server: PgServer;
  const psql = (sql: string) =>
    execFileSync(server.bin('psql'), ['-h', server.host, '-p', String(server.port), '-U', server.superuser, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' }).trim();

  beforeAll(async () => {
    server = await startPostgres();
    psql(DDL);
    const r = c.runPayloadBytes;
    const n = c.nodeExecutionPayloadBytes;
    // A few apps of one tenant, as in a real workspace; every run with the chatflow's node executions.
    psql(`
      INSERT INTO workflow_runs (tenant_id, app_id, sequence_number, workflow_id, type, triggered_from, version, graph, inputs, status, outputs,
                                 elapsed_time, total_tokens, total_steps, created_by_role, created_by, finished_at)
      SELECT '00000000-0000-4000-8000-000000000001', ('00000000-0000-4000-8000-00000000000' || (i % 8))::uuid, i, gen_random_uuid(), 'advanced-chat', 'app-run',
             now()::text, rnd(${r.graph}), rnd(${r.inputs}), 'succeeded', rnd(${r.outputs}), 1.5, 1200, ${nodes}, 'end_user', gen_random_uuid(), now()
      FROM generate_series(1, ${RUNS}) i;
      INSERT INTO workflow_node_executions (tenant_id, app_id, workflow_id, triggered_from, workflow_run_id, index, predecessor_node_id, node_execution_id,
                                            node_id, node_type, title, inputs, process_data, outputs, status, elapsed_time, execution_metadata,
                                            created_by_role, created_by, finished_at)
      SELECT w.tenant_id, w.app_id, w.workflow_id, 'workflow-run', w.id, k, (1717000000000 + k - 1)::text, gen_random_uuid()::text,
             (1717000000000 + k)::text, 'llm', 'LLM ' || k, rnd(${n.inputs}), rnd(${n.processData}), rnd(${n.outputs}), 'succeeded', 0.8,
             rnd(${n.executionMetadata}), 'end_user', w.created_by, now()
      FROM workflow_runs w, generate_series(1, ${nodes}) k;`);
  }, 120_000);
  afterAll(() => server?.stop());

  const measured = (table: string) => Number(psql(`SELECT pg_total_relation_size('${table}') / (SELECT count(*) FROM ${table})::float`));

  it(`a run: costs/state.json bytesPerRun within ${TOLERANCE * 100} % of pg_total_relation_size per row`, () => {
    const perRow = measured('workflow_runs');
    expect(Number(psql('SELECT count(*) FROM workflow_runs'))).toBe(RUNS);
    expect(Math.abs(c.bytesPerRun - perRow) / perRow, `measured ${Math.round(perRow)} B per run, model ${c.bytesPerRun}`).toBeLessThanOrEqual(TOLERANCE);
  });

  it(`a node execution: bytesPerNodeExecution within ${TOLERANCE * 100} %`, () => {
    const perRow = measured('workflow_node_executions');
    expect(Number(psql('SELECT count(*) FROM workflow_node_executions'))).toBe(RUNS * nodes);
    expect(Math.abs(c.bytesPerNodeExecution - perRow) / perRow, `measured ${Math.round(perRow)} B per node execution, model ${c.bytesPerNodeExecution}`).toBeLessThanOrEqual(TOLERANCE);
  });
});
