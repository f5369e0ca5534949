// A Dify release newer than the package, made from the 1.16.1 fixture in a temporary checkout:
// version bumped, variables renamed as upstream renamed them in 1.17.0 (curated renames), a
// service added, and a queue added to the entrypoint (written here in the if/else shape of
// upstream's api/docker/entrypoint.sh: the fixtures hold only docker/).
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UPSTREAM } from './upstream-path.js';

export const SYNTHETIC_VERSION = '1.20.0';
export const NEW_SERVICE = 'agent_scheduler';
export const NEW_QUEUE = 'agent_schedule';
/** Dify 1.16.0's community DEFAULT_QUEUES (research: upstream-1.17.md §3), plus the new queue. */
export const SYNTHETIC_QUEUES = [
  'api_token', 'dataset', 'dataset_summary', 'priority_dataset', 'priority_pipeline', 'pipeline', 'mail', 'ops_trace', 'app_deletion', 'app_rbac',
  'plugin', 'workflow_storage', 'conversation', 'workflow', 'schedule_poller', 'schedule_executor', 'triggered_workflow_dispatcher',
  'trigger_refresh_publisher', 'trigger_refresh_executor', 'retention', 'workflow_based_app_execution', NEW_QUEUE,
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

const newServiceYaml = (version: string) => `  ${NEW_SERVICE}:
    image: langgenius/dify-agent-scheduler:${version}
    restart: always
    env_file:
      - path: ./envs/core-services/dify-agent.env
        required: false
      - ./.env
    environment:
      SCHEDULER_REDIS_URL: \${DIFY_AGENT_REDIS_URL:-redis://redis:6379/2}
      SCHEDULER_TOKEN: \${DIFY_AGENT_API_TOKEN}
    depends_on:
      redis:
        condition: service_started
      agent_backend:
        condition: service_started
    networks:
      - default
`;

/** The synthetic checkout's root (docker/ and api/docker/entrypoint.sh); a test that must not see another's added release takes its own version. */
export function syntheticCheckout(withEntrypoint = true, version = SYNTHETIC_VERSION): string {
  const root = mkdtempSync(join(tmpdir(), 'dd-synthetic-'));
  const docker = join(root, 'docker');
  cpSync(join(UPSTREAM, 'dify-1.16.1', 'docker'), docker, { recursive: true });
  for (const f of files(docker)) {
    chmodSync(f, 0o644);
    let text = readFileSync(f, 'utf8');
    text = text
      .replace(/(langgenius\/dify-(?:api|web|agent-backend|agent-local-sandbox)):1\.16\.1/g, `$1:${version}`)
      .replaceAll('DIFY_AGENT_SHELLCTL_AUTH_TOKEN', 'DIFY_AGENT_LOCAL_SANDBOX_AUTH_TOKEN')
      .replace(/^EDITION=SELF_HOSTED$/m, 'DEPLOYMENT_EDITION=COMMUNITY');
    if (f.endsWith('docker-compose.yaml') || f.endsWith('docker-compose-template.yaml')) text = text.replace(/^services:\n/m, `services:\n${newServiceYaml(version)}`);
    writeFileSync(f, text);
  }
  for (const d of [docker, ...files(docker).map((f) => f.slice(0, f.lastIndexOf('/')))]) chmodSync(d, 0o755);
  if (withEntrypoint) {
    mkdirSync(join(root, 'api', 'docker'), { recursive: true });
    writeFileSync(
      join(root, 'api', 'docker', 'entrypoint.sh'),
      [
        '#!/bin/bash',
        'if [[ "${MODE}" == "worker" ]]; then',
        '  if [[ -z "${CELERY_QUEUES}" ]]; then',
        '    if [[ "${EDITION}" == "CLOUD" ]]; then',
        '      DEFAULT_QUEUES="api_token,dataset,workflow_professional,workflow_team,workflow_sandbox"',
        '    else',
        `      DEFAULT_QUEUES="${SYNTHETIC_QUEUES.join(',')}"`,
        '    fi',
        '  fi',
        'fi',
        '',
      ].join('\n'),
    );
  }
  return root;
}
