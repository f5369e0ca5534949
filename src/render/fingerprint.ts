// A fingerprint of the renderer itself: its code, templates and data. Rendering is
// deterministic, so files written under the same fingerprint from the same spec and secrets
// are exactly what a re-render would give (validate's drift rule relies on this). It hashes
// each file's path, size and mtime, not its bytes: cheap at start-up, and a rebuild that
// touches a file only costs validate a full re-render, never a missed drift.
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../core/data.js';

/** src/ under the test runner, dist/ when installed: whichever holds the running code. */
const CODE_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** V8's compiled code (src/code-cache.ts): written by the build after it rendered, and no part of what renders. */
const CODE_CACHE_DIR = join(PACKAGE_ROOT, 'dist', 'code-cache');

function addTree(hash: ReturnType<typeof createHash>, dir: string): void {
  // A plain code-unit order: localeCompare would load ICU collation, ~15 ms of start-up.
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path !== CODE_CACHE_DIR) addTree(hash, path);
    }
    else if (entry.isFile()) {
      const st = statSync(path);
      hash.update(`${path.slice(PACKAGE_ROOT.length)}\0${st.size}\0${st.mtimeMs}\0`);
    }
  }
}

let cached: string | undefined;

export function rendererFingerprint(): string {
  if (cached) return cached;
  const hash = createHash('sha256');
  // generated/ holds the precompiled templates and the chart defaults the Helm renderer reads.
  for (const dir of [CODE_ROOT, join(PACKAGE_ROOT, 'generated'), join(PACKAGE_ROOT, 'templates'), join(PACKAGE_ROOT, 'releases'), join(PACKAGE_ROOT, 'tiers')]) addTree(hash, dir);
  cached = hash.digest('hex');
  return cached;
}
