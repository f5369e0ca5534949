// Identity of two builds' `validate` (a start-up change's oracle, like render-identity.mjs): runs
// validate with the reference build and with this tree's build over one corpus — every upstream
// release's .env.example + compose (and its docker/ folder), directories the reference renders
// (tiers × targets × releases, some with a hand edit so drift has something to find), --helm-values
// of rendered values and of the charts' own and CI values, the bench's inputs and generated compose
// files — in text, --json and github formats, and compares stdout, stderr and the exit code.
// validate writes nothing, so both builds read the same files.
// Usage: node scripts/validate-identity.mjs REFERENCE_ROOT [REGEX]   (a built checkout, e.g. of base-s26;
// REGEX keeps the cases whose arguments match)
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeText, envText } from '../bench/inputs.mjs';

const here = fileURLToPath(new URL('..', import.meta.url));
const reference = process.argv[2];
if (!reference) throw new Error('usage: node scripts/validate-identity.mjs REFERENCE_ROOT [REGEX]');
const shared = join(here, '..', 'shared', 'upstream');
if (!existsSync(shared)) throw new Error(`${shared} not found: the corpus needs upstream's files`);

const run = (root, args) => spawnSync(process.execPath, [join(root, 'bin', 'dify-deploy.cjs'), ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const work = mkdtempSync(join(tmpdir(), 'validate-identity-'));
/** Each case: validate's arguments without the format flag. */
const cases = [];

// Upstream's own files, per release.
for (const release of readdirSync(shared).filter((d) => /^dify-\d/.test(d)).sort()) {
  const docker = join(shared, release, 'docker');
  cases.push(['--env', join(docker, '.env.example'), '--compose', join(docker, 'docker-compose.yaml')]);
  cases.push([docker]);
  cases.push(['--env', join(docker, '.env.example')]);
  cases.push(['--compose', join(docker, 'docker-compose.yaml'), '--release', release.slice('dify-'.length)]);
}

// Directories the reference build renders; every third one hand-edited, so drift finds a difference.
const S3 = { type: 's3', bucket: 'files', region: 'eu-west-1', useIam: true };
let n = 0;
for (const tier of ['10qps', '100qps', '500qps'])
  for (const release of ['1.13.3', '1.15.0', '1.16.1'])
    for (const targets of [['compose'], ['helm'], ['compose', 'helm']]) {
      const dir = join(work, `render-${n++}`);
      mkdirSync(dir);
      const spec = { tier, release, targets, storage: S3, observability: { workflowLogs: { acceptLargeDatabase: true } }, redis: { eventBus: { mode: 'external', url: 'redis://events.example.com:6379' } } };
      writeFileSync(join(dir, 'dify-deploy.yaml'), JSON.stringify(spec));
      const r = run(reference, ['render', '--config', join(dir, 'dify-deploy.yaml'), '--out', dir]);
      if (r.status !== 0) throw new Error(`the reference could not render ${JSON.stringify(spec)}: ${r.stderr}`);
      if (n % 3 === 0) {
        if (targets.includes('compose')) appendFileSync(join(dir, 'docker-compose.yaml'), '# a hand edit\n');
        if (targets.includes('helm')) appendFileSync(join(dir, 'helm', 'values.yaml'), 'worker:\n  replicas: 40\n');
      }
      cases.push([dir]);
      if (targets.includes('helm')) cases.push(['--helm-values', join(dir, 'helm', 'values.yaml')]);
      if (targets.includes('compose')) cases.push(['--compose', join(dir, 'docker-compose.yaml')]);
    }

// The charts' own values and their CI values, with and without a release named.
for (const chart of readdirSync(shared).filter((d) => /^dify-helm-\d/.test(d)).sort()) {
  const files = [join(shared, chart, 'values.yaml'), ...readdirSync(join(shared, chart, 'ci-values')).sort().map((f) => join(shared, chart, 'ci-values', f))];
  for (const file of files) {
    cases.push(['--helm-values', file]);
    cases.push(['--helm-values', file, '--release', '1.16.1']);
  }
}

// The bench's inputs (npm run bench writes .tmp/bench), and generated compose files of 10 and 100 services.
for (const dir of ['startup/all', 'startup/compose'].map((d) => join(here, '.tmp', 'bench', d)).filter(existsSync)) {
  cases.push([dir]);
  if (existsSync(join(dir, 'helm', 'values.yaml'))) cases.push(['--helm-values', join(dir, 'helm', 'values.yaml')]);
}
for (const services of [10, 100]) {
  const dir = join(work, `compose-${services}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'docker-compose.yaml'), composeText(services));
  writeFileSync(join(dir, '.env'), envText(here, 1_000));
  cases.push([dir]);
}

const only = process.argv[3] ? new RegExp(process.argv[3]) : undefined;
let compared = 0;
let differ = 0;
for (const args of cases.filter((a) => !only || only.test(a.join(' '))))
  for (const format of [[], ['--json'], ['--format', 'github']]) {
    const argv = ['validate', ...args, ...format];
    const [a, b] = [run(reference, argv), run(here, argv)];
    compared++;
    for (const what of ['status', 'stdout', 'stderr'])
      if (a[what] !== b[what]) {
        differ++;
        console.log(`dify-deploy ${argv.join(' ')}: ${what} differs\n--- reference\n${a[what]}\n--- this build\n${b[what]}`);
      }
  }
console.log(`${compared} validate runs compared, ${differ} differences; inputs in ${work}`);
if (!differ) rmSync(work, { recursive: true, force: true });
process.exitCode = differ ? 1 : 0;
