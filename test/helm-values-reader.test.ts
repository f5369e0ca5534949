// A user's Helm values are read as Helm reads them (go-yaml v2: YAML 1.1 booleans and octal, no
// sexagesimal numbers): what `validate --helm-values` models — which database, how many replicas,
// which env values are not strings — is what real `helm template` renders from the same file.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validate } from '../src/validate/index.js';
import { chartDir, helmBinary, runHelm } from './helpers/helm.js';
import { containerEnv, find, parseManifests } from './helpers/k8s.js';
import { UPSTREAM_REQUIRED } from './helpers/upstream.js';

const VALUES = [
  'image:',
  '  api:',
  '    tag: "1.14.2"',
  'api:',
  '  replicas: 010', // 5: octal to YAML 1.1
  '  extraEnv:',
  '    - name: FEATURE',
  '      value: yes', // 8: a boolean to YAML 1.1, a string to 1.2
  '    - name: DURATION',
  '      value: 1:30', // 10: a string to go-yaml (no sexagesimal), 90 to PyYAML
  '    - name: COUNT',
  '      value: 3', // 12: a number to every reader
  'postgresql:',
  '  enabled: no',
  'externalPostgres:',
  '  enabled: yes',
  '  address: pg.internal',
  '',
].join('\n');

describe('Helm values read as Helm reads them', () => {
  it.skipIf(!helmBinary() || !UPSTREAM_REQUIRED)('replicas, backend switches and env values match real helm template', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'dd-helm-reader-')), 'values.yaml');
    writeFileSync(path, VALUES);
    const out = await runHelm(['template', 'dify', chartDir('0.37.0'), '-f', path]);
    expect(out.code, out.stderr).toBe(0);
    const objects = parseManifests(out.stdout);
    const api = find(objects, 'Deployment', 'dify-api')!;
    const env = containerEnv(api.spec.template.spec.containers[0], objects).env;
    // The oracle: what Helm rendered.
    expect(api.spec.replicas).toBe(8);
    expect(env.DB_HOST).toBe('pg.internal');
    expect(objects.some((o) => o.kind === 'StatefulSet' && /postgres/.test(o.metadata.name))).toBe(false);
    expect(api.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'DURATION').value).toBe('1:30');

    const report = await validate({ helmValues: path });
    const budget = report.diagnostics.find((d) => d.rule === 'connection-budget')!;
    const breakdown = (budget.data as { breakdown: { component: string; replicas: number }[] }).breakdown;
    expect(breakdown.find((b) => b.component === 'api')!.replicas).toBe(api.spec.replicas);
    // The external server, not the bundled one Helm does not render.
    expect(budget.message).toContain('external server');
    expect(report.diagnostics.filter((d) => d.rule === 'insecure-secret' && /^postgresql\./.test(d.message))).toEqual([]);
    // Helm accepts `enabled: yes`: no schema finding on a switch.
    expect(report.diagnostics.filter((d) => d.rule === 'schema' && /enabled/.test(d.message))).toEqual([]);
    // `yes` named as written (yaml-1.1); `3` a number to every reader (schema); `1:30` a string to Helm.
    expect(report.diagnostics.filter((d) => d.rule === 'yaml-1.1' || d.rule === 'schema').map((d) => [d.rule, d.line])).toEqual([
      ['schema', 12],
      ['yaml-1.1', 8],
    ]);
  });
});

describe('replicas as the chart runs them', () => {
  it.skipIf(!helmBinary() || !UPSTREAM_REQUIRED)('an HPA only where the chart renders one: api at maxReplicas, pluginDaemon.autoscaling ignored', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'dd-helm-hpa-')), 'values.yaml');
    const autoscaling = ['  autoscaling:', '    enabled: true', '    minReplicas: 1', '    maxReplicas: 4'];
    writeFileSync(path, ['image:', '  api:', '    tag: "1.14.2"', 'api:', ...autoscaling, 'pluginDaemon:', ...autoscaling, ''].join('\n'));
    const out = await runHelm(['template', 'dify', chartDir('0.37.0'), '-f', path]);
    expect(out.code, out.stderr).toBe(0);
    const objects = parseManifests(out.stdout);
    // The oracle: at its peak, each Deployment runs its HPA's maxReplicas, or its replicas without one.
    const peak = (name: string) => objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.name === name)?.spec.maxReplicas ?? find(objects, 'Deployment', name)!.spec.replicas;
    const report = await validate({ helmValues: path });
    const breakdown = (report.diagnostics.find((d) => d.rule === 'connection-budget')!.data as { breakdown: { component: string; replicas: number }[] }).breakdown;
    const replicas = (component: string) => breakdown.find((b) => b.component === component)!.replicas;
    expect(replicas('api')).toBe(peak('dify-api'));
    expect(replicas('api')).toBe(4);
    expect(replicas('plugin_daemon')).toBe(peak('dify-plugin-daemon'));
  });
});

describe('components as the chart renders them', () => {
  it.skipIf(!helmBinary() || !UPSTREAM_REQUIRED)('`enabled:` left empty (null) deletes the default true: no worker Deployment, and validate counts none', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'dd-helm-enabled-')), 'values.yaml');
    writeFileSync(path, ['image:', '  api:', '    tag: "1.14.2"', 'worker:', '  enabled:', '  replicas: 3', ''].join('\n'));
    const out = await runHelm(['template', 'dify', chartDir('0.37.0'), '-f', path]);
    expect(out.code, out.stderr).toBe(0);
    expect(find(parseManifests(out.stdout), 'Deployment', 'dify-worker')).toBeUndefined();
    const report = await validate({ helmValues: path });
    const breakdown = (report.diagnostics.find((d) => d.rule === 'connection-budget')?.data as { breakdown: { component: string }[] } | undefined)?.breakdown ?? [];
    expect(breakdown.map((b) => b.component)).not.toContain('worker');
    expect(report.diagnostics.filter((d) => d.rule === 'queue-coverage' && d.severity === 'error')).not.toEqual([]);
  });
});
