// NetworkPolicy semantics evaluated independently over the real `helm template` pods and ours:
// a pod's traffic is allowed when no policy of its direction selects it, or a rule of one that
// does admits the peer and port (Kubernetes' NetworkPolicy rules). Who must reach PostgreSQL and
// Redis is read from each pod's own environment (DB_HOST, REDIS_HOST, the broker URL), not from
// the renderer's lists; the sandbox must reach only the SSRF proxy and DNS, as compose's
// internal network gives it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadRelease } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { specSchema } from '../src/core/spec.js';
import { renderHelm } from '../src/render/helm.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { chartDir, helmBinary, runHelm } from './helpers/helm.js';
import { containerEnv, parseManifests, schemaErrors, type K8sObject } from './helpers/k8s.js';
import { matrix } from './helpers/matrix.js';
import { UPSTREAM_REQUIRED } from './helpers/upstream.js';

const helm = helmBinary();
const work = mkdtempSync(join(tmpdir(), 'dd-netpol-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Pod = { name: string; labels: Record<string, string>; env: Record<string, string> };
type Peer = { pod?: Pod; ip?: string; port: number; protocol?: string };

const matches = (sel: any, labels: Record<string, string>) =>
  Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
  (sel?.matchExpressions ?? []).every((e: any) => (e.operator === 'In' ? e.values.includes(labels[e.key]) : e.operator === 'NotIn' ? !e.values.includes(labels[e.key]) : e.operator === 'Exists' ? e.key in labels : !(e.key in labels)));

function ipIn(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = (a: string) => a.split('.').reduce((x, o) => x * 256 + Number(o), 0);
  const mask = 2 ** 32 - 2 ** (32 - Number(bits));
  return Math.floor(n(ip) / 2 ** (32 - Number(bits))) === Math.floor(n(base) / 2 ** (32 - Number(bits))) && mask >= 0;
}

/** Does one rule's peer list admit `peer` (a pod in this namespace, or an address)? */
function peerAdmitted(peers: any[] | undefined, peer: Peer): boolean {
  if (!peers) return true; // no `from`/`to`: every peer
  return peers.some((p) => {
    if (p.ipBlock) return !!peer.ip && ipIn(peer.ip, p.ipBlock.cidr) && !(p.ipBlock.except ?? []).some((c: string) => ipIn(peer.ip!, c));
    if (!peer.pod) return false; // pod/namespace selectors only ever select pods
    if (p.namespaceSelector && !p.podSelector) return true; // every pod of the selected namespaces (ours included for {})
    return matches(p.podSelector, peer.pod.labels);
  });
}
const portAdmitted = (ports: any[] | undefined, port: number, protocol = 'TCP') => !ports || ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || p.port === port));

function allowedDirection(policies: K8sObject[], self: Pod, kind: 'Ingress' | 'Egress', peer: Peer): boolean {
  const selecting = policies.filter((p) => matches(p.spec.podSelector, self.labels) && (p.spec.policyTypes ?? ['Ingress']).includes(kind));
  if (!selecting.length) return true;
  const rules = selecting.flatMap((p) => (kind === 'Ingress' ? p.spec.ingress : p.spec.egress) ?? []);
  return rules.some((r: any) => peerAdmitted(kind === 'Ingress' ? r.from : r.to, peer) && portAdmitted(r.ports, peer.port, peer.protocol));
}

/** Can `from` open a connection to `to` (a pod on `port`, or an outside address)? */
function allowed(policies: K8sObject[], from: Pod, to: Peer): boolean {
  const egress = allowedDirection(policies, from, 'Egress', to);
  return egress && (!to.pod || allowedDirection(policies, to.pod, 'Ingress', { pod: from, port: to.port }));
}

const CASES = matrix(['helm']).filter((c) => c.tier === '10qps' || c.tier === '1000qps');

