// The dify-helm chart versions dify-deploy knows: vendored, unmodified values.yaml and
// values.schema.json per version (schemas/dify-helm-<version>/), plus template-keys.json,
// our record of what the chart's templates read beyond values.yaml. The defaults are read
// from their JSON copy in generated/ (scripts/generate.mjs): parsing the YAML cost ~200 ms a run.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../core/data.js';
import { UserError, didYouMean } from '../io/errors.js';
import type { Values } from './merge.js';
import type { ValidateFunction } from 'ajv';
import { readChartFiles } from './chart-files.js';
import { useChartForRun } from '../core/releases/store.js';

export interface KeyFact {
  /** Dotted key path; `*` matches any one key. */
  path: string;
  source: string;
}

export interface TemplateKeys {
  chart: string;
  note: string;
  templateOnly: KeyFact[];
  openMaps: KeyFact[];
  subcharts: Record<string, { chart: string; keys: KeyFact[] }>;
  dead: KeyFact[];
}

export interface ChartData {
  version: string;
  defaults: Values;
  keys: TemplateKeys;
}

const SCHEMAS_DIR = join(PACKAGE_ROOT, 'schemas');
/** scripts/generate.mjs writes each chart's defaults and schema validator here. */
export const GENERATED_CHARTS_DIR = join(PACKAGE_ROOT, 'generated');
const PREFIX = 'dify-helm-';
const cache = new Map<string, ChartData>();

/** The charts dify-deploy ships (schemas/dify-helm-<version>/). */
function shippedChartVersions(): string[] {
  return readdirSync(SCHEMAS_DIR)
    .filter((d) => d.startsWith(PREFIX) && existsSync(join(SCHEMAS_DIR, d, 'values.yaml')))
    .map((d) => d.slice(PREFIX.length));
}

/** A chart given with --chart: its own schema (compiled here), and the shipped chart whose curated facts it takes. */
interface RunChart {
  validator?: ValidateFunction;
  factsFrom: string;
  dir: string;
}
const runCharts = new Map<string, RunChart>();

export function chartVersions(): string[] {
  return [...shippedChartVersions(), ...runCharts.keys()];
}

const chartKey = (v: string) => v.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? p.padStart(6, '0') : p));
const chartOrder = (a: string, b: string) => (chartKey(a).join('.') < chartKey(b).join('.') ? -1 : chartKey(a).join('.') > chartKey(b).join('.') ? 1 : 0);

/**
 * A pulled chart (--chart PATH: a .tgz or its directory) for this run: its values.yaml and
 * values.schema.json define it; what the templates read beyond values.yaml and which secrets each
 * component takes (template-keys.json, secret-env.json: curated) come from the newest shipped
 * chart not newer than it. The release's helm facts then name this chart.
 */
export async function useChart(path: string): Promise<{ version: string; appVersion: string; dir: string; factsFrom: string }> {
  const files = readChartFiles(path);
  const shipped = shippedChartVersions().sort(chartOrder);
  const factsFrom = [...shipped].reverse().find((v) => chartOrder(v, files.version) <= 0) ?? shipped[shipped.length - 1];
  // Ajv's compiler only for a pulled chart: loading it cost every render and validate ~10 % of its start-up.
  const validator = files.schema ? new (await import('ajv')).Ajv({ allErrors: true, strict: false }).compile(files.schema) : undefined;
  runCharts.set(files.version, { validator, factsFrom, dir: files.dir });
  cache.set(files.version, { version: files.version, defaults: files.defaults, keys: JSON.parse(readFileSync(join(SCHEMAS_DIR, PREFIX + factsFrom, 'template-keys.json'), 'utf8')) as TemplateKeys });
  useChartForRun({ version: files.version, appVersion: files.appVersion, path: files.dir, factsFrom });
  return { version: files.version, appVersion: files.appVersion, dir: files.dir, factsFrom };
}

/** The shipped chart whose curated facts (schemas/dify-helm-<v>/) apply to `version`. */
export function chartFactsVersion(version: string): string {
  return runCharts.get(version)?.factsFrom ?? version;
}

/** A --chart chart's schema validator; undefined for a shipped chart (compiled ahead of time) or a chart without a schema. */
export function runChartValidator(version: string): { validator?: ValidateFunction } | undefined {
  return runCharts.get(version);
}

export function loadChart(version: string): ChartData {
  const cached = cache.get(version);
  if (cached) return cached;
  const known = chartVersions();
  if (!known.includes(version))
    throw new UserError([
      `dify-helm chart ${version}: not known to dify-deploy${didYouMean(version, known)}; known chart versions: ${known.join(', ')}. Pull it (helm pull dify/dify --repo https://borispolonsky.github.io/dify-helm --version ${version}) and pass it with --chart`,
    ]);
  const data: ChartData = {
    version,
    defaults: JSON.parse(readFileSync(join(GENERATED_CHARTS_DIR, PREFIX + version, 'values.json'), 'utf8')) as Values,
    keys: JSON.parse(readFileSync(join(SCHEMAS_DIR, PREFIX + version, 'template-keys.json'), 'utf8')) as TemplateKeys,
  };
  cache.set(version, data);
  return data;
}

/** Each pattern split once: every key of a values file is matched against all of the chart's. */
const patternParts = new Map<string, string[]>();

/** Does a dotted pattern (with `*` for one key) match this key path exactly? */
export function pathMatches(pattern: string, path: readonly string[]): boolean {
  let parts = patternParts.get(pattern);
  if (!parts) patternParts.set(pattern, (parts = pattern.split('.')));
  return parts.length === path.length && parts.every((p, i) => p === '*' || p === path[i]);
}
