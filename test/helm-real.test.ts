// Real Helm 3.17 on the real dify-helm chart (the version the release table names, vendored
// with its subcharts): over the release × tier × backend matrix, `helm lint --strict` and
// `helm template` accept the rendered values; every rendered object (chart and helm/extra/)
// is valid for its kind against the Kubernetes schemas; the plan's sized values reach each
// container as the kubelet builds its environment; the extra manifests fit the chart's objects;
// and every credential (generated secrets, and planted distinctive values for the ones a spec
// gives, so a hit cannot be a coincidence) appears only inside kind: Secret objects — never as a
// literal env value, a ConfigMap entry or an annotation. One `helm template` per case serves both.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadRelease } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { parseQuantity } from '../src/helm/quantity.js';
import { specSchema, type Spec } from '../src/core/spec.js';
import { renderHelm } from '../src/render/helm.js';
import type { RenderedFile } from '../src/render/types.js';
import { CHART_COMPONENTS } from '../src/render/helm/components.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { chartDir, helmBinary, runHelm } from './helpers/helm.js';
import { containerEnv, find, parseManifests, schemaErrors, selects, type K8sObject } from './helpers/k8s.js';
import { matrix } from './helpers/matrix.js';
import { UPSTREAM_REQUIRED } from './helpers/upstream.js';

const helm = helmBinary();
const work = mkdtempSync(join(tmpdir(), 'dd-helm-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CASES = matrix(['helm']);
/** Env entries the migration Job / backup CronJob set for themselves (what they do, not what they connect to). */
const JOB_OWN_ENV = new Set(['MODE', 'MIGRATION_ENABLED', 'DB_PLUGIN_DATABASE', 'BACKUP_DIR', 'BACKUP_RETENTION_DAYS']);
const DIRECT_DB_ENV = new Set(['DB_HOST', 'DB_PORT', 'DB_TYPE', 'PGSSLMODE']);

const podSpecOf = (o: K8sObject) => (o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.spec.template);

/** Credential fields a spec may carry, as paths; each present one gets a planted value. */
const CREDENTIAL_PATHS = [
  ['database', 'password'],
  ['redis', 'password'],
  ['redis', 'sentinelPassword'],
  ['vectorStore', 'password'],
  ['vectorStore', 'apiKey'],
  ['storage', 'secretKey'],
  ['storage', 'serviceAccountJsonBase64'],
] as const;

const EVENT_BUS_PASSWORD = 'cred-eventbus-Qz7m';

function planted(spec: Spec): { spec: Spec; credentials: string[] } {
  const out = structuredClone(spec) as any;
  const credentials: string[] = [];
  for (const [section, field] of CREDENTIAL_PATHS)
    if (out[section]?.[field] !== undefined) {
      // '/' and '+' as in AWS secret keys: a URL must carry them encoded. From the user's Secret Kubernetes expands
      // $(REDIS_PASSWORD) into the Redis URLs unencoded, so render refuses those there (helm-existing-secret-stores.test.ts).
      const urlSafe = out.helm?.existingSecret !== undefined && section === 'redis' && field === 'password';
      out[section][field] = urlSafe ? `cred-${section}-${field}-Xk4p` : `cred+${section}/${field}-Xk4p`;
      credentials.push(out[section][field]);
    }
  return { spec: out, credentials };
}

const withEventBus = (spec: Spec): Spec =>
  specSchema.parse({ ...spec, redis: { ...spec.redis, eventBus: { mode: 'external', url: `redis://bus:${EVENT_BUS_PASSWORD}@bus.internal:6379/0`, useClusters: true, channelType: 'sharded', maxClients: 50000 } } });

/** Every string in an object, with its path. */
function strings(node: unknown, path: string, out: [string, string][]): [string, string][] {
  if (typeof node === 'string') out.push([path, node]);
  else if (Array.isArray(node)) node.forEach((v, i) => strings(v, `${path}[${i}]`, out));
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) strings(v, `${path}.${k}`, out);
  return out;
}

/** Where a credential appears outside a Secret: `<kind>/<name><path>` per hit. */
function leaks(objects: K8sObject[], credentials: string[]): string[] {
  return objects
    .filter((o) => o.kind !== 'Secret')
    .flatMap((o) => strings(o, `${o.kind}/${o.metadata?.name}`, []))
    .filter(([, value]) => credentials.some((c) => value.includes(c) || value.includes(encodeURIComponent(c))))
    .map(([path]) => path);
}

/** The spec with planted credentials, its plan and files, and the credentials that must stay inside Secrets. */
function renderPlanted(version: string, base: Spec) {
  const { spec, credentials } = planted(base);
  const release = loadRelease(version);
  const plan = planFor(spec, 'helm', release);
  expect(plan.problems).toEqual([]);
  const secrets = resolveSecrets({}, spec);
  const files = renderHelm({ spec, plan, release, secrets });
  const known = [...credentials, ...Object.values(secrets), ...(spec.redis.eventBus.url ? [EVENT_BUS_PASSWORD] : [])];
  const dir = mkdtempSync(join(work, 'case-'));
  const valuesPath = join(dir, 'values.yaml');
  writeFileSync(valuesPath, files.find((f) => f.path === 'helm/values.yaml')!.content);
  return { spec, release, plan, files, known, valuesPath, chart: chartDir(release.helm.version) };
}

/** No credential outside a Secret in the chart's objects or helm/extra/; a helm/extra/ file that holds a Secret is written 0600, like values.yaml. */
function expectCredentialsOnlyInSecrets(objects: K8sObject[], files: RenderedFile[], known: string[]): void {
  const extras = files.filter((f) => f.path.startsWith('helm/extra/'));
  expect(leaks([...objects, ...extras.flatMap((f) => parseManifests(f.content))], known)).toEqual([]);
  for (const f of extras) if (parseManifests(f.content).some((o) => o.kind === 'Secret')) expect(f.mode, f.path).toBe(0o600);
}

test('the matrix is broad', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(60);
});

