// `npm run bench`: cold runs of the built CLI against a bare `node -e 0` (issue 15).
// Two tables, each measured round by round — every round runs `node -e 0` and every case once —
// so a change in the machine's load hits all alike; ratios are of the medians. The start-up
// table holds the commands' targets (≤ 2.0× --help/tiers/plan/render, ≤ 3.5× validate); the
// scaling table grows the input (a .env of 1k/10k/100k lines, a compose file of 10/100/1,000
// services, generated into .tmp/bench) and reads each child's peak RSS.
// --instructions counts the cases' instructions under valgrind (cachegrind, one run
// each) instead of timing them: steady on a loaded machine, where wall-clock medians are not.
// The launcher keeps a V8 code cache per command (bin/code-cache.cjs), written by a command's
// first run: the bench keeps it in a cache directory of its own, emptied at the start, and
// every case runs once uncounted before it is measured, so the counts are of runs that use it,
// as a user's runs after the first do. NODE_DISABLE_COMPILE_CACHE=1 npm run bench measures
// without it.
// Usage: npm run bench [-- --runs 15] [--scaling-runs 5] [--quick] [--markdown] [--only startup|scaling] [--filter REGEX] [--instructions]
// A bench, not a test: nothing here runs in the test suite.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeText, envText } from './inputs.mjs';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const work = join(root, '.tmp', 'bench');
export const cacheHome = join(work, 'cache');
const upstream = join(root, '..', 'shared', 'upstream', 'dify-1.16.1', 'docker');
// The launcher (bin/dify-deploy.js in trees from before it became CommonJS, for before/after runs).
const launcher = existsSync(join(root, 'bin', 'dify-deploy.cjs')) ? 'bin/dify-deploy.cjs' : 'bin/dify-deploy.js';
export const cli = (...args) => [launcher, ...args];

function flag(name) {
  return process.argv.includes(name);
}
function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const quick = flag('--quick');
const runs = Number(option('--runs', quick ? 5 : 15));
// A 100k-line validate takes seconds: fewer rounds, still a median of several.
const scalingRuns = Number(option('--scaling-runs', quick ? 3 : 5));
const markdown = flag('--markdown');
const only = option('--only', undefined);
/** Only the cases whose name matches (e.g. --filter compose). */
const filter = new RegExp(option('--filter', ''), 'i');
const instructions = flag('--instructions');

/** Peak RSS of a child: GNU time's %M when it is there, else an exit hook inside the child. */
const gnuTime = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '-e', '0'], { encoding: 'utf8' }).stderr?.trim().match(/^\d+$/);
const RSS_HOOK = `data:text/javascript,import{writeSync}from'node:fs';process.on('exit',()=>{try{writeSync(3,String(process.resourceUsage().maxRSS))}catch{}})`;

