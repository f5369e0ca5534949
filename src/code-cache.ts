// The CLI's own CommonJS files (the bundle, the precompiled templates, the Ajv validators),
// compiled with V8's code cache. Every command is a cold run, and compiling ~2 MB of
// JavaScript was a third of render's start-up. The build runs each command once and saves
// V8's cache *after* it ran (scripts/code-cache.mjs), so the cache holds the functions V8
// compiles lazily too: a cache taken at compile time, as the v8-compile-cache package takes
// it, holds only the top level (render: 236 ms against 205 ms). Node 22's
// module.enableCompileCache() would do this; Node 20 has no such API.
//
// One cache per command: a cache holds every function that had run when it was taken, and
// loading one is work in proportion to its size, so `--help` should not load validate's.
// A cache is used only for the very file it was made from (same content hash: V8 itself
// checks only the length, and npm resets mtimes) and only when V8 accepts it (same V8
// version and flags); otherwise the file compiles as usual. Nothing is written at run time.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/** The package root (this file runs as dist/code-cache.js). */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CODE_CACHE_DIR = join(ROOT, 'dist', 'code-cache');

/** Per source file (relative to the package root): the hash of the source it was cached from and the cache file. */
type CacheIndex = Record<string, { sha1: string; cache: string }>;

const sha1 = (source: Buffer) => createHash('sha1').update(source).digest('hex');

/** The command a run is for: its first argument that is not an option (`--help` alone: "help"). */
export function commandOf(argv: string[]): string {
  return argv.slice(2).find((a) => !a.startsWith('-')) ?? 'help';
}

const cacheDir = (command: string) => join(CODE_CACHE_DIR, command.replace(/[^a-z-]/g, '_'));

/** How each file compiled: from its cache, or not and why (for tests and the bench). */
export type CacheUse = 'used' | 'rejected by V8' | 'stale' | 'none' | 'recording';

interface Loader {
  dir: string;
  index: CacheIndex;
  uses: Map<string, CacheUse>;
  /** Set while recording (the build's warm-up): the scripts to save caches of. */
  recorded?: Map<string, Script>;
}

function cachedData(loader: Loader, rel: string, source: Buffer): Buffer | 'stale' | undefined {
  const entry = loader.index[rel];
  if (!entry) return undefined;
  if (sha1(source) !== entry.sha1) return 'stale';
  try {
    return readFileSync(join(loader.dir, entry.cache));
  } catch {
    return undefined;
  }
}

/** What Node's own loader does for a CommonJS file, with the cache passed to V8. */
function compile(loader: Loader, module: NodeJS.Module, file: string): void {
  const rel = relative(ROOT, file);
  const source = readFileSync(file);
  const cached = loader.recorded ? undefined : cachedData(loader, rel, source);
  const script = new Script(Module.wrap(source.toString('utf8')), {
    filename: file,
    cachedData: cached instanceof Buffer ? cached : undefined,
  });
  loader.recorded?.set(rel, script);
  loader.uses.set(rel, loader.recorded ? 'recording' : cached === 'stale' ? 'stale' : !cached ? 'none' : script.cachedDataRejected ? 'rejected by V8' : 'used');
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
}

let active: Loader | undefined;

/** From now on, `.cjs` files of this package (outside node_modules) load through the loader's cache. */
function install(loader: Loader): void {
  // require.extensions is Node's (documented, deprecated) hook for how a file type loads;
  // Node has no '.cjs' entry of its own and loads .cjs files with the '.js' one.
  const extensions = createRequire(import.meta.url).extensions;
  const plain = extensions['.js'];
  extensions['.cjs'] = (module, file) => {
    if (file.startsWith(ROOT) && !file.slice(ROOT.length).split(sep).includes('node_modules')) compile(loader, module, file);
    else plain(module, file);
  };
  active = loader;
}

/**
 * The bundled CLI (dist/bundle/cli.cjs), loaded through the cache of the command it runs.
 * `record` (the build's warm-up): compile without a cache and keep the scripts for saveCodeCache().
 */
export function loadCli(options: { command: string; record?: boolean }): { run(argv: string[], io?: { out(text: string): void; err(text: string): void }): Promise<number> } {
  const dir = cacheDir(options.command);
  let index: CacheIndex = {};
  if (!options.record) {
    try {
      index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as CacheIndex;
    } catch {
      // no cache built for this command: plain compiles
    }
  }
  install({ dir, index, uses: new Map(), recorded: options.record ? new Map() : undefined });
  return createRequire(import.meta.url)(join(ROOT, 'dist', 'bundle', 'cli.cjs'));
}

/** Per file of the package compiled so far (relative to its root): whether its cache was used. */
export function codeCacheUses(): Record<string, CacheUse> {
  return Object.fromEntries(active?.uses ?? []);
}

/** Writes the cache of every script compiled since loadCli({ record: true }), once the command has run. */
export function saveCodeCache(): string[] {
  if (!active?.recorded) throw new Error('saveCodeCache: the CLI was not loaded with record: true');
  const { dir, recorded } = active;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const index: CacheIndex = {};
  for (const [rel, script] of recorded) {
    const cache = `${rel.replaceAll(sep, '__')}.bin`;
    writeFileSync(join(dir, cache), script.createCachedData());
    index[rel] = { sha1: sha1(readFileSync(join(ROOT, rel))), cache };
  }
  writeFileSync(join(dir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  return Object.keys(index);
}
