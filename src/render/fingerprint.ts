// A fingerprint of the renderer itself: its code, templates and data. Rendering is
// deterministic, so files written under the same fingerprint from the same spec and secrets
// are exactly what a re-render would give (validate's drift rule relies on this). It hashes
// each file's path, size and mtime, not its bytes: cheap at start-up, and a rebuild that
// touches a file only costs validate a full re-render, never a missed drift.
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../core/data.js';

/** The running code: the bundle when installed (one file, dist/bundle/cli.cjs), else src/ under the test runner. */
const RUNNING = fileURLToPath(import.meta.url);
const CODE = RUNNING.endsWith('.cjs') ? RUNNING : dirname(dirname(RUNNING));

function addFile(hash: ReturnType<typeof createHash>, path: string): void {
  const st = statSync(path);
  hash.update(`${path.slice(PACKAGE_ROOT.length)}\0${st.size}\0${st.mtimeMs}\0`);
}

function addTree(hash: ReturnType<typeof createHash>, dir: string): void {
  // A plain code-unit order: localeCompare would load ICU collation, ~15 ms of start-up.
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) addTree(hash, path);
    else if (entry.isFile()) addFile(hash, path);
  }
}

let cached: string | undefined;

export function rendererFingerprint(): string {
  if (cached) return cached;
  const hash = createHash('sha256');
  if (CODE === RUNNING) addFile(hash, CODE);
  else addTree(hash, CODE);
  // generated/ holds the precompiled templates and the chart defaults the Helm renderer reads.
  for (const dir of [join(PACKAGE_ROOT, 'generated'), join(PACKAGE_ROOT, 'templates'), join(PACKAGE_ROOT, 'releases'), join(PACKAGE_ROOT, 'tiers')]) addTree(hash, dir);
  cached = hash.digest('hex');
  return cached;
}
