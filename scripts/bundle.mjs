// Bundles the compiled CLI (dist/, from tsc) into one CommonJS file, dist/bundle/cli.cjs:
// a cold start reads one file instead of ~100 ES modules, and V8's code cache
// (src/code-cache.ts, built by scripts/code-cache.mjs) applies only to classic scripts —
// Node 20 has no code cache for ES modules. Command modules stay lazy: esbuild wraps each
// in an init function that runs on first import. tsc stays the type checker.
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

rmSync('dist/bundle', { recursive: true, force: true });

// @inquirer/prompts re-exports its editor prompt, and with it iconv-lite: 480 KB, half the
// bundle, read at every start. The wizard asks no editor question (src/wizard/prompts.ts).
const noEditorPrompt = {
  name: 'no-editor-prompt',
  setup(b) {
    b.onResolve({ filter: /^@inquirer\/editor$/ }, () => ({ path: 'editor', namespace: 'no-editor-prompt' }));
    b.onLoad({ filter: /.*/, namespace: 'no-editor-prompt' }, () => ({ contents: "export default () => { throw new Error('dify-deploy bundles no editor prompt'); };" }));
  },
};

const ZOD_BOUND_METHODS = ['parse', 'safeParse', 'parseAsync', 'safeParseAsync', 'spa', 'refine', 'refinement', 'superRefine', 'optional', 'nullable', 'nullish', 'array', 'promise', 'or', 'and', 'transform', 'brand', 'default', 'catch', 'describe', 'pipe', 'readonly', 'isNullable', 'isOptional'];

// Start-up cost in dependencies, removed by editing their source as it is bundled. Each edit
// names the text it replaces; when a new version no longer has it, the build stops.
const SOURCE_EDITS = [
  {
    // zod v3's ZodType constructor binds these methods to every schema it makes, so that
    // `schema.parse` works detached; dify-deploy calls them on their schema only, and the few
    // hundred schemas built at start-up made thousands of bound functions (≈ 1.5 % of a
    // validate's instructions).
    file: /[\\/]zod[\\/]v3[\\/]types\.js$/,
    replace: ZOD_BOUND_METHODS.map((m) => [`        this.${m} = this.${m}.bind(this);\n`, '']),
  },
  {
    // commander requires child_process for executable subcommands, which dify-deploy has none
    // of; with net, dgram and the stream modules it pulls in, ≈ 3 ms of every start.
    file: /[\\/]commander[\\/]lib[\\/]command\.js$/,
    replace: [["const childProcess = require('node:child_process');", "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };"]],
  },
  {
    // chalk's supports-color loads node:tty (and net with it) for isatty, and node:os for a
    // Windows version check: ≈ 3 ms when output goes to a file. process.stdout.isTTY is set
    // exactly when the stream is a TTY (Node makes a tty.WriteStream only then).
    file: /[\\/]chalk[\\/]source[\\/]vendor[\\/]supports-color[\\/]index\.js$/,
    replace: [
      ["import os from 'node:os';\n", ''],
      ["import tty from 'node:tty';\n", "import { createRequire } from 'node:module';\n"],
      ['os.release()', "createRequire(import.meta.url)('node:os').release()"],
      ['{isTTY: tty.isatty(1)}', '{isTTY: Boolean(process.stdout.isTTY)}'],
      ['{isTTY: tty.isatty(2)}', '{isTTY: Boolean(process.stderr.isTTY)}'],
    ],
  },
  {
    // dotenv loads node:os at load for `~` in a path option; dify-deploy calls only parse().
    file: /[\\/]dotenv[\\/]lib[\\/]main\.js$/,
    replace: [
      ["const os = require('os')\n", ''],
      ['os.homedir()', "require('os').homedir()"],
    ],
  },
];
const sourceEdits = {
  name: 'source-edits',
  setup(b) {
    for (const { file, replace } of SOURCE_EDITS)
      b.onLoad({ filter: file }, ({ path }) => {
        let source = readFileSync(path, 'utf8');
        for (const [from, to] of replace) {
          if (!source.includes(from)) throw new Error(`${path}: no longer contains ${JSON.stringify(from)}; revisit SOURCE_EDITS in scripts/bundle.mjs`);
          source = source.replace(from, to);
        }
        return { contents: source, loader: 'js' };
      });
  },
};

// yaml's "node" export is CommonJS, which a bundle reaches through a getter per use of every
// import (isMap, Scalar, …: milliseconds in a validate); its ES module build, compiled from the
// same sources, is bound directly. The one difference is log.js: the node build reports warnings
// through process.emitWarning, as Node prints them, so that file stays the node build's.
const yamlDir = dirname(createRequire(import.meta.url).resolve('yaml/package.json'));
const yamlModule = {
  name: 'yaml-module',
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, () => ({ path: join(yamlDir, 'browser', 'dist', 'index.js') }));
    b.onResolve({ filter: /^\.\.?\/log\.js$/ }, ({ importer }) =>
      importer.startsWith(join(yamlDir, 'browser', 'dist')) ? { path: join(yamlDir, 'dist', 'log.js') } : undefined,
    );
  },
};

// The sources find the package's data files from import.meta.url; a CommonJS file has its own path.
const cjs = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
};

// The launcher's loader (src/code-cache.ts) as CommonJS beside its ES module build: bin/ requires
// it, so no run starts Node's ESM loader. It sits in dist/ like the .js it is built from.
await build({ ...cjs, entryPoints: ['dist/code-cache.js'], outfile: 'dist/code-cache.cjs' });

await build({
  ...cjs,
  entryPoints: ['dist/cli.js'],
  outfile: 'dist/bundle/cli.cjs',
  plugins: [noEditorPrompt, sourceEdits, yamlModule],
  // A third less to read and hash at every start; messages never show code names.
  minify: !process.env.BUNDLE_UNMINIFIED,
});
