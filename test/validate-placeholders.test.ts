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

/** Upstream 1.13.3's docker/ folder (the x-shared-env anchor interpolates with defaults), secrets hardened, `edits` applied. */
function userDir(edits: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dd-placeholder-'));
  const src = join(UPSTREAM, 'dify-1.13.3', 'docker');
  copyFileSync(join(src, 'docker-compose.yaml'), join(dir, 'docker-compose.yaml'));
  writeFileSync(join(dir, '.env'), hardened(readFileSync(join(src, '.env.example'), 'utf8'), edits));
  return dir;
}

async function missing(dir: string): Promise<string[]> {
  const r = await runCli(['validate', dir, '--format', 'json']);
  return (JSON.parse(r.stdout).diagnostics as { rule: string; data?: { missing?: string[] } }[]).filter((d) => d.rule === 'missing-variable').flatMap((d) => d.data?.missing ?? []);
}

describeUpstream('missing-variable: placeholders count as missing', () => {
  it('S3 with an empty bucket (→ the sample "difyai") and no keys nor IAM: bucket and keys are missing', async () => {
    const found = await missing(userDir({ STORAGE_TYPE: 's3', S3_BUCKET_NAME: '', S3_ACCESS_KEY: '', S3_SECRET_KEY: '', S3_USE_AWS_MANAGED_IAM: 'false' }));
    expect([...new Set(found)].sort()).toEqual(['S3_ACCESS_KEY', 'S3_BUCKET_NAME', 'S3_SECRET_KEY']);
  });

  it('S3 with a real bucket and the IAM role: nothing missing', async () => {
    expect(await missing(userDir({ STORAGE_TYPE: 's3', S3_BUCKET_NAME: 'acme-dify-files', S3_ACCESS_KEY: '', S3_SECRET_KEY: '', S3_USE_AWS_MANAGED_IAM: 'true' }))).toEqual([]);
  });

  it('a credential left at the "your-secret-key" placeholder is missing', async () => {
    const found = await missing(userDir({ STORAGE_TYPE: 'aliyun-oss', ALIYUN_OSS_BUCKET_NAME: 'acme', ALIYUN_OSS_ACCESS_KEY: 'LTAIexample', ALIYUN_OSS_ENDPOINT: 'https://oss-cn-hangzhou.aliyuncs.com' }));
    expect(found).toContain('ALIYUN_OSS_SECRET_KEY');
  });
});
