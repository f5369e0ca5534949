// Oracle over real `helm template` output: every credential of the deployment (generated
// secrets, and the credentials a spec gives for external backends) appears only inside
// kind: Secret objects — never as a literal env value, a ConfigMap entry or an annotation —
// in the chart's objects and in helm/extra/. The credentials are planted distinctive values,
// so a hit cannot be a coincidence.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadRelease } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { specSchema, type Spec } from '../src/core/spec.js';
import { renderHelm } from '../src/render/helm.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { chartDir, helmBinary, runHelm } from './helpers/helm.js';
import { parseManifests, type K8sObject } from './helpers/k8s.js';
import { matrix } from './helpers/matrix.js';
import { UPSTREAM_REQUIRED } from './helpers/upstream.js';

const helm = helmBinary();
const work = mkdtempSync(join(tmpdir(), 'dd-helm-secrets-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

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
      // '/' and '+' as in AWS secret keys: a URL must carry them encoded.
      out[section][field] = `cred+${section}/${field}-Xk4p`;
      credentials.push(out[section][field]);
    }
  return { spec: out, credentials };
}

const withEventBus = (spec: Spec): Spec =>
  specSchema.parse({ ...spec, redis: { ...spec.redis, eventBus: { mode: 'external', url: `redis://bus:${EVENT_BUS_PASSWORD}@bus.internal:6379/0`, useClusters: true, channelType: 'sharded', maxClients: 50000 } } });

// Every helm case of the matrix, and each backend set once more with an external event bus.
const BASE = matrix(['helm']);
const seen = new Set<string>();
const CASES = [
  ...BASE.map((c) => ({ ...c, eventBus: false })),
  ...BASE.filter((c) => !seen.has(c.backend) && seen.add(c.backend)).map((c) => ({ ...c, spec: withEventBus(c.spec), eventBus: true })),
];

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

describe.skipIf(!helm || !UPSTREAM_REQUIRED).each(CASES)('$release $tier, $backend (event bus: $eventBus)', ({ release: version, spec: base }) => {
  test('no credential outside a Secret; Secret files in helm/extra are private', async () => {
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
    const template = await runHelm(['template', 'dify', chartDir(release.helm.version), '--namespace', 'dify', '-f', valuesPath]);
    expect(template.code, template.stderr).toBe(0);
    const extras = files.filter((f) => f.path.startsWith('helm/extra/'));
    const objects = [...parseManifests(template.stdout), ...extras.flatMap((f) => parseManifests(f.content))];
    expect(leaks(objects, known)).toEqual([]);
    // A file under helm/extra/ that holds a Secret is written 0600, like values.yaml.
    for (const f of extras) if (parseManifests(f.content).some((o) => o.kind === 'Secret')) expect(f.mode, f.path).toBe(0o600);
  });
});
