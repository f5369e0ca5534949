// Bundles the compiled CLI (dist/, from tsc) into one CommonJS file, dist/bundle/cli.cjs:
// a cold start reads one file instead of ~100 ES modules, and V8's code cache
// (src/code-cache.ts, built by scripts/code-cache.mjs) applies only to classic scripts —
// Node 20 has no code cache for ES modules. Command modules stay lazy: esbuild wraps each
// in an init function that runs on first import. tsc stays the type checker.
import { rmSync } from 'node:fs';
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

await build({
  entryPoints: ['dist/cli.js'],
  outfile: 'dist/bundle/cli.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  plugins: [noEditorPrompt],
  // A third less to read and hash at every start; messages never show code names.
  minify: !process.env.BUNDLE_UNMINIFIED,
  // The sources find the package's data files from import.meta.url; a CommonJS file has its own path.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
