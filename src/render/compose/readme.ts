// README.md beside the compose files: layout, start steps for the TLS mode, renewal, sizing.
import { budgetLines } from '../../core/budget-lines.js';
import { renderTemplate } from '../template.js';
import type { RenderContext, RenderedFile } from '../types.js';
import type { ComposeModel } from './model.js';

export function renderComposeReadme(ctx: RenderContext, model: ComposeModel, services: string[]): RenderedFile {
  const { spec, plan, release } = ctx;
  const d = spec.domain;
  const sizing = [
    `${plan.peakQps} QPS at the peak × ${plan.latencySeconds} s mean latency = ${plan.inFlight} requests in flight on average (Little's law); every queue sized to P(wait) ≤ ${plan.serviceLevel.maxWaitProbability * 100} %, p99 wait ≤ ${plan.serviceLevel.p99WaitSeconds} s.`,
    ...plan.components.map((c) => `${c.name}: ${c.replicas} × ${c.cpu} vCPU / ${c.memory}${c.peakDbConnections ? `, up to ${c.peakDbConnections} DB connections` : ''}`),
    ...budgetLines(plan.budget, plan.database, false).map((l) => `Database connections, ${l.text}.`),
    'Run `dify-deploy plan --config dify-deploy.yaml` for every number with its reason.',
  ];
  const content = renderTemplate('compose/README.md.hbs', {
    release: release.version,
    tier: plan.tier,
    publicUrl: model.publicUrl,
    services: services.join(', '),
    bodyLimitMB: model.bodyLimitMB,
    hostCpus: plan.host.required.cpus,
    hostMemoryGiB: plan.host.required.memoryGiB,
    certbot: d.tls === 'certbot',
    own: d.tls === 'own',
    plain: d.tls === 'none',
    host: d.host,
    email: d.email,
    certFile: d.certFile,
    keyFile: d.keyFile,
    sizing,
  });
  return { path: 'README.md', content, mode: 0o644 };
}
