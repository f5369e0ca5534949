// An object store without credentials must not render: Dify would start and fail on the first
// upload. Credentials come from the spec or the secrets store; S3 may use the machine's IAM role
// instead, but only when the spec says so.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { STORAGE_BACKENDS, type StorageBackend } from '../src/backends/storage.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import type { SpecInput } from '../src/core/spec.js';
import { renderDeployment } from '../src/render/index.js';
import { STORAGE_CREDENTIAL_SECRETS } from '../src/render/secrets.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'dd-storage-'));
const FIELD_VALUES: Record<string, string> = { bucket: 'dify-files', endpoint: 'https://objects.example.com', region: 'eu-west-1', accountName: 'difyacct', accountUrl: 'https://difyacct.blob.core.windows.net' };
const CREDENTIAL_VALUES: Record<string, string> = { accessKey: 'AKIAEXAMPLE0123456789', secretKey: 'the-stores-secret-key-0123456789', serviceAccountJsonBase64: 'eyJ0eXBlIjoic2VydmljZV9hY2NvdW50In0=' };
const withCredentials = (STORAGE_BACKENDS as readonly StorageBackend[]).filter((b) => b.credentials.length > 0);
const storageOf = (b: StorageBackend) => ({ type: b.id, ...Object.fromEntries(b.requires.map((f) => [f, FIELD_VALUES[f]])) }) as SpecInput['storage'];
const mainFile = (dir: string, target: string) => readFileSync(join(dir, target === 'compose' ? '.env' : 'helm/values.yaml'), 'utf8');

describe.each(['compose', 'helm'] as const)('%s: object-store credentials', (target) => {
  const spec = (storage: SpecInput['storage']) => parseSpecData({ tier: '10qps', targets: [target], storage }, 'test');

  it.each(withCredentials.map((b) => [b.id, b] as const))('%s without credentials stops, naming the spec fields and the store entries; nothing written', async (_id, b) => {
    const dir = fresh();
    const run = renderDeployment({ spec: spec(storageOf(b)), outDir: dir, target });
    for (const f of b.credentials) {
      await expect(run).rejects.toThrow(new RegExp(`storage\\.${f}`));
      await expect(run).rejects.toThrow(new RegExp(STORAGE_CREDENTIAL_SECRETS[f]));
    }
    expect(existsSync(join(dir, target === 'compose' ? '.env' : 'helm'))).toBe(false);
  });

  it.each(withCredentials.map((b) => [b.id, b] as const))('%s with credentials in the secrets store renders them', async (_id, b) => {
    const dir = fresh();
    mkdirSync(join(dir, '.dify-deploy'));
    writeFileSync(join(dir, '.dify-deploy/secrets.env'), b.credentials.map((f) => `${STORAGE_CREDENTIAL_SECRETS[f]}=${CREDENTIAL_VALUES[f]}\n`).join(''), { mode: 0o600 });
    const report = await renderDeployment({ spec: spec(storageOf(b)), outDir: dir, target });
    expect(report.written).toBe(true);
    for (const f of b.credentials) expect(mainFile(dir, target)).toContain(CREDENTIAL_VALUES[f]);
  });

  it('S3 with useIam: true renders without keys and turns managed IAM on', async () => {
    const dir = fresh();
    await renderDeployment({ spec: spec({ type: 's3', bucket: 'dify-files', region: 'eu-west-1', useIam: true }), outDir: dir, target });
    if (target === 'compose') {
      const env = parseDotenv(mainFile(dir, target));
      expect(env.S3_USE_AWS_MANAGED_IAM).toBe('true');
      expect(env.PLUGIN_S3_USE_AWS_MANAGED_IAM).toBe('true');
    } else expect(mainFile(dir, target)).toMatch(/useIAM: true/);
  });
});
