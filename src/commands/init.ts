// `dify-deploy init`: the wizard. Asks (or takes from --answers / --yes / flags) the
// deployment's choices, shows the plan and the files, then writes dify-deploy.yaml and
// renders into the output directory. Nothing touches the disk before the last confirmation.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { planFor } from '../core/resolve.js';
import type { Plan } from '../core/sizing.js';
import { parseYamlMapping } from '../core/spec-file.js';
import type { Spec } from '../core/spec.js';
import { writeFiles, type FileOutcome } from '../render/writer.js';
import { parseOptions } from '../cli/options.js';
import { colors, type Io } from '../cli/io.js';
import { askSpec, type WizardResult } from '../wizard/flow.js';
import { defaultPrompts, inquirerPrompts, isPromptCancel, type Prompts } from '../wizard/prompts.js';
import type { GivenAnswers } from '../wizard/session.js';
import { specYaml } from '../wizard/spec-yaml.js';
import { formatPlan } from './plan.js';

/** init's default output directory: `cd dify && dify-deploy render` then re-renders in place. */
export const DEFAULT_INIT_DIR = 'dify';
const SPEC_FILE = 'dify-deploy.yaml';
/** Exit code of a process ended by Ctrl-C (128 + SIGINT). */
const EXIT_INTERRUPTED = 130;

const initOptionsSchema = z.object({
  tier: z.string().optional(),
  release: z.string().optional(),
  target: z.enum(['compose', 'helm', 'all'], { errorMap: () => ({ message: 'expected compose, helm or all' }) }).optional(),
  out: z.string().min(1).optional(),
  force: z.boolean().optional(),
  yes: z.boolean().optional(),
  answers: z.string().min(1).optional(),
});
export type InitOptions = z.infer<typeof initOptionsSchema>;

function readAnswersFile(path: string): GivenAnswers {
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new UserError([`${path}: is a directory; --answers takes a YAML file with dify-deploy.yaml keys`]);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError([
      code === 'ENOENT' ? `${path}: answers file not found; check the --answers path` : `${path}: cannot read (${code ?? 'error'}); check its permissions`,
    ]);
  }
  return { ...parseYamlMapping(text, path), source: path };
}

/** The answers given before any question: the answers file, then the flags on top. */
export function givenAnswers(opts: InitOptions): GivenAnswers {
  const given: GivenAnswers = opts.answers ? readAnswersFile(opts.answers) : { data: {}, source: opts.yes ? '--yes' : 'flags' };
  const data = given.data;
  if (opts.tier) {
    data.tier = opts.tier;
    delete data.qps;
  }
  if (opts.release) data.release = opts.release;
  if (opts.target) data.targets = opts.target === 'all' ? ['compose', 'helm'] : [opts.target];
  return given;
}

