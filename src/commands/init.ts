// `dify-deploy init`: the wizard. Asks (or takes from --answers / --yes / flags) the
// deployment's choices, shows the plan and the files, then writes dify-deploy.yaml and
// renders into the output directory. Nothing touches the disk before the last confirmation.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readUserText } from '../io/user-file.js';
import { z } from 'zod';
import { UserError } from '../io/errors.js';
import { planFor } from '../core/resolve.js';
import type { Plan } from '../core/sizing.js';
import { parseYamlMapping } from '../core/spec-file.js';
import type { Spec } from '../core/spec.js';
import { renderDeployment, SPEC_FILE, targetsOf, type RenderReport, type RenderTarget } from '../render/index.js';
import { readExistingSecrets } from '../render/secrets-store.js';
import { inlineCredentials, withoutCredentials, withStoredCredentials } from '../render/spec-credentials.js';
import { getAt } from '../core/data-path.js';
import { parseSpecData } from '../core/spec-parse.js';
import { parseOptions } from '../cli/options.js';
import { colors, type Io } from '../cli/io.js';
import { fileLines } from '../cli/file-status.js';
import { askSpec } from '../wizard/flow.js';
import { defaultPrompts, inquirerPrompts, isPromptCancel, type Choice, type Prompts } from '../wizard/prompts.js';
import type { GivenAnswers } from '../wizard/session.js';
import { formatPlan } from './plan.js';
import { formatRenderReport } from './render.js';

/** init's default output directory: `cd dify && dify-deploy render` then re-renders in place. */
export const DEFAULT_INIT_DIR = 'dify';
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
  const text = readUserText(path, { what: 'answers file', hint: '--answers takes a YAML file with dify-deploy.yaml keys' });
  return { ...parseYamlMapping(text, path), source: path };
}

/** The answers given before any question: the answers file, then the flags on top. */
function givenAnswers(opts: InitOptions): GivenAnswers {
  const given: GivenAnswers = opts.answers ? readAnswersFile(opts.answers) : { data: {}, source: opts.yes ? '--yes' : 'flags' };
  const data = given.data;
  if (opts.tier) {
    data.tier = opts.tier;
    delete data.qps;
  }
  if (opts.release) data.release = opts.release;
  if (opts.target) data.targets = targetsOf(opts.target);
  return given;
}

/**
 * The answers of a deployment already in `outDir` (its dify-deploy.yaml, with the credentials
 * its secrets store holds): the defaults of a re-run, so Enter changes nothing.
 */
function existingAnswers(outDir: string): Record<string, unknown> | undefined {
  const path = join(outDir, SPEC_FILE);
  const text = readUserText(path, { what: 'spec file', hint: 'init re-reads the deployment it is run in: fix the file or pass another --out', within: outDir, optional: true });
  if (text === undefined) return undefined;
  const { data, lineOf } = parseYamlMapping(text, path);
  parseSpecData(data, path, lineOf);
  return withStoredCredentials(data, readExistingSecrets(outDir), true);
}

const leaves = (v: unknown, path: string, out: Map<string, string>): Map<string, string> => {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) leaves(x, path ? `${path}.${k}` : k, out);
  else if (v !== undefined) out.set(path, JSON.stringify(v));
  return out;
};

/** The spec keys a re-run changes, `key: old → new`; a credential's value is never shown. */
function specChanges(before: Spec, after: Spec): string[] {
  const secret = new Set([...inlineCredentials(before), ...inlineCredentials(after)].map((c) => c.path));
  const [a, b] = [leaves(withoutCredentials(before), '', new Map()), leaves(withoutCredentials(after), '', new Map())];
  const lines: string[] = [];
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort())
    if (a.get(key) !== b.get(key)) lines.push(`  ${key}: ${a.get(key) ?? '(none)'} → ${b.get(key) ?? '(none)'}`);
  for (const path of [...secret].sort()) if (getAt(before, path) !== getAt(after, path)) lines.push(`  ${path}: ${getAt(after, path) === undefined ? 'removed' : 'changed'} (not shown)`);
  return lines;
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
  /** The render (or, when nothing was written, the preview of it). */
  render?: RenderReport;
  written: boolean;
  /** Why nothing was written. */
  stopped?: 'declined' | 'problems' | 'conflicts';
}

async function summary(plans: Plan[], preview: RenderReport): Promise<string> {
  const c = await colors();
  const planTexts = await Promise.all(plans.map(formatPlan));
  const files = fileLines(preview.files, c);
  return [...planTexts.flatMap((t) => [t, '']), c.bold(`Files in ${preview.outDir}/:`), ...(files.length ? files : ['  none: the plan has problems'])].join('\n');
}

type Next = 'write' | 'overwrite' | 'change' | 'quit';

