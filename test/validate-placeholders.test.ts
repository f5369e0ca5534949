// validate on a user's own files: a chosen backend whose settings resolve only to upstream's
// placeholders is as unconfigured as an empty one. Example from the issue: STORAGE_TYPE=s3
// with an empty S3_BUCKET_NAME, which upstream's compose turns into its sample bucket
// `${S3_BUCKET_NAME:-difyai}`, and neither keys nor the IAM role.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { describeUpstream, hardened, UPSTREAM } from './helpers/upstream.js';
import { secretData } from '../src/core/secret-data.js';

/** Upstream 1.13.3's docker/ folder (the x-shared-env anchor interpolates with defaults), secrets hardened, `edits` applied. */
function userDir(edits: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dd-placeholder-'));
  const src = join(UPSTREAM, 'dify-1.13.3', 'docker');
  copyFileSync(join(src, 'docker-compose.yaml'), join(dir, 'docker-compose.yaml'));
  writeFileSync(join(dir, '.env'), hardened(readFileSync(join(src, '.env.example'), 'utf8'), edits));
  return dir;
}

interface Finding {
  rule: string;
  severity: string;
  data?: { missing?: string[] };
}

async function findings(dir: string): Promise<Finding[]> {
  const r = await runCli(['validate', dir, '--format', 'json']);
  return (JSON.parse(r.stdout).diagnostics as Finding[]).filter((d) => d.rule === 'missing-variable');
}

async function missing(dir: string): Promise<string[]> {
  return (await findings(dir)).filter((d) => d.severity === 'error').flatMap((d) => d.data?.missing ?? []);
}

/** Every missing-variable finding names a variable that is empty or a placeholder: never one at a plausible default. */
async function errorsOnly(dir: string): Promise<void> {
  expect((await findings(dir)).every((d) => d.severity === 'error' && d.data?.missing)).toBe(true);
}

describeUpstream('missing-variable: placeholders count as missing', () => {
  it('S3 with an empty bucket (→ the sample "difyai") and no keys nor IAM: the keys are missing, the bucket "difyai" is a plausible name', async () => {
    const dir = userDir({ STORAGE_TYPE: 's3', S3_BUCKET_NAME: '', S3_ACCESS_KEY: '', S3_SECRET_KEY: '', S3_USE_AWS_MANAGED_IAM: 'false' });
    expect([...new Set(await missing(dir))].sort()).toEqual(['S3_ACCESS_KEY', 'S3_SECRET_KEY']);
    await errorsOnly(dir);
  });

  it('S3 with a real bucket and the IAM role: nothing missing', async () => {
    expect(await missing(userDir({ STORAGE_TYPE: 's3', S3_BUCKET_NAME: 'acme-dify-files', S3_ACCESS_KEY: '', S3_SECRET_KEY: '', S3_USE_AWS_MANAGED_IAM: 'true' }))).toEqual([]);
  });

  it('a credential left at the "your-secret-key" placeholder is missing', async () => {
    const found = await missing(userDir({ STORAGE_TYPE: 'aliyun-oss', ALIYUN_OSS_BUCKET_NAME: 'acme', ALIYUN_OSS_ACCESS_KEY: 'LTAIexample', ALIYUN_OSS_ENDPOINT: 'https://oss-cn-hangzhou.aliyuncs.com' }));
    expect(found).toContain('ALIYUN_OSS_SECRET_KEY');
  });
});

// Issue 26 item 9: which published values could be real is a property of the data
// (releases/secrets.json: knownDefaults are values that work, placeholderPatterns and
// placeholderValues stand for "fill this in"), not of a variable's name. Every published default
// in a required setting is a plausible value (no error; validate reports nothing for it); every placeholder is an error.
describeUpstream('missing-variable: published defaults are plausible values, placeholders are not', () => {
  const minio = { STORAGE_TYPE: 's3', S3_ENDPOINT: 'http://minio.internal:9000', S3_ACCESS_KEY: 'minio-access-0123', S3_SECRET_KEY: 'minio-secret-0123456789', S3_USE_AWS_MANAGED_IAM: 'false' };

  it('"difyai" as the bucket on one\'s own MinIO: no error', async () => {
    const dir = userDir({ ...minio, S3_BUCKET_NAME: 'difyai' });
    expect(await missing(dir)).toEqual([]);
    await errorsOnly(dir);
  });

  it('every published default in a required setting is no error', async () => {
    const { knownDefaults } = secretData();
    const sample = knownDefaults.filter((v) => /^[a-z0-9-]+$/.test(v));
    expect(sample.length).toBeGreaterThan(3);
    for (const value of sample) {
      const dir = userDir({ ...minio, S3_BUCKET_NAME: value });
      expect(await missing(dir), value).toEqual([]);
      await errorsOnly(dir);
    }
  });

  it('placeholders stay errors, whichever list names them', async () => {
    for (const value of ['your-bucket-name', 'changeme', ...secretData().placeholderValues]) {
      expect(await missing(userDir({ ...minio, S3_BUCKET_NAME: value })), value).toEqual(['S3_BUCKET_NAME']);
    }
  });
});
