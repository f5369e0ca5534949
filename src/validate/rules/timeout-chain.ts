// timeout-chain: nginx must wait at least as long as the longest app or workflow run Dify
// allows, or long answers are cut off with a 504 while Dify is still working. GUNICORN_TIMEOUT
// is not in the chain: with gevent workers it is the worker's heartbeat (gunicorn
// workers/ggevent.py notifies the arbiter every second whatever the requests do), so it bounds
// no request; raised far above upstream it only leaves a wedged worker unkilled for longer.
import { at, type Diagnostic } from '../diagnostics.js';
import type { Deployment } from '../deployment.js';
import { nginxSeconds, nginxSetting } from '../nginx-settings.js';
import type { Rule } from './rule.js';

/** The variables that bound a run (api/core/app: the app and workflow execution limits). */
const RUN_BOUNDS = ['APP_MAX_EXECUTION_TIME', 'WORKFLOW_MAX_EXECUTION_TIME'] as const;

type Service = Deployment['services'][number];

function seconds(d: Deployment, s: Service, name: string, fallback?: string): { name: string; n: number } | undefined {
  const raw = s.env[name] ?? fallback ?? d.release.upstreamDefaults[name];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) && n > 0 ? { name, n } : undefined;
}

/** A gevent gunicorn whose GUNICORN_TIMEOUT is above the release's own value: it lengthens no run. */
function heartbeatFinding(d: Deployment, s: Service, ruleId: string): Diagnostic | undefined {
  const workerClass = s.env.SERVER_WORKER_CLASS ?? d.release.upstreamDefaults.SERVER_WORKER_CLASS ?? 'gevent';
  const upstream = Number(d.release.upstreamDefaults.GUNICORN_TIMEOUT);
  const timeout = seconds(d, s, 'GUNICORN_TIMEOUT', d.release.entrypointFallbacks.GUNICORN_TIMEOUT);
  if (!/gevent/i.test(workerClass) || !timeout || !Number.isFinite(upstream) || timeout.n <= upstream) return undefined;
  return {
    rule: ruleId,
    severity: 'warning',
    ...at(s.origin.GUNICORN_TIMEOUT),
    message: `${s.name}: GUNICORN_TIMEOUT=${timeout.n} s is above upstream's ${upstream} s, but with ${workerClass} workers it is only a heartbeat: it lets no run last longer (APP_MAX_EXECUTION_TIME / WORKFLOW_MAX_EXECUTION_TIME do), it only leaves a wedged worker and every request on it stuck for ${timeout.n} s before gunicorn restarts it`,
    fix: `set GUNICORN_TIMEOUT to ${upstream} (upstream's value) or below, and bound long runs with APP_MAX_EXECUTION_TIME / WORKFLOW_MAX_EXECUTION_TIME`,
    data: { variable: 'GUNICORN_TIMEOUT', seconds: timeout.n, upstreamSeconds: upstream },
  };
}

export const timeoutChainRule: Rule = {
  id: 'timeout-chain',
  summary: 'nginx read timeout below the maximum app/workflow execution time; GUNICORN_TIMEOUT (a gevent heartbeat) raised above upstream',
  check(d) {
    const out: Diagnostic[] = [];
    for (const s of d.services.filter((x) => x.active && (x.component === 'api' || x.component === 'api_websocket'))) {
      const f = heartbeatFinding(d, s, this.id);
      if (f) out.push(f);
    }
    const api = d.services.find((s) => s.active && s.component === 'api');
    const read = nginxSetting(d, 'proxy_read_timeout', 'NGINX_PROXY_READ_TIMEOUT', nginxSeconds);
    if (!api || !read) return out;
    for (const limit of RUN_BOUNDS.map((v) => seconds(d, api, v)).filter((x) => x !== undefined)) {
      if (read.value >= limit.n) continue;
      out.push({
        rule: this.id,
        severity: 'warning',
        ...at(read.origin),
        message: `nginx proxy_read_timeout ${read.text} is shorter than ${limit.name}=${limit.n} s: nginx answers 504 to runs Dify still allows`,
        fix: `set NGINX_PROXY_READ_TIMEOUT (or proxy_read_timeout) to at least ${limit.n}s, or lower ${limit.name}`,
        data: { nginxSeconds: read.value, variable: limit.name, seconds: limit.n },
      });
    }
    return out;
  },
};
