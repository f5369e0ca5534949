// All or nothing: a render that cannot write one file leaves the output directory exactly as it
// was — no docker-compose.yaml or .env from a half-finished run, no staged temp files — and an
// output path that is a file or on a special filesystem (/proc) is a clear exit 2, never a hang.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../src/core/data.js';

const BIN = join(PACKAGE_ROOT, 'bin', 'dify-deploy.cjs');
const asRoot = process.getuid?.() === 0;

/** Runs the built CLI; as root, as the unprivileged test user so permissions bite. */
function cli(args: string[], opts: { unprivileged?: boolean } = {}) {
  const drop = opts.unprivileged && asRoot;
  const r = spawnSync(drop ? 'runuser' : process.execPath, drop ? ['-u', 'difytest', '--', process.execPath, BIN, ...args] : [BIN, ...args], {
    encoding: 'utf8',
    // A guard against the procfs spin this test is about, not a speed target.
    timeout: 30_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      out[relative(dir, p)] = statSync(p).isDirectory() ? '<dir>' : readFileSync(p, 'utf8');
      if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** An output directory the test user may write, except for `locked` (a directory the render needs). */
function outDir(locked: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dd-atomic-'));
  chmodSync(dir, 0o755);
  if (asRoot) chownSync(dir, Number(spawnSync('id', ['-u', 'difytest'], { encoding: 'utf8' }).stdout.trim()), 0);
  mkdirSync(join(dir, locked));
  if (!asRoot) chmodSync(join(dir, locked), 0o555);
  return dir;
}

describe('render is all or nothing', () => {
  it('a fresh render that cannot write one directory leaves nothing behind (exit 2)', () => {
    const dir = outDir('ssrf_proxy');
    const before = snapshot(dir);
    const r = cli(['render', '--tier', '10qps', '--out', dir], { unprivileged: true });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/ssrf_proxy.*cannot write \(EACCES\)/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('a re-render that fails part-way keeps every file of the previous render', () => {
    const dir = outDir('ssrf_proxy');
    // The first render runs with permission (as the directory's owner would after fixing it).
    expect(cli(['render', '--tier', '10qps', '--out', join(dir, 'dify')], { unprivileged: true }).code).toBe(0);
    const deployed = join(dir, 'dify');
    // Now nginx/ (whose nginx.conf carries the sized worker_connections) becomes unwritable and the spec changes (new sizes everywhere).
    const nginx = join(deployed, 'nginx');
    if (asRoot) chownSync(nginx, 0, 0);
    else chmodSync(nginx, 0o555);
    const before = snapshot(deployed);
    const r = cli(['render', '--tier', '200qps', '--set', 'observability.workflowLogs.acceptLargeDatabase=true', '--out', deployed], { unprivileged: true });
    expect(r.code, r.stderr).toBe(2);
    expect(snapshot(deployed)).toEqual(before);
  });
});

describe('output paths that cannot be a deployment directory', () => {
  it.each(['/proc/dify-deploy-test', '/proc/self/dify-deploy-test'])('--out %s: exit 2 with a message, no hang', (out) => {
    const r = cli(['render', '--tier', '10qps', '--out', out]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: ${out}: cannot create the directory`));
  });

  it('--out a file: "is not a directory"', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dd-file-')), 'afile');
    writeFileSync(file, 'x');
    const r = cli(['render', '--tier', '10qps', '--out', file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`error: ${file}: is not a directory; --out needs a directory (it is created when absent)`);
  });
});
