// helm/extra/network-policy.yaml: compose's isolation on Kubernetes. Compose puts the sandbox on
// an internal network whose only way out is the SSRF proxy, and the data services on a network
// only Dify's services join. Here: the sandbox may send only to the SSRF proxy and to DNS (so it
// never reaches 169.254.169.254, PostgreSQL or Redis), and each bundled data service (and our
// PgBouncer) admits only the Dify pods that connect to it. Objects only for what this deployment
// runs; none with helm.networkPolicy: false.
import { componentsWhere } from '../../dify/components.js';
import { PGBOUNCER_PORT } from '../../core/pooler.js';
import { CHART_COMPONENTS } from './components.js';
import { HELM_NAMESPACE, HELM_RELEASE_NAME, selectorLabels } from './names.js';
import { stringifyYaml } from '../../io/yaml-doc.js';
import type { RenderContext, RenderedFile } from '../types.js';

const SANDBOX_PORT = 8194;
const SSRF_PROXY_PORT = 3128;
const label = (name: keyof typeof CHART_COMPONENTS) => CHART_COMPONENTS[name].label;

/** Pods running the api image (api, websocket, workers, beat): they read DB, Redis, the vector store and call the sandbox. */
const API_IMAGE = componentsWhere((c) => c.runsApiImage).map(label);
/** Our own pods beside the chart: the migration Job and the backup CronJob open direct PostgreSQL sessions. */
const DATABASE_JOBS = ['migration', 'backup'];

/** Peers: Dify pods of this release whose `component` label is one of `components`. */
const fromComponents = (components: string[]) => [
  { podSelector: { matchLabels: { ...selectorLabels }, matchExpressions: [{ key: 'component', operator: 'In', values: [...components].sort() }] } },
];
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port }));

function policy(name: string, podSelector: Record<string, string>, spec: Record<string, unknown>) {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `${HELM_RELEASE_NAME}-${name}`, namespace: HELM_NAMESPACE }, spec: { podSelector: { matchLabels: podSelector }, ...spec } };
}

export function renderNetworkPolicies(ctx: RenderContext): RenderedFile | undefined {
  if (ctx.spec.helm?.networkPolicy === false) return undefined;
  const { spec, plan } = ctx;
  const pooler = !!plan.database.pooler;
  const pluginDaemon = label('plugin_daemon');
  const docs = [
    policy('sandbox', { ...selectorLabels, component: label('sandbox') }, {
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: fromComponents(API_IMAGE), ports: tcp(SANDBOX_PORT) }],
      egress: [
        { to: fromComponents(['ssrf-proxy']), ports: tcp(SSRF_PROXY_PORT) },
        // Name resolution wherever the cluster's resolver is (kube-dns, or a node-local cache on a link-local address).
        { ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
      ],
    }),
  ];
  // PostgreSQL's clients: PgBouncer when there is one (the pods' DB_HOST names it), and the jobs that need one server session.
  const dbClients = [...API_IMAGE, pluginDaemon];
  if (spec.database.mode === 'bundled')
    docs.push(
      policy('postgresql', { 'app.kubernetes.io/name': 'postgresql', 'app.kubernetes.io/instance': HELM_RELEASE_NAME }, {
        policyTypes: ['Ingress'],
        ingress: [{ from: fromComponents([...(pooler ? ['pgbouncer'] : dbClients), ...DATABASE_JOBS]), ports: tcp(5432) }],
      }),
    );
  if (pooler)
    docs.push(policy('pgbouncer', { ...selectorLabels, component: 'pgbouncer' }, { policyTypes: ['Ingress'], ingress: [{ from: fromComponents(dbClients), ports: tcp(PGBOUNCER_PORT) }] }));
  if (spec.redis.mode === 'bundled')
    docs.push(
      policy('redis', { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': HELM_RELEASE_NAME }, {
        policyTypes: ['Ingress'],
        // `flask upgrade-db` holds a Redis lock while it migrates.
        ingress: [{ from: fromComponents([...API_IMAGE, pluginDaemon, label('agent_backend'), 'migration']), ports: tcp(6379) }],
      }),
    );
  if (spec.vectorStore.mode === 'bundled' && spec.vectorStore.type === 'weaviate')
    docs.push(policy('weaviate', { 'app.kubernetes.io/name': 'weaviate' }, { policyTypes: ['Ingress'], ingress: [{ from: fromComponents(API_IMAGE), ports: tcp(8080, 50051) }] }));
  return { path: 'helm/extra/network-policy.yaml', content: docs.map(stringifyYaml).join('---\n') };
}
