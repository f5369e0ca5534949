-- Dify's tables that `dify-deploy measure` reads, with Dify's column names, types and indexes.
-- Source: langgenius/dify api/models/model.py (App, Message) and api/models/workflow.py (WorkflowRun,
-- WorkflowNodeExecutionModel, WorkflowAppLog), 1.13–1.16 line: StringUUID -> uuid, LongText -> text,
-- String(255) -> varchar(255), Float -> double precision, DateTime -> timestamp (naive UTC); indexes
-- as their __table_args__ declare, workflow_node_execution_workflow_run_id_idx from migration
-- 288345cd01d1 (2026-01-16). Read by test/helpers/dify-db.ts and bench/measure-explain.mjs.
CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY);
CREATE TABLE apps (
  id uuid NOT NULL, tenant_id uuid NOT NULL, name varchar(255) NOT NULL, description text NOT NULL DEFAULT '',
  mode varchar(255) NOT NULL, icon_type varchar(255), icon varchar(255), icon_background varchar(255),
  app_model_config_id uuid, workflow_id uuid, status varchar(255) NOT NULL DEFAULT 'normal',
  enable_site boolean NOT NULL, enable_api boolean NOT NULL, api_rpm integer NOT NULL DEFAULT 0, api_rph integer NOT NULL DEFAULT 0,
  is_demo boolean NOT NULL DEFAULT false, is_public boolean NOT NULL DEFAULT false, is_universal boolean NOT NULL DEFAULT false,
  tracing text, max_active_requests integer, created_by uuid, created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_by uuid, updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP, use_icon_as_answer_icon boolean NOT NULL DEFAULT false,
  CONSTRAINT app_pkey PRIMARY KEY (id));
CREATE INDEX app_tenant_id_idx ON apps (tenant_id);
CREATE TABLE messages (
  id uuid NOT NULL, app_id uuid NOT NULL, model_provider varchar(255), model_id varchar(255), override_model_configs text,
  conversation_id uuid NOT NULL, inputs json, query text NOT NULL, message json NOT NULL,
  message_tokens integer NOT NULL DEFAULT 0, message_unit_price numeric(10,4) NOT NULL, message_price_unit numeric(10,7) NOT NULL DEFAULT 0.001,
  answer text NOT NULL, answer_tokens integer NOT NULL DEFAULT 0, answer_unit_price numeric(10,4) NOT NULL, answer_price_unit numeric(10,7) NOT NULL DEFAULT 0.001,
  parent_message_id uuid, provider_response_latency double precision NOT NULL DEFAULT 0, total_price numeric(10,7),
  currency varchar(255) NOT NULL, status varchar(255) NOT NULL DEFAULT 'normal', error text, message_metadata text,
  invoke_from varchar(255), from_source varchar(255) NOT NULL, from_end_user_id uuid, from_account_id uuid,
  created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP, updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  agent_based boolean NOT NULL DEFAULT false, workflow_run_id uuid,
  CONSTRAINT message_pkey PRIMARY KEY (id));
CREATE INDEX message_app_id_idx ON messages (app_id, created_at);
CREATE INDEX message_conversation_id_idx ON messages (conversation_id);
CREATE INDEX message_end_user_idx ON messages (app_id, from_source, from_end_user_id);
CREATE INDEX message_account_idx ON messages (app_id, from_source, from_account_id);
CREATE INDEX message_workflow_run_id_idx ON messages (conversation_id, workflow_run_id);
CREATE INDEX message_created_at_idx ON messages (created_at);
CREATE TABLE workflow_runs (
  id uuid NOT NULL, tenant_id uuid NOT NULL, app_id uuid NOT NULL, workflow_id uuid NOT NULL, type varchar(255) NOT NULL,
  triggered_from varchar(255) NOT NULL, version varchar(255) NOT NULL, graph text, inputs text, status varchar(255) NOT NULL,
  outputs text DEFAULT '{}', error text, elapsed_time double precision NOT NULL DEFAULT 0, total_tokens bigint NOT NULL DEFAULT 0,
  total_steps integer DEFAULT 0, created_by_role varchar(255) NOT NULL, created_by uuid NOT NULL,
  created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP, finished_at timestamp, exceptions_count integer DEFAULT 0,
  CONSTRAINT workflow_run_pkey PRIMARY KEY (id));
CREATE INDEX workflow_run_triggerd_from_idx ON workflow_runs (tenant_id, app_id, triggered_from);
CREATE INDEX workflow_run_created_at_id_idx ON workflow_runs (created_at, id);
CREATE TABLE workflow_node_executions (
  id uuid NOT NULL, tenant_id uuid NOT NULL, app_id uuid NOT NULL, workflow_id uuid NOT NULL, triggered_from varchar(255) NOT NULL,
  workflow_run_id uuid, index integer NOT NULL, predecessor_node_id varchar(255), node_execution_id varchar(255),
  node_id varchar(255) NOT NULL, node_type varchar(255) NOT NULL, title varchar(255) NOT NULL, inputs text, process_data text,
  outputs text, status varchar(255) NOT NULL, error text, elapsed_time double precision NOT NULL DEFAULT 0, execution_metadata text,
  created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP, created_by_role varchar(255) NOT NULL, created_by uuid NOT NULL,
  finished_at timestamp,
  CONSTRAINT workflow_node_execution_pkey PRIMARY KEY (id));
CREATE INDEX workflow_node_execution_workflow_run_id_idx ON workflow_node_executions (workflow_run_id);
CREATE INDEX workflow_node_execution_node_run_idx ON workflow_node_executions (tenant_id, app_id, workflow_id, triggered_from, node_id);
CREATE INDEX workflow_node_execution_id_idx ON workflow_node_executions (tenant_id, app_id, workflow_id, triggered_from, node_execution_id);
CREATE INDEX ON workflow_node_executions (tenant_id, workflow_id, node_id, created_at DESC);
CREATE TABLE workflow_app_logs (
  id uuid NOT NULL, tenant_id uuid NOT NULL, app_id uuid NOT NULL, workflow_id uuid NOT NULL, workflow_run_id uuid NOT NULL,
  created_from varchar(255) NOT NULL, created_by_role varchar(255) NOT NULL, created_by uuid NOT NULL,
  created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT workflow_app_log_pkey PRIMARY KEY (id));
CREATE INDEX workflow_app_log_app_idx ON workflow_app_logs (tenant_id, app_id);
CREATE INDEX workflow_app_log_workflow_run_id_idx ON workflow_app_logs (workflow_run_id);
INSERT INTO alembic_version VALUES ('288345cd01d1');
