// validate on a hostile pull request: every file validate, import and render read passes one gate
// (regular files only, inside the directory given, at most 16 MiB, never a blocking open), values
// from the files never reach the output, and the text report cannot start a workflow command.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_INPUT_BYTES } from '../src/io/user-file.js';
import { runCli } from './helpers/cli.js';
import { describeUpstream } from './helpers/upstream.js';
import { userDeployment } from './helpers/user-deployments.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'dd-hostile-'));
const fifo = (path: string) => execFileSync('mkfifo', [path]);

/** A directory dify-deploy rendered (spec, manifest, nginx/, helm/extra/), to plant links in. */
async function rendered(): Promise<string> {
  const dir = fresh();
  writeFileSync(join(dir, 'dify-deploy.yaml'), 'tier: 10qps\ntargets: [compose, helm]\nstorage: {type: s3, bucket: b, region: r, useIam: true}\n');
  const r = await runCli(['render', '--config', join(dir, 'dify-deploy.yaml'), '--out', dir]);
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

describe('the file gate', () => {
  it('a committed .env symlink to a file outside the directory is refused, and its content never printed', async () => {
    const dir = fresh();
    const outside = fresh();
    writeFileSync(join(outside, 'config'), '[http]\n\textraheader = AUTHORIZATION: basic c2VjcmV0LXRva2Vu\n');
    mkdirSync(join(dir, 'repo'));
    symlinkSync(join(outside, 'config'), join(dir, 'repo', '.env'));
    const r = await runCli(['validate', join(dir, 'repo')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.env: is a symbolic link leading outside/);
    expect(r.stdout + r.stderr).not.toContain('c2VjcmV0');
    // Named on the command line, the same file may be read (it is the caller's choice).
    expect((await runCli(['validate', '--env', join(outside, 'config')])).stderr).not.toMatch(/leading outside/);
  });

  it.each([
    ['nginx/x.conf', '/dev/zero'],
    ['helm/extra/a.yaml', '/dev/urandom'],
    ['README.md', '/dev/zero'],
    ['.dify-deploy/secrets.env', '/dev/urandom'],
    ['.env', '/dev/zero'],
  ])('%s -> %s: refused as not a regular file (no hang, no unbounded read)', async (file, device) => {
    const dir = await rendered();
    try {
      unlinkSync(join(dir, file));
    } catch {
      // not rendered for this target: planted anew
    }
    symlinkSync(device, join(dir, file));
    const r = await runCli(['validate', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/leading outside|not a regular file/);
    if (file === '.dify-deploy/secrets.env') {
      const again = await runCli(['render', '--config', join(dir, 'dify-deploy.yaml')]);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/secrets\.env: .*(leading outside|not a regular file)/);
    }
  });

  it('a FIFO, named or found, is refused without blocking', async () => {
    const dir = fresh();
    fifo(join(dir, '.env'));
    const found = await runCli(['validate', dir]);
    expect(found.code).toBe(2);
    expect(found.stderr).toMatch(/\.env: is not a regular file/);
    const named = await runCli(['validate', '--env', join(dir, '.env')]);
    expect(named.code).toBe(2);
    const out = fresh();
    fifo(join(out, '.env'));
    const render = await runCli(['render', '--tier', '10qps', '--out', out]);
    expect(render.code).toBe(2);
    expect(render.stderr).toMatch(/not a regular file/);
  });

  it('a file over the size cap is refused with the limit named', async () => {
    const dir = fresh();
    writeFileSync(join(dir, '.env'), `A=${'x'.repeat(MAX_INPUT_BYTES)}\n`);
    const r = await runCli(['validate', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.env: is larger than 16 MiB/);
  });
});

describeUpstream('values from the files never reach the output', () => {
  it('DB_HOST, REDIS_HOST and worker queues are named by variable in text, JSON and GitHub output', async () => {
    const dir = userDeployment('1.16.1', []);
    appendFileSync(join(dir, '.env'), '\nDB_HOST=db-leak-7f3a.internal\nREDIS_HOST=redis-leak-7f3a.internal\nCELERY_WORKER_QUEUES=queue-leak-7f3a\nSQLALCHEMY_POOL_SIZE=900\nREDIS_MAX_CONNECTIONS=\n');
    for (const format of ['text', 'json', 'github']) {
      const r = await runCli(['validate', dir, '--format', format]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout + r.stderr, format).not.toContain('leak-7f3a');
    }
  });

  it('the text report never has a line that starts a workflow command', async () => {
    const dir = userDeployment('1.16.1', []);
    const compose = readFileSync(join(dir, 'docker-compose.yaml'), 'utf8');
    writeFileSync(join(dir, 'docker-compose.yaml'), compose.replace(/^services:\n/m, 'services:\n  evil:\n    image: busybox\n    env_file: ["x\\n::error file=a::pwned.env"]\n'));
    const r = await runCli(['validate', dir]);
    expect(r.stdout).toContain('pwned');
    for (const line of (r.stdout + r.stderr).split('\n')) expect(line.trimStart().startsWith('::'), line).toBe(false);
  });
});
