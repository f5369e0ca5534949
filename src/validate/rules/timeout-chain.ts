// timeout-chain: nginx must wait at least as long as the longest app or workflow run Dify
// allows, or long answers are cut off with a 504 while Dify is still working; and must drop an
// idle upstream connection before gunicorn does, or a request races gunicorn's close. GUNICORN_TIMEOUT
// is not in the chain: with gevent workers it is the worker's heartbeat (gunicorn
// workers/ggevent.py notifies the arbiter every second whatever the requests do), so it bounds
// no request; raised far above upstream it only leaves a wedged worker unkilled for longer.
import { at, type Diagnostic } from '../diagnostics.js';
import type { Deployment } from '../deployment.js';
import { RUN_BOUND_VARIABLES } from '../../core/sizing/api.js';
import { GUNICORN_KEEPALIVE_SECONDS } from '../../core/sizing/nginx.js';
import { nginxKeepaliveUpstreams, nginxSeconds, nginxSetting } from '../nginx-settings.js';
import type { Rule } from './rule.js';

type Service = Deployment['services'][number];

/** The running gunicorn services: api and its websocket sibling. */
const gunicorns = (d: Deployment) => d.services.filter((x) => x.active && (x.component === 'api' || x.component === 'api_websocket'));

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

/** gunicorn's idle keep-alive: `--keep-alive` in GUNICORN_CMD_ARGS (gunicorn reads it), else its default (Dify's entrypoint passes none). */
function gunicornKeepalive(s: Service): number {
  const given = /--keep-alive[=\s]+(\d+)/.exec(s.env.GUNICORN_CMD_ARGS ?? '')?.[1];
  return given === undefined ? GUNICORN_KEEPALIVE_SECONDS : Number(given);
}

/** An nginx upstream that keeps idle connections to gunicorn at least as long as gunicorn does. */
function keepaliveFindings(d: Deployment, ruleId: string): Diagnostic[] {
  const servers = gunicorns(d);
  const out: Diagnostic[] = [];
  for (const u of nginxKeepaliveUpstreams(d)) {
    const server = servers.find((s) => u.hosts.includes(s.name));
    if (!server) continue;
    const keepalive = gunicornKeepalive(server);
    if (u.idleSeconds < keepalive) continue;
    out.push({
      rule: ruleId,
      severity: 'warning',
      ...at(u.origin),
      message: `nginx upstream ${u.name} keeps idle connections to ${server.name} for ${u.text} but gunicorn closes them after ${keepalive} s (--keep-alive): nginx can send a request down a connection gunicorn is closing, and the client gets a 502`,
      fix: `set keepalive_timeout in upstream ${u.name} below ${keepalive}s (e.g. ${Math.max(1, keepalive - 1)}s), or raise gunicorn's keep-alive above it with GUNICORN_CMD_ARGS="--keep-alive N"`,
      data: { upstream: u.name, nginxSeconds: u.idleSeconds, variable: 'keep-alive', seconds: keepalive },
    });
  }
  return out;
}

export const timeoutChainRule: Rule = {
  id: 'timeout-chain',
  summary: 'nginx read timeout below the maximum app/workflow execution time; an nginx upstream keeping idle connections to gunicorn longer than gunicorn does; GUNICORN_TIMEOUT (a gevent heartbeat) raised above upstream',
  check(d) {
    const out = keepaliveFindings(d, this.id);
    for (const s of gunicorns(d)) {
      const f = heartbeatFinding(d, s, this.id);
      if (f) out.push(f);
    }
    const api = d.services.find((s) => s.active && s.component === 'api');
    const read = nginxSetting(d, 'proxy_read_timeout', 'NGINX_PROXY_READ_TIMEOUT', nginxSeconds);
    if (!api || !read) return out;
    for (const limit of RUN_BOUND_VARIABLES.map((v) => seconds(d, api, v)).filter((x) => x !== undefined)) {
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
