// Issue 26 item 15: the Helm plan printed compose-only nginx settings (NGINX_PROXY_READ_TIMEOUT,
// worker_rlimit_nofile, an upstream keepalive, a worker_connections the chart's proxy cannot
// take). The chart's own files are the oracle: for Helm the plan states only what its proxy runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRelease, tierNames } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import { chartDir } from './helpers/helm.js';
import { describeUpstream } from './helpers/upstream.js';
import { withStateChoices } from './helpers/state-choices.js';

describeUpstream('the Helm plan states the nginx the chart runs', () => {
  const chartVersion = loadRelease().helm.version;
  const config = readFileSync(join(chartDir(chartVersion), 'templates', 'config.tpl'), 'utf8');
  const values = readFileSync(join(chartDir(chartVersion), 'values.yaml'), 'utf8');
  const chartWorkerConnections = Number(/worker_connections\s+(\d+);/.exec(config)![1]);
  /** .env variables whose chart proxy key exists in the chart's values (proxy.workerProcesses, proxy.clientMaxBodySize). */
  const chartKeys: Record<string, string> = { NGINX_WORKER_PROCESSES: 'workerProcesses', NGINX_CLIENT_MAX_BODY_SIZE: 'clientMaxBodySize' };

  for (const tier of tierNames())
    it(`${tier}: env only what the chart's proxy values take, worker_connections the chart's`, () => {
      const spec = parseSpecData(withStateChoices({ tier, targets: ['helm'], storage: { type: 's3', bucket: 'b', region: 'us-east-1', useIam: true } }, 'helm'), 'test');
      const nginx = planFor(spec, 'helm').components.find((c) => c.name === 'nginx')!;
      for (const name of Object.keys(nginx.env)) {
        expect(chartKeys[name], `${name} reaches the chart's proxy`).toBeDefined();
        expect(values).toMatch(new RegExp(`^  ${chartKeys[name]}:`, 'm'));
      }
      expect(nginx.settings?.worker_connections).toBe(chartWorkerConnections);
      expect(Object.keys(nginx.settings ?? {}).filter((k) => !/^worker_connections$|^connections_per_worker$/.test(k))).toEqual([]);
      // and the chart's proxy holds the load: replicas × processes × worker_connections cover its connections
      expect(Number(nginx.settings?.connections_per_worker)).toBeLessThanOrEqual(chartWorkerConnections);
    });
});
