// .env: every variable the deployment sets, grouped and commented like upstream's .env.example.
import { renderTemplate } from '../template.js';
import type { RenderContext, RenderedFile } from '../types.js';
import type { ComposeModel } from './model.js';

/**
 * A value as Docker Compose and dotenv both read it back unchanged. Plain when safe; otherwise
 * single-quoted, which both treat literally (no ${} interpolation, no escapes).
 */
export function envValue(value: string): string {
  if (/^[A-Za-z0-9_\-.,:/@+=%{}*]*$/.test(value)) return value;
  if (!value.includes("'") && !/[\r\n]/.test(value)) return `'${value}'`;
  // Double quotes: escape what compose/dotenv would otherwise interpret.
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '$$$$').replace(/\n/g, '\\n')}"`;
}

export function renderEnvFile(ctx: RenderContext, model: ComposeModel): RenderedFile {
  const sections = model.env.map((s) => ({ ...s, vars: s.vars.map((v) => ({ name: v.name, value: envValue(v.value) })) }));
  return { path: '.env', content: renderTemplate('compose/env.hbs', { release: ctx.release.version, sections }), mode: 0o600 };
}
