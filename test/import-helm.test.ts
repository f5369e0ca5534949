// import of dify-helm values: our own rendered values (bundled and external backends) and the
// chart's CI value files come back as a spec whose render gives every component the same env
// and replicas, with the same secrets; what the spec cannot hold is refused with the file.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadRelease, releaseVersions } from '../src/core/data.js';
import type { Values } from '../src/helm/merge.js';
import { helmView } from '../src/validate/helm-model.js';
import { runCli } from './helpers/cli.js';
import { testUpstream, UPSTREAM } from './helpers/upstream.js';
import { withStateChoices } from './helpers/state-choices.js';

const EXTERNAL = {
  storage: { type: 's3', bucket: 'dify-files', region: 'eu-west-1', accessKey: 'AKIAEXAMPLE', secretKey: 's3-secret-value-123' },
  database: { mode: 'external', host: 'pg.internal', port: 5432, user: 'dify', maxConnections: 800, password: 'pg-password-strong-123' },
  redis: { mode: 'external', host: 'redis.internal', password: 'redis-pass-strong-1234' },
  vectorStore: { type: 'qdrant', mode: 'external', url: 'http://qdrant.internal:6333', apiKey: 'qdrant-key-1234567' },
  overrides: { env: { LOG_LEVEL: 'DEBUG' }, components: { worker: { replicas: 3 } } },
};
const BUNDLED = { storage: { type: 's3', bucket: 'dify-files', region: 'eu-west-1', useIam: true } };

function view(release: string, file: string) {
  const values = parse(readFileSync(file, 'utf8')) as Values;
  return helmView({ release: loadRelease(release), values, file }).services.map((s) => ({ name: s.name, active: s.active, replicas: s.replicas, env: s.env }));
}

describe('import --helm-values', () => {
  for (const release of releaseVersions())
    for (const [name, backends] of [['external backends', EXTERNAL], ['bundled backends', BUNDLED]] as const)
      it(`${release}, ${name}: render(import(values)) gives every component the same env, replicas and secrets`, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'dd-import-helm-'));
        writeFileSync(join(dir, 'spec.yaml'), JSON.stringify(withStateChoices({ release, tier: '100qps', targets: ['helm'], ...backends }, 'helm')));
        expect((await runCli(['render', '--config', join(dir, 'spec.yaml'), '--out', join(dir, 'orig')])).code).toBe(0);
        const values = join(dir, 'orig', 'helm', 'values.yaml');
        const imported = await runCli(['import', '--helm-values', values, '--out', join(dir, 'adopted'), '--db-max-connections', '800']);
        expect(imported.code, imported.stdout + imported.stderr).toBe(0);
        const r = await runCli(['render', '--config', join(dir, 'adopted', 'dify-deploy.yaml')]);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        const again = join(dir, 'adopted', 'helm', 'values.yaml');
        expect(view(release, again)).toEqual(view(release, values));
        const secret = /^SECRET_KEY=(.*)$/m.exec(readFileSync(join(dir, 'orig', '.dify-deploy', 'secrets.env'), 'utf8'))![1];
        expect(readFileSync(again, 'utf8')).toContain(secret);
        expect(imported.stdout).not.toContain(secret);
        const v = await runCli(['validate', '--helm-values', again, '--config', join(dir, 'adopted', 'dify-deploy.yaml'), '--format', 'json']);
        expect(JSON.parse(v.stdout).diagnostics.filter((d: { severity: string }) => d.severity === 'error')).toEqual([]);
      });

  testUpstream("the chart's CI value files: external ones adopted, the rest refused naming the file", async () => {
    for (const chart of ['dify-helm-0.37.0', 'dify-helm-0.38.0-rc2']) {
      const file = (n: string) => join(UPSTREAM, chart, 'ci-values', n);
      const ok = await runCli(['import', '--helm-values', file('values-legacy-external-all.yaml'), '--out', mkdtempSync(join(tmpdir(), 'dd-ci-')), '--db-max-connections', '500', '--json']);
      expect(ok.code, ok.stdout).toBe(0);
      expect(JSON.parse(ok.stdout).backends).toMatchObject({ database: 'postgresql external at pg1.uat.internal.dify.ai:5432 (max_connections 500)', storage: 's3 bucket difyai' });
      const refused = await runCli(['import', '--helm-values', file('values-legacy.yaml'), '--out', mkdtempSync(join(tmpdir(), 'dd-ci-'))]);
      expect(refused.code).toBe(2);
      expect(refused.stdout).toMatch(/values-legacy\.yaml: no external object storage is enabled/);
    }
  });
});
