// Bundles the compiled CLI (dist/, from tsc) into one minified CommonJS file, dist/bundle/cli.cjs,
// with esbuild's documented options only: a cold start reads one file instead of ~100 ES modules,
// and a CommonJS entry does not bring up Node's ESM loader. Command modules stay lazy (esbuild
// wraps each dynamically imported module in an init function that runs on first import).
// Dependencies are bundled as published; tsc stays the type checker.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/bundle', { recursive: true, force: true });

const { metafile } = await build({
  entryPoints: ['dist/cli.js'],
  outfile: 'dist/bundle/cli.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // The sources find the package's data files from import.meta.url; a CommonJS file has its own path.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  minify: true,
  metafile: true,
  logLevel: 'warning',
});
// The launcher compiles the bundle with node:vm's code cache (bin/code-cache.cjs), where an
// import() fails on Node 20 once the cache is used: every module must be bundled or require()d.
const dynamic = Object.values(metafile.outputs).flatMap((o) => o.imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path));
if (dynamic.length) throw new Error(`dist/bundle/cli.cjs would keep import() of ${dynamic.join(', ')}: bundle it or require() it (bin/code-cache.cjs)`);
