// What the launcher (bin/dify-deploy.cjs) brings up before the CLI runs: every command is a
// cold start, so Node's ES module loader (an ES module entry) stays out of every run; and the
// bundle's V8 code cache (bin/code-cache.cjs), which must never change what a run does.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'dify-deploy-launcher-'));
// 100qps asks where the workflow logs go (docs/state-sizing.md); this test is about module loading.
const ACCEPT_LOGS = 'observability.workflowLogs.acceptLargeDatabase=true';
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Node's built-in modules a run of the CLI loaded, as process.moduleLoadList names them. */
function builtinsLoaded(args: string[]): string[] {
  const list = join(scratch, 'modules.json');
  const hook = join(scratch, 'hook.cjs');
  writeFileSync(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(process.moduleLoadList)));`);
  const r = spawnSync(process.execPath, ['--require', hook, join(ROOT, 'bin', 'dify-deploy.cjs'), ...args], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(readFileSync(list, 'utf8')) as string[]).filter((m) => m.startsWith('NativeModule '));
}

it.each([[['--help']], [['plan', '--tier', '100qps', '--set', ACCEPT_LOGS, '--json']], [['render', '--tier', '100qps', '--set', ACCEPT_LOGS, '--target', 'compose', '--out', join(scratch, 'out')]]])(
  '%j does not load the ES module loader',
  (args) => {
    const loaded = builtinsLoaded(args);
    expect(loaded).toContain('NativeModule fs'); // the hook saw the run
    expect(loaded.filter((m) => /internal\/modules\/esm\/(module_job|translators)/.test(m))).toEqual([]);
  },
);

describe('the code cache', () => {
  const LAUNCHER = join(ROOT, 'bin', 'dify-deploy.cjs');
  const PLAN = ['plan', '--tier', '100qps', '--set', ACCEPT_LOGS, '--json'];
  // The lines DIFY_DEPLOY_CODE_CACHE_DEBUG=1 adds at the end of stderr, one per file compiled through
  // the cache, the bundle first: the cache file, what V8 did with it, whether it was written.
  const DEBUG_LINES = /^dify-deploy code cache (.+): (.+), (.+)\n/gm;
  const debugLines = (stderr: string) => [...stderr.matchAll(DEBUG_LINES)].map(([, file, state, outcome]) => ({ file, state, outcome }));

  /** A run of the CLI; `file`, `state` and `outcome` are the bundle's cache's, `caches` every file's. */
  function run(args: string[], env: Record<string, string>, launcher = LAUNCHER) {
    const r = spawnSync(process.execPath, [launcher, ...args], { encoding: 'utf8', env: { ...process.env, DIFY_DEPLOY_CODE_CACHE_DEBUG: '1', ...env } });
    const caches = debugLines(r.stderr);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr.replace(DEBUG_LINES, ''), ...caches[0], caches };
  }
  const newCacheHome = () => mkdtempSync(join(scratch, 'cache-'));
  /** The plan's output when the launcher loads the bundle with Node's own require. */
  const planWithoutCache = () => run(PLAN, { XDG_CACHE_HOME: newCacheHome(), NODE_DISABLE_COMPILE_CACHE: '1' });

  it('the first run of a command writes its cache; the second, V8 accepting it, prints the same bytes as a run without any cache', () => {
    const home = newCacheHome();
    const first = run(PLAN, { XDG_CACHE_HOME: home });
    expect([first.status, first.state, first.outcome], first.stderr).toEqual([0, 'none', 'written']);
    const file = first.file!;
    expect(dirname(dirname(file))).toBe(join(home, 'dify-deploy', 'code-cache'));
    expect(basename(file)).toMatch(/^plan-[0-9a-f]{8}-\d+\.bin$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);

    const second = run(PLAN, { XDG_CACHE_HOME: home });
    expect([second.status, second.state, second.outcome, second.file]).toEqual([0, 'used', 'kept', file]);
    const plain = planWithoutCache();
    expect(plain.state).toBeUndefined(); // turned off: no cache read, none written
    expect(second.stdout).toBe(first.stdout);
    expect(second.stdout).toBe(plain.stdout);
    expect(second.stderr).toBe(plain.stderr);
  });

  // Anything that changes V8's flags at run time (v8.setFlagsFromString) changes its flag hash, and
  // V8 then rejects every cache that command writes: each command's second run must use its cache.
  // The generated files the bundle loads go through the same cache: the templates (render) and the
  // Ajv validators (validate), each file's cache named by the file's path and its own CRC-32 and length.
  it.each([
    ['tiers', ['tiers', '--json'], []],
    ['render', ['render', '--tier', '10qps', '--target', 'compose', '--out', join(scratch, 'cached-render')], ['generated+templates.cjs']],
    ['validate', ['validate', '--env', join(scratch, 'cached.env')], []],
    ['validate --helm-values', ['validate', '--helm-values', join(scratch, 'cached-values.yaml')], [/^generated\+dify-helm-[\d.a-z-]+\+values-validator\.cjs$/]],
    ['validate --compose', ['validate', '--compose', join(scratch, 'cached-compose.yaml')], ['schemas+compose-spec-validator.cjs']],
  ])('%s: the second run uses the caches the first wrote', (_, args, generated) => {
    writeFileSync(join(scratch, 'cached.env'), 'SERVER_WORKER_AMOUNT=2\n');
    writeFileSync(join(scratch, 'cached-values.yaml'), 'api:\n  replicas: 2\n');
    writeFileSync(join(scratch, 'cached-compose.yaml'), 'services:\n  api:\n    image: langgenius/dify-api:1.16.1\n');
    const home = newCacheHome();
    const first = run(args, { XDG_CACHE_HOME: home });
    const second = run(args, { XDG_CACHE_HOME: home });
    const bundleName = basename(first.file!).replace(/\.bin$/, '');
    const names = first.caches.map((c) => basename(c.file!));
    expect(names.slice(1).map((n) => /^.+?\+(.+)-[0-9a-f]{8}-\d+\.bin$/.exec(n)?.[1])).toEqual(generated.map((g) => (typeof g === 'string' ? g : expect.stringMatching(g))));
    for (const name of names.slice(1)) expect(name.startsWith(`${bundleName}+`), name).toBe(true);
    expect(first.caches.map((c) => c.outcome)).toEqual(names.map(() => 'written'));
    expect(second.caches).toEqual(first.caches.map((c) => ({ ...c, state: 'used', outcome: 'kept' })));
  });

  it('one cache per command: `render --help` shares the help cache; a run that fails (exit 2) writes none', () => {
    const home = newCacheHome();
    expect(run(['--help'], { XDG_CACHE_HOME: home }).outcome).toBe('written');
    const help = run(['render', '--help'], { XDG_CACHE_HOME: home });
    expect([help.state, basename(help.file!)]).toEqual(['used', expect.stringMatching(/^help-/)]);
    const failed = run(['plan', '--tier', 'no-such-tier'], { XDG_CACHE_HOME: home });
    expect([failed.status, failed.state, failed.outcome]).toEqual([2, 'none', 'not written (the run failed)']);
    expect(existsSync(failed.file!)).toBe(false);
  });

  it.each([
    ['a byte changed in the middle', (file: string) => {
      const data = readFileSync(file);
      data[data.length >> 1] ^= 0xff;
      writeFileSync(file, data);
    }],
    ['truncated', (file: string) => truncateSync(file, statSync(file).size >> 1)],
  ])('a cache file %s is not used: same output, and the run writes it again', (_, damage) => {
    const home = newCacheHome();
    const { file } = run(PLAN, { XDG_CACHE_HOME: home });
    damage(file!);
    const damaged = run(PLAN, { XDG_CACHE_HOME: home });
    expect([damaged.status, damaged.state, damaged.outcome]).toEqual([0, 'damaged', 'written']);
    expect(damaged.stdout).toBe(planWithoutCache().stdout);
    expect(run(PLAN, { XDG_CACHE_HOME: home }).state).toBe('used');
  });

  /** A cache file's bytes as the launcher writes them: the CRC-32 and the length of the payload, then the payload. */
  function cacheFileOf(payload: Buffer): Buffer {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(crc32(payload));
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  }

  // V8 copies a cache whose bytes are not 8-byte aligned before deserializing it (0.5-1 MB more
  // memory touched per run); a Buffer read whole is aligned, so the payload starts 8 bytes in.
  it('a cache file holds its payload 8 bytes in, after its CRC-32 and length; a file of the earlier layout (the payload 4 bytes in) is rewritten', () => {
    const home = newCacheHome();
    const { file } = run(PLAN, { XDG_CACHE_HOME: home });
    const data = readFileSync(file!);
    expect(data.equals(cacheFileOf(data.subarray(8)))).toBe(true);
    const earlier = Buffer.alloc(4);
    earlier.writeUInt32BE(crc32(data.subarray(8)));
    writeFileSync(file!, Buffer.concat([earlier, data.subarray(8)]));
    const again = run(PLAN, { XDG_CACHE_HOME: home });
    expect([again.status, again.state, again.outcome]).toEqual([0, 'damaged', 'written']);
    expect(again.stdout).toBe(planWithoutCache().stdout);
    const rewritten = readFileSync(file!);
    expect(rewritten.equals(cacheFileOf(rewritten.subarray(8)))).toBe(true);
  });

  it('a cache V8 rejects (made from another source) is rewritten, and the output is the same', () => {
    const home = newCacheHome();
    const { file } = run(PLAN, { XDG_CACHE_HOME: home });
    // Whole and well-formed (its CRC-32 matches), but V8's: a cache of another script.
    writeFileSync(file!, cacheFileOf(new Script('0').createCachedData()));
    const rejected = run(PLAN, { XDG_CACHE_HOME: home });
    expect([rejected.status, rejected.state, rejected.outcome]).toEqual([0, 'rejected by V8', 'written']);
    expect(rejected.stdout).toBe(planWithoutCache().stdout);
    expect(run(PLAN, { XDG_CACHE_HOME: home }).state).toBe('used');
  });

  it('runs started together on an empty cache directory all print the same bytes; the cache they leave is whole', async () => {
    const home = newCacheHome();
    const runs = await Promise.all(
      Array.from({ length: 4 }, () =>
        new Promise<{ code: number | null; stdout: string }>((done) => {
          const child = spawn(process.execPath, [LAUNCHER, ...PLAN], { env: { ...process.env, XDG_CACHE_HOME: home } });
          let stdout = '';
          child.stdout.on('data', (d) => (stdout += d));
          child.on('close', (code) => done({ code, stdout }));
        }),
      ),
    );
    const plain = planWithoutCache();
    expect(runs).toEqual(runs.map(() => ({ code: 0, stdout: plain.stdout })));
    const after = run(PLAN, { XDG_CACHE_HOME: home });
    expect([after.state, after.stdout]).toEqual(['used', plain.stdout]);
    expect(readdirSync(dirname(after.file!))).toEqual([basename(after.file!)]); // no temp file left
  });

  it('a cache directory that cannot be made: same output, exit code and stderr as without the cache', () => {
    const notADirectory = join(newCacheHome(), 'a-file');
    writeFileSync(notADirectory, '');
    const r = run(PLAN, { XDG_CACHE_HOME: notADirectory, DIFY_DEPLOY_CODE_CACHE_DEBUG: '' });
    const plain = planWithoutCache();
    expect([r.status, r.stdout, r.stderr]).toEqual([plain.status, plain.stdout, plain.stderr]);
    expect(run(PLAN, { XDG_CACHE_HOME: notADirectory }).outcome).toMatch(/^not written \(ENOTDIR\)$/);
  });

  /** A copy of the package whose `copied` file can change without touching the one other tests run: its launcher. */
  function packageCopy(name: string, copied: string): string {
    const pkg = join(scratch, name);
    mkdirSync(join(pkg, 'dist', 'bundle'), { recursive: true });
    mkdirSync(join(pkg, 'generated'), { recursive: true });
    cpSync(join(ROOT, 'bin'), join(pkg, 'bin'), { recursive: true });
    cpSync(join(ROOT, copied), join(pkg, copied));
    for (const entry of ['package.json', 'node_modules', 'templates', 'tiers', 'costs', 'releases', 'schemas', 'dist/bundle/cli.cjs', ...readdirSync(join(ROOT, 'generated')).map((e) => `generated/${e}`)]) {
      if (entry !== copied) symlinkSync(join(ROOT, entry), join(pkg, entry));
    }
    return join(pkg, 'bin', 'dify-deploy.cjs');
  }

  /** Replaces every `text` in `file` with as many bytes. */
  function changeSameLength(file: string, text: string, replacement: string) {
    const source = readFileSync(file, 'latin1');
    expect(source).toContain(text);
    writeFileSync(file, source.replaceAll(text, replacement), 'latin1');
    expect(statSync(file).size).toBe(source.length);
  }

  it("a changed bundle of the same length never runs the old bundle's cache (V8 checks only the length), and the old cache is removed", () => {
    const launcher = packageCopy('package-copy', 'dist/bundle/cli.cjs');
    const home = newCacheHome();
    const before = run(['--help'], { XDG_CACHE_HOME: home }, launcher);
    expect([before.state, before.outcome, before.stdout]).toEqual(['none', 'written', expect.stringContaining('list the traffic tiers')]);

    changeSameLength(join(launcher, '..', '..', 'dist', 'bundle', 'cli.cjs'), 'list the traffic tiers', 'LIST THE TRAFFIC TIERS');
    const after = run(['--help'], { XDG_CACHE_HOME: home }, launcher);
    expect([after.state, after.outcome]).toEqual(['none', 'written']);
    expect(after.stdout).toContain('LIST THE TRAFFIC TIERS');
    expect(readdirSync(dirname(after.file!))).toEqual([basename(after.file!)]);
  });

  it("a changed generated file of the same length (the templates) never runs its old cache, and that cache is removed; the bundle's stays", () => {
    const launcher = packageCopy('package-copy-templates', 'generated/templates.cjs');
    const home = newCacheHome();
    const out = join(scratch, 'copy-render');
    const render = () => run(['render', '--tier', '10qps', '--target', 'compose', '--out', out], { XDG_CACHE_HOME: home }, launcher);
    const before = render();
    expect(before.caches.map((c) => c.outcome)).toEqual(['written', 'written']);
    expect(readFileSync(join(out, 'nginx', 'nginx.conf'), 'utf8')).toContain('# Rendered by dify-deploy');

    changeSameLength(join(launcher, '..', '..', 'generated', 'templates.cjs'), '# Rendered by dify-deploy', '# RENDERED BY DIFY-DEPLOY');
    const after = render();
    expect(after.caches.map((c) => [c.state, c.outcome])).toEqual([['used', 'kept'], ['none', 'written']]);
    expect(readFileSync(join(out, 'nginx', 'nginx.conf'), 'utf8')).toContain('# RENDERED BY DIFY-DEPLOY');
    expect(readdirSync(dirname(after.file!)).sort()).toEqual(after.caches.map((c) => basename(c.file!)).sort());
  });

  it("a file loaded through the cache sees Node's CommonJS wrapper as require() gives it: __filename, __dirname, require, stack positions", () => {
    const dir = join(scratch, 'fixture');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'sibling.cjs'), "module.exports = 'sibling';\n");
    const fixture = join(dir, 'fixture.cjs');
    writeFileSync(
      fixture,
      [
        'exports.seen = [__filename, __dirname, require("./sibling.cjs"), require.resolve("vitest/package.json", { paths: [process.env.ROOT] })];',
        'exports.where = () => new Error("here").stack.split("\\n")[1];',
        '',
      ].join('\n'),
    );
    const load = (how: string) =>
      spawnSync(
        process.execPath,
        [
          '-e',
          `const m = ${how}; console.log(JSON.stringify([m.exports.seen, m.exports.where()])); m.finished(0);`,
        ],
        { encoding: 'utf8', env: { ...process.env, ROOT, XDG_CACHE_HOME: home, DIFY_DEPLOY_CODE_CACHE_DEBUG: '1' } },
      );
    const home = newCacheHome();
    const required = load(`({ exports: require(${JSON.stringify(fixture)}), finished() {} })`);
    expect(JSON.parse(required.stdout)[1]).toMatch(/fixture\.cjs:2:\d+\)$/);
    const viaCache = `require(${JSON.stringify(join(ROOT, 'bin', 'code-cache.cjs'))}).requireWithCodeCache(${JSON.stringify(fixture)}, ['node', 'x', 'fixture'])`;
    const first = load(viaCache);
    const second = load(viaCache);
    expect([debugLines(first.stderr)[0]?.state, debugLines(second.stderr)[0]?.state]).toEqual(['none', 'used']);
    expect(first.stdout).toBe(required.stdout);
    expect(second.stdout).toBe(required.stdout);
  });
});
