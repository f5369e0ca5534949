'use strict';
// The CLI's bundle compiled through V8's code cache, on every Node version, with node:vm's
// documented API (https://nodejs.org/api/vm.html: `cachedData`, `script.createCachedData()`).
// Compiling the 800 KB bundle is ≈ 150 M instructions of every run (docs/benchmark.md).
//
// - The cache is made AFTER a command ran, so it holds the functions V8 compiled lazily during the
//   run. (Node's own module.enableCompileCache() serializes right after compiling: the top level.)
// - One cache per command: loading one costs in proportion to its size, and a `--help` run needs
//   0.25 MB of it where a render needs 0.85–1 MB. A command's first run that did its job (exit 0
//   or 1) writes it; later runs only read it, unless V8 rejects it (another Node build or V8
//   flags), then that run writes it again.
// - In the user's cache directory ($XDG_CACHE_HOME, else ~/.cache), dify-deploy/code-cache/, a
//   folder per Node setup (version, platform, arch, binary, flags), so a registry install
//   benefits. A file is used only for the very bundle it was made from (its CRC-32 and length in
//   the name): V8 itself checks only the source's length, and would run a same-length edit's
//   stale code. A file carries the CRC-32 of its payload: V8 does not verify code caches
//   (--verify-snapshot-checksum is off in release builds).
// - Nothing depends on it. NODE_DISABLE_COMPILE_CACHE=1 turns it off; Node without zlib.crc32
//   (before 20.15) runs without it; any trouble with it (no home, a read-only or full disk, a
//   damaged file, a concurrent run) leaves the run as it would be without it.
//   DIFY_DEPLOY_CODE_CACHE_DEBUG=1 reports on stderr what became of the cache.
const fs = require('node:fs');
const { createRequire } = require('node:module');
const { homedir } = require('node:os');
const { dirname, isAbsolute, join, relative } = require('node:path');
const vm = require('node:vm');
const { crc32 } = require('node:zlib');

const hex = (n) => n.toString(16).padStart(8, '0');
/** A Node setup's caches not written for this long are removed when another setup writes. */
const STALE_SETUP_MS = 30 * 24 * 3600 * 1000;

/** The cache a run reads and writes: by command, as the first word after the options names it. */
function commandOf(argv) {
  const args = argv.slice(2);
  // `render --help` compiles what `--help` does: it must not leave render a help-sized cache.
  if (args.includes('--help') || args.includes('-h')) return 'help';
  const first = args.find((a) => !a.startsWith('-'));
  if (first === undefined) return 'help';
  return /^[a-z]{1,20}$/.test(first) ? first : 'other';
}

function cacheRoot(env) {
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'dify-deploy', 'code-cache');
}

/** V8 rejects a cache made by another V8 version, build or flags: one folder per Node setup. */
function setupName(env) {
  const setup = [process.execPath, ...process.execArgv, env.NODE_OPTIONS ?? ''].join('\0');
  return `node-${process.version}-${process.platform}-${process.arch}-${hex(crc32(setup))}`;
}

// A cache file: the CRC-32 and the length of its payload, then the payload, 8 bytes in, where a
// Buffer read whole keeps it 8-byte aligned: V8 copies a cache that is not pointer-aligned before
// it deserializes it (AlignedCachedData), 0.5–1 MB more memory touched every run (docs/benchmark.md, stop 28).
const HEADER_BYTES = 8;

/** A cache file's payload, or undefined when it is absent or damaged (its CRC-32 or length does not match). */
function readCache(file) {
  let data;
  try {
    data = fs.readFileSync(file);
  } catch {
    return { state: 'none' };
  }
  const payload = data.subarray(HEADER_BYTES);
  return data.length > HEADER_BYTES && data.readUInt32BE(0) === crc32(payload) && data.readUInt32BE(4) === payload.length ? { state: 'read', payload } : { state: 'damaged' };
}

/** Temp file and rename, so a reader sees a whole file or none; 0700 folders, 0600 files. */
function writeCache(dir, file, payload) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(crc32(payload));
  header.writeUInt32BE(payload.length, 4);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, Buffer.concat([header, payload]), { mode: 0o600, flag: 'wx' });
    fs.renameSync(temp, file);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/**
 * Removes this setup's caches of other bundles, the caches of other versions of the file just
 * written (their names start with `versions` and are not `written`), and other setups' folders
 * not written for a month.
 */
function prune(root, dir, bundleId, { versions, written }) {
  for (const name of fs.readdirSync(dir)) {
    if (!name.includes(bundleId) || (versions && name.startsWith(versions) && name !== written)) fs.rmSync(join(dir, name), { force: true });
  }
  for (const name of fs.readdirSync(root)) {
    const other = join(root, name);
    if (other !== dir && Date.now() - fs.statSync(other).mtimeMs > STALE_SETUP_MS) fs.rmSync(other, { recursive: true, force: true });
  }
}

