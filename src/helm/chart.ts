// The dify-helm chart versions dify-deploy knows: vendored, unmodified values.yaml and
// values.schema.json per version (schemas/dify-helm-<version>/), plus template-keys.json,
// our record of what the chart's templates read beyond values.yaml. The defaults are read
// from their JSON copy in generated/ (scripts/generate.mjs): parsing the YAML cost ~200 ms a run.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../core/data.js';
import { UserError, didYouMean } from '../core/errors.js';
import type { Values } from './merge.js';

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

export function chartVersions(): string[] {
  return readdirSync(SCHEMAS_DIR)
    .filter((d) => d.startsWith(PREFIX) && existsSync(join(SCHEMAS_DIR, d, 'values.yaml')))
    .map((d) => d.slice(PREFIX.length));
}

export function loadChart(version: string): ChartData {
  const cached = cache.get(version);
  if (cached) return cached;
  const known = chartVersions();
  if (!known.includes(version))
    throw new UserError([`dify-helm chart ${version}: not known to dify-deploy${didYouMean(version, known)}; known chart versions: ${known.join(', ')}`]);
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
