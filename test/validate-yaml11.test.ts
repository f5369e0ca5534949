// The yaml-1.1 rule: values a YAML 1.1 reader (Helm, Kubernetes, docker-compose v1, PyYAML)
// takes for non-strings, in users' Helm values and compose files, as errors with their lines.
// The rendered values of a real case with such a trap are also fed to real Helm, to show the
// trap is what the rule says it is.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UPSTREAM_REQUIRED } from './helpers/upstream.js';
import { validate } from '../src/validate/index.js';
import { chartDir, helmBinary, runHelm } from './helpers/helm.js';
import { parseManifests, schemaErrors } from './helpers/k8s.js';

const write = (name: string, content: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'dd-y11-')), name);
  writeFileSync(path, content);
  return path;
};
const HELM_VALUES = [
  'image:',
  '  api:',
  '    tag: "1.16.1"',
  'ingress:',
  '  enabled: true',
  '  annotations:',
  '    nginx.ingress.kubernetes.io/proxy-buffering: off', // 7
  '    nginx.ingress.kubernetes.io/ssl-redirect: "false"',
  'api:',
  '  podLabels:',
  '    tier: yes', // 11
  '  extraEnv:',
  '    - name: FILE_MODE',
  '    - name: OK',
  '      value: "0755"',
  '    - name: DURATION',
  '      value: 1_000', // 17
  '    - name: SCHEDULE',
  '      value: 1:30', // 19: a string to Helm's go-yaml (no sexagesimal numbers), unlike PyYAML
  '',
].join('\n');

describe('yaml-1.1 rule', () => {
  it('Helm values: annotation, label and env traps at their lines; quoted values pass', async () => {
    const path = write('values.yaml', HELM_VALUES);
    const report = await validate({ helmValues: path });
    const found = report.diagnostics.filter((d) => d.rule === 'yaml-1.1');
    expect(found.map((d) => [d.line, d.severity])).toEqual([
      [7, 'error'],
      [11, 'error'],
      [17, 'error'],
    ]);
    expect(found[0].message).toContain('`off` is the boolean false');
    expect(found[0].fix).toBe('quote it: "off"');
    expect(found[2].message).toContain('the number 1000');
    expect(report.ok).toBe(false);
  });

  it('compose: restart: no, and env values the readers disagree on; numbers both read alike pass', async () => {
    const compose = [
      'x-env: &env',
      '  FEATURE: yes', // 2
      'services:',
      '  api:',
      '    image: langgenius/dify-api:1.16.1',
      '    restart: no', // 6
      '    environment:',
      '      <<: *env',
      '      PORT: 5001',
      '      UMASK: 0022', // 10
      '      QUOTED: "off"',
      '  worker:',
      '    image: langgenius/dify-api:1.16.1',
      '    restart: always',
      '    environment:',
      '      <<: *env',
      '      MODE: worker',
      '',
    ].join('\n');
    const path = write('docker-compose.yaml', compose);
    writeFileSync(join(path, '..', '.env'), '');
    const report = await validate({ compose: path });
    const found = report.diagnostics.filter((d) => d.rule === 'yaml-1.1');
    expect(found.map((d) => d.line).sort((a, b) => a! - b!)).toEqual([2, 6, 10]);
    expect(found.find((d) => d.line === 6)!.message).toContain('services.api.restart');
  });

  it.skipIf(!helmBinary() || !UPSTREAM_REQUIRED)('real Helm renders the unquoted annotation as a boolean the Kubernetes schema rejects', async () => {
    const path = write('values.yaml', HELM_VALUES);
    const out = await runHelm(['template', 'dify', chartDir('0.38.0-rc2'), '-f', path]);
    expect(out.code, out.stderr).toBe(0);
    const ingress = parseManifests(out.stdout).find((o) => o.kind === 'Ingress')!;
    expect(ingress.metadata.annotations!['nginx.ingress.kubernetes.io/proxy-buffering']).toBe(false);
    expect(schemaErrors(ingress).join()).toMatch(/annotations.*must be string/);
  });
});