/** Writes the script's cache (what it compiled so far); says how that went. */
function save(script, root, dir, cacheFile, bundleId, names) {
  if (!cacheFile) return 'not written (no home directory)';
  try {
    writeCache(dir, cacheFile, script.createCachedData());
  } catch (e) {
    return `not written (${e.code ?? e.message})`;
  }
  try {
    prune(root, dir, bundleId, names);
  } catch {
    // another run pruned first, or the folder is not ours to change: the caches stay
  }
  return 'written';
}

// Node's CommonJS wrapper, its head on a line of its own, and lineOffset -1 (compile): stack traces
// give the file's own lines and columns.
const WRAPPER_HEAD = Buffer.from('(function (exports, require, module, __filename, __dirname) {\n');
const WRAPPER_TAIL = Buffer.from('\n})');

/**
 * A CommonJS file read between the wrapper's head and tail: its own bytes (a view), and the
 * wrapped text decoded at once, the one flat string V8 compiles. The file's text put in a template
 * string makes V8 flatten a second copy (0.8 MB for the bundle; docs/benchmark.md, stop 28).
 */
function readWrapped(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const wrapped = Buffer.allocUnsafe(WRAPPER_HEAD.length + size + WRAPPER_TAIL.length);
    WRAPPER_HEAD.copy(wrapped);
    let read = 0;
    for (let n = -1; read < size && n !== 0; read += n) n = fs.readSync(fd, wrapped, WRAPPER_HEAD.length + read, size - read, null);
    if (read !== size) throw new Error(`${file}: ${read} bytes read of ${size}`);
    WRAPPER_TAIL.copy(wrapped, WRAPPER_HEAD.length + size);
    return { source: wrapped.subarray(WRAPPER_HEAD.length, WRAPPER_HEAD.length + size), text: wrapped.toString() };
  } finally {
    fs.closeSync(fd);
  }
}

/** What Node's loader does for a CommonJS file (readWrapped's text), with V8's code cache passed in. */
function compile(file, wrappedText, cachedData) {
  const script = new vm.Script(wrappedText, {
    filename: file,
    lineOffset: -1,
    cachedData,
    // No importModuleDynamically: on Node 20 it is experimental (a warning when import() runs)
    // and a script compiled from a cache loses it (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), so
    // scripts/bundle.mjs stops the build when the bundle would keep an import().
  });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return { script, exports: module.exports };
}

/**
 * Loads the CommonJS file `file` (the bundle) through the code cache of the command `argv` runs.
 * Returns its exports; `require(other)`, which loads another CommonJS file of the package (the
 * generated templates and validators the bundle loads) through that command's cache too, each
 * file once, as require() does; and `finished(exitCode)`, to call once the command's output is
 * flushed: it writes the cache of each file loaded when the run did its job (exit 0 or 1) and V8
 * took no cache for that file.
 */
function requireWithCodeCache(file, argv, env = process.env) {
  if (env.NODE_DISABLE_COMPILE_CACHE || typeof crc32 !== 'function') return { exports: require(file), require, finished() {} };
  const command = commandOf(argv);
  // The other files' caches are named by their path in the package (two folders above the bundle's).
  const packageRoot = join(dirname(file), '..', '..');
  let root, dir;
  try {
    root = cacheRoot(env);
    dir = join(root, setupName(env));
  } catch {
    // no home directory: run without a cache
  }
  /** What this run compiled through the cache, in order: the bundle first. */
  const loaded = [];
  const exportsOf = new Map();
  let bundleId;
  const load = (path) => {
    const { source, text } = readWrapped(path);
    const id = `${hex(crc32(source))}-${source.length}`;
    bundleId ??= id;
    // The bundle's cache: <command>-<bundle id>.bin; another file's: <command>-<bundle id>+<its path, / as +>-<its id>.bin.
    const versions = path === file ? undefined : `${command}-${bundleId}+${relative(packageRoot, path).replace(/[^\w.-]+/g, '+')}-`;
    const names = { versions, written: `${versions ?? `${command}-`}${id}.bin` };
    let cache = { state: 'none' };
    const cacheFile = dir && join(dir, names.written);
    if (cacheFile) cache = readCache(cacheFile);
    const { script, exports } = compile(path, text, cache.payload);
    const state = cache.state !== 'read' ? cache.state : script.cachedDataRejected ? 'rejected by V8' : 'used';
    loaded.push({ script, cacheFile, names, state });
    exportsOf.set(path, exports);
    return exports;
  };
  return {
    exports: load(file),
    require: (path) => (exportsOf.has(path) ? exportsOf.get(path) : load(path)),
    finished(exitCode) {
      for (const { script, cacheFile, names, state } of loaded) {
        const outcome = state === 'used' ? 'kept' : exitCode > 1 ? 'not written (the run failed)' : save(script, root, dir, cacheFile, bundleId, names);
        if (env.DIFY_DEPLOY_CODE_CACHE_DEBUG) process.stderr.write(`dify-deploy code cache ${cacheFile}: ${state}, ${outcome}\n`);
      }
    },
  };
}

module.exports = { requireWithCodeCache };
