// The deployment as validate sees it: for every service its effective process environment
// (env_file layers, then `environment:` interpolated against the project .env — what the
// container really gets), replicas and role, plus the metadata database. The same model
// is built from a compose file with its .env, or from a .env alone using the release's
// standard wiring (releases/*.json serviceEnv).
import { dirname, resolve, relative } from 'node:path';
import type { Release } from '../core/data.js';
import { COMPONENT_NAMES, type ComponentName, type Spec } from '../core/spec.js';
import type { ComposeFile, ComposeService } from './compose-file.js';
import type { Diagnostic, Origin } from './diagnostics.js';
import { interpolate, parseEnvText, type EnvFile } from './env-file.js';
import { isFile, readTextFile } from '../io/files.js';
import { helmView, type HelmView } from './helm-model.js';
import type { ManifestDoc } from './helm-extra.js';
import { componentOfImage, componentsWhere, imageIs, isDifyApiImage } from '../dify/components.js';
import type { Values } from '../helm/merge.js';
import type { YamlTrap } from './yaml-traps.js';
import { layered } from './layered.js';
import { workerComponent } from './worker-role.js';
import type { DatabaseModel, ServiceModel } from './service-model.js';

export type { DatabaseModel, ServiceModel };

export interface Deployment extends ModelInput {
  /** The project .env after Compose-style interpolation (the source of ${VAR} in the compose file). */
  vars: Record<string, string>;
  services: ServiceModel[];
  database?: DatabaseModel;
  /** The same judged from the Helm values, when there are any. */
  helm?: HelmView;
  /** Findings made while loading (e.g. an env_file that does not exist). */
  loadFindings: Diagnostic[];
}

/** Upstream's bundled database services (docker-compose.yaml) by engine. */
const BUNDLED_DB_SERVICES: Record<string, string> = { db_postgres: 'postgresql', db_mysql: 'mysql' };
const POSTGRES_RESERVED_DEFAULT = 3;

export function envVarOrigin(envFile: EnvFile | undefined, key: string): Origin | undefined {
  if (!envFile || !(key in envFile.values)) return undefined;
  return { file: envFile.file, line: envFile.lines[key] };
}

const interpolated = new WeakMap<EnvFile, Record<string, string>>();

/** .env values as Compose reads them: later lines may use ${EARLIER}. Once per file: callers share the result, read-only. */
export function projectVars(envFile: EnvFile | undefined): Record<string, string> {
  if (!envFile) return {};
  let vars = interpolated.get(envFile);
  if (!vars) {
    vars = Object.create(null) as Record<string, string>;
    for (const [k, v] of Object.entries(envFile.values)) vars[k] = v.includes('$') && !envFile.literal[k] ? interpolate(v, vars, `${envFile.file}:${envFile.lines[k]}`) : v;
    interpolated.set(envFile, vars);
  }
  return vars;
}

/**
 * An env_file's values as Compose resolves them for one service (compose-go
 * WithServicesEnvironmentResolved): `${VAR}` reads the project's .env first, then the service's
 * `environment:`, then what the service's earlier env_files and this file's earlier lines set.
 * A file without a reference is the same for every service.
 */
function envFileValues(file: EnvFile, project: Record<string, string>, serviceEnv: Record<string, string>, earlier: Record<string, string>[]): Record<string, string> {
  const keys = Object.keys(file.values);
  if (!keys.some((k) => file.values[k].includes('$') && !file.literal[k])) return file.values;
  const out: Record<string, string> = Object.create(null);
  const sources = [project, serviceEnv, out, ...[...earlier].reverse()];
  const lookup = new Proxy(out, { get: (_, name) => sources.find((r) => Object.hasOwn(r, name))?.[name as string] });
  for (const k of keys) {
    const v = file.values[k];
    out[k] = v.includes('$') && !file.literal[k] ? interpolate(v, lookup, `${file.file}:${file.lines[k]}`) : v;
  }
  return out;
}

const origins = new WeakMap<EnvFile, Record<string, Origin>>();

