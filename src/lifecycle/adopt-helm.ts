// Adopting dify-helm values: the chart's values merged onto its defaults (as Helm does), read
// back through the Helm renderer itself — each backend choice and each secret is rendered once
// with a marker per field, and the marker's path in values.yaml says where the user's value is.
// So import and render share one mapping and cannot disagree.
import { parse as parseYaml } from 'yaml';
import { UserError } from '../io/errors.js';
import type { Release } from '../core/data.js';
import { parseSpecData } from '../core/spec-parse.js';
import { COMPONENT_NAMES, type ComponentName, type SpecInput } from '../core/spec.js';
import { STORAGE_BACKENDS } from '../backends/storage.js';
import { VECTOR_STORES } from '../backends/vector-stores.js';
import { loadChart } from '../helm/chart.js';
import { coalesceValues, dotted, isMap, type Values } from '../helm/merge.js';
import { componentValues } from '../helm/component-values.js';
import { parseQuantity } from '../helm/quantity.js';
import { renderFiles } from '../render/index.js';
import { SECRETS } from '../render/secrets.js';
import { CHART_COMPONENTS } from '../dify/components.js';
import type { Deployment } from '../validate/deployment.js';
import { extraWorkers, secretsData } from '../validate/helm-extra.js';
import { CREDENTIALS_SECRET } from '../render/helm/credentials.js';
import { secretData } from '../core/secret-data.js';
import type { Adoption, Refusal, UserVar } from './adopt.js';
import { envDefaults } from './release-env.js';

type Path = (string | number)[];

/** The chart's blocks for an external server: what each holds, the spec holds. */
const EXTERNAL_BLOCKS = ['externalPostgres', 'externalMysql', 'externalRedis', ...[...STORAGE_BACKENDS, ...VECTOR_STORES].flatMap((b) => ('helmExternalKey' in b && b.helmExternalKey ? [b.helmExternalKey] : []))];

function leaves(v: unknown, path: Path = [], out: [Path, unknown][] = []): [Path, unknown][] {
  if (Array.isArray(v)) v.forEach((x, i) => leaves(x, [...path, i], out));
  else if (isMap(v)) for (const [k, x] of Object.entries(v)) leaves(x, [...path, k], out);
  else out.push([path, v]);
  return out;
}

