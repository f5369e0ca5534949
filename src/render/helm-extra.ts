// Kubernetes manifests the dify-helm chart has no template for, written beside values.yaml
// under helm/extra/ and applied with kubectl: PodDisruptionBudgets and a one-shot
// migration Job (the chart would otherwise migrate in every api replica at start).
import { stringifyYaml } from '../io/yaml-doc.js';
import { cpuQuantity } from '../helm/quantity.js';
import { CHART_COMPONENTS } from './helm/components.js';
import { apiPodEnv } from './helm/values.js';
import { HELM_NAMESPACE, HELM_RELEASE_NAME, pgbouncerServiceName, selectorLabels } from './helm/names.js';
import { directJobEnv } from './database-tls.js';
import type { RenderContext, RenderedFile } from './types.js';
import { PGBOUNCER_IMAGE_VERSION, PGBOUNCER_PORT } from '../core/pooler.js';
import { PGBOUNCER_CONFIG_PATH, pgbouncerStartScript, poolerUser, renderPgbouncerIni } from './pgbouncer.js';
import { IMAGE_USERS, RESTRICTED_CONTAINER, restrictedPod, TMP_MOUNT, TMP_VOLUME } from './helm/pod-security.js';

export { selectorLabels };

export const yamlDocs = (docs: object[]) => docs.map(stringifyYaml).join('---\n');

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
 * ConfigMap and Secret the chart creates and the api pods' extraEnv, so it is applied after
 * `helm upgrade` and reads what the api pods read (helm.existingSecret references included).
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
          ...restrictedPod(IMAGE_USERS.api),
          volumes: [TMP_VOLUME],
          containers: [
            {
              name: 'migrate',
              image: ctx.release.images.api,
              securityContext: RESTRICTED_CONTAINER,
              volumeMounts: [TMP_MOUNT],
              // The api pods' env (sizing, overrides.env, existingSecret references), then the Job's own task.
              // Straight to PostgreSQL (Alembic's DDL and locks need one server session), with sslMode.
              env: [...directJobEnv(apiPodEnv(ctx), ctx, 'migrate'), { name: 'MODE', value: 'migration' }, { name: 'MIGRATION_ENABLED', value: 'true' }],
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


/**
 * helm/extra/pgbouncer.yaml: PgBouncer (transaction pooling) as a Deployment, its Service and
 * the rendered pgbouncer.ini in a ConfigMap. The auth file is written in the pod from the
 * chart's api Secret (or helm.existingSecret). The migration Job and the backup CronJob read
 * the chart's ConfigMap, whose DB_HOST is PostgreSQL itself: they stay direct.
 */
export function renderPgbouncerManifests(ctx: RenderContext): RenderedFile | undefined {
  const pooler = ctx.plan.database.pooler;
  if (!pooler) return undefined;
  const name = pgbouncerServiceName();
  const db = ctx.spec.database;
  const host = db.mode === 'bundled' ? `${HELM_RELEASE_NAME}-postgresql` : (db.host ?? '');
  const ini = renderPgbouncerIni(ctx.spec, pooler, { host, port: db.port ?? 5432, version: PGBOUNCER_IMAGE_VERSION });
  const secret = ctx.spec.helm?.existingSecret ?? `${HELM_RELEASE_NAME}-api`;
  const labels = { ...selectorLabels, component: 'pgbouncer' };
  const fromSecret = (env: string, key: string) => ({ name: env, valueFrom: { secretKeyRef: { name: secret, key } } });
  const layout = pooler.layout;
  const replicas = layout?.replicas ?? 1;
  // Under HA the pods spread over nodes (preferred, so a small cluster still schedules them) and a PDB keeps one up.
  const spread =
    replicas >= 2
      ? {
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: labels } }],
          affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: labels } } }] } },
        }
      : {};
  const resources = layout
    ? { requests: { cpu: cpuQuantity(layout.cpu), memory: layout.memory }, limits: { cpu: cpuQuantity(layout.cpu), memory: layout.memory } }
    : { requests: { cpu: '250m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } };
  const docs = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: HELM_NAMESPACE }, data: { 'pgbouncer.ini': ini } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: HELM_NAMESPACE },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            ...spread,
            ...restrictedPod(IMAGE_USERS.postgresAlpine),
            containers: [
              {
                name: 'pgbouncer',
                image: ctx.release.images.pgbouncer,
                securityContext: RESTRICTED_CONTAINER,
                command: ['/bin/sh', '-c', pgbouncerStartScript(layout)],
                env: [
                  ctx.spec.helm?.existingSecret ? { name: 'PGBOUNCER_AUTH_USER', value: poolerUser(ctx.spec) } : fromSecret('PGBOUNCER_AUTH_USER', 'DB_USERNAME'),
                  fromSecret('PGBOUNCER_AUTH_PASSWORD', 'DB_PASSWORD'),
                ],
                ports: [{ name: 'pgbouncer', containerPort: PGBOUNCER_PORT }],
                readinessProbe: { tcpSocket: { port: PGBOUNCER_PORT }, periodSeconds: 5 },
                livenessProbe: { tcpSocket: { port: PGBOUNCER_PORT }, periodSeconds: 20 },
                resources,
                volumeMounts: [{ name: 'config', mountPath: PGBOUNCER_CONFIG_PATH, subPath: 'pgbouncer.ini', readOnly: true }, TMP_MOUNT],
              },
            ],
            volumes: [{ name: 'config', configMap: { name } }, TMP_VOLUME],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: HELM_NAMESPACE },
      spec: { selector: labels, ports: [{ name: 'pgbouncer', port: PGBOUNCER_PORT, targetPort: PGBOUNCER_PORT }] },
    },
    ...(replicas >= 2
      ? [{ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: HELM_NAMESPACE }, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } }]
      : []),
  ];
  return { path: 'helm/extra/pgbouncer.yaml', content: yamlDocs(docs) };
}
