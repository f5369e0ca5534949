// helm/extra/run-worker.yaml: the run worker (chatflow and streaming-workflow runs on the run
// queue) as a Deployment beside the chart's one worker, which keeps the other queues. It is the
// chart's worker pod with another queue list and its own size: the same image, ConfigMap and
// Secret (dify-worker, rendered from the same values, or helm.existingSecret's references in env),
// service account and security contexts, read from the chart version's own defaults.
import { createHash } from 'node:crypto';
import type { PlanComponent } from '../../core/sizing.js';
import { loadChart } from '../../helm/chart.js';
import { isMap, type Values } from '../../helm/merge.js';
import { yamlDocs } from '../helm-extra.js';
import { selectorLabels } from './names.js';
import { HELM_NAMESPACE, HELM_RELEASE_NAME } from './names.js';
import type { RenderContext, RenderedFile } from '../types.js';
import { resourcesFor } from './backends.js';
import { CHART_COMPONENTS } from './components.js';
import { antiAffinity, chartPodEnv, HPA_CPU_TARGET } from './values.js';
import { IMAGE_USERS, RESTRICTED_CONTAINER, restrictedPod } from './pod-security.js';

/** The chart's worker objects (dify.worker.fullname for a release named HELM_RELEASE_NAME). */
const CHART_WORKER = `${HELM_RELEASE_NAME}-worker`;

const block = (v: unknown): Values => (isMap(v) ? v : {});

/** A chart securityContext block without its `enabled` switch, or undefined when it is off. */
function securityContext(v: unknown): Values | undefined {
  const { enabled, ...rest } = block(v);
  return enabled === true ? rest : undefined;
}

/** dify.worker.serviceAccountName: the created account's name, else the named (or default) one. */
function serviceAccountName(worker: Values): string {
  const sa = block(worker.serviceAccount);
  const name = typeof sa.name === 'string' && sa.name ? sa.name : undefined;
  return name ?? (sa.create === true ? CHART_WORKER : 'default');
}

function deployment(ctx: RenderContext, c: PlanComponent, valuesYaml: string): Values {
  const worker = block(loadChart(ctx.release.helm.version).defaults.worker);
  const { label } = CHART_COMPONENTS[c.name];
  const labels = { ...selectorLabels, component: label };
  const pod = securityContext(worker.podSecurityContext);
  const container = securityContext(worker.containerSecurityContext);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `${HELM_RELEASE_NAME}-${label}`, namespace: HELM_NAMESPACE, labels: { ...labels } },
    spec: {
      replicas: c.replicas,
      selector: { matchLabels: { ...labels } },
      template: {
        metadata: {
          labels: { ...labels },
          // The chart rolls its worker when its ConfigMap/Secret change; these come from values.yaml,
          // so re-applying extra/ after a values change rolls the run worker the same way.
          annotations: { 'checksum/values': createHash('sha256').update(valuesYaml).digest('hex') },
        },
        spec: {
          serviceAccountName: serviceAccountName(worker),
          // Ours restrictive (pod-security.ts), the chart's worker settings over them when it turns them on.
          automountServiceAccountToken: false,
          securityContext: { ...restrictedPod(IMAGE_USERS.api).securityContext, ...pod },
          ...(c.maxReplicas >= 2 ? { affinity: antiAffinity(label) } : {}),
          containers: [
            {
              name: 'worker',
              image: ctx.release.images.api,
              // A writable root like the chart's own worker (Dify's worker writes outside /tmp, e.g. its caches).
              securityContext: { ...RESTRICTED_CONTAINER, readOnlyRootFilesystem: false, ...container },
              // The chart worker's env (MODE, LOG_LEVEL, secrets), then the run worker's own queue and sizing.
              env: [{ name: 'MODE', value: 'worker' }, ...chartPodEnv(ctx, c, CHART_COMPONENTS.worker_runs.podOf!)],
              envFrom: [{ configMapRef: { name: CHART_WORKER } }, { secretRef: { name: CHART_WORKER } }],
              resources: resourcesFor(c.cpu, c.memory, c.requests),
            },
          ],
          // No storage volume: local file storage is refused on Helm (topologyProblems), so the
          // chart's worker mounts none either.
        },
      },
    },
  };
}

/** Scales between the plan's replicas and maxReplicas, on CPU like the chart's own HPAs. */
function autoscaler(c: PlanComponent, name: string): Values {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: HELM_NAMESPACE },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: c.replicas,
      maxReplicas: c.maxReplicas,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: HPA_CPU_TARGET } } }],
    },
  };
}

/** The run worker's Deployment, and its HPA when the plan lets it scale (its PDB is in pdb.yaml). */
export function renderRunWorker(ctx: RenderContext, valuesYaml: string): RenderedFile | undefined {
  const c = ctx.plan.components.find((x) => x.name === 'worker_runs');
  if (!c) return undefined;
  const d = deployment(ctx, c, valuesYaml);
  const docs = [d, ...(c.maxReplicas > c.replicas ? [autoscaler(c, (d.metadata as Values).name as string)] : [])];
  return { path: 'helm/extra/run-worker.yaml', content: yamlDocs(docs) };
}