describe.skipIf(!helm || !UPSTREAM_REQUIRED).each(CASES)('$release $tier, $backend', ({ release: version, spec }) => {
  test('the sandbox reaches only the SSRF proxy and DNS; data services admit exactly the pods that use them', async () => {
    const release = loadRelease(version);
    const plan = planFor(spec, 'helm', release);
    const files = renderHelm({ spec, plan, release, secrets: resolveSecrets({}, spec) });
    const valuesPath = join(mkdtempSync(join(work, 'case-')), 'values.yaml');
    writeFileSync(valuesPath, files.find((f) => f.path === 'helm/values.yaml')!.content);
    const template = await runHelm(['template', 'dify', chartDir(release.helm.version), '--namespace', 'dify', '-f', valuesPath]);
    expect(template.code, template.stderr).toBe(0);
    const extras = files.filter((f) => f.path.startsWith('helm/extra/')).flatMap((f) => parseManifests(f.content));
    const objects = [...parseManifests(template.stdout), ...extras];
    const policies = extras.filter((o) => o.kind === 'NetworkPolicy');
    expect(policies.flatMap(schemaErrors)).toEqual([]);
    const external = new Set(spec.helm?.existingSecret ? [spec.helm.existingSecret] : []);
    const pods: Pod[] = objects
      .filter((o) => ['Deployment', 'StatefulSet', 'Job', 'CronJob'].includes(o.kind) && !o.metadata.annotations?.['helm.sh/hook']) // `helm test` hooks are not the deployment
      .map((o) => {
        const template = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.spec.template;
        // The env, and the text of the ConfigMaps it mounts (pgbouncer.ini names PostgreSQL's host).
        const mounted = (template.spec.volumes ?? []).flatMap((v: any) => Object.values(objects.find((x) => x.kind === 'ConfigMap' && x.metadata.name === v.configMap?.name)?.data ?? {}));
        return { name: o.metadata.name, labels: template.metadata?.labels ?? {}, env: { ...containerEnv(template.spec.containers[0], objects, external).env, '(mounted)': mounted.join('\n') } };
      });
    const pod = (name: string) => pods.find((p) => p.name === name);
    const sandbox = pod('dify-sandbox')!;
    const proxy = pod('dify-ssrf-proxy')!;
    expect(sandbox && proxy).toBeTruthy();
    const postgres = pod('dify-postgresql-primary') ?? pod('dify-postgresql');
    const redis = pod('dify-redis-master');
    const weaviate = pod('weaviate');
    expect(!!postgres).toBe(spec.database.mode === 'bundled');

    // The sandbox: the proxy and DNS only; never the metadata address, PostgreSQL, Redis or the internet.
    expect(allowed(policies, sandbox, { pod: proxy, port: 3128 })).toBe(true);
    expect(allowed(policies, sandbox, { ip: '10.96.0.10', port: 53, protocol: 'UDP' })).toBe(true);
    for (const ip of ['169.254.169.254', '168.63.129.16', '8.8.8.8']) expect(allowed(policies, sandbox, { ip, port: 80 }), ip).toBe(false);
    for (const target of [postgres, redis, weaviate]) if (target) expect(allowed(policies, sandbox, { pod: target, port: 5432 }), target.name).toBe(false);
    if (postgres) expect(allowed(policies, sandbox, { pod: postgres, port: 5432 })).toBe(false);
    if (redis) expect(allowed(policies, sandbox, { pod: redis, port: 6379 })).toBe(false);
    // The services that call the sandbox (CODE_EXECUTION_ENDPOINT in their env) may; nothing without it.
    // (The migrate/backup jobs inherit the api env but run no code: either answer is right for them.)
    for (const p of pods.filter((x) => x !== sandbox)) {
      const names = /dify-sandbox/.test(p.env.CODE_EXECUTION_ENDPOINT ?? '');
      if (names && !['migration', 'backup'].includes(p.labels.component)) expect(allowed(policies, p, { pod: sandbox, port: 8194 }), `${p.name} → sandbox`).toBe(true);
      if (!names) expect(allowed(policies, p, { pod: sandbox, port: 8194 }), `${p.name} → sandbox`).toBe(false);
    }

    // Data services: a pod may connect exactly when its own env points at the service.
    const uses = (p: Pod, host: string) => Object.values(p.env).some((v) => v === host || v.includes(`@${host}:`) || v.includes(`//${host}:`) || new RegExp(`host=${host}\\b`).test(v));
    // The backup job inherits the api env but dumps PostgreSQL only: it is checked for PostgreSQL alone.
    const clients = pods.filter((p) => ![postgres, redis, weaviate].includes(p));
    const others = clients.filter((p) => p.labels.component !== 'backup');
    if (postgres) for (const p of clients) expect(allowed(policies, p, { pod: postgres, port: 5432 }), `${p.name} → postgresql`).toBe(uses(p, 'dify-postgresql'));
    if (redis) for (const p of others) expect(allowed(policies, p, { pod: redis, port: 6379 }), `${p.name} → redis`).toBe(uses(p, 'dify-redis-master'));
    // `flask upgrade-db` migrates PostgreSQL (under a Redis lock) and never opens the vector store.
    if (weaviate) for (const p of others.filter((x) => x.labels.component !== 'migration')) expect(allowed(policies, p, { pod: weaviate, port: 8080 }), `${p.name} → weaviate`).toBe(uses(p, 'weaviate'));
  });
});

test('helm.networkPolicy: false renders none', () => {
  const spec = specSchema.parse({ tier: '10qps', targets: ['helm'], storage: { type: 's3', bucket: 'b', region: 'r', useIam: true }, helm: { networkPolicy: false } });
  const release = loadRelease(spec.release);
  const files = renderHelm({ spec, plan: planFor(spec, 'helm', release), release, secrets: resolveSecrets({}, spec) });
  expect(files.some((f) => f.path === 'helm/extra/network-policy.yaml')).toBe(false);
});
