// ssrf_proxy/squid.conf (and squid-agent.conf when the agent local sandbox runs): final squid
// configs mounted over the image's own, so no start-up templating is involved.
import { squidAcls, squidPolicy } from '../ssrf-policy.js';
import { renderTemplate } from '../template.js';
import type { RenderContext, RenderedFile } from '../types.js';
import type { ComposeModel } from './model.js';

export function renderSsrfProxy(ctx: RenderContext, model: ComposeModel): RenderedFile[] {
  const common = renderTemplate('ssrf_proxy/squid-common.hbs', { bodyLimitMB: model.bodyLimitMB, acls: squidAcls() }).trimEnd();
  const files: RenderedFile[] = [{ path: 'ssrf_proxy/squid.conf', content: renderTemplate('ssrf_proxy/squid.conf.hbs', { common, policy: squidPolicy(ctx.spec) }), mode: 0o644 }];
  if (ctx.plan.components.some((c) => c.name === 'local_sandbox'))
    files.push({ path: 'ssrf_proxy/squid-agent.conf', content: renderTemplate('ssrf_proxy/squid-agent.conf.hbs', { common }), mode: 0o644 });
  return files;
}