/** The last question: write, or go back. Conflicting files are replaced only when chosen here. */
function confirmWrite(prompts: Prompts, preview: RenderReport): Promise<Next> {
  const choices: Choice<Next>[] = [];
  if (preview.refused.length === 0 && preview.conflicts.length === 0) choices.push({ value: 'write', name: 'write them' });
  if (preview.refused.length === 0 && preview.conflicts.length > 0)
    choices.push({ value: 'overwrite', name: `write them, replacing the ${preview.conflicts.length} file(s) marked KEEP (like --force)` });
  choices.push({ value: 'change', name: 'change my answers' }, { value: 'quit', name: 'quit without writing' });
  const message = preview.refused.length
    ? 'The plan has problems (above); nothing can be written yet.'
    : preview.conflicts.length
      ? `${preview.conflicts.length} file(s) in ${preview.outDir} differ from what dify-deploy wrote (marked conflict).`
      : `Write these files to ${preview.outDir}?`;
  return prompts.select({ id: 'confirm', message, choices });
}

/** The whole init: questions (or answers), summary, confirmation, render. Prints as it goes. */
export async function initDeployment(opts: InitOptions, { io, prompts }: InitDeps): Promise<InitReport> {
  const given = givenAnswers(opts);
  const outDir =
    opts.out ??
    (prompts
      ? await prompts.text({ id: 'out', message: 'Directory to write the deployment into:', default: DEFAULT_INIT_DIR, validate: (s) => s.trim() !== '' || 'required' })
      : DEFAULT_INIT_DIR);
  const existing = entriesIn(outDir);
  // A deployment there already: its answers are the defaults, and the changes are shown before anything is written.
  const deployed = existing > 0 ? existingAnswers(outDir) : undefined;
  if (existing > 0 && !opts.force) {
    if (!prompts)
      throw new UserError([
        `${outDir}: ${deployed ? `holds a deployment (${SPEC_FILE}); init starts from its answers, but` : `not empty (${existing} entries);`} pass --force to write into it, or choose another --out`,
      ]);
    const goOn = await prompts.confirm({
      id: 'nonEmpty',
      message: deployed
        ? `${outDir} holds a deployment: change it? Its answers are the defaults, and you see what changes before anything is written.`
        : `${outDir} is not empty (${existing} entries). Write into it? Files you edited are kept unless you say so.`,
      default: deployed !== undefined,
    });
    if (!goOn) return { outDir, plans: [], written: false, stopped: 'declined' };
  }

  const before = deployed && parseSpecData(deployed, join(outDir, SPEC_FILE));
  let previous = deployed;
  for (;;) {
    const { spec, data } = await askSpec(prompts ?? defaultPrompts(given.source, opts.answers !== undefined), given, previous);
    const plans = spec.targets.map((t) => planFor(spec, t));
    const target: RenderTarget = spec.targets.length > 1 ? 'all' : spec.targets[0];
    const preview = await renderDeployment({ spec, outDir, target, force: opts.force, dryRun: true });
    io.out(await summary(plans, preview));
    if (before) {
      const changes = specChanges(before, spec);
      io.out(changes.length ? [`Changes to ${join(outDir, SPEC_FILE)}:`, ...changes].join('\n') : `${join(outDir, SPEC_FILE)}: no changes to the spec`);
    }
    const report = { outDir, spec, plans, render: preview, written: false };
    if (preview.refused.length) {
      if (!prompts || (await confirmWrite(prompts, preview)) !== 'change') return { ...report, stopped: 'problems' };
      previous = data;
      continue;
    }
    let force = opts.force;
    if (prompts) {
      const next = await confirmWrite(prompts, preview);
      if (next === 'quit') return { ...report, stopped: 'declined' };
      if (next === 'change') {
        previous = data;
        continue;
      }
      force ||= next === 'overwrite';
    }
    io.out(`Rendering ${preview.files.length} files into ${outDir}/ …`);
    // Past the confirmation a Ctrl-C would leave half a deployment: hold it until the write ends.
    const holdInterrupt = () => {};
    process.on('SIGINT', holdInterrupt);
    let rendered: RenderReport;
    try {
      rendered = await renderDeployment({ spec, outDir, target, force });
    } finally {
      process.off('SIGINT', holdInterrupt);
    }
    return { ...report, render: rendered, written: rendered.written, ...(rendered.written ? {} : { stopped: 'conflicts' as const }) };
  }
}

export async function formatInitResult(report: InitReport): Promise<string> {
  switch (report.stopped) {
    case undefined:
      return `${await formatRenderReport(report.render!)}\nChange dify-deploy.yaml and run \`dify-deploy render\` in ${report.outDir} to resize; your secrets are kept.`;
    case 'problems':
      return 'Nothing written: fix the problems above (see `dify-deploy plan`) and run init again.';
    case 'conflicts':
      return await formatRenderReport(report.render!);
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
    io.out(await formatInitResult(report));
    return report.written || report.stopped === 'declined' ? 0 : 1;
  } catch (e) {
    if (!isPromptCancel(e)) throw e;
    io.err('Cancelled: nothing written.');
    return EXIT_INTERRUPTED;
  }
}
