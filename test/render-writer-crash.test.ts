// The writer is all or nothing even when killed: `kill -9` at points spread over a render, then
// the next run's recovery, leaves the directory holding either the old set or the new one with
// the manifest matching; concurrent renders into one directory take turns (a lock per directory)
// and leave one render's set whole. A directory symlink out of --out is never written through.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../src/core/data.js';
import { lockOutDir, MANIFEST_PATH, recoverInterrupted, sha256 } from '../src/render/writer.js';

const BIN = join(PACKAGE_ROOT, 'bin', 'dify-deploy.cjs');
const root = mkdtempSync(join(tmpdir(), 'dd-crash-'));
const spec = (name: string, tier: string) => {
  const path = join(root, `${name}.yaml`);
  // The state choices a tier from 100qps asks for (docs/state-sizing.md), so both renders succeed.
  writeFileSync(path, `tier: ${tier}\nobservability: { workflowLogs: { acceptLargeDatabase: true } }\n`);
  return path;
};
const OLD = spec('old', '10qps');
const NEW = spec('new', '100qps');

function render(specPath: string, out: string, killAfterMs?: number): Promise<number | null> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, 'render', '--config', specPath, '--out', out], { stdio: 'ignore' });
    if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code) => done(code));
  });
}

/** Every file the manifest's last render lists, with its content's sha256 (undefined when missing). */
function renderedSet(dir: string): Record<string, string | undefined> {
  const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_PATH), 'utf8')) as { files: Record<string, string>; render: { files: string[] } };
  const out: Record<string, string | undefined> = {};
  for (const p of manifest.render.files) {
    let sha: string | undefined;
    try {
      sha = sha256(readFileSync(join(dir, p), 'utf8'));
    } catch {
      sha = undefined;
    }
    // The manifest matches the files.
    expect(manifest.files[p], p).toBe(sha);
    out[p] = sha;
  }
  return out;
}

const leftovers = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => /\.dify-deploy\.(tmp|bak)$|commit\.json$/.test(p));

describe('all or nothing across kill -9 and concurrent renders', () => {
  it('kill -9 at spread points, then recovery: the old set or the new one, manifest matching, nothing left over', async () => {
    const base = join(root, 'base');
    expect(await render(OLD, base)).toBe(0);
    const oldSet = renderedSet(base);
    const whole = join(root, 'whole');
    cpSync(base, whole, { recursive: true });
    const started = Date.now();
    expect(await render(NEW, whole)).toBe(0);
    const runMs = Date.now() - started;
    const newSet = renderedSet(whole);
    expect(newSet).not.toEqual(oldSet);
    const trials = 12;
    for (let i = 0; i < trials; i++) {
      const dir = join(root, `trial-${i}`);
      cpSync(base, dir, { recursive: true });
      await render(NEW, dir, Math.round((runMs * (i + 0.5)) / trials));
      const unlock = lockOutDir(dir);
      recoverInterrupted(dir, [...Object.keys(oldSet), ...Object.keys(newSet)]);
      unlock();
      const set = renderedSet(dir);
      expect([oldSet, newSet], `trial ${i}`).toContainEqual(set);
      expect(leftovers(dir)).toEqual([]);
    }
  });

  it('concurrent renders into one directory: each exits 0 and one whole set remains', async () => {
    const base = join(root, 'cbase');
    expect(await render(OLD, base)).toBe(0);
    const oldSet = renderedSet(base);
    const whole = join(root, 'cwhole');
    cpSync(base, whole, { recursive: true });
    expect(await render(NEW, whole)).toBe(0);
    const newSet = renderedSet(whole);
    for (let i = 0; i < 4; i++) {
      const dir = join(root, `concurrent-${i}`);
      cpSync(base, dir, { recursive: true });
      const codes = await Promise.all([render(NEW, dir), render(OLD, dir), render(NEW, dir)]);
      expect(codes).toEqual([0, 0, 0]);
      expect([oldSet, newSet]).toContainEqual(renderedSet(dir));
      expect(leftovers(dir)).toEqual([]);
      expect(readdirSync(join(dir, '.dify-deploy'))).not.toContain('lock');
    }
  });

  it('a lock left by a process that is gone (or left empty by a crash) is taken over, holding this pid, nothing beside it', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    for (const content of [`${gone}\n`, '']) {
      const dir = mkdtempSync(join(root, 'stale-'));
      mkdirSync(join(dir, '.dify-deploy'));
      writeFileSync(join(dir, '.dify-deploy', 'lock'), content);
      const unlock = lockOutDir(dir);
      expect(readFileSync(join(dir, '.dify-deploy', 'lock'), 'utf8')).toBe(`${process.pid}\n`);
      expect(readdirSync(join(dir, '.dify-deploy'))).toEqual(['lock']);
      unlock();
      expect(readdirSync(join(dir, '.dify-deploy'))).toEqual([]);
    }
  });

  it('a directory symlink out of --out is refused, the outside untouched', async () => {
    const out = join(root, 'linked');
    const victim = join(root, 'victim');
    mkdirSync(out);
    mkdirSync(victim);
    symlinkSync(victim, join(out, 'nginx'));
    symlinkSync(victim, join(out, '.dify-deploy'));
    expect(await render(OLD, out)).toBe(2);
    expect(readdirSync(victim)).toEqual([]);
  });

  it('under umask 000 no directory it creates is world-writable', () => {
    const out = join(root, 'umask');
    const r = spawnSync('sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, BIN, 'render', '--config', OLD, '--out', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    for (const d of [out, join(out, 'nginx'), join(out, '.dify-deploy')]) expect(statSync(d).mode & 0o777, d).toBe(0o755);
  });
});
