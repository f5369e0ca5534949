// Kubernetes manifests the dify-helm chart has no template for, written beside values.yaml
// under helm/extra/ and applied with kubectl: PodDisruptionBudgets and a one-shot
// migration Job (the chart would otherwise migrate in every api replica at start).
import { stringify } from 'yaml';
import { CHART_COMPONENTS } from './helm/components.js';
import { secretEnv } from './helm/existing-secret.js';
import { HELM_NAMESPACE, HELM_RELEASE_NAME } from './recovery.js';
import type { RenderContext, RenderedFile } from './types.js';

/** dify.selectorLabels for a release named HELM_RELEASE_NAME. */
const selectorLabels = { 'app.kubernetes.io/name': 'dify', 'app.kubernetes.io/instance': HELM_RELEASE_NAME };

const yamlDocs = (docs: object[]) => docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');

/** One PDB per component that runs ≥ 2 replicas: voluntary evictions take one pod at a time. */
export function renderPodDisruptionBudgets(ctx: RenderContext): RenderedFile | undefined {
  const docs = ctx.plan.components
    .filter((c) => c.replicas >= 2)
    .map((c) => ({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: `${HELM_RELEASE_NAME}-${CHART_COMPONENTS[c.name].label}`, namespace: HELM_NAMESPACE },
      spec: { maxUnavailable: 1, selector: { matchLabels: { ...selectorLabels, component: CHART_COMPONENTS[c.name].label } } },
    }));
  return docs.length ? { path: 'helm/extra/pdb.yaml', content: yamlDocs(docs) } : undefined;
}

/**
 * Dify's MODE=migration runs `flask upgrade-db` once and exits. It reads the api
 * ConfigMap and Secret the chart creates, so it is applied after `helm upgrade`; with
 * helm.existingSecret it reads the secrets the way the api pods do.
 */
export function renderMigrationJob(ctx: RenderContext): RenderedFile {
  const api = `${HELM_RELEASE_NAME}-api`;
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `${HELM_RELEASE_NAME}-migrate`, namespace: HELM_NAMESPACE },
    spec: {
      backoffLimit: 3,
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: { labels: { ...selectorLabels, component: 'migration' } },
        spec: {
          restartPolicy: 'OnFailure',
          containers: [
            {
              name: 'migrate',
              image: ctx.release.images.api,
              env: [
                { name: 'MODE', value: 'migration' },
                { name: 'MIGRATION_ENABLED', value: 'true' },
                ...secretEnv(ctx, 'api'),
              ],
              envFrom: [{ configMapRef: { name: api } }, { secretRef: { name: api } }],
              resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } },
            },
          ],
        },
      },
    },
  };
  return { path: 'helm/extra/migration-job.yaml', content: yamlDocs([job]) };
}