export function runOnce(args, accept = [0, 1]) {
  const [command, argv] = gnuTime ? ['/usr/bin/time', ['-f', '%M', process.execPath, ...args]] : [process.execPath, ['--import', RSS_HOOK, ...args]];
  const start = process.hrtime.bigint();
  const r = spawnSync(command, argv, { cwd: root, stdio: ['ignore', 'ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const stderr = r.stderr ?? '';
  if (!accept.includes(r.status)) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${stderr.slice(0, 2000)}`);
  const rssKb = Number(gnuTime ? stderr.trim().split('\n').at(-1) : r.output[3]);
  return { ms, rssMb: rssKb / 1024 };
}

/** Instructions a run executes (valgrind's cachegrind without cache simulation; all threads). */
function instructionsOnce(args, accept = [0, 1]) {
  const r = spawnSync('valgrind', ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', process.execPath, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (!accept.includes(r.status)) throw new Error(`valgrind node ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const refs = /I\s+refs:\s+([\d,]+)/.exec(r.stderr);
  if (!refs) throw new Error(`no instruction count from valgrind for node ${args.join(' ')}`);
  return Number(refs[1].replace(/,/g, ''));
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function render(args) {
  runOnce(cli('render', ...args), [0]);
}

// At 500 QPS the workflow logs outgrow one PostgreSQL unless the spec says so (issue 29's state sizing).
export const COMPOSE_RENDER = ['--tier', '500qps', '--target', 'compose', '--set', 'observability.workflowLogs.acceptLargeDatabase=true', '--out', '.tmp/bench/startup/compose'];

/** Inputs the start-up cases read: a 500qps compose render and a compose + helm render from a spec. */
export function setupStartup() {
  rmSync(join(work, 'startup'), { recursive: true, force: true });
  mkdirSync(join(work, 'startup', 'spec'), { recursive: true });
  writeFileSync(
    join(work, 'startup', 'spec', 'dify-deploy.yaml'),
    'tier: 500qps\ntargets: [compose, helm]\nstorage: { type: s3, bucket: dify-bench, region: eu-west-1, useIam: true }\ndomain: { host: dify.example.com }\nobservability: { workflowLogs: { acceptLargeDatabase: true } }\nredis: { eventBus: { mode: external, url: "redis://events.example.com:6379" } }\n',
  );
  render(COMPOSE_RENDER);
  render(['--config', '.tmp/bench/startup/spec/dify-deploy.yaml', '--out', '.tmp/bench/startup/all']);
}

function startupCases() {
  const cases = [
    { name: '`--help`', args: cli('--help'), target: 2 },
    { name: '`tiers --json`', args: cli('tiers', '--json'), target: 2 },
    { name: '`plan --tier 500qps --json`', args: cli('plan', '--tier', '500qps', '--json'), target: 2 },
    { name: '`render --tier 500qps --target compose`', args: cli('render', ...COMPOSE_RENDER), target: 2 },
    { name: 'render, spec with compose + helm', args: cli('render', '--config', '.tmp/bench/startup/spec/dify-deploy.yaml', '--out', '.tmp/bench/startup/all'), target: 2 },
    { name: '`validate` of that rendered directory', args: cli('validate', '.tmp/bench/startup/all'), target: 3.5 },
    { name: '`validate --helm-values` (rendered values)', args: cli('validate', '--helm-values', '.tmp/bench/startup/all/helm/values.yaml'), target: 3.5 },
  ];
  if (existsSync(join(upstream, '.env.example')))
    cases.push({
      name: "`validate` Dify 1.16.1's `.env.example` + compose",
      args: cli('validate', '--env', join(upstream, '.env.example'), '--compose', join(upstream, 'docker-compose.yaml')),
      target: 3.5,
    });
  else console.log(`skipped: validate of Dify 1.16.1's upstream files (${upstream} not found)`);
  return cases;
}

/** Generated inputs for the scaling table: .env files alone, and compose files beside a 1k-line .env. */
function scalingCases() {
  const dir = join(work, 'scaling');
  rmSync(dir, { recursive: true, force: true });
  const cases = [];
  for (const lines of [1_000, 10_000, 100_000]) {
    const file = join(dir, `env-${lines}`, '.env');
    mkdirSync(join(dir, `env-${lines}`), { recursive: true });
    writeFileSync(file, envText(root, lines));
    cases.push({ name: `\`validate --env\`, ${lines.toLocaleString('en')} lines`, args: cli('validate', '--env', file), ...(lines === 100_000 ? { target: 50, rssTarget: 300 } : {}) });
  }
  const composeCase = (services, envLines) => {
    const sub = join(dir, `compose-${services}-env-${envLines}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'docker-compose.yaml'), composeText(services));
    writeFileSync(join(sub, '.env'), envText(root, envLines));
    return { name: `\`validate\`, compose ${services.toLocaleString('en')} services, .env ${envLines.toLocaleString('en')} lines`, args: cli('validate', sub) };
  };
  for (const services of [10, 100, 1_000]) cases.push({ ...composeCase(services, 1_000), ...(services === 1_000 ? { target: 5 } : {}) });
  // services × variables: memory must follow the input, not the product.
  cases.push(composeCase(1_000, 10_000));
  return cases;
}

/** Round by round: `node -e 0`, then every case once. One warm-up round fills the OS file cache and writes the code caches. */
export function measure(all, rounds) {
  const cases = all.filter((c) => filter.test(c.name));
  const baselineArgs = ['-e', '0'];
  for (const args of [baselineArgs, ...cases.map((c) => c.args)]) runOnce(args);
  const base = [];
  const samples = cases.map(() => []);
  for (let i = 0; i < rounds; i++) {
    base.push(runOnce(baselineArgs));
    cases.forEach((c, j) => samples[j].push(runOnce(c.args)));
  }
  const baseline = { ms: median(base.map((s) => s.ms)), rssMb: median(base.map((s) => s.rssMb)) };
  return {
    baseline,
    rows: cases.map((c, j) => {
      const ms = median(samples[j].map((s) => s.ms));
      const rssMb = Math.max(...samples[j].map((s) => s.rssMb));
      const ratio = ms / baseline.ms;
      const over = (c.target !== undefined && ratio > c.target) || (c.rssTarget !== undefined && rssMb > c.rssTarget);
      return { ...c, ms, ratio, rssMb, over };
    }),
  };
}

/** One valgrind run per case (instruction counts barely move between runs), after one run that writes its code cache; ratios are of `node -e 0`'s count. */
function measureInstructions(all) {
  const cases = all.filter((c) => filter.test(c.name));
  for (const c of cases) runOnce(c.args);
  const baseline = instructionsOnce(['-e', '0']);
  return {
    baseline,
    rows: cases.map((c) => {
      const count = instructionsOnce(c.args);
      const ratio = count / baseline;
      return { ...c, count, ratio, over: c.target !== undefined && ratio > c.target };
    }),
  };
}

function reportInstructions(title, { baseline, rows }) {
  console.log(`\n${title}, instructions (valgrind cachegrind) — \`node -e 0\` ${fmt(baseline / 1e6)} M\n`);
  console.log(table(['case', 'M instructions', '× node -e 0', 'target', ''], rows.map((r) => [r.name, fmt(r.count / 1e6), fmt(r.ratio, 2), r.target === undefined ? '' : `≤ ${r.target}×`, verdict(r)])));
}

function table(headers, rows) {
  if (markdown) return [`| ${headers.join(' | ')} |`, `|${headers.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  const width = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((cell, i) => (i === 0 ? String(cell).padEnd(width[i]) : String(cell).padStart(width[i]))).join('  ');
  return [line(headers), line(width.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const fmt = (n, digits = 0) => n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const verdict = (r) => (r.target === undefined && r.rssTarget === undefined ? '' : r.over ? 'OVER TARGET' : 'ok');

export function report(title, result, rounds) {
  const { baseline, rows } = result;
  console.log(`\n${title} — \`node -e 0\` ${fmt(baseline.ms, 1)} ms, ${fmt(baseline.rssMb)} MB (medians of ${rounds} interleaved rounds)\n`);
  const headers = ['case', 'median ms', '× node -e 0', 'target', 'peak RSS MB', ''];
  console.log(
    table(
      headers,
      rows.map((r) => [
        r.name,
        fmt(r.ms),
        fmt(r.ratio, 2),
        r.target === undefined && r.rssTarget === undefined ? '' : [r.target !== undefined && `≤ ${r.target}×`, r.rssTarget !== undefined && `≤ ${r.rssTarget} MB`].filter(Boolean).join(', '),
        fmt(r.rssMb),
        verdict(r),
      ]),
    ),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}, peak RSS via ${gnuTime ? '/usr/bin/time' : 'an exit hook'}, code cache ${process.env.NODE_DISABLE_COMPILE_CACHE ? 'off' : 'on'}`);
  let over = false;
  // The children's code caches (bin/code-cache.cjs), apart from the user's and from the last bench's.
  rmSync(cacheHome, { recursive: true, force: true });
  process.env.XDG_CACHE_HOME = cacheHome;
  if (only !== 'scaling') {
    setupStartup();
    const result = instructions ? measureInstructions(startupCases()) : measure(startupCases(), runs);
    if (instructions) reportInstructions('Start-up', result);
    else report('Start-up', result, runs);
    over ||= result.rows.some((r) => r.over);
  }
  if (only !== 'startup') {
    const cases = scalingCases();
    const result = instructions ? measureInstructions(cases) : measure(cases, scalingRuns);
    if (instructions) reportInstructions('Scaling', result);
    else report('Scaling', result, scalingRuns);
    over ||= result.rows.some((r) => r.over);
  }
  console.log(`\nload average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  process.exitCode = over ? 1 : 0;
}