describe.skipIf(!helm || !UPSTREAM_REQUIRED).each(CASES)('$release $tier, $backend', ({ release: version, spec: base }) => {
  test('helm lint and helm template accept it; the objects are valid and carry the plan; no credential outside a Secret', async () => {
    const { spec, plan, files, known, valuesPath, chart } = renderPlanted(version, base);

    const [lint, template] = await Promise.all([
      runHelm(['lint', '--strict', chart, '-f', valuesPath]),
      runHelm(['template', 'dify', chart, '--namespace', 'dify', '-f', valuesPath]),
    ]);
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    expect(template.code, template.stderr).toBe(0);
    const objects = parseManifests(template.stdout);
    const extras = files.filter((f) => f.path.startsWith('helm/extra/')).flatMap((f) => parseManifests(f.content));
    expectCredentialsOnlyInSecrets(objects, files, known);

    // Every object, the chart's and ours, against its kind's schema (string annotations/labels/env, integer ports/replicas).
    expect([...objects, ...extras].flatMap(schemaErrors)).toEqual([]);

    const existingSecret = spec.helm?.existingSecret;
    const external = new Set(existingSecret ? [existingSecret] : []);
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    // The chart's Deployments and ours (the run worker), with the HPAs of both.
    const allDeployments = [...deployments, ...extras.filter((o) => o.kind === 'Deployment')];
    const podOf = (label: string) => {
      const found = allDeployments.filter((d) => d.spec.template.metadata.labels?.component === label);
      expect(found, `one Deployment with component=${label}`).toHaveLength(1);
      return found[0];
    };

    for (const c of plan.components) {
      const deployment = podOf(CHART_COMPONENTS[c.name].label);
      const [container] = deployment.spec.template.spec.containers;
      // Replicas, or the HPA bounds when the plan autoscales.
      expect(deployment.spec.replicas ?? 1, `${c.name} replicas`).toBe(c.replicas);
      const hpa = [...objects, ...extras].find((o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.name === deployment.metadata.name);
      if (c.maxReplicas > c.replicas) expect(hpa?.spec, `${c.name} HPA`).toMatchObject({ minReplicas: c.replicas, maxReplicas: c.maxReplicas });
      else expect(hpa, `${c.name} has no HPA`).toBeUndefined();
      // Resources as Kubernetes quantities.
      const r = container.resources;
      // (To a millicore: CPU requests are the modelled use in hundredths of a core, and "350m" parses to 0.35000000000000003.)
      const milli = (q: unknown) => Math.round(parseQuantity(q)! * 1000);
      expect([r.limits.cpu, r.limits.memory, r.requests.cpu, r.requests.memory].map(milli), `${c.name} resources`).toEqual(
        [c.cpu, c.memory, c.requests.cpu, c.requests.memory].map(milli),
      );
      // The sized env as the container gets it (envFrom ConfigMaps/Secrets, then env, $(VAR) expanded).
      const { env, missing, unexpanded } = containerEnv(container, [...objects, ...extras], external);
      expect(missing, `${c.name} reads objects that exist`).toEqual([]);
      expect(unexpanded, `${c.name} $(VAR) references resolve`).toEqual([]);
      if (c.name !== 'nginx') for (const [k, v] of Object.entries(c.env)) expect(env[k], `${c.name} ${k}`).toBe(v);
      // Deployment-wide settings reach every Dify API process; MIGRATION_ENABLED=false matters where the chart would migrate (api).
      if (['api', 'worker', 'worker_runs', 'worker_beat'].includes(c.name))
        for (const [k, v] of Object.entries(plan.sharedEnv)) if (k !== 'MIGRATION_ENABLED' || c.name === 'api') expect(env[k], `${c.name} ${k}`).toBe(v);
    }

    // The bundled PostgreSQL runs with the planned max_connections: the ConfigMap its StatefulSet mounts says so.
    const pg = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'dify-postgresql');
    if (spec.database.mode === 'bundled') {
      expect(pg).toBeDefined();
      const cm = pg!.spec.template.spec.volumes.map((v: any) => v.configMap?.name).filter(Boolean).map((n: string) => find(objects, 'ConfigMap', n));
      const conf = cm.flatMap((m: K8sObject | undefined) => Object.values(m?.data ?? {})).join('\n');
      expect(Number(/^\s*max_connections\s*=\s*'?(\d+)/m.exec(conf)?.[1]), 'bundled max_connections').toBe(plan.database.maxConnections);
    } else expect(pg).toBeUndefined();

    // The Ingress: string annotations (a YAML 1.1 `off` would be the boolean false) and the planned host.
    const ingress = objects.find((o) => o.kind === 'Ingress');
    if (ingress) {
      for (const v of Object.values(ingress.metadata.annotations ?? {})) expect(typeof v).toBe('string');
      expect(ingress.spec.rules.map((x: any) => x.host)).toContain(spec.domain.host);
    }

    // helm/extra/ against the rendered chart.
    const api = podOf('api');
    const apiEnv = containerEnv(api.spec.template.spec.containers[0], [...objects, ...extras], external).env;
    for (const extra of extras) {
      if (extra.kind === 'PodDisruptionBudget') {
        const target = allDeployments.filter((d) => selects(extra.spec.selector.matchLabels, d.spec.template.metadata.labels));
        expect(target.map((d) => d.metadata.name), `${extra.metadata.name} selects exactly its Deployment`).toEqual([extra.metadata.name]);
        expect(target[0].spec.replicas).toBeGreaterThanOrEqual(2);
      }
      if (extra.kind !== 'Job' && extra.kind !== 'CronJob') continue;
      const pod = podSpecOf(extra).spec;
      if (pod.serviceAccountName) expect(find(objects, 'ServiceAccount', pod.serviceAccountName), pod.serviceAccountName).toBeDefined();
      for (const v of pod.volumes ?? []) {
        const name = v.configMap?.name ?? v.secret?.secretName;
        if (name) expect(find(objects, v.configMap ? 'ConfigMap' : 'Secret', name) ?? find(extras, v.configMap ? 'ConfigMap' : 'Secret', name), `${extra.kind} volume ${name}`).toBeDefined();
      }
      const [container] = pod.containers;
      const { env, missing, unexpanded } = containerEnv(container, [...objects, ...extras], external);
      expect(missing, `${extra.kind} reads objects that exist`).toEqual([]);
      expect(unexpanded).toEqual([]);
      // Every variable the api pod gets, the Job gets with the same value (its own task variables aside).
      // …but the database address: the jobs hold one server session (DDL, pg_dump), so they go straight to PostgreSQL.
      const differs = Object.keys(apiEnv).filter((k) => !JOB_OWN_ENV.has(k) && !DIRECT_DB_ENV.has(k) && env[k] !== apiEnv[k]);
      expect(env.DB_HOST, `${extra.metadata.name} connects to PostgreSQL itself`).not.toMatch(/pgbouncer/);
      expect(differs, `${extra.kind} ${extra.metadata.name} env differs from the api's`).toEqual([]);
      if (extra.kind === 'Job') expect(env.MODE).toBe('migration');
    }
    // The run worker is the chart's worker pod with its own queue and size: the same image, service
    // account, security contexts and volumes, and every variable the worker gets except those sized for it.
    const chartWorker = podOf('worker').spec.template.spec;
    const runWorker = podOf(CHART_COMPONENTS.worker_runs.label).spec.template.spec;
    // (`volumes:` with no entries renders as null.)
    for (const key of ['serviceAccountName', 'volumes']) expect(runWorker[key] ?? null, `run worker ${key}`).toEqual(chartWorker[key] ?? null);
    for (const key of ['image', 'volumeMounts']) expect(runWorker.containers[0][key] ?? null, `run worker ${key}`).toEqual(chartWorker.containers[0][key] ?? null);
    // Its security settings: the chart worker's where it sets them, restrictive otherwise (and no service-account token).
    expect(runWorker.securityContext, 'run worker pod securityContext').toMatchObject({ ...(chartWorker.securityContext ?? {}) });
    expect(runWorker.containers[0].securityContext, 'run worker securityContext').toMatchObject({ ...(chartWorker.containers[0].securityContext ?? {}) });
    expect(runWorker.automountServiceAccountToken).toBe(false);
    // Every pod of our own manifests runs restricted.
    for (const o of extras.filter((x) => ['Deployment', 'Job', 'CronJob'].includes(x.kind))) {
      const pod = podSpecOf(o).spec;
      expect(pod.automountServiceAccountToken, `${o.metadata.name} token`).toBe(false);
      expect(pod.securityContext, `${o.metadata.name} pod securityContext`).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext.runAsUser, `${o.metadata.name} runAsUser`).toBeGreaterThan(0);
      for (const c of pod.containers) expect(c.securityContext, `${o.metadata.name} ${c.name}`).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    }
    if (runWorker.serviceAccountName !== 'default') expect(find(objects, 'ServiceAccount', runWorker.serviceAccountName)).toBeDefined();
    const workerEnv = containerEnv(chartWorker.containers[0], [...objects, ...extras], external).env;
    const runEnv = containerEnv(runWorker.containers[0], [...objects, ...extras], external).env;
    const sized = new Set(Object.keys(plan.components.find((c) => c.name === 'worker_runs')!.env));
    expect(Object.keys({ ...workerEnv, ...runEnv }).filter((k) => !sized.has(k) && runEnv[k] !== workerEnv[k]), 'run worker env differs from the worker\'s').toEqual([]);
    // The Service the api (and the backup script) connects to exists when the database is bundled: the chart's, or a pooler's in helm/extra/.
    if (spec.database.mode === 'bundled') expect(find([...objects, ...extras], 'Service', String(apiEnv.DB_HOST)), `Service ${apiEnv.DB_HOST}`).toBeDefined();
  });
});

// Each backend set once more with an external event bus (its URL carries a password): credentials only.
const seenBackends = new Set<string>();
const EVENT_BUS_CASES = CASES.filter((c) => !seenBackends.has(c.backend) && seenBackends.add(c.backend)).map((c) => ({ ...c, spec: withEventBus(c.spec) }));

describe.skipIf(!helm || !UPSTREAM_REQUIRED).each(EVENT_BUS_CASES)('$release $tier, $backend (event bus)', ({ release: version, spec: base }) => {
  test('no credential outside a Secret; Secret files in helm/extra are private', async () => {
    const { files, known, valuesPath, chart } = renderPlanted(version, base);
    const template = await runHelm(['template', 'dify', chart, '--namespace', 'dify', '-f', valuesPath]);
    expect(template.code, template.stderr).toBe(0);
    expectCredentialsOnlyInSecrets(parseManifests(template.stdout), files, known);
  });
});
