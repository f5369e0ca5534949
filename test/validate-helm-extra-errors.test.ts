// validate reads helm/extra/ before the values beside it (a start-up matter, helm-extra's
// extraManifestsRead), yet bad input is reported as before: the values file's own error first,
// a manifest's only once the values are read — one message naming the file and line, exit 2.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const VALUES = 'api:\n  replicas: 2\n';
const BAD_VALUES = 'api:\n  replicas: 2\n   bad: [\n';
const MANIFEST = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n';
const BAD_MANIFEST = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\nkind: [\n';

function valuesWithExtra(values: string, manifest: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dd-helm-extra-'));
  mkdirSync(join(dir, 'extra'));
  writeFileSync(join(dir, 'values.yaml'), values);
  writeFileSync(join(dir, 'extra', 'a.yaml'), manifest);
  return join(dir, 'values.yaml');
}

describe('validate --helm-values with extra/ beside it: which bad file is reported', () => {
  it('a bad values file is reported, not the bad manifest read before it', async () => {
    const file = valuesWithExtra(BAD_VALUES, BAD_MANIFEST);
    const r = await runCli(['validate', '--helm-values', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:2: YAML syntax error in the Helm values file`);
    expect(r.stderr).not.toContain('Kubernetes manifest');
  });

  it('a bad manifest beside good values is reported with its file and line', async () => {
    const file = valuesWithExtra(VALUES, BAD_MANIFEST);
    const r = await runCli(['validate', '--helm-values', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(file, '..', 'extra', 'a.yaml')}:7: YAML syntax error in the Kubernetes manifest`);
    expect(r.stdout).toBe('');
  });

  it('good values and manifests: judged, exit 0 or 1', async () => {
    const r = await runCli(['validate', '--helm-values', valuesWithExtra(VALUES, MANIFEST)]);
    expect([0, 1]).toContain(r.code);
  });
});
