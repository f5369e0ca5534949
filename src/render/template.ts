// Handlebars templates live in templates/ beside the package; each renderer loads its own.
// noEscape: the output is config text, not HTML. `json` writes a value as a JSON (and so YAML)
// scalar, which keeps user-supplied strings with quotes or colons from breaking a YAML template.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { PACKAGE_ROOT } from '../core/data.js';

const hb = Handlebars.create();
hb.registerHelper('json', (value: unknown) => JSON.stringify(value ?? ''));
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
/** The first truthy argument (handlebars passes its options object last). */
hb.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).find(Boolean) ?? args[args.length - 2]);
/** A compose reference to a .env variable that must be set: compose refuses to start without it. */
hb.registerHelper('req', (name: string) => `\${${name}?set ${name} in .env}`);

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Renders templates/<relPath> with `context`. */
export function renderTemplate(relPath: string, context: object): string {
  let compiled = cache.get(relPath);
  if (!compiled) {
    const source = readFileSync(join(PACKAGE_ROOT, 'templates', relPath), 'utf8');
    compiled = hb.compile(source, { noEscape: true });
    cache.set(relPath, compiled);
  }
  return compiled(context);
}
