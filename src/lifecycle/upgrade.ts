// `upgrade`: re-plan a deployment for another Dify release. First a typed diff (services, images,
// variables with their upstream sources, layout, new secrets, settings no longer read, actions),
// then — when the command says so — one all-or-nothing write through render's writer: the
// rendered files plus dify-deploy.yaml with only `release:` changed. Secrets and overrides stay.
import { existsSync, statSync } from 'node:fs';
import { readUserText } from '../io/user-file.js';
import { basename, dirname } from 'node:path';
import { budgetSummary } from '../core/budget-lines.js';
import { parse as parseYaml, parseDocument } from 'yaml';
import { yamlText } from '../io/yaml-doc.js';
import { UserError } from '../io/errors.js';
import { defaultReleaseVersion, loadRelease, type Release } from '../core/data.js';
import { planFor } from '../core/resolve.js';
import { readSpecFile } from '../core/spec-file.js';
import type { Spec } from '../core/spec.js';
import { renderDeployment, renderFiles, SPEC_FILE, type RenderReport, type RenderTarget } from '../render/index.js';
import { knownEnvVariables } from '../core/known-env.js';
import { resolveSecrets } from '../render/secrets.js';
import { readExistingSecrets } from '../render/secrets-store.js';
import type { RenderedFile } from '../render/types.js';
import { compareVersions } from '../validate/release.js';
import { envDefaults, renames, type Rename } from './release-env.js';
import { knownReleases } from '../core/releases/store.js';
import { secretData } from '../core/secret-data.js';

export interface VariableChange {
  name: string;
  from?: string;
  to?: string;
  /** Where the release data has it: release data <v> (its origin) ← upstream file:line. */
  source: string;
}

/** A variable the new release requires that the old one did not (set, non-empty, or in a format), with its curated source. */
export interface RequiredVariable {
  name: string;
  requirement: string;
  source: string;
}

export interface UpgradeDiff {
  from: string;
  to: string;
  direction: 'upgrade' | 'downgrade' | 'same';
  services: { added: string[]; removed: string[] };
  images: { image: string; from?: string; to?: string }[];
  variables: { added: VariableChange[]; removed: VariableChange[]; renamed: Rename[]; changedDefault: VariableChange[]; newlyRequired: RequiredVariable[] };
  layout?: { from: Release['composeLayout']; to: Release['composeLayout']; note: string };
  /** Secrets the new release needs that the store lacks: generated once on write, never printed. */
  newSecrets: string[];
  /** Your overrides the new release no longer reads (reported, never dropped), with a rename when there is one. */
  overridesNotRead: { name: string; renamedTo?: string; source?: string }[];
  actions: string[];
  sizing: { from: SizingNumbers; to: SizingNumbers };
}

export interface PreparedUpgrade {
  diff: UpgradeDiff;
  specFile: string;
  outDir: string;
  /** Writes (or with dryRun only plans) the upgrade; nothing is written when a file was edited. */
  write(dryRun: boolean): Promise<RenderReport>;
}

const between = (v: string, from: string, to: string) => compareVersions(v, from) > 0 && compareVersions(v, to) <= 0;

function servicesOf(files: RenderedFile[]): string[] {
  const compose = files.find((f) => f.path === 'docker-compose.yaml');
  if (!compose) return [];
  return Object.keys((parseYaml(compose.content) as { services?: Record<string, unknown> }).services ?? {});
}

