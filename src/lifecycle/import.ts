// `import`: adopt an existing deployment (upstream's docker/ folder with a hand-edited .env, in
// either compose layout) as a dify-deploy.yaml plus the secrets store. Read through validate's
// loaders; the spec is proven by rendering it in memory and reading it back (round-trip.ts):
// what cannot be reproduced is refused with its file and line, never silently dropped.
import { relative, resolve, sep } from 'node:path';
import { stringifyYaml } from '../io/yaml-doc.js';
import { UserError } from '../io/errors.js';
import { loadAllTiers } from '../core/data.js';
import { planFor } from '../core/resolve.js';
import { parseSpecData } from '../core/spec-parse.js';
import type { Spec, SpecInput } from '../core/spec.js';
import { SPEC_FILE } from '../render/index.js';
import { credentialEntries, holdsCredentials, withoutCredentials } from '../render/spec-credentials.js';
import { secretsFile } from '../render/secrets-store.js';
import { publishedSecret } from '../render/secrets.js';
import { writeFiles, type FileOutcome } from '../render/writer.js';
import { knownEnvVariables, readBesideSettings } from '../core/known-env.js';
import { loadDeployment, type ValidateInputs } from '../validate/load.js';
import { adoptDeployment, type Refusal } from './adopt.js';
import { adoptHelmValues, helmRoundTrip } from './adopt-helm.js';
import { isSecretName } from '../core/secret-data.js';
import { dataMoves, type DataMove } from './data-moves.js';
import { missingServices, renderAndRead, roundTripMismatches } from './round-trip.js';
import { budgetSummary } from '../core/budget-lines.js';

export interface ImportOptions extends Pick<ValidateInputs, 'dir' | 'env' | 'compose' | 'helmValues' | 'release' | 'dbMaxConnections'> {
  out: string;
  /** --out was given: only then may the output be the folder import reads. */
  outGiven: boolean;
  force?: boolean;
  dryRun?: boolean;
}

export interface SizingSummary {
  concurrentRequests: number;
  sustainableQps: number;
  budgetRequired: number | null;
  /** The limit the budget is judged against; `limit` names it (max_client_conn behind PgBouncer). */
  maxConnections: number;
  limit: 'max_client_conn' | 'max_connections';
  /** The database's own max_connections. */
  databaseMaxConnections: number;
  fits: boolean;
}

export interface ImportReport {
  release: { version: string; source: string; guessed: boolean };
  inputs: string[];
  outDir: string;
  backends: { database: string; redis: string; vectorStore: string; storage: string; domain: string };
  /** overrides.env keys (values stay in the spec; secret-like ones are never shown). */
  overridesEnv: string[];
  componentOverrides: Record<string, Record<string, unknown>>;
  secrets: { kept: string[]; generated: string[] };
  sizing: { current: SizingSummary; suggestedTier: string; tierPlan: SizingSummary };
  refusals: Refusal[];
  problems: string[];
  warnings: string[];
  notes: string[];
  /** Data folders of the old stack and where the rendered compose file mounts them: move them before the first start. */
  dataMoves: DataMove[];
  files: FileOutcome[];
  conflicts: FileOutcome[];
  written: boolean;
  dryRun: boolean;
}


function summary(spec: Spec): SizingSummary {
  const p = planFor(spec, spec.targets[0]);
  return { ...p.capacity, ...budgetSummary(p.budget) };
}

/** The tier whose own plan serves the closest number of concurrent API requests to what the deployment serves now. */
function nearestTier(spec: SpecInput, current: number): { name: string; spec: Spec } {
  const withoutSizing = (tier: string) => parseSpecData({ ...spec, tier, overrides: { ...spec.overrides, components: undefined, database: undefined } }, 'imported spec');
  let best: { name: string; spec: Spec; distance: number } | undefined;
  for (const t of loadAllTiers()) {
    const s = withoutSizing(t.name);
    const capacity = planFor(s, s.targets[0]).capacity.concurrentRequests;
    const distance = Math.abs(Math.log(Math.max(1, capacity) / Math.max(1, current)));
    if (!best || distance < best.distance) best = { name: t.name, spec: s, distance };
  }
  return best!;
}

function sourceDir(o: ImportOptions): string {
  return resolve(o.dir ?? (o.compose ? resolve(o.compose, '..') : o.env ? resolve(o.env, '..') : o.helmValues ? resolve(o.helmValues, '..') : '.'));
}

function describeBackends(spec: Spec): ImportReport['backends'] {
  const d = spec.database;
  const r = spec.redis;
  const v = spec.vectorStore;
  return {
    database: `${d.engine} ${d.mode}${d.mode === 'external' ? ` at ${d.host}${d.port ? `:${d.port}` : ''} (max_connections ${d.maxConnections})` : ''}`,
    redis: `${r.mode}${r.mode === 'external' ? ` ${r.topology}${r.host ? ` at ${r.host}${r.port ? `:${r.port}` : ''}` : ''}` : ''}`,
    vectorStore: `${v.type} ${v.mode}${v.url ? ` at ${v.url}` : v.host ? ` at ${v.host}` : ''}`,
    storage: spec.storage.type + (spec.storage.bucket ? ` bucket ${spec.storage.bucket}` : ''),
    domain: `${spec.domain.host} (tls ${spec.domain.tls})`,
  };
}

