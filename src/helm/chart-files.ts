// A dify-helm chart the user pulled (`helm pull dify/dify --version V`, a .tgz, or its unpacked
// directory), given with --chart: its Chart.yaml, values.yaml and values.schema.json define the
// chart for this run — a chart newer than the ones dify-deploy ships works the day it is released.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../io/errors.js';
import { isDirectory, isFile, readTextFile } from '../io/files.js';
import type { Values } from './merge.js';

export interface ChartFiles {
  version: string;
  appVersion: string;
  /** The chart's directory (unpacked from the .tgz when one was given). */
  dir: string;
  defaults: Values;
  schema?: Record<string, unknown>;
}

const HINT = 'give the dify-helm chart: `helm pull dify/dify --version V` (a .tgz) or its unpacked directory';

/** A .tgz unpacked with the system's tar (every Linux, macOS and Windows 10+ has one). */
function unpack(archive: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dify-deploy-chart-'));
  const r = spawnSync('tar', ['-xzf', archive, '-C', dir], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new UserError([`--chart ${archive}: cannot unpack it (${r.error?.message ?? r.stderr.trim()}); ${HINT}`]);
  const top = readdirSync(dir).map((n) => join(dir, n)).find((p) => isFile(join(p, 'Chart.yaml')));
  if (!top) throw new UserError([`--chart ${archive}: no Chart.yaml inside; ${HINT}`]);
  return top;
}

function yamlData(file: string, what: string): unknown {
  try {
    return parseYaml(readTextFile(file, what, HINT));
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError([`${file}: not valid YAML (${(e as Error).message.split('\n')[0]}); ${HINT}`]);
  }
}

export function readChartFiles(path: string): ChartFiles {
  const input = resolve(path);
  if (!existsSync(input)) throw new UserError([`--chart ${path}: not found; ${HINT}`]);
  const candidates = isDirectory(input) ? [input, join(input, 'chart')] : [unpack(input)];
  const dir = candidates.find((d) => isFile(join(d, 'Chart.yaml')));
  if (!dir) throw new UserError([`--chart ${path}: no Chart.yaml; ${HINT}`]);
  const chart = yamlData(join(dir, 'Chart.yaml'), 'Chart.yaml') as { name?: unknown; version?: unknown; appVersion?: unknown } | null;
  if (chart?.name !== 'dify' || typeof chart.version !== 'string')
    throw new UserError([`${join(dir, 'Chart.yaml')}: not the dify-helm chart (name: ${String(chart?.name)}, version: ${String(chart?.version)}); ${HINT}`]);
  if (!isFile(join(dir, 'values.yaml'))) throw new UserError([`${dir}: no values.yaml; ${HINT}`]);
  const defaults = (yamlData(join(dir, 'values.yaml'), 'values.yaml') ?? {}) as Values;
  // The values travel as JSON (Helm's own model): data JSON cannot carry (e.g. .inf) is refused.
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(defaults)), defaults)) throw new UserError([`${join(dir, 'values.yaml')}: holds data JSON cannot carry; ${HINT}`]);
  const schemaFile = join(dir, 'values.schema.json');
  let schema: Record<string, unknown> | undefined;
  if (isFile(schemaFile)) {
    try {
      schema = JSON.parse(readTextFile(schemaFile, 'values.schema.json', HINT)) as Record<string, unknown>;
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError([`${schemaFile}: not valid JSON (${(e as Error).message}); ${HINT}`]);
    }
  }
  return { version: chart.version, appVersion: String(chart.appVersion ?? ''), dir, defaults, ...(schema ? { schema } : {}) };
}
