// queue-coverage and capacity on Helm: the chart's worker (extraEnv CELERY_WORKER_QUEUES /
// CELERY_QUEUES, enabled, replicas or HPA) plus the workers of the manifests in extra/ beside the
// values (a Deployment of the api image in MODE=worker, e.g. dify-deploy's run worker). On the
// chart's own CI values and on our rendered output, edited to drop the run queue.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parseDocument } from 'yaml';
import { stringifyYaml } from '../src/io/yaml-doc.js';
import { runCli } from './helpers/cli.js';
import { describeUpstream, UPSTREAM, UPSTREAM_REQUIRED } from './helpers/upstream.js';

interface Finding {
  rule: string;
  severity: string;
  file?: string;
  line?: number;
  message: string;
}

async function findings(args: string[]): Promise<Finding[]> {
  const r = await runCli(['validate', ...args, '--format', 'json']);
  expect([0, 1], r.stderr).toContain(r.code);
  return JSON.parse(r.stdout).diagnostics as Finding[];
}
const ofRule = (list: Finding[], rule: string) => list.filter((d) => d.rule === rule);

/** A user's own run worker beside the chart: the api image, MODE=worker, the run queue only. */
const ownRunWorker = (replicas: number, image = 'langgenius/dify-api:1.16.1') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: chatflow-workers
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: chatflow-workers }
  template:
    metadata:
      labels: { app: chatflow-workers }
    spec:
      containers:
        - name: celery
          image: ${image}
          env:
            - { name: MODE, value: worker }
            - { name: CELERY_WORKER_QUEUES, value: workflow_based_app_execution }
            - { name: CELERY_WORKER_AMOUNT, value: "40" }
          envFrom:
            - configMapRef: { name: dify-worker }
`;

describeUpstream.each([
  ['1.14.2', '0.37.0'],
  ['1.16.1', '0.38.0-rc2'],
])('Dify %s on the chart %s CI values', (release, chart) => {
  const ciDir = join(UPSTREAM, `dify-helm-${chart}`, 'ci-values');
  // Collected even when skipped: read the folder only when the fixtures are there.
  const ciFiles = (UPSTREAM_REQUIRED ? readdirSync(ciDir) : []).filter((f) => f.endsWith('.yaml'));
  /** values.yaml (the CI file, edited) with extra/ beside it. */
  const setup = (file: string, edit: (doc: ReturnType<typeof parseDocument>) => void, extra: Record<string, string> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'helm-queues-'));
    const doc = parseDocument(readFileSync(join(ciDir, file), 'utf8'));
    edit(doc);
    writeFileSync(join(dir, 'values.yaml'), doc.toString());
    if (Object.keys(extra).length) mkdirSync(join(dir, 'extra'));
    for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, 'extra', name), text);
    return ['--helm-values', join(dir, 'values.yaml'), '--release', release];
  };
  const dropRunQueue = (doc: ReturnType<typeof parseDocument>) => doc.setIn(['worker', 'extraEnv'], [{ name: 'CELERY_WORKER_QUEUES', value: 'dataset,mail,ops_trace' }]);

  it.each(ciFiles)('%s: unmodified, the chart worker\'s default list covers the run queue', async (file) => {
    expect(ofRule(await findings(setup(file, () => {})), 'queue-coverage')).toEqual([]);
  });

  it.each(ciFiles)('%s: the worker\'s CELERY_WORKER_QUEUES without the run queue is an error at its line', async (file) => {
    const found = ofRule(await findings(setup(file, dropRunQueue)), 'queue-coverage');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', message: expect.stringMatching(/no active worker consumes workflow_based_app_execution/) });
    expect(found[0].file).toMatch(/values\.yaml$/);
    expect(found[0].line).toBeGreaterThan(0);
  });

  it('the worker disabled and no other worker is an error', async () => {
    expect(ofRule(await findings(setup(ciFiles[0], (d) => d.setIn(['worker', 'enabled'], false))), 'queue-coverage')).toHaveLength(1);
  });

  it('a Deployment in extra/ consuming the run queue covers it; at 0 replicas it does not', async () => {
    expect(ofRule(await findings(setup(ciFiles[0], dropRunQueue, { 'runs.yaml': ownRunWorker(3) })), 'queue-coverage')).toEqual([]);
    expect(ofRule(await findings(setup(ciFiles[0], dropRunQueue, { 'runs.yaml': ownRunWorker(0) })), 'queue-coverage')).toHaveLength(1);
    // Not the api image: not a Dify worker.
    expect(ofRule(await findings(setup(ciFiles[0], dropRunQueue, { 'runs.yaml': ownRunWorker(3, 'busybox:1.36') })), 'queue-coverage')).toHaveLength(1);
  });

  it('an HPA in extra/ does not revive a Deployment at 0 replicas (Kubernetes disables scaling there)', async () => {
    const hpa = `---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: { name: chatflow-workers }\nspec:\n  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: chatflow-workers }\n  minReplicas: 1\n  maxReplicas: 5\n`;
    expect(ofRule(await findings(setup(ciFiles[0], dropRunQueue, { 'runs.yaml': ownRunWorker(0) + hpa })), 'queue-coverage')).toHaveLength(1);
  });
});

describe('our rendered output, validated as a directory (spec, values.yaml, extra/)', () => {
  const spec = `release: 1.16.1
