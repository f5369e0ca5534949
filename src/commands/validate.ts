// `dify-deploy validate`: judge a deployment's files (ours or upstream-style) for CI.
import { setFlagsFromString } from 'node:v8';
import { z } from 'zod';
import { parseOptions } from '../cli/options.js';
import { colors, outLines, type Io } from '../cli/io.js';
import { validate } from '../validate/index.js';
import { useChart } from '../helm/chart.js';
import { FORMATS, reportGithubLines, reportJsonLines, reportTextLines } from '../cli/validate-format.js';

const validateOptionsSchema = z.object({
  dir: z.string().optional(),
  config: z.string().optional(),
  env: z.string().optional(),
  compose: z.string().optional(),
  helmValues: z.string().optional(),
  release: z.string().optional(),
  chart: z.string().min(1).optional(),
  dbMaxConnections: z.coerce.number({ invalid_type_error: 'expected a whole number' }).int('expected a whole number').min(1, 'expected a whole number ≥ 1').optional(),
  format: z.enum(FORMATS, { errorMap: () => ({ message: `expected one of ${FORMATS.join(', ')}` }) }).default('text'),
  strict: z.boolean().optional(),
  /** Like every other command's --json: the same as --format json. */
  json: z.boolean().optional(),
});

/**
 * V8 optimises a function once it has run a budget of bytecode; Node 20's budget (66 KB) has the
 * `yaml` library's lexer, parser and composer optimised by TurboFan part-way through a 13 KB
 * file, and a validate run ends before that compile pays: it was half of what parsing a rendered
 * directory's files cost (valgrind, all threads). Eight times the budget leaves a small input
 * interpreted and still optimises a large one (1,000 services: fewer instructions, not more).
 * Speed only: no output depends on it (docs/benchmark.md, stop 26).
 */
const INTERRUPT_BUDGET = 512 * 1024;

export async function runValidate(raw: unknown, io: Io): Promise<number> {
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
  const opts = parseOptions(validateOptionsSchema, raw);
  if (opts.json) opts.format = 'json';
  if (opts.chart) await useChart(opts.chart);
  const report = await validate(opts, { strict: opts.strict });
  if (opts.format === 'json') outLines(io, reportJsonLines(report));
  else if (opts.format === 'github') outLines(io, reportGithubLines(report));
  else outLines(io, reportTextLines(report, await colors()));
  return report.ok ? 0 : 1;
}
