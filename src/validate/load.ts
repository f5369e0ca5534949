// Finding and reading validate's inputs: a directory (dify-deploy's output or upstream's
// docker/ folder) and/or explicit files. Unreadable or unparsable input is a UserError (exit 2);
// a spec that parses but breaks the schema is a finding, reported with the rest.
import { dirname, isAbsolute, join } from 'node:path';
import { existsSync } from 'node:fs';
import { UserError } from '../io/errors.js';
import { loadRelease } from '../core/data.js';
import { parseYamlMapping } from '../core/spec-file.js';
import { parseSpecData } from '../core/spec-parse.js';
import { unrenderable } from '../core/target-support.js';
import { inlineCredentials, moveAdvice } from '../render/spec-credentials.js';
import type { Spec } from '../core/spec.js';
import { mergeComposeFiles, parseComposeText, type ComposeFile } from './compose-file.js';
import { helmValueTraps, type YamlTrap } from './yaml-traps.js';
import { extraManifestsRead, type ManifestDoc } from './helm-extra.js';
import { HELM_VALUES_READER, parseYamlDocument } from '../io/yaml-doc.js';
import { buildDeployment, projectVars, type Deployment } from './deployment.js';
import type { Diagnostic } from './diagnostics.js';
import { parseEnvText, interpolate, type EnvFile } from './env-file.js';
import { isDirectory, isFile, readTextFile } from '../io/files.js';
import { defaultRelease, difyImageTag, releaseFromFilesBeside, releaseFromHelmValues, releaseFromImages, releaseFromVariables, type ReleaseChoice } from './release.js';

export interface ValidateInputs {
  dir?: string;
  config?: string;
  env?: string;
  compose?: string;
  helmValues?: string;
  release?: string;
  /** The external metadata server's max_connections (validate --db-max-connections). */
  dbMaxConnections?: number;
}

const COMPOSE_NAMES = ['docker-compose.yaml', 'docker-compose.yml', 'compose.yaml', 'compose.yml'];
const SPEC_NAME = 'dify-deploy.yaml';
const HELM_VALUES = join('helm', 'values.yaml');

/** compose-go's DefaultOverrideFileNames, in its order of preference. */
const OVERRIDE_NAMES = ['compose.override.yml', 'compose.override.yaml', 'docker-compose.override.yml', 'docker-compose.override.yaml'];
/** How many compose files an `extends: { file: … }` chain may pass through (Compose's own chains are one or two deep). */
const MAX_EXTENDS_FILES = 8;

function found(dir: string, ...names: string[]): string | undefined {
  return names.map((n) => join(dir, n)).find(isFile);
}

/**
 * The compose files `docker compose` runs in `dir`, in the order it merges them: the project .env's
 * COMPOSE_FILE when it sets one (split at COMPOSE_PATH_SEPARATOR, else `:`), else the file found
 * there and an override file beside it. A file named with --compose is read alone, as `-f` reads it.
 */
function composeFiles(inputs: ValidateInputs, dir: string | undefined, foundPath: string | undefined, envFile: EnvFile | undefined): { paths: string[]; hint: string } {
  const hint = 'pass it with --compose';
  if (inputs.compose) return { paths: [inputs.compose], hint };
  const vars = projectVars(envFile);
  if (dir !== undefined && envFile && vars.COMPOSE_FILE) {
    const paths = vars.COMPOSE_FILE.split(vars.COMPOSE_PATH_SEPARATOR || ':').filter(Boolean);
    return { paths: paths.map((f) => (isAbsolute(f) ? f : join(dir, f))), hint: `fix COMPOSE_FILE (${envFile.file}:${envFile.lines.COMPOSE_FILE})` };
  }
  const override = foundPath && found(dirname(foundPath), ...OVERRIDE_NAMES);
  return { paths: foundPath ? [foundPath, ...(override ? [override] : [])] : [], hint };
}

/** A compose file, and the files its services extend, read from `within` (when found there rather than named). */
function readCompose(path: string, within: string | undefined, hint: string, opts: { override?: boolean } = {}, chain: string[] = []): ComposeFile {
  if (chain.length >= MAX_EXTENDS_FILES)
    throw new UserError([`${path}: extends: passes through more than ${MAX_EXTENDS_FILES} compose files (${[...chain, path].join(' → ')}); write the services out`]);
  const text = readTextFile(path, 'compose file', hint, within);
  return parseComposeText(text, path, { ...opts, extendsFile: (other) => readCompose(isAbsolute(other) ? other : join(dirname(path), other), within, hint, {}, [...chain, path]) });
}

