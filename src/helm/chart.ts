// The dify-helm chart versions dify-deploy knows: vendored, unmodified values.yaml and
// values.schema.json per version (schemas/dify-helm-<version>/), plus template-keys.json,
// our record of what the chart's templates read beyond values.yaml.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
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
  schema: object;
  keys: TemplateKeys;
}

const SCHEMAS_DIR = join(PACKAGE_ROOT, 'schemas');
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
  const dir = join(SCHEMAS_DIR, PREFIX + version);
  const data: ChartData = {
    version,
    defaults: parse(readFileSync(join(dir, 'values.yaml'), 'utf8')) as Values,
    schema: JSON.parse(readFileSync(join(dir, 'values.schema.json'), 'utf8')) as object,
    keys: JSON.parse(readFileSync(join(dir, 'template-keys.json'), 'utf8')) as TemplateKeys,
  };
  cache.set(version, data);
  return data;
}

/** Does a dotted pattern (with `*` for one key) match this key path exactly? */
export function pathMatches(pattern: string, path: readonly string[]): boolean {
  const parts = pattern.split('.');
  return parts.length === path.length && parts.every((p, i) => p === '*' || p === path[i]);
}
