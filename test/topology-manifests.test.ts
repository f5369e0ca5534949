// Extra Kubernetes manifests (PDBs, migration Job, backup CronJob) checked against the
// Kubernetes API schemas (kubernetes-models) for every tier and release.
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { loadRelease, releaseVersions, tierNames } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { specSchema } from '../src/core/spec.js';
import { renderMigrationJob, renderPodDisruptionBudgets } from '../src/render/helm-extra.js';
import { renderBackupCronJob } from '../src/render/recovery.js';
import { withStateChoices } from './helpers/state-choices.js';

const KINDS: Record<string, new (data: never) => { validate(): void }> = {
  PodDisruptionBudget: PodDisruptionBudget as never,
  Job: Job as never,
  CronJob: CronJob as never,
  ConfigMap: ConfigMap as never,
  PersistentVolumeClaim: PersistentVolumeClaim as never,
};

function validateAll(text: string) {
  const docs = parseAllDocuments(text).map((d) => d.toJS());
  for (const doc of docs) {
    const Model = KINDS[doc.kind];
    expect(Model, `no schema for ${doc.kind}`).toBeDefined();
    expect(() => new Model(doc as never).validate()).not.toThrow();
  }
  return docs;
}

const matrix = tierNames().flatMap((tier) => releaseVersions().map((release) => ({ tier, release })));

describe.each(matrix)('$tier on $release (helm)', ({ tier, release }) => {
  const spec = specSchema.parse(withStateChoices({ tier, release, storage: { type: 's3', bucket: 'dify', region: 'us-east-1', useIam: true } }, 'helm'));
  const plan = planFor(spec, 'helm');
  const ctx = { spec, plan, release: loadRelease(release), secrets: {} };

  it('emits a valid PDB for exactly the components with ≥ 2 replicas', () => {
    const file = renderPodDisruptionBudgets(ctx);
    const multi = plan.components.filter((c) => c.replicas >= 2);
    if (multi.length === 0) {
      expect(file).toBeUndefined();
      return;
    }
    const docs = validateAll(file!.content);
    expect(docs).toHaveLength(multi.length);
    for (const d of docs) expect(d.spec.selector.matchLabels['app.kubernetes.io/instance']).toBe('dify');
  });

  it('emits a valid one-shot migration Job and backup CronJob', () => {
    const [job] = validateAll(renderMigrationJob(ctx).content);
    expect(job.spec.template.spec.containers[0].env).toContainEqual({ name: 'MODE', value: 'migration' });
    expect(job.spec.template.spec.containers[0].image).toBe(loadRelease(release).images.api);
    const docs = validateAll(renderBackupCronJob(ctx).content);
    expect(docs.find((d) => d.kind === 'CronJob').spec.schedule).toBe(plan.recovery.schedule);
  });
});

describe('the helm target ships the extras with values.yaml', () => {
  it.each(releaseVersions())('%s: migration job instead of per-pod migrations, PDBs, backup CronJob', async (release) => {
    const { renderFiles } = await import('../src/render/index.js');
    const { resolveSecrets } = await import('../src/render/secrets.js');
    const { parse } = await import('yaml');
    const spec = specSchema.parse(withStateChoices({ tier: '100qps', release, storage: { type: 's3', bucket: 'dify', region: 'us-east-1', useIam: true } }, 'helm'));
    const { files } = renderFiles(spec, 'helm', resolveSecrets({}));
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['helm/values.yaml', 'helm/extra/migration-job.yaml', 'helm/extra/backup-cronjob.yaml', 'helm/extra/pdb.yaml', 'RUNBOOK.md']));
    const values = parse(files.find((f) => f.path === 'helm/values.yaml')!.content);
    expect(values.api.migration).toBe(false);
    expect(files.find((f) => f.path === 'helm/README.md')!.content).toContain('kubectl -n dify apply -f extra/');
  });
});
