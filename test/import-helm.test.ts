// import of dify-helm values: our own rendered values (bundled and external backends) and the
// chart's CI value files come back as a spec whose render gives every component the same env
// and replicas, with the same secrets; what the spec cannot hold is refused with the file.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadRelease, releaseVersions } from '../src/core/data.js';
import type { Values } from '../src/helm/merge.js';
import { helmView } from '../src/validate/helm-model.js';
import { runCli } from './helpers/cli.js';
import { chartDir, helmBinary, runHelm } from './helpers/helm.js';
import { containerEnv, find, parseManifests } from './helpers/k8s.js';
import { testUpstream, UPSTREAM, UPSTREAM_REQUIRED } from './helpers/upstream.js';
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

  // A platform engineer's own values (not dify-deploy's output): the oracle is real `helm template`
  // of the chart, on their file and on the values rendered from the imported spec.
  const OWN = [
    'image:',
    '  api:',
    '    tag: "1.14.2"',
    'postgresql:',
    '  enabled: false',
    'redis:',
    '  enabled: false',
    'externalPostgres:',
    '  enabled: true',
    '  address: pg.internal',
    '  username: dify',
    '  password: "pg-password-strong-123"',
    'externalRedis:',
    '  enabled: true',
    '  host: redis.internal',
    '  port: 6380',
    '  password: "redis-pass-strong-1234"',
    '  useSSL: true',
    '  db:',
    '    app: 3',
    'externalS3:',
    '  enabled: true',
    '  endpoint: "http://minio.internal:9000"',
    '  pathStyle: true',
    '  accessKey: minio-user',
    '  secretKey: "minio-secret-value-123"',
    '  bucketName:',
    '    api: dify-files',
    '',
  ];
  const backendEnv = async (values: string) => {
    const out = await runHelm(['template', 'dify', chartDir('0.37.0'), '-f', values]);
    expect(out.code, out.stderr).toBe(0);
    const objects = parseManifests(out.stdout);
    const env = containerEnv(find(objects, 'Deployment', 'dify-api')!.spec.template.spec.containers[0], objects).env;
    return Object.fromEntries(Object.entries(env).filter(([k]) => /^(DB_|REDIS_|CELERY_BROKER|BROKER_|S3_|STORAGE_)/.test(k)));
  };
  it.skipIf(!helmBinary() || !UPSTREAM_REQUIRED)("a user's own values: the chart renders the same backend env from render(import(values)) (Redis TLS and db kept; S3 path style kept in the values)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dd-import-own-'));
    const values = join(dir, 'values.yaml');
    writeFileSync(values, OWN.join('\n'));
    const imported = await runCli(['import', '--helm-values', values, '--out', join(dir, 'adopted'), '--db-max-connections', '800']);
    expect(imported.code, imported.stdout + imported.stderr).toBe(0);
    const r = await runCli(['render', '--config', join(dir, 'adopted', 'dify-deploy.yaml')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const mine = await backendEnv(values);
    expect(mine).toMatchObject({ REDIS_USE_SSL: 'true', REDIS_DB: '3' });
    // Everything the user's deployment had, unchanged (the render may add sizing such as REDIS_MAX_CONNECTIONS).
    expect(await backendEnv(join(dir, 'adopted', 'helm', 'values.yaml'))).toMatchObject(mine);
    expect(parse(readFileSync(join(dir, 'adopted', 'helm', 'values.yaml'), 'utf8')).externalS3.pathStyle).toBe(true);
  });

  it("what the spec cannot hold (a backend setting, an HPA, a valueFrom env entry) is refused with its line, nothing written; Sentinel is never taken for a standalone server", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dd-import-own-'));
    const values = join(dir, 'values.yaml');
    writeFileSync(values, [...OWN.slice(0, 20), '    celery: 5', ...OWN.slice(20)].join('\n'));
    const refused = await runCli(['import', '--helm-values', values, '--out', join(dir, 'a'), '--db-max-connections', '800']);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain('values.yaml:21: externalRedis.db.celery');
    expect(existsSync(join(dir, 'a'))).toBe(false);
    // An HPA (real Helm renders it: the capacity at maxReplicas is the user's) and an env entry read through valueFrom.
    const hpa = [...OWN, 'api:', '  autoscaling:', '    enabled: true', '    minReplicas: 2', '    maxReplicas: 6', '  extraEnv:', '    - name: MY_POD_IP', '      valueFrom:', '        fieldRef:', '          fieldPath: status.podIP', ''];
    writeFileSync(values, hpa.join('\n'));
    if (helmBinary() && UPSTREAM_REQUIRED) {
      const out = await runHelm(['template', 'dify', chartDir('0.37.0'), '-f', values]);
      expect(find(parseManifests(out.stdout), 'HorizontalPodAutoscaler', 'dify-api')!.spec.maxReplicas).toBe(6);
    }
    const lost = await runCli(['import', '--helm-values', values, '--out', join(dir, 'c'), '--db-max-connections', '800']);
    expect(lost.code).toBe(2);
    expect(lost.stdout).toMatch(/values\.yaml:\d+: api: 2–6 replicas \(HPA\) rendered as 2 replica\(s\)/);
    expect(lost.stdout).toMatch(/values\.yaml:\d+: api\.extraEnv\[0\] MY_POD_IP: an env entry read through valueFrom/);
    expect(existsSync(join(dir, 'c'))).toBe(false);
    const sentinel = [...OWN.slice(0, 20), '  sentinel:', '    enabled: true', '    masterSet: prod', '    sentinels: ["s1.internal:26379", "s2.internal:26379"]', ...OWN.slice(20)].join('\n');
    writeFileSync(values, sentinel);
    const s = await runCli(['import', '--helm-values', values, '--out', join(dir, 'b'), '--db-max-connections', '800', '--json']);
    expect(s.stdout).not.toContain('standalone');
    if (s.code === 0) expect(JSON.parse(s.stdout).backends.redis).toMatch(/sentinel/);
    else expect(s.code).toBe(2);
  });
});
