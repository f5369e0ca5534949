// capacity: the concurrent API requests the files allow (replicas × SERVER_WORKER_AMOUNT ×
// SERVER_WORKER_CONNECTIONS) against what the claimed tier needs (qps × latency, Little's law).
import { resolveTier } from '../../core/resolve.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Rule } from './rule.js';

export const capacityRule: Rule = {
  id: 'capacity',
  summary: 'the concurrent requests the config can serve vs the tier the spec claims',
  check(d) {
    if (!d.spec) return [];
    const apis = d.services.filter((s) => s.active && s.component === 'api');
    if (apis.length === 0) return [];
    const fallback = d.release.entrypointFallbacks;
    const num = (env: Record<string, string>, name: string) => Number(env[name] || fallback[name] || '1') || 1;
    const concurrent = apis.reduce((n, s) => n + s.replicas * num(s.env, 'SERVER_WORKER_AMOUNT') * num(s.env, 'SERVER_WORKER_CONNECTIONS'), 0);
    const tier = resolveTier(d.spec);
    const qps = d.spec.qps ?? tier.qps;
    const latency = d.spec.latencySeconds ?? tier.latencySeconds;
    const needed = Math.ceil(qps * latency);
    if (concurrent >= needed) return [];
    const finding: Diagnostic = {
      rule: this.id,
      severity: 'warning',
      file: d.specFile,
      message: `the API admits ${concurrent} concurrent requests (${apis.map((s) => `${s.name}: ${s.replicas} × ${num(s.env, 'SERVER_WORKER_AMOUNT')} × ${num(s.env, 'SERVER_WORKER_CONNECTIONS')}`).join(', ')}) but ${qps} QPS at ${latency} s needs ${needed}: it sustains ≈${Math.floor(concurrent / latency)} QPS`,
      fix: 'raise SERVER_WORKER_CONNECTIONS, SERVER_WORKER_AMOUNT or the api replicas (then re-check connection-budget), or re-render from the spec',
      data: { concurrent, needed, qps, latencySeconds: latency },
    };
    return [finding];
  },
};
