// Builds the V8 code caches (src/code-cache.ts), one per command: for each, a fresh process
// runs that command the ways people run it, in a scratch directory, then saves the caches.
// V8 caches what has been compiled by then, so the command's functions come pre-compiled.
// Usage: node scripts/code-cache.mjs (all commands); the script runs itself per command.
import { spawnSync } from 'node:child_process';
import { copyFileSync, appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CODE_CACHE_DIR, loadCli, saveCodeCache } from '../dist/code-cache.js';

const SPEC =
  'tier: 500qps\ntargets: [compose, helm]\nstorage: { type: s3, bucket: warm-up, region: eu-west-1, useIam: true }\ndomain: { host: dify.example.com }\n' +
  'observability: { workflowLogs: { storage: logstore, slsProject: warm-up, slsEndpoint: cn-hangzhou.log.aliyuncs.com, slsRegion: cn-hangzhou } }\n' +
  'redis: { eventBus: { mode: external, url: "redis://event-bus.internal:6379" } }\n';

/** Per command, the runs that warm it; render's outputs are the later commands' inputs. */
const warmUps = (at) => ({
  help: [['--help'], ['render', '--help']],
  tiers: [['tiers'], ['tiers', '--json']],
  plan: [['plan', '--tier', '500qps'], ['plan', '--tier', '500qps', '--json'], ['plan', '--config', at('spec.yaml'), '--target', 'helm']],
  render: [
    ['render', '--config', at('spec.yaml'), '--target', 'compose', '--out', at('compose')],
    ['render', '--config', at('spec.yaml'), '--out', at('all')],
    ['render', '--config', at('spec.yaml'), '--out', at('all'), '--dry-run'],
    ['render', '--tier', '50qps', '--release', '1.15.0', '--target', 'compose', '--out', at('old')],
  ],
  init: [['init', '--yes', '--out', at('init')]],
  validate: [
    ['validate', at('all')],
    ['validate', at('compose'), '--format', 'json'],
    ['validate', '--helm-values', at('all', 'helm', 'values.yaml')],
    // A user's own files with findings: a misspelt variable and the published default secret.
    () => {
      copyFileSync(at('compose', '.env'), at('user.env'));
      appendFileSync(at('user.env'), 'GUNICORN_WORKER=4\nDB_PASSWORD=difyai123456\n');
      return ['validate', '--env', at('user.env'), '--compose', at('compose', 'docker-compose.yaml')];
    },
  ],
  import: [['import', at('compose'), '--out', at('imported')]],
  upgrade: [['upgrade', '--config', at('old', 'dify-deploy.yaml'), '--to', '1.16.1', '--dry-run']],
});

const [command, scratch] = process.argv.slice(2);
if (command) {
  const at = (...p) => join(scratch, ...p);
  const { run } = loadCli({ command, record: true });
  const silent = { out() {}, err() {} };
  for (const entry of warmUps(at)[command]) {
    const argv = typeof entry === 'function' ? entry() : entry;
    const code = await run(['node', 'dify-deploy', ...argv], silent);
    // 0 and 1 (findings) are both fine here; anything else means the warm-up itself broke.
    if (code > 1) throw new Error(`code cache warm-up: dify-deploy ${argv.join(' ')} exited ${code}`);
  }
  saveCodeCache();
} else {
  rmSync(CODE_CACHE_DIR, { recursive: true, force: true });
  const dir = mkdtempSync(join(tmpdir(), 'dify-deploy-code-cache-'));
  try {
    writeFileSync(join(dir, 'spec.yaml'), SPEC);
    for (const name of Object.keys(warmUps(() => ''))) {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), name, dir], { stdio: 'inherit' });
      if (r.status !== 0) process.exit(r.status ?? 1);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
