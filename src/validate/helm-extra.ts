// The manifests applied beside a Helm release (helm/extra/ next to values.yaml, as dify-deploy
// writes them, or a user's own): the Celery workers they run. A Deployment of the Dify api image
// in MODE=worker — a run worker on its own queue, say — consumes queues and opens connections
// like the chart's worker, so queue-coverage, capacity and the budgets count it.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseYamlDocuments } from '../io/yaml-doc.js';
import { isMap, type Values } from '../helm/merge.js';
import type { ServiceModel } from './service-model.js';
import type { Origin } from './diagnostics.js';
import { isDirectory, readTextFile } from '../io/files.js';
import { workerComponent } from './worker-role.js';
import { isDifyApiImage } from '../dify/components.js';

/** A worker of extra/: the service validate judges, and its container's resource limits (for import). */
export interface ExtraWorker extends ServiceModel {
  limits: Values;
}

export interface ManifestDoc {
  file: string;
  obj: Values;
  lineAt: (path: (string | number)[]) => number | undefined;
}

/** helm/extra/ beside the values file. */
export const extraDirOf = (valuesFile: string) => join(dirname(valuesFile), 'extra');

/** One manifest file's documents (the mappings), each with its file and lines; extra/ may not lead outside the values file's folder. */
export function manifestFile(file: string): ManifestDoc[] {
  return parseYamlDocuments(readTextFile(file, 'Kubernetes manifest', 'fix or remove it', dirname(dirname(file))), file, 'Kubernetes manifest').flatMap(({ data, lineAt }) =>
    isMap(data) ? [{ file, obj: data, lineAt }] : [],
  );
}

/** The manifests of extra/ beside a values file. */
export function extraManifests(valuesFile: string): ManifestDoc[] {
  const dir = extraDirOf(valuesFile);
  if (!isDirectory(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .flatMap((n) => manifestFile(join(dir, n)));
}

/**
 * extra/ read now, its result (or the error reading it) given when asked: validate parses these
 * manifests before the values file beside them, and reports a bad manifest where it always has
 * (after the values and the rest of the model). Why first: V8 optimises the `yaml` lexer and
 * parser while reading the first file; from a single-document values file it lacks feedback for
 * the manifests' `---` streams, deoptimises and recompiles them — ≈ 100 M instructions of a
 * `validate --helm-values` (docs/benchmark.md).
 */
export function extraManifestsRead(valuesFile: string): () => ManifestDoc[] {
  try {
    const docs = extraManifests(valuesFile);
    return () => docs;
  } catch (e) {
    return () => {
      throw e;
    };
  }
}

/** HPAs' maxReplicas by the Deployment they scale. */
function autoscaled(docs: ManifestDoc[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const { obj } of docs) {
    const spec = isMap(obj.spec) ? obj.spec : {};
    const target = isMap(spec.scaleTargetRef) ? spec.scaleTargetRef : {};
    if (obj.kind === 'HorizontalPodAutoscaler' && target.kind === 'Deployment' && typeof target.name === 'string' && Number.isFinite(Number(spec.maxReplicas)))
      out.set(target.name, Number(spec.maxReplicas));
  }
  return out;
}

/**
 * Each Deployment's Dify worker container: the api image with MODE=worker in its env, or reading
 * a ConfigMap named like the chart's worker one (`<release>-worker`, whose MODE is worker); one
 * consuming only the run queue is the run worker (worker_runs). Replicas are the HPA's
 * maxReplicas when one scales it (the budgets hold at the peak).
 */
export function extraWorkers(valuesFile: string, runQueue: string, docs = extraManifests(valuesFile)): ExtraWorker[] {
  const hpa = autoscaled(docs);
  const out: ExtraWorker[] = [];
  for (const { file, obj, lineAt } of docs) {
    if (obj.kind !== 'Deployment' || !isMap(obj.metadata) || typeof obj.metadata.name !== 'string') continue;
    const name = obj.metadata.name;
    const spec = isMap(obj.spec) ? obj.spec : {};
    const template = isMap(spec.template) ? spec.template : {};
    const podSpec = isMap(template.spec) ? template.spec : {};
    const containers = Array.isArray(podSpec.containers) ? podSpec.containers : [];
    containers.forEach((c: unknown, ci) => {
      if (!isMap(c) || !isDifyApiImage(String(c.image ?? ''))) return;
      const env: Record<string, string> = {};
      const origin: Record<string, Origin> = {};
      (Array.isArray(c.env) ? c.env : []).forEach((e: unknown, i) => {
        if (!isMap(e) || typeof e.name !== 'string' || typeof e.value !== 'string') return;
        env[e.name] = e.value;
        const line = lineAt(['spec', 'template', 'spec', 'containers', ci, 'env', i, 'value']);
        origin[e.name] = { file, ...(line !== undefined ? { line } : {}) };
      });
      const fromWorkerConfig = (Array.isArray(c.envFrom) ? c.envFrom : []).some((f: unknown) => isMap(f) && isMap(f.configMapRef) && /-worker$/.test(String(f.configMapRef.name)));
      const mode = (env.MODE ?? (fromWorkerConfig ? 'worker' : '')).toLowerCase();
      if (mode !== 'worker') return;
      // An HPA does not scale a Deployment set to 0 replicas (Kubernetes disables autoscaling there).
      const declared = Number(spec.replicas ?? 1);
      const replicas = declared === 0 ? 0 : (hpa.get(name) ?? declared);
      const resources = isMap(c.resources) ? c.resources : {};
      out.push({
        name: containers.length > 1 ? `${name}/${String(c.name)}` : name,
        component: workerComponent(env, runQueue),
        limits: isMap(resources.limits) ? resources.limits : {},
        image: String(c.image),
        replicas: Number.isFinite(replicas) && replicas >= 0 ? replicas : 1,
        active: true,
        env,
        origin,
        line: lineAt(['metadata', 'name']),
      });
    });
  }
  return out;
}

/** Secret name → its data (stringData, and data base64-decoded) among the extra manifests. */
export function secretsData(manifests: ManifestDoc[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const { obj } of manifests) {
    if (obj.kind !== 'Secret' || !isMap(obj.metadata) || typeof obj.metadata.name !== 'string') continue;
    const data: Record<string, string> = {};
    if (isMap(obj.data)) for (const [k, v] of Object.entries(obj.data)) if (typeof v === 'string') data[k] = Buffer.from(v, 'base64').toString('utf8');
    if (isMap(obj.stringData)) for (const [k, v] of Object.entries(obj.stringData)) if (typeof v === 'string') data[k] = v;
    out.set(obj.metadata.name, data);
  }
  return out;
}
