// Plan component → dify-helm values key and pod label: shared by the values, the extra
// manifests and validate's reading of a values file.
import type { ComponentName } from '../../core/spec.js';

/** Plan component → dify-helm values key and the `component` pod label its templates set. */
export const CHART_COMPONENTS: Record<ComponentName, { key: string; label: string }> = {
  nginx: { key: 'proxy', label: 'proxy' },
  api: { key: 'api', label: 'api' },
  api_websocket: { key: 'apiWebsocket', label: 'api-websocket' },
  worker: { key: 'worker', label: 'worker' },
  worker_runs: { key: 'workerRuns', label: 'worker-runs' },
  worker_beat: { key: 'beat', label: 'beat' },
  web: { key: 'web', label: 'web' },
  plugin_daemon: { key: 'pluginDaemon', label: 'plugin-daemon' },
  sandbox: { key: 'sandbox', label: 'sandbox' },
  agent_backend: { key: 'agentBackend', label: 'agent-backend' },
  local_sandbox: { key: 'localSandbox', label: 'local-sandbox' },
};