function variableDiff(from: string, to: string): UpgradeDiff['variables'] {
  const a = envDefaults(from);
  const b = envDefaults(to);
  const label = { [from]: `release data ${from} (${knownReleases().get(from)?.kind})`, [to]: `release data ${to} (${knownReleases().get(to)?.kind})` };
  const source = (v: string, d: { source: string }) => `${label[v]} ← ${d.source}`;
  const renamed = renames().filter((r) => between(r.since, from, to) && r.from in a);
  const renamedNames = new Set(renamed.flatMap((r) => [r.from, r.to]));
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().filter((n) => !renamedNames.has(n));
  const out: UpgradeDiff['variables'] = { added: [], removed: [], renamed, changedDefault: [], newlyRequired: newlyRequired(from, to) };
  for (const n of names) {
    if (!(n in a)) out.added.push({ name: n, to: b[n].value, source: source(to, b[n]) });
    else if (!(n in b)) out.removed.push({ name: n, from: a[n].value, source: source(from, a[n]) });
    else if (a[n].value !== b[n].value) out.changedDefault.push({ name: n, from: a[n].value, to: b[n].value, source: source(to, b[n]) });
  }
  return out;
}

/** Curated secret facts (releases/secrets.json) that start to apply between the two releases. */
function newlyRequired(from: string, to: string): RequiredVariable[] {
  const out: RequiredVariable[] = [];
  for (const f of secretData().secrets) {
    if (f.from && between(f.from, from, to)) out.push({ name: f.var, requirement: `must be set${f.emptyOk ? '' : ' and non-empty'}, at least ${f.minLength} random characters: ${f.why}`, source: `releases/secrets.json (from ${f.from})` });
    if (f.format && between(f.format.from, from, to)) out.push({ name: f.var, requirement: `must be unpadded base64url of exactly ${f.format.bytes} bytes`, source: f.format.source });
  }
  return out;
}

/** The Celery queues a release's workers consume by default (release table: execution.defaultQueues). */
const queuesOf = (r: Release): string[] => r.execution.defaultQueues;

function actions(spec: Spec, a: Release, b: Release, added: string[]): string[] {
  const out = ['Back up first (RUNBOOK.md: "Upgrading Dify"); keep that backup: applied migrations cannot be rolled back.'];
  if (spec.targets.includes('compose')) out.push('Migrate once, then start: docker compose pull && docker compose run --rm migrate && docker compose up -d');
  if (spec.targets.includes('helm')) {
    out.push('Apply the migration Job after helm upgrade: kubectl apply -f helm/extra/ (it runs flask upgrade-db once)');
    if (a.helm.version !== b.helm.version) out.push(`Helm chart ${a.helm.version} → ${b.helm.version}: helm upgrade … --version ${b.helm.version} -f helm/values.yaml (${b.helm.note})`);
  }
  if (a.pluginDaemonVersion !== b.pluginDaemonVersion)
    out.push(`Plugin daemon ${a.pluginDaemonVersion} → ${b.pluginDaemonVersion}: it migrates its own database (${spec.database.pluginDatabase}) when it starts`);
  const newQueues = queuesOf(b).filter((q) => !queuesOf(a).includes(q));
  if (newQueues.length) out.push(`New Celery queues ${newQueues.join(', ')} (${b.execution.queuesSource}): the rendered workers consume them; a worker of your own must too`);
  if (added.length) out.push(`New services ${added.join(', ')}: pulled and started by the commands above`);
  const together = b.requirements?.upgradeTogether;
  if (together && a.requirements?.upgradeTogether?.source !== together.source) out.push(`Upgrade ${together.components.join(', ')} together, never one at a time (${together.source})`);
  const compose = b.requirements?.composeVersion;
  if (compose && spec.targets.includes('compose') && a.requirements?.composeVersion?.min !== compose.min) out.push(`Docker Compose ${compose.min} or later first: docker compose version (${compose.source})`);
  return out;
}

type SizingNumbers = ReturnType<typeof budgetSummary> & { concurrentRequests: number };

function summary(spec: Spec): SizingNumbers {
  const p = planFor(spec, spec.targets[0]);
  return { ...budgetSummary(p.budget), concurrentRequests: p.capacity.concurrentRequests };
}

/** The spec file with only `release:` changed: comments, order and every other key stay the user's. */
function specWithRelease(text: string, to: string): string {
  const doc = parseDocument(text);
  doc.set('release', to);
  return yamlText(doc);
}

