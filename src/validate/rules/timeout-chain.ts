// timeout-chain: nginx must wait at least as long as gunicorn and the longest app or
// workflow run, or long answers are cut off with a 504 while Dify is still working.
import { at, type Diagnostic } from '../diagnostics.js';
import { nginxSeconds, nginxSetting } from '../nginx-settings.js';
import type { Rule } from './rule.js';

export const timeoutChainRule: Rule = {
  id: 'timeout-chain',
  summary: 'nginx read timeout below GUNICORN_TIMEOUT or the maximum app/workflow execution time',
  check(d) {
    const api = d.services.find((s) => s.active && s.component === 'api');
    const read = nginxSetting(d, 'proxy_read_timeout', 'NGINX_PROXY_READ_TIMEOUT', nginxSeconds);
    if (!api || !read) return [];
    const seconds = (name: string, fallback?: string) => {
      const raw = api.env[name] ?? fallback ?? d.release.upstreamDefaults[name];
      const n = raw === undefined ? NaN : Number(raw);
      return Number.isFinite(n) ? { name, n } : undefined;
    };
    const limits = [
      seconds('GUNICORN_TIMEOUT', d.release.entrypointFallbacks.GUNICORN_TIMEOUT),
      seconds('APP_MAX_EXECUTION_TIME'),
      seconds('WORKFLOW_MAX_EXECUTION_TIME'),
    ].filter((x): x is { name: string; n: number } => x !== undefined && x.n > 0);
    const out: Diagnostic[] = [];
    for (const limit of limits) {
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
