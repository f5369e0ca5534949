// `render`: spec → plan per target → files in memory (renderFiles, pure) → the writer
// (renderDeployment). A plan with problems is never rendered to disk.
import { readFileSync } from 'node:fs';
import { basename, resolve, join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { stringifyYaml } from '../io/yaml-doc.js';
import { defaultReleaseVersion, loadRelease } from '../core/data.js';
import { planFor } from '../core/resolve.js';
import type { Plan } from '../core/sizing.js';
import type { Spec, Target } from '../core/spec.js';
import { renderCompose } from './compose/index.js';
import { renderHelm } from './helm.js';
import { rendererFingerprint } from './fingerprint.js';
import { renderRunbook } from './recovery.js';
import { publishedOverrides, resolveSecrets, screenAdoptedSecrets } from './secrets.js';
import { UserError } from '../io/errors.js';
import { readExistingSecrets, secretsFile } from './secrets-store.js';
import { credentialEntries, holdsCredentials, inlineCredentialAdvice, withoutCredentials, withStoredCredentials } from './spec-credentials.js';
import { specSecretProblems } from './spec-secrets.js';
import type { RenderContext, RenderedFile } from './types.js';
import { checkOutDir, writeFiles, type FileOutcome } from './writer.js';

export type RenderTarget = Target | 'all';

export const RENDERERS: Record<Target, (ctx: RenderContext) => RenderedFile[]> = {
  compose: renderCompose,
  helm: renderHelm,
};

export const SPEC_FILE = 'dify-deploy.yaml';

/** Options for tests; see RenderContext.upstreamHosts. */
export type RenderOptions = Pick<RenderContext, 'upstreamHosts'>;

export function targetsOf(target: RenderTarget): Target[] {
  return target === 'all' ? (Object.keys(RENDERERS) as Target[]) : [target];
}

/** The spec as rendered: every default made explicit, so a re-render gives the same deployment; its credentials are in the store. */
export function specFile(spec: Spec, targets: Target[]): RenderedFile {
  const header = '# dify-deploy spec: `dify-deploy render --config dify-deploy.yaml` re-renders this deployment.\n';
  // The release first and always: without it a later dify-deploy would move Dify to its own newest release on a re-render.
  const { release, ...rest } = withoutCredentials(spec);
  const explicit = { release: release ?? defaultReleaseVersion(), ...rest, targets };
  return { path: SPEC_FILE, content: header + stringifyYaml(explicit), mode: holdsCredentials(explicit) ? 0o600 : 0o644 };
}

/** Pure: the files of every requested target, plus the spec they came from. */
/** `readBack`: render a plan with problems too, to be read (import's round trip), never written. */
export function renderFiles(given: Spec, target: RenderTarget, secrets: Record<string, string>, options: RenderOptions & { readBack?: boolean } = {}): { files: RenderedFile[]; plans: Plan[] } {
  const spec = withStoredCredentials(given, secrets);
  const release = loadRelease(spec.release);
  const targets = targetsOf(target);
  const files: RenderedFile[] = [];
  const plans: Plan[] = [];
  for (const t of targets) {
    const plan = planFor(spec, t, release);
    plans.push(plan);
    // A plan with problems is refused, never rendered (its files would not work).
    if (plan.problems.length === 0 || options.readBack) files.push(...RENDERERS[t]({ spec, plan, release, secrets, upstreamHosts: options.upstreamHosts }));
  }
  // One runbook covers every target rendered together.
  files.push(renderRunbook({ spec, plan: plans[0], release, secrets }, targets), specFile(given, targets));
  return { files, plans };
}

export interface RenderReport {
  outDir: string;
  release: string;
  targets: Target[];
  tiers: string[];
  /** Plan problems: nothing was rendered. */
  refused: string[];
  warnings: string[];
  /** What the operator must know about this render (e.g. published default secrets replaced). */
  notices: string[];
  files: FileOutcome[];
  /** Files kept because the user edited them; nothing was written. */
  conflicts: FileOutcome[];
  written: boolean;
  dryRun: boolean;
}

export async function renderDeployment(opts: {
  spec: Spec;
  outDir: string;
  target: RenderTarget;
  force?: boolean;
  dryRun?: boolean;
  /** The spec file the spec was read from: when it is the output's dify-deploy.yaml it stays the user's. */
  specPath?: string;
  options?: RenderOptions;
  /** Files written in the same all-or-nothing step (upgrade: the spec with its new release). */
  extraFiles?: RenderedFile[];
}): Promise<RenderReport> {
  checkOutDir(opts.outDir);
  const published = publishedOverrides(opts.spec);
  if (published.length) throw new UserError(published);
  const adopted = screenAdoptedSecrets(readExistingSecrets(opts.outDir));
  // A credential the spec still gives inline wins, and goes to the store, out of the spec written here.
  const secrets = { ...resolveSecrets(adopted.kept, opts.spec), ...credentialEntries(opts.spec) };
  const { files, plans } = renderFiles(opts.spec, opts.target, secrets, opts.options);
  const storesFromSecret = opts.spec.helm?.existingSecret !== undefined && plans.every((p) => p.target === 'helm');
  const weakSecrets = plans[0].problems.length ? [] : specSecretProblems({ spec: opts.spec, plan: plans[0], release: loadRelease(opts.spec.release), secrets }, storesFromSecret);
  if (weakSecrets.length) throw new UserError(weakSecrets);
  const base = {
    outDir: opts.outDir,
    release: plans[0].release,
    targets: plans.map((p) => p.target),
    tiers: [...new Set(plans.map((p) => p.tier))],
    warnings: [...new Set(plans.flatMap((p) => p.warnings))],
    notices: [...adopted.notices, ...(opts.specPath ? inlineCredentialAdvice(opts.spec, opts.specPath) : [])],
    dryRun: opts.dryRun ?? false,
  };
  const refused = [...new Set(plans.flatMap((p) => p.problems))];
  if (refused.length) return { ...base, refused, files: [], conflicts: [], written: false };
  const ownSpec = opts.specPath !== undefined && resolve(opts.specPath) === resolve(join(opts.outDir, SPEC_FILE));
  const toWrite = [...files.filter((f) => !(ownSpec && f.path === SPEC_FILE)), secretsFile(opts.outDir, secrets), ...(opts.extraFiles ?? [])];
  const result = writeFiles(opts.outDir, toWrite, { force: opts.force, dryRun: opts.dryRun, renderer: rendererFingerprint() });
  const notices = [...base.notices, ...droppedVariableNotices(opts.outDir, result.files, toWrite)];
  return { ...base, notices, refused: [], files: result.files, conflicts: result.conflicts, written: result.written };
}

/**
 * A `.env` that --force overwrote: the variables the user's version set and the new one does not
 * (names only — values may be secrets). Their version is kept; the spec is where they belong.
 */
function droppedVariableNotices(outDir: string, outcomes: FileOutcome[], written: RenderedFile[]): string[] {
  return outcomes.flatMap((o) => {
    const rendered = written.find((f) => f.path === o.path);
    if (!o.keptAs || !rendered || basename(o.path) !== '.env') return [];
    const now = parseDotenv(rendered.content);
    const dropped = Object.keys(parseDotenv(readFileSync(join(outDir, o.keptAs)))).filter((name) => !Object.hasOwn(now, name));
    if (!dropped.length) return [];
    return [`${o.path}: --force replaced your edited file, and ${dropped.join(', ')} ${dropped.length > 1 ? 'are' : 'is'} not in the new one; your version is kept as ${o.keptAs} (0600). Add them to overrides.env in dify-deploy.yaml to have them rendered.`];
  });
}
