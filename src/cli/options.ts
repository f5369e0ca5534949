// Shared command-line pieces: the spec a command works on comes from --config (or
// ./dify-deploy.yaml when present) with flags layered on top.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { TARGETS, type Spec } from '../core/spec.js';
import { parseSpecData } from '../core/spec-parse.js';

export const DEFAULT_SPEC_FILE = 'dify-deploy.yaml';

export const specFlagsSchema = z.object({
  config: z.string().optional(),
  tier: z.string().optional(),
  release: z.string().optional(),
  /** The load to size for (e.g. 10 × the p99 minute `dify-deploy measure` found); the tier stays the base. */
  qps: z.coerce.number({ invalid_type_error: 'expected requests per second' }).positive('expected requests per second > 0').optional(),
  /** A pulled dify-helm chart (.tgz or directory) that defines the chart for this run. */
  chart: z.string().min(1).optional(),
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
  if (flags.chart) (await import('../helm/chart.js')).useChart(flags.chart);
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
  return { spec: parseSpecData(data, file ?? 'flags', lineOf), file };
}