function specText(spec: SpecInput, release: ImportReport['release'], inputs: string[], tier: string): string {
  const header = [
    `# Imported by \`dify-deploy import\` from ${inputs.join(', ')}.`,
    `# release ${release.version}: ${release.source}${release.guessed ? ' — only guessed: check it' : ''}.`,
    `# overrides.components is the sizing the deployment runs with now; delete it to take the ${tier} tier's plan (\`dify-deploy plan\` shows both).`,
    '# overrides.env holds every setting that differs from the release\'s upstream default. Secrets are in .dify-deploy/secrets.env.',
  ];
  const { release: version, tier: t, ...rest } = spec;
  return `${header.join('\n')}\n${stringifyYaml({ release: version, tier: t, ...rest })}`;
}

export function importDeployment(o: ImportOptions): ImportReport {
  const from = sourceDir(o);
  const out = resolve(o.out);
  if (!o.outGiven && (out === from || out.startsWith(from + sep)))
    throw new UserError([`${relative(process.cwd(), out) || '.'}: is inside the folder being imported (${from}); import never writes there unless you say so: pass --out DIR`]);
  const { deployment: d, findings } = loadDeployment(o);
  // Helm values alone: adopted for the helm target; with compose files, those describe the deployment.
  const helmOnly = !d.envFile && !d.compose;
  const inputs = [d.envFile?.file, d.compose?.file, helmOnly ? d.helmValuesFile : undefined].filter((f): f is string => !!f);
  const release = { version: d.release.version, source: d.releaseSource, guessed: !d.releaseStated };
  const adoption = (helmOnly ? adoptHelmValues : adoptDeployment)(d, { dbMaxConnections: o.dbMaxConnections });
  const { spec: input, secrets, settings, notes } = adoption;
  const refusals = [...adoption.refusals];
  const warnings = findings.map((f) => `${f.file ?? ''}${f.line ? `:${f.line}` : ''} ${f.message}`);
  const components = (input.overrides!.components ??= {}) as Record<string, { env?: Record<string, string> } & Record<string, unknown>>;
  // nginx reads its rendered config, not the environment: its settings go through the plan.
  for (const key of ['NGINX_CLIENT_MAX_BODY_SIZE', 'NGINX_PROXY_READ_TIMEOUT']) {
    const v = settings.get(key);
    if (v) (components.nginx ??= {}).env = { ...(components.nginx?.env ?? {}), [key]: v.value };
  }
  const api = components.api as { replicas?: number; processesPerReplica?: number; connectionsPerProcess?: number } | undefined;
  const currentConcurrency = (api?.replicas ?? 1) * (api?.processesPerReplica ?? 1) * (api?.connectionsPerProcess ?? 10);

  const fail = (extra: Partial<ImportReport> = {}): ImportReport => ({
    release,
    inputs,
    outDir: o.out,
    backends: { database: '', redis: '', vectorStore: '', storage: '', domain: '' },
    overridesEnv: [],
    componentOverrides: {},
    secrets: { kept: Object.keys(secrets).sort(), generated: adoption.replacedSecrets },
    sizing: { current: emptySummary, suggestedTier: '', tierPlan: emptySummary },
    refusals,
    problems: [],
    warnings,
    notes,
    dataMoves: [],
    files: [],
    conflicts: [],
    written: false,
    dryRun: o.dryRun ?? false,
    ...extra,
  });
  if (refusals.length) return fail();

  const tier = nearestTier(input, currentConcurrency);
  input.tier = tier.name;
  const parse = (): Spec | undefined => {
    try {
      return parseSpecData(input, 'imported spec');
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      refusals.push(...e.lines.map((message) => ({ message })));
      return undefined;
    }
  };
  let spec = parse();
  if (!spec) return fail();

  // Fixpoint: what the render does not reproduce goes into overrides (deployment-wide, or per
  // component where the rendered service pins the variable); what still differs is refused.
  const secretValues = Object.values(secrets);
  let problems: string[] = [];
  let renderedVars: Record<string, string> = {};
  let moves: DataMove[] = [];
  if (helmOnly) refusals.push(...helmRoundTrip(d, input, secrets, settings));
  for (let round = 0; !helmOnly && round < 4; round++) {
    let view;
    try {
      view = renderAndRead(spec, secrets);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      refusals.push(...e.lines.map((message) => ({ message })));
      return fail();
    }
    problems = view.problems;
    if (!view.deployment) break;
    renderedVars = view.deployment.vars;
    moves = dataMoves(d, view.deployment, resolve(o.out), view.files.map((f) => f.path));
    // A secret at a published default is never carried over (render refuses it): a new one is generated.
    const mismatches = roundTripMismatches(d, settings, view.deployment, secretValues).filter((m) => {
      if (!publishedSecret(m.key, m.want)) return true;
      if (!adoption.replacedSecrets.includes(m.key)) adoption.replacedSecrets.push(m.key);
      return false;
    });
    if (round === 3 || mismatches.length === 0) {
      // One line per setting, naming every process that would lose it.
      for (const key of new Set(mismatches.map((m) => m.key))) {
        const all = mismatches.filter((m) => m.key === key);
        const m = all[0];
        const where = all.map((x) => x.component).filter(Boolean);
        refusals.push({
          file: m.origin?.file,
          line: m.origin?.line,
          message: `${key}${isSecretName(key) || m.embedsSecret ? '' : `=${m.want}`}: dify-deploy cannot reproduce it${where.length ? ` for ${where.join(', ')}` : ''}${m.embedsSecret ? ' (it embeds a secret; dify-deploy derives this value from the spec — make the spec say the same, e.g. the same Redis host)' : ''}`,
        });
      }
      for (const s of missingServices(d, view.deployment))
        refusals.push({ file: d.compose?.file, line: s.line, message: `service ${s.name}${s.usedBy ? ` (used by ${s.usedBy})` : ''}: not part of what dify-deploy renders for this deployment; point that setting at the backend the rest uses, or run the service from a compose file of your own beside dify-deploy's` });
      break;
    }
    // A variable the plan sizes for the component goes into its overrides, so the plan (and its budget) sees it.
    const plan = planFor(spec, 'compose');
    const sizes = (c: string, key: string) => plan.components.find((p) => p.name === c)?.env[key] !== undefined;
    for (const m of mismatches) {
      if (m.embedsSecret) continue;
      if (m.component && (m.pinned || sizes(m.component, m.key))) {
        const c = (components[m.component] ??= {});
        c.env = { ...(c.env ?? {}), [m.key]: m.want };
      } else (input.overrides!.env ??= {})[m.key] = m.want;
    }
    spec = parse();
    if (!spec) return fail();
  }
  if (refusals.length) return fail();

  const known = knownEnvVariables(d.release.version);
  for (const k of Object.keys(input.overrides?.env ?? {}))
    if (!known.has(k) && !readBesideSettings(k) && !d.compose?.referenced.has(k)) warnings.push(`${k}: not a variable Dify ${d.release.version} documents (typo?); kept in overrides.env`);
  // The spec proven above, with its credentials moved to the store (render reads them back from there).
  Object.assign(secrets, credentialEntries(input));
  const committable = withoutCredentials(input);
  const privateSpec = holdsCredentials(committable);
  // Only the replaced secrets this deployment uses are worth a word (the store holds one for every backend).
  const replaced = adoption.replacedSecrets.filter((k) => k in renderedVars);
  adoption.replacedSecrets.splice(0, adoption.replacedSecrets.length, ...replaced);
  if (d.compose)
    for (const [k, v] of settings)
      if (!d.services.some((s) => s.active && s.env[k] === v.value) && k in (input.overrides?.env ?? {}))
        warnings.push(`${k} (${v.origin.file}:${v.origin.line}): reached no container of this deployment (its compose file does not pass it); in overrides.env it reaches every Dify container that does not pin it`);
  if (replaced.length)
    notes.push(
      `published default or empty secrets are not kept: ${replaced.join(', ')} get new values on the first render; where one guards a running service (DB_PASSWORD, REDIS_PASSWORD), change the service to the new value (e.g. ALTER USER) before switching over`,
    );
  if (d.compose)
    notes.push(
      `before the first start: stop the old stack (docker compose -f ${d.compose.file} down) — both publish the same ports and must never run on the same data${moves.length ? '; then move its data folders (dataMoves) to where the new compose file mounts them, or the new stack starts empty' : ''}`,
    );
  const files = [{ path: SPEC_FILE, content: specText(committable, release, inputs, tier.name), mode: privateSpec ? 0o600 : 0o644 }, secretsFile(o.out, secrets)];
  const written = writeFiles(o.out, files, { force: o.force, dryRun: o.dryRun });
  return {
    ...fail(),
    backends: describeBackends(spec),
    overridesEnv: Object.keys(input.overrides?.env ?? {}).sort(),
    componentOverrides: Object.fromEntries(Object.entries(components).map(([k, v]) => [k, { ...v, ...(v.env ? { env: Object.keys(v.env) } : {}) }])),
    sizing: { current: summary(spec), suggestedTier: tier.name, tierPlan: summary(tier.spec) },
    problems,
    dataMoves: moves,
    files: written.files,
    conflicts: written.conflicts,
    written: written.written,
  };
}

const emptySummary: SizingSummary = { concurrentRequests: 0, sustainableQps: 0, budgetRequired: 0, maxConnections: 0, limit: 'max_connections', databaseMaxConnections: 0, fits: false };

