// Start-up benchmark: cold runs of the built CLI against a bare `node -e 0`.
// Medians of interleaved runs; the ratio is what the targets speak of (≤ 2.5× plan/--help, ≤ 3× validate).
// Usage: npm run bench [-- --runs 15]
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;
const bin = ['bin/dify-deploy.js'];

/** Extra cases register here: { name, args, target, setup? }. */
export const cases = [
  { name: '--help', args: [...bin, '--help'], target: 2.5 },
  { name: 'plan --tier 500qps --json', args: [...bin, 'plan', '--tier', '500qps', '--json'], target: 2.5 },
  {
    name: 'validate (rendered 500qps compose dir)',
    args: [...bin, 'validate', '.tmp/bench-500qps', '--format', 'json'],
    target: 3,
    setup: () => {
      rmSync(`${root}.tmp/bench-500qps`, { recursive: true, force: true });
      const r = spawnSync(process.execPath, [...bin, 'render', '--tier', '500qps', '--target', 'compose', '--out', '.tmp/bench-500qps'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`render for the validate bench exited ${r.status}: ${r.stderr}`);
    },
  },
];

function timeOnce(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Runs the baseline and every case in turn, round after round, so a change in the machine's
 * load hits all of them alike; the ratio is of the medians. One warm-up round fills the OS
 * file cache; every measured run is still a fresh process.
 */
export function runBench(extra = []) {
  const all = [...cases, ...extra];
  for (const c of all) c.setup?.();
  const baselineArgs = ['-e', '0'];
  for (const args of [baselineArgs, ...all.map((c) => c.args)]) timeOnce(args);
  const samples = { baseline: [], cases: all.map(() => []) };
  for (let i = 0; i < runs; i++) {
    samples.baseline.push(timeOnce(baselineArgs));
    all.forEach((c, j) => samples.cases[j].push(timeOnce(c.args)));
  }
  const baseline = median(samples.baseline);
  console.log(`node -e 0: ${baseline.toFixed(1)} ms (median of ${runs}, interleaved with the cases)`);
  let ok = true;
  all.forEach((c, j) => {
    const ms = median(samples.cases[j]);
    const ratio = ms / baseline;
    const pass = ratio <= c.target;
    ok &&= pass;
    console.log(`${c.name}: ${ms.toFixed(1)} ms = ${ratio.toFixed(2)}× node -e 0 (target ≤ ${c.target}×) ${pass ? 'ok' : 'OVER TARGET'}`);
  });
  return ok;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ok = runBench();
  process.exitCode = ok ? 0 : 1;
}
