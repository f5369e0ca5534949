// `render --target helm`: helm/values.yaml for the dify-helm chart version the release
// table names, and helm/README.md with the exact install commands.
import { CHART_WORKER_CONNECTIONS as CHART_NGINX_WORKER_CONNECTIONS } from '../core/sizing/nginx.js';
import { stringifyYaml } from '../io/yaml-doc.js';
import { budgetLines } from '../core/budget-lines.js';
import { cpuQuantity } from '../helm/quantity.js';
import { renderTemplate } from './template.js';
import type { RenderContext, RenderedFile } from './types.js';
import { helmValues, podCredentials, TLS_SECRET } from './helm/values.js';
import { renderCredentialsSecret } from './helm/credentials.js';
import { renderNetworkPolicies } from './helm/network-policy.js';
import { renderMigrationJob, renderPgbouncerManifests, renderPodDisruptionBudgets } from './helm-extra.js';
import { HELM_NAMESPACE, renderBackupCronJob } from './recovery.js';
import { createSecretCommand } from './helm/existing-secret.js';
import { renderRunWorker } from './helm/run-worker.js';
import { renderSsrfProxyPolicy } from './helm/ssrf-proxy.js';

function notes(ctx: RenderContext): string[] {
  const { plan, spec } = ctx;
  const out: string[] = [];
  const nginx = plan.components.find((c) => c.name === 'nginx');
  const wanted = Number(nginx?.settings?.connections_per_worker ?? 0);
  if (wanted > CHART_NGINX_WORKER_CONNECTIONS)
    out.push(
      `The chart's nginx proxy hard-codes worker_connections ${CHART_NGINX_WORKER_CONNECTIONS}; this load wants ${wanted} per worker. Run more proxy replicas (overrides.components.nginx.replicas) or let the ingress controller reach the services directly.`,
    );
  if (spec.storage.type === 'local')
    out.push('Local storage: api, worker and the plugin daemon share ReadWriteMany volumes; the cluster needs an RWX storage class.');
  out.push('SSRF proxy: on, with the policy of ssrfProxy.allowPrivate in helm/extra/ssrf-proxy-policy.yaml; its pod starts once that ConfigMap is applied, and takes a changed policy on `kubectl -n dify rollout restart deploy/dify-ssrf-proxy`.');
  out.push('Migrations: api.migration is off; apply helm/extra/migration-job.yaml after each `helm upgrade` so `flask upgrade-db` runs once, not in every api pod.');
  if (plan.collaboration === false && ctx.release.collaboration && !ctx.release.helm.apiWebsocket)
    out.push(`Collaboration: chart ${ctx.release.helm.version} has no apiWebsocket component, so real-time collaboration is off on Kubernetes.`);
  return [...out, ...plan.warnings];
}

function tlsSecretCommand(ctx: RenderContext): string {
  const d = ctx.spec.domain;
  if (d.tls !== 'own') return '';
  return `kubectl -n dify create secret tls ${TLS_SECRET} --cert=${d.certFile ?? 'fullchain.pem'} --key=${d.keyFile ?? 'privkey.pem'}`;
}

export function renderHelm(ctx: RenderContext): RenderedFile[] {
  const { release, plan, spec } = ctx;
  const h = release.helm;
  const existingSecret = spec.helm?.existingSecret;
  const header = renderTemplate('helm/values-header.hbs', { chart: `${h.repoName}/${h.chart}`, chartVersion: h.version, release: release.version, tier: plan.tier, existingSecret });
  const values = stringifyYaml(helmValues(ctx));
  const credentialValues = podCredentials(ctx);
  const credentials = renderCredentialsSecret(ctx, credentialValues);
  const readme = renderTemplate('helm/README.md.hbs', {
    credentialsFile: credentials !== undefined,
    release: release.version,
    chart: h.chart,
    chartVersion: h.version,
    chartNote: h.note,
    repoName: h.repoName,
    repoUrl: h.repoUrl,
    tier: plan.tier,
    qps: plan.qps,
    host: spec.domain.host,
    tlsSecretCommand: tlsSecretCommand(ctx),
    existingSecret,
    secretCommand: createSecretCommand(ctx, HELM_NAMESPACE, Object.keys(credentialValues)),
    certManager: spec.domain.tls === 'certbot',
    budget: budgetLines(plan.budget, plan.database, true).map((l) => l.text),
    components: plan.components.map((c) => ({
      name: c.name,
      replicas: c.maxReplicas > c.replicas ? `${c.replicas}–${c.maxReplicas}` : String(c.replicas),
      cpu: cpuQuantity(c.cpu),
      cpuRequest: cpuQuantity(c.requests.cpu),
      memory: c.memory,
      memoryRequest: c.requests.memory,
    })),
    notes: notes(ctx),
  });
  const pdb = renderPodDisruptionBudgets(ctx);
  const pgbouncer = renderPgbouncerManifests(ctx);
  const runWorker = renderRunWorker(ctx, values);
  const networkPolicies = renderNetworkPolicies(ctx);
  return [
    { path: 'helm/values.yaml', content: `${header}${values}`, mode: 0o600 },
    { path: 'helm/README.md', content: readme },
    ...(credentials ? [credentials] : []),
    renderMigrationJob(ctx),
    renderBackupCronJob(ctx),
    ...(runWorker ? [runWorker] : []),
    renderSsrfProxyPolicy(ctx),
    ...(pdb ? [pdb] : []),
    ...(pgbouncer ? [pgbouncer] : []),
    ...(networkPolicies ? [networkPolicies] : []),
  ];
}
