// Handlebars templates live in templates/ beside the package; each renderer names its own.
// They are precompiled at build time (scripts/generate.mjs → generated/templates.cjs), so a run
// loads only the Handlebars runtime: the compiler and its parse cost ~30 % of a render.
// noEscape: the output is config text, not HTML. `json` writes a value as a JSON (and so YAML)
// scalar, which keeps user-supplied strings with quotes or colons from breaking a YAML template.
import { join } from 'node:path';
import type HandlebarsApi from 'handlebars';
import runtime from 'handlebars/runtime.js';
import { PACKAGE_ROOT } from '../core/data.js';
import { requireGenerated } from '../core/generated-code.js';

// The runtime is the full API minus the compiler; its own typings declare nothing.
const hb = (runtime as unknown as typeof HandlebarsApi).create();
hb.registerHelper('json', (value: unknown) => JSON.stringify(value ?? ''));
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
/** The first truthy argument (handlebars passes its options object last). */
hb.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).find(Boolean) ?? args[args.length - 2]);
/** A compose reference to a .env variable that must be set: compose refuses to start without it. */
hb.registerHelper('req', (name: string) => `\${${name}?set ${name} in .env}`);

let precompiled: Record<string, TemplateSpecification> | undefined;
const cache = new Map<string, HandlebarsApi.TemplateDelegate>();

/** Renders templates/<relPath> with `context`. */
export function renderTemplate(relPath: string, context: object): string {
  let compiled = cache.get(relPath);
  if (!compiled) {
    precompiled ??= requireGenerated(join(PACKAGE_ROOT, 'generated', 'templates.cjs')) as Record<string, TemplateSpecification>;
    const spec = precompiled[relPath];
    if (!spec) throw new Error(`templates/${relPath}: no such template in generated/templates.cjs (rebuild with npm run build)`);
    compiled = hb.template(spec);
    cache.set(relPath, compiled);
  }
  return compiled(context);
}