tier: 100qps
targets: [helm]
domain: { host: dify.example.com }
storage: { type: s3, bucket: dify-files, region: us-east-1, accessKey: AKIAEXAMPLE, secretKey: user-s3-secret }
observability: { workflowLogs: { acceptLargeDatabase: true } }
`;
  const rendered = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'helm-rendered-'));
    writeFileSync(join(dir, 'dify-deploy.yaml'), spec);
    const r = await runCli(['render', '--config', join(dir, 'dify-deploy.yaml')]);
    expect(r.code, r.stderr).toBe(0);
    return dir;
  };
  const runWorkerFile = (dir: string) => join(dir, 'helm', 'extra', 'run-worker.yaml');
  const plannedRunSlots = async (dir: string) => {
    const plan = JSON.parse((await runCli(['plan', '--config', join(dir, 'dify-deploy.yaml'), '--json'])).stdout);
    return plan.capacity.paths.find((p: { name: string }) => p.name === 'runs').slots as number;
  };

  it('is clean; without extra/run-worker.yaml the run queue has no worker', async () => {
    const dir = await rendered();
    expect((await findings([dir])).filter((d) => d.severity === 'error')).toEqual([]);
    rmSync(runWorkerFile(dir));
    const found = ofRule(await findings([dir]), 'queue-coverage');
    expect(found.map((f) => f.message)).toEqual([expect.stringMatching(/no active worker consumes workflow_based_app_execution \(worker: api_token,/)]);
  });

  it('capacity counts the run slots of extra/ (an HPA there at its maxReplicas): the run worker scaled down to 1 replica falls short', async () => {
    const dir = await rendered();
    expect(ofRule(await findings([dir]), 'capacity')).toEqual([]);
    const docs = parseAllDocuments(readFileSync(runWorkerFile(dir), 'utf8')).map((d) => d.toJS());
    const deployment = docs.find((o) => o.kind === 'Deployment');
    const replicas = deployment.spec.replicas as number;
    const perReplica = Number(deployment.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'CELERY_WORKER_AMOUNT').value);
    expect(replicas * perReplica).toBe(await plannedRunSlots(dir));
    deployment.spec.replicas = 1;
    writeFileSync(runWorkerFile(dir), docs.map(stringifyYaml).join('---\n'));
    const found = ofRule(await findings([dir]), 'capacity');
    expect(found.map((f) => f.message)).toEqual([expect.stringMatching(new RegExp(`have ${perReplica} run slots \\(dify-worker-runs: 1 × ${perReplica}\\)`))]);
    // An HPA that may scale it back to the planned count: judged at its maxReplicas.
    const hpa = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'dify-worker-runs' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'dify-worker-runs' }, minReplicas: 1, maxReplicas: replicas } };
    writeFileSync(runWorkerFile(dir), [...docs, hpa].map(stringifyYaml).join('---\n'));
    expect(ofRule(await findings([dir]), 'capacity')).toEqual([]);
  });
});