export function loadDeployment(inputs: ValidateInputs): { deployment: Deployment; findings: Diagnostic[] } {
  const explicit = inputs.config ?? inputs.env ?? inputs.compose ?? inputs.helmValues;
  const dir = inputs.dir ?? (explicit ? undefined : '.');
  if (dir !== undefined && !isDirectory(dir)) {
    throw new UserError([
      existsSync(dir)
        ? `${dir}: is a file, expected a directory; to check single files use --env, --compose, --config or --helm-values`
        : `${dir}: directory not found; pass dify-deploy's output directory or Dify's docker/ folder`,
    ]);
  }
  const specPath = inputs.config ?? (dir ? found(dir, SPEC_NAME) : undefined);
  const composePath = inputs.compose ?? (dir ? found(dir, ...COMPOSE_NAMES) : undefined);
  const envPath = inputs.env ?? (dir ? found(dir, '.env') : undefined) ?? (composePath ? found(dirname(composePath), '.env') : undefined);
  // A file found (not named on the command line) is read only if it stays inside where it was found.
  const envWithin = inputs.env ? undefined : dir && envPath === join(dir, '.env') ? dir : composePath && dirname(composePath);
  const helmPath = inputs.helmValues ?? (dir ? found(dir, HELM_VALUES) : undefined);
  if (!specPath && !composePath && !envPath && !helmPath)
    throw new UserError([
      `${dir}: nothing to validate: no ${SPEC_NAME}, .env, docker-compose.yaml or ${HELM_VALUES}; pass files with --env, --compose, --config or --helm-values`,
    ]);

  const findings: Diagnostic[] = [];
  let spec: Spec | undefined;
  if (specPath) {
    // A spec that does not parse or resolve (unknown key, tier or release) is bad input, exit 2,
    // as in plan and render; a backend its target cannot render is a finding about the deployment.
    const { data, lineOf } = parseYamlMapping(readTextFile(specPath, 'spec file', 'pass the spec with --config', inputs.config ? undefined : dir), specPath);
    spec = parseSpecData(data, specPath, lineOf);
    const release = loadRelease(spec.release);
    for (const target of spec.targets)
      for (const problem of unrenderable(spec, target, release)) {
        const field = problem.slice(0, problem.indexOf(':'));
        const path = field.split('.');
        const line = lineOf(path) ?? lineOf(path.slice(0, 1));
        findings.push({ rule: 'schema', severity: 'error', file: specPath, ...(line ? { line } : {}), message: `${target}: ${problem}`, fix: 'choose a backend the target can render (`dify-deploy plan` says the same)' });
      }
    for (const c of inlineCredentials(spec)) {
      const line = lineOf(c.path.split('.'));
      findings.push({
        rule: 'insecure-secret',
        severity: 'warning',
        file: specPath,
        ...(line ? { line } : {}),
        message: `${c.path}: a credential inline in the spec, which should be committable`,
        fix: moveAdvice(c, 'the spec'),
      });
    }
  }
  const envFile: EnvFile | undefined = envPath ? parseEnvText(readTextFile(envPath, '.env file', 'pass it with --env', envWithin), envPath) : undefined;
  const composeWithin = inputs.compose ? undefined : dir;
  const { paths, hint } = composeFiles(inputs, dir, composePath, envFile);
  const compose: ComposeFile | undefined = paths
    .map((path, i) => readCompose(path, composeWithin, hint, { override: i > 0 }))
    .reduce<ComposeFile | undefined>((merged, next) => (merged ? mergeComposeFiles(merged, next) : next), undefined);
  let helmValues: unknown;
  let helmLineAt: ((path: (string | number)[]) => number | undefined) | undefined;
  let helmTraps: YamlTrap[] | undefined;
  let helmManifests: (() => ManifestDoc[]) | undefined;
  if (helmPath) {
    // extra/ first (see extraManifestsRead); an error in it is still reported after the values'.
    helmManifests = extraManifestsRead(helmPath);
    const parsed = parseYamlDocument(readTextFile(helmPath, 'Helm values file', 'pass it with --helm-values', inputs.helmValues ? undefined : dir), helmPath, 'Helm values file', HELM_VALUES_READER);
    helmValues = parsed.data ?? {};
    if (typeof helmValues !== 'object' || Array.isArray(helmValues))
      throw new UserError([`${helmPath}: expected a mapping of chart values (api:, worker:, …), got ${Array.isArray(helmValues) ? 'a list' : typeof helmValues}`]);
    helmLineAt = parsed.lineAt;
    helmTraps = helmValueTraps(parsed.doc, parsed.lineOf);
  }

  const vars = projectVars(envFile);
  const named = compose && !inputs.release && !spec?.release ? difyImageTag(compose.services, (raw) => interpolate(raw, vars)) : undefined;
  if (named) releaseFromFilesBeside(dirname(compose!.file), named.tag);
  const choice: ReleaseChoice =
    (inputs.release && { version: inputs.release, source: '--release', stated: true }) ||
    (spec?.release && { version: spec.release, source: `${specPath} release:`, stated: true }) ||
    (compose && releaseFromImages(compose.services, (raw) => interpolate(raw, vars))) ||
    releaseFromHelmValues(helmValues) ||
    releaseFromVariables(Object.keys(envFile?.values ?? {})) ||
    defaultRelease();
  const release = loadRelease(choice.version);
  const deployment = buildDeployment({
    release,
    releaseSource: choice.source,
    releaseStated: choice.stated,
    envFile,
    compose,
    spec,
    specFile: specPath,
    helmValues,
    helmValuesFile: helmPath,
    helmLineAt,
    helmTraps,
    helmManifests,
    dbMaxConnections: inputs.dbMaxConnections,
    dir: specPath ? (dir ?? dirname(specPath)) : undefined,
  });
  if (compose && !deployment.services.some((s) => s.component))
    throw new UserError([
      `${compose.file}: no Dify service (dify-api, dify-web, plugin daemon, sandbox images or their upstream service names): not a Dify compose file; pass Dify's docker-compose.yaml with --compose`,
    ]);
  return { deployment, findings: [...findings, ...deployment.loadFindings] };
}
