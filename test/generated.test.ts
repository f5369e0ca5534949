// generated/ (scripts/generate.mjs, run by every build) stands in for files the commands used to
// read and compile at start-up: each stand-in must give what the original gives.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../src/core/data.js';
import { GENERATED_CHARTS_DIR, chartVersions, loadChart } from '../src/helm/chart.js';
import { coalesceValues } from '../src/helm/merge.js';
import { checkHelmValues } from '../src/helm/check.js';
import { renderTemplate } from '../src/render/template.js';

const schemaDir = (v: string) => join(PACKAGE_ROOT, 'schemas', `dify-helm-${v}`);

describe('generated chart data', () => {
  it.each(chartVersions())('chart %s: the JSON defaults are its values.yaml', (v) => {
    expect(loadChart(v).defaults).toEqual(parse(readFileSync(join(schemaDir(v), 'values.yaml'), 'utf8')));
  });

  it.each(chartVersions())('chart %s: the standalone validator reports what Ajv compiling values.schema.json reports', (v) => {
    const compiled = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(join(schemaDir(v), 'values.schema.json'), 'utf8')));
    const standalone = createRequire(import.meta.url)(join(GENERATED_CHARTS_DIR, `dify-helm-${v}`, 'values-validator.cjs')) as typeof compiled;
    // Wrong types at several depths, so the schema has something to say.
    const values = coalesceValues(loadChart(v).defaults, { api: { replicas: 'two', extraEnv: 5 }, worker: { resources: [] }, image: { api: { tag: 7 } } });
    expect(compiled(values)).toBe(false);
    expect(standalone(values)).toBe(false);
    expect(standalone.errors).toEqual(compiled.errors);
    expect(checkHelmValues({ api: { replicas: 'two' } }, v).some((f) => f.rule === 'helm-schema')).toBe(true);
  });
});

describe('precompiled templates', () => {
  const dir = join(PACKAGE_ROOT, 'templates');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.hbs'));

  it('every template is in generated/templates.cjs and renders as the compiler renders it', () => {
    const hb = Handlebars.create();
    // The same helpers as src/render/template.ts registers (a context without their arguments is enough here).
    hb.registerHelper('json', (value: unknown) => JSON.stringify(value ?? ''));
    hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    hb.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).find(Boolean) ?? args[args.length - 2]);
    hb.registerHelper('req', (name: string) => `\${${name}?set ${name} in .env}`);
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const context = { bundled: true, vs: { type: 'x' }, st: {}, images: {}, secrets: {}, release: '1.16.1' };
      expect(renderTemplate(f, context), f).toBe(hb.compile(readFileSync(join(dir, f), 'utf8'), { noEscape: true })(context));
    }
  });
});