/** Where each variable of an env file is set, once per file. */
function originsOf(envFile: EnvFile): Record<string, Origin> {
  let o = origins.get(envFile);
  if (!o) {
    o = Object.create(null) as Record<string, Origin>;
    for (const k of Object.keys(envFile.values)) o[k] = { file: envFile.file, line: envFile.lines[k] };
    origins.set(envFile, o);
  }
  return o;
}

function activeProfiles(vars: Record<string, string>): Set<string> {
  return new Set((vars.COMPOSE_PROFILES ?? '').split(',').map((p) => p.trim()).filter(Boolean));
}

/** The component a service runs: by image and MODE (so renamed or per-queue services count), else by name. */
function componentOf(s: { name: string; image?: string }, env: Record<string, string>, runQueue: string): ComponentName | undefined {
  const image = s.image ?? '';
  if (isDifyApiImage(image)) {
    const mode = (env.MODE ?? 'api').toLowerCase();
    if (mode === 'worker') return workerComponent(env, runQueue);
    if (mode === 'beat') return 'worker_beat';
    if (mode === 'api') return /websocket/i.test(env.SERVER_WORKER_CLASS ?? '') || s.name === 'api_websocket' ? 'api_websocket' : 'api';
    return undefined;
  }
  const byImage = componentOfImage(image);
  if (byImage) return byImage;
  if (imageIs(image, 'nginx') && s.name.includes('nginx')) return 'nginx';
  return (COMPONENT_NAMES as readonly string[]).includes(s.name) ? (s.name as ComponentName) : undefined;
}

/** The single ${VAR…} a compose value is made of, so a finding can point at the .env line. */
function soleReference(raw: string): string | undefined {
  return /^\$\{?([A-Za-z_][A-Za-z0-9_]*)(?:[:?+-][^}]*)?\}?$/.exec(raw.trim())?.[1];
}

function servicesFromCompose(compose: ComposeFile, envFile: EnvFile | undefined, vars: Record<string, string>, runQueue: string, findings: Diagnostic[]): ServiceModel[] {
  const base = dirname(resolve(compose.file));
  const profiles = activeProfiles(vars);
  const envFiles = new Map<string, EnvFile | null>();
  // The project .env (what --env names, wherever it lives) is what `./.env` in env_file means.
  if (envFile) envFiles.set(resolve(base, '.env'), envFile);
  const loadEnvFile = (path: string): EnvFile | null => {
    const abs = resolve(base, path);
    if (!envFiles.has(abs)) {
      const shown = relative(process.cwd(), abs) || abs;
      envFiles.set(abs, isFile(abs) ? parseEnvText(readTextFile(abs, 'env_file', 'fix the env_file entry in the compose file', base), shown) : null);
    }
    return envFiles.get(abs)!;
  };
  // Services merging one anchor (or copying one value) hold the same raw text: each is read once.
  const readRaw = new Map<string, { value: string; required: string[]; ref: string | undefined }>();
  const read = (raw: string, where: string) => {
    let r = readRaw.get(raw);
    if (!r) {
      const required: string[] = [];
      r = { value: interpolate(raw, vars, where, 0, required), required, ref: soleReference(raw) };
      readRaw.set(raw, r);
    }
    return r;
  };
  return compose.services.map((s: ComposeService) => {
    // env_file layers are shared by every service that reads them; `environment:` is the service's own.
    const envLayers: Record<string, string>[] = [];
    const originLayers: Record<string, Origin>[] = [];
    const env: Record<string, string> = {};
    const origin: Record<string, Origin> = {};
    // `environment:` first: an env_file's `${VAR}` may read it (below).
    for (const e of s.environment) {
      if (e.raw === null) {
        // A bare KEY takes the value from the shell; validate judges the files only.
        continue;
      }
      const { value, required, ref } = read(e.raw, `${e.file}:${e.line}`);
      env[e.key] = value;
      for (const name of required)
        findings.push({
          rule: 'schema',
          severity: 'error',
          file: e.file,
          line: e.line,
          message: `service ${s.name}: ${e.key} requires ${name} (\${${name}:?…}), which is unset or empty; docker compose refuses to start`,
          fix: `set ${name} in .env`,
        });
      origin[e.key] = (ref && envVarOrigin(envFile, ref)) || { file: e.file, line: e.line };
    }
    for (const ef of s.envFiles) {
      const loaded = loadEnvFile(interpolate(ef.path, vars));
      if (!loaded) {
        if (ef.required)
          findings.push({
            rule: 'schema',
            severity: 'error',
            file: compose.file,
            line: s.line,
            message: `service ${s.name}: env_file ${ef.path} does not exist; docker compose refuses to start`,
            fix: `create ${ef.path} or mark the entry \`required: false\``,
          });
        continue;
      }
      envLayers.push(loaded === envFile ? vars : envFileValues(loaded, vars, env, envLayers));
      originLayers.push(originsOf(loaded));
    }
    const replicasText = s.replicasRaw === undefined ? '1' : interpolate(s.replicasRaw, vars).trim();
    const active = s.profiles.length === 0 || s.profiles.some((p) => profiles.has(interpolate(p, vars)));
    const serviceEnv = envLayers.length ? layered(envLayers, env) : env;
    return {
      name: s.name,
      component: componentOf(s, serviceEnv, runQueue),
      image: s.image && interpolate(s.image, vars),
      replicas: /^\d+$/.test(replicasText) ? Number(replicasText) : 1,
      active,
      env: serviceEnv,
      origin: originLayers.length ? layered(originLayers, origin) : origin,
      command: s.command && interpolate(s.command, vars),
      line: s.line,
    };
  });
}

