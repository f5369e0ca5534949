// volumes/sandbox/conf/config.yaml: dify-sandbox reads it at start; the sized worker and request
// limits are written here as well as in the service environment so both agree.
import { renderTemplate } from '../template.js';
import type { RenderContext, RenderedFile } from '../types.js';

export function renderSandboxConfig(ctx: RenderContext): RenderedFile {
  const env = ctx.plan.components.find((c) => c.name === 'sandbox')!.env;
  const content = renderTemplate('sandbox/config.yaml.hbs', {
    maxWorkers: env.MAX_WORKERS,
    maxRequests: env.MAX_REQUESTS,
    workerTimeout: env.WORKER_TIMEOUT,
  });
  return { path: 'volumes/sandbox/conf/config.yaml', content, mode: 0o644 };
}
