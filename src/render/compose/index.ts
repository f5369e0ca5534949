// The compose target: every file `docker compose up -d` needs in the output directory.
import type { RenderContext, RenderedFile } from '../types.js';
import { composeServiceNames, renderComposeFile } from './compose-file.js';
import { renderEnvFile } from './env-file.js';
import { composeModel } from './model.js';
import { renderNginx } from './nginx.js';
import { renderComposeReadme } from './readme.js';
import { renderSandboxConfig } from './sandbox-config.js';
import { renderSsrfProxy } from './ssrf-proxy.js';
import { renderBackupScripts } from '../recovery.js';
import { renderComposePgbouncer } from './pgbouncer.js';

export function renderCompose(ctx: RenderContext): RenderedFile[] {
  const model = composeModel(ctx);
  return [
    renderComposeFile(ctx, model),
    renderEnvFile(ctx, model),
    ...renderNginx(ctx, model),
    ...renderSsrfProxy(ctx, model),
    renderSandboxConfig(ctx),
    ...renderComposePgbouncer(ctx),
    ...renderBackupScripts(ctx),
    renderComposeReadme(ctx, model, composeServiceNames(ctx, model)),
  ];
}