function at(v: unknown, path: Path): unknown {
  let cur = v;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

const MARK = 'dd-marker-';
/** Number fields are marked by values no real setting takes. */
const NUMBER_MARKERS: Record<string, number> = { port: 59991, db: 59992 };
const SECRET_MARKERS = Object.fromEntries(SECRETS.map((s) => [s.name, `${MARK}secret-${s.name}`]));

/**
 * The credentials Secret's data (helm/extra/credentials.yaml) as one more key of the values: a
 * secret the renderer puts there is found, read and carried like one in values.yaml.
 */
const CREDENTIALS_KEY = '(extra/credentials.yaml)';

/** values.yaml as the Helm renderer writes it for `spec`, or why it does not render (errors, plan problems). */
function renderHelmValues(spec: SpecInput, secrets: Record<string, string>): { values?: Values; why: string[] } {
  try {
    const { files, plans } = renderFiles(parseSpecData(spec, 'imported spec'), 'helm', secrets);
    const file = files.find((f) => f.path === 'helm/values.yaml');
    const credentials = files.find((f) => f.path === 'helm/extra/credentials.yaml');
    const values = file && { ...(parseYaml(file.content) as Values), [CREDENTIALS_KEY]: credentials ? (parseYaml(credentials.content) as Values).stringData : {} };
    return values ? { values, why: [] } : { why: plans.flatMap((p) => p.problems) };
  } catch (e) {
    if (e instanceof UserError) return { why: e.lines };
    throw e;
  }
}

const renderValues = (spec: SpecInput, secrets: Record<string, string>) => renderHelmValues(spec, secrets).values;

/** The values Helm renders with: the rendered ones merged onto the chart's defaults (what a switch left out is the chart's). */
function renderedLeaves(chart: Values, spec: SpecInput): [Path, unknown][] | undefined {
  const values = renderValues(spec, SECRET_MARKERS);
  return values && leaves(coalesceValues(chart, values));
}

const samePath = (a: Path, b: Path) => a.length === b.length && a.every((p, i) => p === b[i]);

/**
 * Of candidate backend specs, the one whose rendered switches (`enabled:` leaves at any depth,
 * e.g. `externalRedis.sentinel.enabled`) all hold in the user's values; its marker fields are
 * then read from the user's values at the marker's path: a string or number where the marker
 * lands, a list where a list's marker item lands, a boolean (`true` in the candidate) where
 * rendering it false flips a leaf.
 */
function pickBackend<T extends Record<string, unknown>>(chart: Values, base: SpecInput, key: 'database' | 'redis' | 'vectorStore' | 'storage', candidates: T[], merged: Values): T | undefined {
  const rendered = candidates.map((c) => renderedLeaves(chart, { ...base, [key]: c }));
  // The switches this choice flips: the `enabled:` leaves whose values differ between the candidates.
  const switchesOf = (all: [Path, unknown][]) => all.filter(([p, v]) => p.at(-1) === 'enabled' && typeof v === 'boolean');
  const ok = rendered.filter((r): r is [Path, unknown][] => r !== undefined).map(switchesOf);
  const relevant = (path: Path) => new Set(ok.map((s) => s.find(([p]) => samePath(p, path))?.[1])).size > 1;
  for (const [i, c] of candidates.entries()) {
    const all = rendered[i];
    if (!all) continue;
    const mine = switchesOf(all).filter(([p]) => relevant(p));
    if (!mine.length || !mine.every(([p, v]) => at(merged, p) === v)) continue;
    const out: Record<string, unknown> = { ...c };
    for (const [field, marker] of Object.entries(c)) {
      if (marker === true) {
        const off = renderedLeaves(chart, { ...base, [key]: { ...c, [field]: false } });
        const path = off && all.find(([p, v]) => v === true && off.some(([q, w]) => w === false && samePath(p, q)))?.[0];
        const user = path ? at(merged, path) : undefined;
        if (typeof user === 'boolean') out[field] = user;
        else delete out[field];
        continue;
      }
      const list = Array.isArray(marker) && typeof marker[0] === 'string' && marker[0].includes(MARK);
      const probe = list ? marker[0] : marker;
      if (typeof probe === 'string' ? !probe.includes(MARK) : probe !== NUMBER_MARKERS[field]) continue;
      const found = all.find(([, v]) => v === probe || v === String(probe));
      const user = found ? at(merged, list ? found[0].slice(0, -1) : found[0]) : undefined;
      if (user === undefined || user === null || user === '' || (list && (!Array.isArray(user) || user.length === 0))) delete out[field];
      else out[field] = list ? (user as unknown[]).map(String) : typeof probe === 'number' ? Number(user) : String(user);
    }
    return out as T;
  }
  return undefined;
}

function markers(fields: readonly string[]): Record<string, string | number> {
  return Object.fromEntries(fields.map((f) => [f, NUMBER_MARKERS[f] ?? (f === 'url' || f === 'endpoint' || f === 'accountUrl' ? `http://${MARK}${f.toLowerCase()}.invalid` : `${MARK}${f}`)]));
}

export function adoptHelmValues(d: Deployment, options: { dbMaxConnections?: number } = {}): Adoption {
  const release: Release = d.release;
  const file = d.helmValuesFile!;
  const chart = loadChart(release.helm.version).defaults;
  // validate's view already merged the values onto the chart's defaults and read extra/ once.
  const merged: Values = {
    ...(d.helm?.merged ?? coalesceValues(chart, d.helmValues as Values)),
    [CREDENTIALS_KEY]: secretsData(d.helm?.manifests ?? []).get(CREDENTIALS_SECRET) ?? {},
  };
  const refusals: Refusal[] = [];
  const notes: string[] = [];
  const base: SpecInput = { release: release.version, tier: '10qps', targets: ['helm'], storage: { type: 's3', bucket: 'b', region: 'r', useIam: true } };

  const database: Record<string, unknown> =
    pickBackend<Record<string, unknown>>(chart, base, 'database', [{ mode: 'bundled' }, { mode: 'external', engine: 'postgresql', maxConnections: 100000, ...markers(['host', 'port', 'user', 'database', 'pluginDatabase']) }, { mode: 'external', engine: 'mysql', maxConnections: 100000, ...markers(['host', 'port', 'user', 'database', 'pluginDatabase']) }], merged) ?? {};
  if (database.mode === 'external') {
    const max = options.dbMaxConnections;
    if (max === undefined) refusals.push({ file, line: d.helmLineAt?.([database.engine === 'mysql' ? 'externalMysql' : 'externalPostgres']), message: "an external database whose max_connections the values do not say; pass --db-max-connections N (SHOW max_connections; on the server)" });
    else database.maxConnections = max;
  }
  const redisExternal = { mode: 'external', useSsl: true, ...markers(['username', 'db']) };
  const redis =
    pickBackend<Record<string, unknown>>(
      chart,
      base,
      'redis',
      [{ mode: 'bundled' }, { ...redisExternal, ...markers(['host', 'port']) }, { ...redisExternal, topology: 'sentinel', sentinels: [`${MARK}sentinels:1`], ...markers(['host', 'port', 'sentinelMasterName', 'sentinelPassword']) }],
      merged,
    ) ?? {};
  const vectorStore =
    pickBackend<Record<string, unknown>>(
      chart,
      base,
      'vectorStore',
      [{ type: 'weaviate', mode: 'bundled' }, ...VECTOR_STORES.filter((v) => 'helmExternalKey' in v).map((v) => ({ type: v.id, mode: 'external', ...markers(['url', 'host', 'port', 'user', 'password', 'apiKey', 'database']) }))],
      merged,
    ) ?? {};
  const storage = pickBackend<Record<string, unknown>>(chart, base, 'storage', STORAGE_BACKENDS.filter((s) => s.shared).map((s) => ({ type: s.id, pathStyle: true, ...markers(['bucket', 'endpoint', 'region', 'accessKey', 'secretKey', 'accountName', 'accountUrl', 'serviceAccountJsonBase64']) })), merged);
  // S3 through the pod's IAM role: no keys to read, and render needs to know.
  if (storage?.type === 's3' && isMap(merged.externalS3) && merged.externalS3.useIAM === true) storage.useIam = true;
  if (!storage) refusals.push({ file, message: 'no external object storage is enabled: dify-deploy deploys Dify on Kubernetes only with S3, Azure Blob, OSS, GCS, COS, OBS or TOS (pods on different nodes cannot share a volume)' });
  for (const [kind, picked] of [['database', database], ['redis', redis], ['vector store', vectorStore]] as const)
    if (!picked || Object.keys(picked).length === 0) refusals.push({ file, message: `${kind}: the values enable no combination dify-deploy renders (one bundled or one external block)` });

  // Secrets: where the renderer puts each one, read from the user's values.
  const secrets: Record<string, string> = {};
  const replaced: string[] = [];
  const published = new Set(secretData().knownDefaults);
  const probe = renderValues({ ...base, database, redis, vectorStore, ...(storage ? { storage } : {}) } as SpecInput, SECRET_MARKERS);
  if (probe)
    for (const [name, marker] of Object.entries(SECRET_MARKERS)) {
      const found = leaves(probe).find(([, v]) => v === marker);
      if (!found) continue;
      const v = at(merged, found[0]);
      // An external server's password is the server's: kept whatever it is.
      const external = (name === 'DB_PASSWORD' && database.mode === 'external') || (name === 'REDIS_PASSWORD' && redis.mode === 'external');
      if (typeof v === 'string' && v !== '' && (external || !published.has(v))) secrets[name] = v;
      else replaced.push(name);
    }

  // Sizing and env, per component: replicas, limits, and every extraEnv entry that differs from the release's default.
  const defaults = envDefaults(release.version);
  const components: Record<string, Record<string, unknown>> = {};
  const settings = new Map<string, UserVar>();
  const sized = (replicas: number, limits: Values): Record<string, unknown> => {
    const o: Record<string, unknown> = { replicas };
    const cpu = parseQuantity(limits.cpu);
    const mem = parseQuantity(limits.memory);
    if (cpu) o.cpu = cpu;
    if (mem) o.memoryGiB = Math.round((mem / 1024 ** 3) * 1000) / 1000;
    return o;
  };
  for (const name of COMPONENT_NAMES) {
    const key = CHART_COMPONENTS[name].key;
    const block = merged[key];
    if (!isMap(block)) continue;
    const values = componentValues(block, chart[key]);
    if (!values.enabled) continue;
    const o = sized(values.replicas.min, values.limits);
    const env: Record<string, string> = {};
    for (const e of values.extraEnv) {
      if (defaults[e.name]?.value === e.value) continue;
      env[e.name] = e.value;
      settings.set(`${name}:${e.name}`, { value: e.value, origin: { file, line: d.helmLineAt?.([key, 'extraEnv', e.index, 'value']) } });
    }
    if (Object.keys(env).length) o.env = env;
    components[name as ComponentName] = o;
  }
  // The run worker in extra/ beside the values (the chart has no block for it): its replicas,
  // limits and env become its overrides — but for what the chart worker's template sets (MODE, LOG_LEVEL from worker.logLevel).
  const runWorker = extraWorkers(file, release.execution.runQueue, d.helm?.manifests).find((w) => w.component === 'worker_runs' && w.active);
  if (runWorker) {
    const templated: Record<string, unknown> = { MODE: 'worker', LOG_LEVEL: isMap(merged.worker) ? merged.worker.logLevel : undefined };
    const env = Object.fromEntries(Object.entries(runWorker.env).filter(([k, v]) => templated[k] !== v && defaults[k]?.value !== v));
    components.worker_runs = { ...sized(runWorker.replicas, runWorker.limits), ...(Object.keys(env).length ? { env } : {}) };
  }
  const ingress = isMap(merged.ingress) ? merged.ingress : {};
  const hosts = Array.isArray(ingress.hosts) ? ingress.hosts : [];
  const host = isMap(hosts[0]) && typeof hosts[0].host === 'string' ? hosts[0].host : undefined;
  const spec = {
    release: release.version,
    targets: ['helm'],
    database,
    redis,
    vectorStore,
    ...(storage ? { storage } : {}),
    ...(host && ingress.enabled === true ? { domain: { host, ...(Array.isArray(ingress.tls) && ingress.tls.length ? { tls: 'own' as const } : {}) } } : {}),
    ...(typeof ingress.className === 'string' && ingress.className ? { helm: { ingressClassName: ingress.className } } : {}),
    overrides: { components },
  } as SpecInput;
  notes.push('Helm values: each component\'s extraEnv entries that differ from the release\'s defaults are kept as overrides.components.<component>.env');
  return { spec, secrets, replacedSecrets: replaced, settings, refusals, notes };
}

/** The round trip for Helm values: the rendered values give every component the same extraEnv values and replicas, and carry the same secrets. */
export function helmRoundTrip(user: Deployment, spec: SpecInput, secrets: Record<string, string>, settings: Map<string, UserVar>): Refusal[] {
  const file = user.helmValuesFile!;
  const chart = loadChart(user.release.helm.version).defaults;
  const { values: rendered, why } = renderHelmValues(spec, secrets);
  if (!rendered) return why.map((w) => ({ file, message: `the adopted spec does not render for Helm: ${w}` }));
  const mine = coalesceValues(chart, user.helmValues as Values);
  const theirs = coalesceValues(chart, rendered);
  const out: Refusal[] = [];
  for (const [id, v] of settings) {
    const [component, name] = id.split(':') as [ComponentName, string];
    const env = at(theirs, [CHART_COMPONENTS[component].key, 'extraEnv']);
    const got = Array.isArray(env) ? env.find((e) => isMap(e) && e.name === name) : undefined;
    if (!isMap(got) || got.value !== v.value) out.push({ file: v.origin.file, line: v.origin.line, message: `${component} extraEnv ${name}: dify-deploy cannot reproduce it` });
  }
  for (const name of COMPONENT_NAMES) {
    const key = CHART_COMPONENTS[name].key;
    const a = at(mine, [key]);
    const b = at(theirs, [key]);
    if (!isMap(a) || a.enabled === false || !isMap(b)) continue;
    // Replicas, and the user's HPA bounds: losing an HPA loses the capacity it scales to (the
    // render giving web an HPA over the same replicas loses nothing).
    const ra = componentValues(a, chart[key]).replicas;
    const rb = componentValues(b, chart[key]).replicas;
    const count = (r: typeof ra) => (r.min === r.max ? `${r.min} replica(s)` : `${r.min}–${r.max} replicas (HPA)`);
    if (ra.min !== rb.min || (ra.max !== ra.min && ra.max !== rb.max))
      out.push({
        file,
        line: user.helmLineAt?.(ra.max !== ra.min ? [key, 'autoscaling'] : [key]),
        message: `${key}: ${count(ra)} rendered as ${count(rb)}${ra.max !== ra.min ? ` (dify-deploy runs ${key} at the replicas its plan sizes); to import, set ${key}.autoscaling.enabled: false and the replicas you run` : ''}`,
      });
    // An env entry read from a Secret, a ConfigMap or the pod (valueFrom) the render does not give back.
    const refs = (x: Values) => (Array.isArray(x.extraEnv) ? x.extraEnv : []).flatMap((e, index) => (isMap(e) && typeof e.name === 'string' && isMap(e.valueFrom) ? [{ name: e.name, from: JSON.stringify(e.valueFrom), index }] : []));
    const kept = new Set(refs(b).map((r) => `${r.name}=${r.from}`));
    for (const r of refs(a))
      if (!kept.has(`${r.name}=${r.from}`))
        out.push({ file, line: user.helmLineAt?.([key, 'extraEnv', r.index]), message: `${key}.extraEnv[${r.index}] ${r.name}: an env entry read through valueFrom, which dify-deploy.yaml has no field for; remove it to import` });
  }
  // Every setting the user gave an enabled external backend block comes back from the render:
  // what the spec cannot hold (the Celery broker's Redis db) is refused, never dropped.
  for (const block of EXTERNAL_BLOCKS) {
    const value = at(user.helmValues, [block]);
    if (!isMap(value) || at(mine, [block, 'enabled']) !== true) continue;
    for (const [path, v] of leaves(value, [block]))
      if (v !== null && JSON.stringify(at(theirs, path)) !== JSON.stringify(v))
        out.push({ file, line: user.helmLineAt?.(path), message: `${dotted(path)}: the adopted spec renders another value here (dify-deploy.yaml has no field for it); remove it from the values, or keep these values by hand` });
  }
  const probe = leaves(rendered);
  for (const [name, value] of Object.entries(secrets))
    if (!probe.some(([, v]) => v === value)) out.push({ file, message: `secret ${name}: not carried into the rendered values` });
  return out;
}