/** Without a compose file: the release's standard services, fed the whole .env plus its per-service renames. */
function servicesFromEnv(release: Release, envFile: EnvFile | undefined, vars: Record<string, string>): ServiceModel[] {
  const names = componentsWhere((c) => c.upstreamStandard);
  if (release.collaboration && activeProfiles(vars).has(release.collaboration.profile)) names.push('api_websocket');
  if (release.agentBackend) names.push('agent_backend', 'local_sandbox');
  const shared = envFile ? originsOf(envFile) : {};
  return names.map((name) => {
    const env = layered([vars]);
    const origin = layered([shared]);
    for (const [target, source] of Object.entries(release.serviceEnv[name] ?? {})) {
      const value = vars[source] ?? release.upstreamDefaults[source];
      if (value === undefined) delete env[target];
      else env[target] = value;
      const o = envVarOrigin(envFile, source);
      if (o) origin[target] = o;
      else delete origin[target];
    }
    for (const [target, value] of Object.entries(release.serviceFixedEnv?.[name] ?? {})) {
      env[target] = value;
      delete origin[target];
    }
    return { name, component: name, replicas: 1, active: true, env, origin };
  });
}

/**
 * PostgreSQL reads an integer setting with strtol(base 0), then strtod (guc.c parse_int): `010` is 8,
 * `0x10` 16, `1e3` 1000, `abc` an error. Only a plain decimal reads the same to everyone.
 */
const POSTGRES_PLAIN_INT = /^(?:0|[1-9]\d*)$/;

/** `name=value` in a server command: the value's text, or undefined when the command does not set it. */
function settingTextFrom(command: string | undefined, name: string): string | undefined {
  const m = command && new RegExp(`\\b${name}\\s*=\\s*'?([^\\s']*)`).exec(command);
  return m ? m[1] : undefined;
}

function settingFrom(command: string | undefined, name: string): number | undefined {
  const text = settingTextFrom(command, name);
  return text !== undefined && POSTGRES_PLAIN_INT.test(text) ? Number(text) : undefined;
}

