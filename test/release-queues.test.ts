// Every queue Dify's own worker consumes by default must be consumed by the rendered workers, which
// pin CELERY_WORKER_QUEUES (the run worker takes workflow_based_app_execution, the other the rest):
// a queue left out is one whose tasks wait in Redis for ever.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

/**
 * The community DEFAULT_QUEUES of api/docker/entrypoint.sh at tag 1.16.0 (5c6372d2f76d, line 41; read
 * in the fork solutii/solutii-dify, research/upstream-1.17.md §3). 1.16.1 is a hotfix off 1.16.0 and
 * main kept the same entrypoint blob after it. app_rbac carries initialize_created_app_rbac_access_task,
 * queued whenever an app or dataset is created.
 */
const ENTRYPOINT_1_16_0 =
  'api_token,dataset,dataset_summary,priority_dataset,priority_pipeline,pipeline,mail,ops_trace,app_deletion,app_rbac,plugin,workflow_storage,conversation,workflow,schedule_poller,schedule_executor,triggered_workflow_dispatcher,trigger_refresh_publisher,trigger_refresh_executor,retention,workflow_based_app_execution'.split(',');

describe('Dify 1.16.1: the rendered workers consume every default queue', () => {
  it('compose', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dd-queues-'));
    const r = await runCli(['render', '--tier', '10qps', '--release', '1.16.1', '--target', 'compose', '--out', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const services = parse(readFileSync(join(out, 'docker-compose.yaml'), 'utf8')).services as Record<string, { environment?: Record<string, string> }>;
    const consumed = new Set(
      Object.values(services)
        .filter((s) => s.environment?.MODE === 'worker')
        .flatMap((s) => (s.environment?.CELERY_WORKER_QUEUES ?? '').split(',').map((q) => q.trim())),
    );
    expect(ENTRYPOINT_1_16_0.filter((q) => !consumed.has(q))).toEqual([]);
  });
});
