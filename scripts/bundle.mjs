// Bundles the compiled CLI (dist/, from tsc) into dist/bundle/: one entry plus a chunk per
// lazily imported command, so a cold start resolves a handful of files instead of ~100
// ES modules (measured by `npm run bench`). tsc stays the type checker and builds dist/ too.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: clear the old ones.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { cli: 'dist/cli.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Dependencies written in CommonJS call require(); give the ES module bundle one.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  logLevel: 'warning',
});
