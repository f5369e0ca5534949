// .env: every variable the deployment sets, grouped and commented like upstream's .env.example.
import { renderTemplate } from '../template.js';
import type { RenderContext, RenderedFile } from '../types.js';
import type { ComposeModel } from './model.js';
import { envValue } from '../../io/env-file.js';

export function renderEnvFile(ctx: RenderContext, model: ComposeModel): RenderedFile {
  const sections = model.env.map((s) => ({ ...s, vars: s.vars.map((v) => ({ name: v.name, value: envValue(v.value, v.name) })) }));
  return { path: '.env', content: renderTemplate('compose/env.hbs', { release: ctx.release.version, sections }), mode: 0o600 };
}
