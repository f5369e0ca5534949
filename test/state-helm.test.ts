// The state plan on Kubernetes, through real Helm and the real dify-helm chart: the chart's
// PostgreSQL claims the storage model's volume, and PgBouncer under HA runs ≥ 2 pods spread over
// nodes with a PodDisruptionBudget selecting them, its nofile raised past max_client_conn.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadRelease } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import { renderHelm } from '../src/render/helm.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { chartDir, helmBinary, runHelm } from './helpers/helm.js';
import { parseManifests, schemaErrors, selects, type K8sObject } from './helpers/k8s.js';
import { withStateChoices } from './helpers/state-choices.js';
import { UPSTREAM_REQUIRED } from './helpers/upstream.js';

const helm = helmBinary();
const work = mkdtempSync(join(tmpdir(), 'dd-state-helm-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!helm || !UPSTREAM_REQUIRED)('the state plan through helm template', () => {
  test.each(['100qps', '500qps'])('%s: the PostgreSQL PVC is the storage model\'s disk; PgBouncer runs 2+ spread pods with a PDB', async (tier) => {
    const spec = parseSpecData(withStateChoices({ tier, targets: ['helm'], storage: { type: 's3', bucket: 'b', region: 'r', useIam: true } }, 'helm'), 'test');
    const release = loadRelease(spec.release);
    const plan = planFor(spec, 'helm', release);
    expect(plan.problems).toEqual([]);
    const files = renderHelm({ spec, plan, release, secrets: resolveSecrets({}, spec) });
    const valuesPath = join(mkdtempSync(join(work, 'case-')), 'values.yaml');
    writeFileSync(valuesPath, files.find((f) => f.path === 'helm/values.yaml')!.content);
    const template = await runHelm(['template', 'dify', chartDir(release.helm.version), '--namespace', 'dify', '-f', valuesPath]);
    expect(template.code, template.stderr).toBe(0);
    const objects = parseManifests(template.stdout);

    // The chart's PostgreSQL claims the volume the storage model asks for (its default is 8Gi).
    const pg = objects.find((o) => o.kind === 'StatefulSet' && /postgresql/.test(o.metadata.name))!;
    const claim = pg.spec.volumeClaimTemplates.find((v: K8sObject) => v.metadata.name === 'data');
    expect(claim.spec.resources.requests.storage).toBe(`${plan.storage.diskGiB}Gi`);
    expect(plan.storage.diskGiB).toBeGreaterThanOrEqual(plan.storage.dataGiB);

    // PgBouncer: ≥ 2 pods under HA, spread over nodes, a PDB that selects them, sized resources and nofile.
    const extras = parseManifests(files.find((f) => f.path === 'helm/extra/pgbouncer.yaml')!.content);
    expect(extras.flatMap(schemaErrors)).toEqual([]);
    const deployment = extras.find((o) => o.kind === 'Deployment')!;
    expect(plan.highAvailability).toBe(true);
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    const pod = deployment.spec.template;
    expect(pod.spec.topologySpreadConstraints[0].topologyKey).toBe('kubernetes.io/hostname');
    expect(selects(pod.spec.topologySpreadConstraints[0].labelSelector.matchLabels, pod.metadata.labels)).toBe(true);
    const pdb = extras.find((o) => o.kind === 'PodDisruptionBudget')!;
    expect(selects(pdb.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    expect(pdb.spec.maxUnavailable).toBe(1);
    const container = pod.spec.containers[0];
    expect(container.resources.limits.cpu).toBeDefined();
    expect(container.command[2]).toMatch(new RegExp(`ulimit -n ${plan.database.pooler!.layout!.nofile}`));
    expect(plan.database.pooler!.layout!.nofile).toBeGreaterThan(plan.database.pooler!.maxClientConn);
    // The totals count both pods.
    expect(plan.infrastructure.find((i) => i.name === 'pgbouncer')!.replicas).toBe(deployment.spec.replicas);
  }, 120_000);
});