/** Entries already in `dir` (0 when it does not exist); a file in its place is a user error. */
function entriesIn(dir: string): number {
  try {
    if (!statSync(dir).isDirectory()) throw new UserError([`${dir}: is a file; --out needs a directory`]);
    return readdirSync(dir).length;
  } catch (e) {
    if (e instanceof UserError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw new UserError([`${dir}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'}); check the --out path and its permissions`]);
  }
}

export interface InitDeps {
  io: Io;
  /** The terminal prompts; absent in non-interactive mode. */
  prompts?: Prompts;
}

export interface InitReport {
  outDir: string;
  spec?: Spec;
  plans: Plan[];
  files: FileOutcome[];
  written: boolean;
  /** Why nothing was written. */
  stopped?: 'declined' | 'problems' | 'conflicts';
}

async function summary(plans: Plan[], files: FileOutcome[], outDir: string): Promise<string> {
  const c = await colors();
  const planTexts = await Promise.all(plans.map(formatPlan));
  return [
    ...planTexts.flatMap((t) => [t, '']),
    c.bold(`Files in ${outDir}/:`),
    ...files.map((f) => `  ${f.status.padEnd(9)} ${f.path}${f.reason ? ` (${f.reason})` : ''}`),
  ].join('\n');
}

function specFile(result: WizardResult) {
  return { path: SPEC_FILE, content: specYaml(result.data), mode: 0o600 };
}

/** The whole init: questions (or answers), summary, confirmation, write. Prints as it goes. */
export async function initDeployment(opts: InitOptions, { io, prompts }: InitDeps): Promise<InitReport> {
  const interactive = prompts !== undefined;
  const given = givenAnswers(opts);
  const outDir =
    opts.out ?? (prompts ? await prompts.text({ id: 'out', message: 'Directory to write the deployment into:', default: DEFAULT_INIT_DIR, validate: (s) => s.trim() !== '' || 'required' }) : DEFAULT_INIT_DIR);
  const existing = entriesIn(outDir);
  if (existing > 0 && !opts.force) {
    if (!prompts) throw new UserError([`${outDir}: not empty (${existing} entries); pass --force to write into it, or choose another --out`]);
    const goOn = await prompts.confirm({
      id: 'nonEmpty',
      message: `${outDir} is not empty (${existing} entries). Write into it? Files you edited are kept.`,
      default: false,
    });
    if (!goOn) return { outDir, plans: [], files: [], written: false, stopped: 'declined' };
  }

  let previous: Record<string, unknown> | undefined;
  for (;;) {
    const result = await askSpec(prompts ?? defaultPrompts(given.source), given, previous);
    const plans = result.spec.targets.map((t) => planFor(result.spec, t));
    const files = [specFile(result)];
    const outcomes = writeFiles(outDir, files, { force: opts.force, dryRun: true }).files;
    io.out(await summary(plans, outcomes, outDir));
    const problems = plans.some((p) => p.problems.length > 0);
    const report = { outDir, spec: result.spec, plans, files: outcomes };
    if (!interactive) {
      if (problems) return { ...report, written: false, stopped: 'problems' };
    } else {
      const next = await prompts.select({
        id: 'confirm',
        message: problems ? 'The plan has problems (above); nothing can be written yet.' : `Write these files to ${outDir}?`,
        choices: [
          ...(problems ? [] : [{ value: 'write' as const, name: 'write them' }]),
          { value: 'change' as const, name: 'change my answers' },
          { value: 'quit' as const, name: 'quit without writing' },
        ],
      });
      if (next === 'quit') return { ...report, written: false, stopped: problems ? 'problems' : 'declined' };
      if (next === 'change') {
        previous = result.data;
        continue;
      }
    }
    io.out(`Writing ${files.length} file(s) to ${outDir}/ …`);
    const written = writeFiles(outDir, files, { force: opts.force });
    return { ...report, files: written.files, written: written.written, ...(written.written ? {} : { stopped: 'conflicts' as const }) };
  }
}

export function formatInitResult(report: InitReport): string {
  if (report.written)
    return [
      ...report.files.map((f) => `  ${f.status.padEnd(9)} ${f.path}`),
      `Done. Next: cd ${report.outDir} and follow README.md; change dify-deploy.yaml and re-run \`dify-deploy render\` to resize.`,
    ].join('\n');
  switch (report.stopped) {
    case 'problems':
      return 'Nothing written: fix the problems above (see `dify-deploy plan`) and run init again.';
    case 'conflicts':
      return `Nothing written: ${report.files.filter((f) => f.status === 'conflict').map((f) => `${f.path} (${f.reason})`).join(', ')}; move them away or pass --force.`;
    default:
      return 'Nothing written.';
  }
}

export async function runInit(raw: unknown, io: Io): Promise<number> {
  const opts = parseOptions(initOptionsSchema, raw);
  const interactive = !opts.yes && !opts.answers;
  if (interactive && !process.stdin.isTTY)
    throw new UserError([
      'init asks questions, but stdin is not a terminal; pass --yes (every default) or --answers FILE (a partial dify-deploy.yaml, the rest defaults)',
    ]);
  try {
    const report = await initDeployment(opts, { io, prompts: interactive ? await inquirerPrompts() : undefined });
    io.out(formatInitResult(report));
    return report.written || report.stopped === 'declined' ? 0 : 1;
  } catch (e) {
    if (!isPromptCancel(e)) throw e;
    io.err('Cancelled: nothing written.');
    return EXIT_INTERRUPTED;
  }
}
