// Shared command-line pieces: the spec a command works on comes from --config (or
// ./dify-deploy.yaml when present) with flags layered on top.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { UserError } from '../io/errors.js';
import { TARGETS, type Spec } from '../core/spec.js';
import { parseSpecData, schemaAt } from '../core/spec-parse.js';

export const DEFAULT_SPEC_FILE = 'dify-deploy.yaml';

export const specFlagsSchema = z.object({
  config: z.string().optional(),
  tier: z.string().optional(),
  release: z.string().optional(),
  /** The load to size for (e.g. 10 × the p99 minute `dify-deploy measure` found); the tier stays the base. */
  qps: z.coerce.number({ invalid_type_error: 'expected requests per second' }).positive('expected requests per second > 0').optional(),
  /** A pulled dify-helm chart (.tgz or directory) that defines the chart for this run. */
  chart: z.string().min(1).optional(),
  set: z.array(z.string()).optional(),
});
export type SpecFlags = z.infer<typeof specFlagsSchema>;

export const targetSchema = z.enum(TARGETS, { errorMap: () => ({ message: `expected one of ${TARGETS.join(', ')}` }) });

/** Parses commander's options at the boundary; a bad flag is a UserError (exit 2). */
export function parseOptions<T extends z.ZodTypeAny>(schema: T, raw: unknown): z.infer<T> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const flag = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  throw new UserError(r.error.issues.map((i) => (i.path.length ? `${flag(String(i.path[0]))}: ${i.message}` : i.message)));
}

/** Loads the spec from --config / ./dify-deploy.yaml and applies --tier / --release. */
export async function specFromFlags(flags: SpecFlags): Promise<{ spec: Spec; file?: string }> {
  if (flags.chart) await (await import('../helm/chart.js')).useChart(flags.chart);
  const file = flags.config ?? (existsSync(DEFAULT_SPEC_FILE) ? DEFAULT_SPEC_FILE : undefined);
  if (!file && !flags.tier && flags.qps === undefined)
    throw new UserError([`no spec: pass --tier (see \`dify-deploy tiers\`), or --config FILE, or run in a directory with ${DEFAULT_SPEC_FILE}`]);
  let data: Record<string, unknown> = {};
  let lineOf: (path: (string | number)[]) => number | undefined = () => undefined;
  if (file) {
    // yaml is loaded only when there is a file to read: it is the heaviest import on the hot path.
    const { readSpecMapping } = await import('../core/spec-file.js');
    ({ data, lineOf } = readSpecMapping(file));
  }
  // Flags win over the file; validation runs once on the result, with the file's line numbers.
  if (flags.tier) {
    data = { ...data, tier: flags.tier };
    delete data.qps;
  }
  if (flags.release) data = { ...data, release: flags.release };
  if (flags.qps !== undefined) data = { ...data, qps: flags.qps };
  for (const assignment of flags.set ?? []) data = withSetting(data, assignment);
  return { spec: parseSpecData(data, file ?? 'flags', lineOf), file };
}

/**
 * `--set a.b.c=value`: one spec key by its path, the value read as the key's schema expects it
 * (a number, true/false, a comma-separated list, else text). The spec's own validation then
 * judges it like a value from the file.
 */
export function withSetting(data: Record<string, unknown>, assignment: string): Record<string, unknown> {
  const eq = assignment.indexOf('=');
  const path = (eq > 0 ? assignment.slice(0, eq) : '').split('.');
  if (eq <= 0 || path.some((p) => p === '')) throw new UserError([`--set ${assignment}: expected key.path=value, e.g. --set storage.type=s3`]);
  const schema = schemaAt(path);
  if (!schema) throw new UserError([`--set ${assignment}: ${path.join('.')} is not a spec key (see "The spec: dify-deploy.yaml" in the README)`]);
  const text = assignment.slice(eq + 1);
  const value =
    schema instanceof z.ZodNumber && text.trim() !== '' && !Number.isNaN(Number(text))
      ? Number(text)
      : schema instanceof z.ZodBoolean && /^(true|false)$/.test(text)
        ? text === 'true'
        : schema instanceof z.ZodArray
          ? text.split(',').map((s) => s.trim()).filter(Boolean)
          : text;
  const out = structuredClone(data);
  let node: Record<string, unknown> = out;
  for (const key of path.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== 'object' || Array.isArray(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
  if (path[0] === 'tier') delete out.qps;
  return out;
}