function databaseOf(d: Omit<Deployment, 'database'>): DatabaseModel | undefined {
  const api = d.services.find((s) => s.active && s.component === 'api');
  if (!api) return undefined;
  const engineRaw = (api.env.DB_TYPE ?? 'postgresql').toLowerCase();
  const engine = engineRaw === 'postgres' ? 'postgresql' : engineRaw;
  const host = api.env.DB_HOST ?? '';
  const spec = d.spec?.database;
  const dbService = d.compose
    ? d.services.find((s) => s.name === host && s.active)
    : BUNDLED_DB_SERVICES[host] === engine
      ? ({ name: host, env: {}, origin: {} } as Partial<ServiceModel>)
      : undefined;
  const bundled = dbService !== undefined;
  const db: DatabaseModel = { engine, host, bundled, reserved: engine === 'postgresql' ? POSTGRES_RESERVED_DEFAULT : 0 };
  if (engine === 'postgresql') {
    const fromCommand = settingFrom(dbService?.command, 'superuser_reserved_connections');
    const extra = settingFrom(dbService?.command, 'reserved_connections') ?? 0;
    db.reserved = spec?.reservedConnections ?? (fromCommand ?? POSTGRES_RESERVED_DEFAULT) + extra;
  }
  if (bundled) {
    const commandText = settingTextFrom(dbService?.command, 'max_connections');
    const fromCommand = settingFrom(dbService?.command, 'max_connections');
    const variable = engine === 'mysql' ? 'MYSQL_MAX_CONNECTIONS' : 'POSTGRES_MAX_CONNECTIONS';
    const raw = d.vars[variable] || d.release.upstreamDefaults[variable];
    if ((commandText !== undefined && fromCommand === undefined) || (commandText === undefined && raw && !POSTGRES_PLAIN_INT.test(raw.trim()))) {
      const fromEnv = commandText === undefined || commandText === d.vars[variable]?.trim();
      db.maxConnectionsUnreadable = {
        variable: fromEnv ? variable : 'max_connections',
        origin: (fromEnv && envVarOrigin(d.envFile, variable)) || (d.compose && { file: d.compose.file, line: dbService?.line }) || undefined,
      };
    } else if (fromCommand !== undefined) {
      db.maxConnections = fromCommand;
      // Point at the .env line when the command takes its value from there (upstream's and our layout).
      db.maxConnectionsOrigin =
        (d.vars[variable]?.trim() === String(fromCommand) && envVarOrigin(d.envFile, variable)) || (d.compose && { file: d.compose.file, line: dbService?.line });
    } else if (raw) {
      db.maxConnections = Number(raw.trim());
      db.maxConnectionsOrigin = envVarOrigin(d.envFile, variable) ?? (d.envFile && { file: d.envFile.file });
    }
  } else if (d.dbMaxConnections !== undefined) {
    db.maxConnections = d.dbMaxConnections;
  } else if (spec?.maxConnections !== undefined) {
    db.maxConnections = spec.maxConnections;
    db.maxConnectionsOrigin = d.specFile ? { file: d.specFile } : undefined;
  }
  return db;
}

export interface ModelInput {
  release: Release;
  releaseSource: string;
  envFile?: EnvFile;
  compose?: ComposeFile;
  spec?: Spec;
  specFile?: string;
  helmValues?: unknown;
  helmValuesFile?: string;
  helmLineAt?: (path: (string | number)[]) => number | undefined;
  /** Annotation, label and env values of the Helm values that YAML 1.1 reads as non-strings. */
  helmTraps?: YamlTrap[];
  /** The manifests of extra/ beside the Helm values, when read already (helm-extra's extraManifestsRead). */
  helmManifests?: () => ManifestDoc[];
  /** Whether the release was stated (flag, spec, image tag) rather than guessed. */
  releaseStated: boolean;
  /** dify-deploy's output directory, when validating one. */
  dir?: string;
  /** An external server's max_connections given on the command line (beats the spec's). */
  dbMaxConnections?: number;
}

export function buildDeployment(input: ModelInput): Deployment {
  const vars = projectVars(input.envFile);
  const loadFindings: Diagnostic[] = [];
  const services = input.compose
    ? servicesFromCompose(input.compose, input.envFile, vars, input.release.execution.runQueue, loadFindings)
    : input.envFile
      ? servicesFromEnv(input.release, input.envFile, vars)
      : [];
  const partial = { ...input, vars, services, loadFindings };
  const helm =
    input.helmValues !== undefined && input.helmValuesFile
      ? helmView({ release: input.release, values: input.helmValues as Values, file: input.helmValuesFile, lineAt: input.helmLineAt, spec: input.spec, dbMaxConnections: input.dbMaxConnections, manifests: input.helmManifests })
      : undefined;
  return { ...partial, database: databaseOf(partial), helm };
}