export function prepareUpgrade(opts: { config?: string; to: string; force?: boolean }): PreparedUpgrade {
  const specFile = opts.config ?? SPEC_FILE;
  if (!existsSync(specFile))
    throw new UserError([
      `${specFile}: no dify-deploy spec here; upgrade works on a deployment dify-deploy manages — adopt yours first with \`dify-deploy import DIR --out DIR2\`, or pass --config FILE`,
    ]);
  const spec = readSpecFile(specFile);
  const target = loadRelease(opts.to); // unknown release → exit 2 with the known ones
  const from = spec.release ?? defaultReleaseVersion();
  const source = loadRelease(from);
  const cmp = compareVersions(opts.to, from);
  if (cmp < 0 && !opts.force)
    throw new UserError([
      `--to ${opts.to}: a downgrade from ${from}; refused because Dify's database migrations only go forward — ${opts.to} cannot run on the schema ${from} has migrated. Restore the backup taken before upgrading (RUNBOOK.md), then pass --force`,
    ]);
  const outDir = dirname(specFile);
  const next: Spec = { ...spec, release: opts.to };
  const targets: RenderTarget = spec.targets.length > 1 ? 'all' : spec.targets[0];
  const existing = readExistingSecrets(outDir);
  const secrets = resolveSecrets(existing, next);
  const before = renderFiles(spec, targets, resolveSecrets(existing, spec));
  const after = renderFiles(next, targets, secrets);
  const [was, now] = [servicesOf(before.files), servicesOf(after.files)];
  const added = now.filter((s) => !was.includes(s));
  const content = after.files.map((f) => f.content).join('\n');
  const known = knownEnvVariables(opts.to);
  const knownBefore = knownEnvVariables(from);
  const overrideNames = [...Object.keys(spec.overrides.env ?? {}), ...Object.values(spec.overrides.components ?? {}).flatMap((c) => Object.keys(c?.env ?? {}))];
  const diff: UpgradeDiff = {
    from,
    to: opts.to,
    direction: cmp > 0 ? 'upgrade' : cmp < 0 ? 'downgrade' : 'same',
    services: { added, removed: was.filter((s) => !now.includes(s)) },
    images: [...new Set([...Object.keys(source.images), ...Object.keys(target.images)])]
      .filter((k) => source.images[k] !== target.images[k])
      .map((image) => ({ image, from: source.images[image], to: target.images[image] })),
    variables: variableDiff(from, opts.to),
    ...(source.composeLayout !== target.composeLayout
      ? {
          layout: {
            from: source.composeLayout,
            to: target.composeLayout,
            note: 'upstream moved from the x-shared-env anchor to env_file lists; dify-deploy\'s compose loads .env through env_file in every release, so your files keep their shape',
          },
        }
      : {}),
    newSecrets: Object.keys(secrets).filter((k) => !(k in existing) && content.includes(secrets[k])),
    overridesNotRead: [...new Set(overrideNames)]
      .filter((n) => knownBefore.has(n) && !known.has(n))
      .map((name) => {
        const r = renames().find((x) => x.from === name && between(x.since, from, opts.to));
        return { name, ...(r ? { renamedTo: r.to, source: r.source } : {}) };
      }),
    actions: actions(spec, source, target, added),
    sizing: { from: summary(spec), to: summary(next) },
  };
  const specText = readUserText(specFile, { what: 'spec file', hint: 'pass the spec with --config' });
  return {
    diff,
    specFile,
    outDir,
    write: (dryRun) =>
      renderDeployment({
        spec: next,
        outDir,
        target: targets,
        dryRun,
        specPath: specFile,
        // The spec under its own name, with its own mode (0600 when it holds credentials).
        extraFiles: [{ path: basename(specFile), content: specWithRelease(specText, opts.to), mode: statSync(specFile).mode & 0o777, preservesExisting: true }],
      }),
  };
}
