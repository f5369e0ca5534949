// The hostile-input probes of issue #24, rerun against the built CLI: every input must end in
// bounded time with exit 2 (bad input) or 1 (findings), never 70, never hang, never print a
// planted secret; and secrets must survive re-renders byte for byte. Prints the figures.
// Not part of the test suite (it takes minutes): `node bench/hostile.mjs`.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseDotenv } from 'dotenv';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'dify-deploy.cjs');
const UPSTREAM = join(ROOT, '..', 'shared', 'upstream', 'dify-1.16.1', 'docker');
const TIMEOUT_MS = 60_000;
const LEAK = 'c2VjcmV0LXRva2Vu-planted';
const work = mkdtempSync(join(tmpdir(), 'dd-hostile-'));
let n = 0;
const fresh = () => {
  const d = join(work, `c${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

/** Runs the CLI under /usr/bin/time for its peak RSS. */
function cli(args, input) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, BIN, ...args], { encoding: 'utf8', timeout: TIMEOUT_MS, input, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 28 });
  const rssKb = Number((r.stderr ?? '').trim().split('\n').pop());
  return { code: r.status, hung: r.error?.code === 'ETIMEDOUT' || r.signal === 'SIGTERM', out: `${r.stdout}${r.stderr}`, rssMb: Number.isFinite(rssKb) ? rssKb / 1024 : 0 };
}

function renderDir(spec = 'tier: 10qps\ntargets: [compose, helm]\nstorage: {type: s3, bucket: b, region: r, useIam: true}\n') {
  const dir = fresh();
  writeFileSync(join(dir, 'dify-deploy.yaml'), spec);
  const r = cli(['render', '--config', join(dir, 'dify-deploy.yaml'), '--out', dir]);
  if (r.code !== 0) throw new Error(`base render failed: ${r.out}`);
  return dir;
}
function plant(dir, file, target) {
  try {
    unlinkSync(join(dir, file));
  } catch {}
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  symlinkSync(target, join(dir, file));
  return dir;
}
const nested = (k) => `${'${A:-'.repeat(k)}x${'}'.repeat(k)}`;
const deep = (k) => Array.from({ length: k }, (_, i) => `${'  '.repeat(i)}a:\n`).join('') + `${'  '.repeat(k)}a: 1\n`;
function aliasCompose(services, vars, merge) {
  const l = ['x-env: &env', ...Array.from({ length: vars }, (_, i) => `  E${i}: "v${i}"`), 'services:', '  api:', '    image: langgenius/dify-api:1.16.1', '    environment: *env'];
  for (let i = 0; i < services; i++) l.push(`  s${i}:`, '    image: busybox', ...(merge ? ['    environment:', '      <<: *env'] : ['    environment: *env']));
  return `${l.join('\n')}\n`;
}
const file = (name, text) => {
  const p = join(fresh(), name);
  writeFileSync(p, text);
  return p;
};
function upstreamDir(extraEnv = '') {
  const d = fresh();
  cpSync(join(UPSTREAM, 'docker-compose.yaml'), join(d, 'docker-compose.yaml'));
  writeFileSync(join(d, '.env'), readFileSync(join(UPSTREAM, '.env.example'), 'utf8') + extraEnv);
  return d;
}

const probes = [
  ['.env -> file outside (a git config with a token)', () => {
    const outside = file('config', `[http]\n\textraheader = AUTHORIZATION: basic ${LEAK}\n`);
    return ['validate', plant(fresh(), '.env', outside)];
  }, [2]],
  ...[['nginx/x.conf', '/dev/zero'], ['nginx/x.conf', '/dev/urandom'], ['helm/extra/a.yaml', '/dev/urandom'], ['README.md', '/dev/zero'], ['.dify-deploy/secrets.env', '/dev/urandom'], ['.env', '/dev/zero']].map(
    ([f, dev]) => [`validate, ${f} -> ${dev}`, () => ['validate', plant(renderDir(), f, dev)], [2]],
  ),
  ['render, .dify-deploy/secrets.env -> /dev/urandom', () => {
    const d = plant(renderDir(), '.dify-deploy/secrets.env', '/dev/urandom');
    return ['render', '--config', join(d, 'dify-deploy.yaml')];
  }, [2]],
  ['validate, .env is a FIFO', () => {
    const d = fresh();
    execFileSync('mkfifo', [join(d, '.env')]);
    return ['validate', d];
  }, [2]],
  ['validate --env /dev/stdin (an open pipe)', () => ['validate', '--env', '/dev/stdin'], [2], ''],
  ['validate, 20 MiB .env', () => ['validate', '--env', file('.env', `A=${'x'.repeat(20 << 20)}\n`)], [2]],
  ['validate, ${A:- nested 8,000 deep in .env', () => ['validate', '--env', file('.env', `A=${nested(8000)}\n`)], [2]],
  ['validate, ${A:- nested 8,000 deep in compose', () => ['validate', '--compose', file('docker-compose.yaml', `services:\n  api:\n    image: langgenius/dify-api:1.16.1\n    environment:\n      X: "${nested(8000)}"\n`)], [2]],
  ['validate --helm-values, recursive alias', () => ['validate', '--helm-values', file('values.yaml', 'api: &a {replicas: 1, extra: *a}\n')], [2]],
  ['validate --helm-values, 2,500 levels', () => ['validate', '--helm-values', file('values.yaml', deep(2500)), '--json'], [2]],
  ['validate --compose, 2,500 levels', () => ['validate', '--compose', file('docker-compose.yaml', `services:\n  api:\n    image: langgenius/dify-api:1.16.1\n    x-deep:\n${deep(2500).replace(/^/gm, '      ')}`), '--json'], [2]],
  ['plan --config, 2,500 levels', () => ['plan', '--config', file('dify-deploy.yaml', `tier: 10qps\nx:\n${deep(2500).replace(/^/gm, '  ')}`), '--json'], [2]],
  ['import, 2,500 levels', () => ['import', '--compose', file('docker-compose.yaml', `services:\n  api:\n    image: langgenius/dify-api:1.16.1\n    x-deep:\n${deep(2500).replace(/^/gm, '      ')}`), '--out', join(fresh(), 'o'), '--json'], [2]],
  ['validate, 3k services x 3k vars through one anchor (alias)', () => ['validate', '--compose', file('docker-compose.yaml', aliasCompose(3000, 3000, false))], [2]],
  ['validate, 3k services x 3k vars through one anchor (merge)', () => ['validate', '--compose', file('docker-compose.yaml', aliasCompose(3000, 3000, true))], [2]],
  ['validate, 5k services x 5k vars through one anchor', () => ['validate', '--compose', file('docker-compose.yaml', aliasCompose(5000, 5000, true))], [2]],
  ['validate, 1k services x 200 vars through one anchor (within the bound)', () => ['validate', '--compose', file('docker-compose.yaml', aliasCompose(1000, 200, true))], [1, 0]],
  ['validate, hostile values: CELERY_WORKER_QUEUES/DB_HOST/REDIS_HOST echo', () => ['validate', upstreamDir(`\nCELERY_WORKER_QUEUES=${LEAK}\nDB_HOST=${LEAK}\nREDIS_HOST=${LEAK}\n`), '--format', 'text'], [1]],
  ['validate --format json, hostile values', () => ['validate', upstreamDir(`\nCELERY_WORKER_QUEUES=${LEAK}\nDB_HOST=${LEAK}\n`), '--format', 'json'], [1]],
  ['validate --format github, hostile values', () => ['validate', upstreamDir(`\nCELERY_WORKER_QUEUES=${LEAK}\nDB_HOST=${LEAK}\n`), '--format', 'github'], [1]],
  ['validate text, env_file path with a newline and ::error', () => {
    const d = upstreamDir();
    const c = readFileSync(join(d, 'docker-compose.yaml'), 'utf8').replace(/^services:\n/m, 'services:\n  evil:\n    image: busybox\n    env_file: ["x\\n::error file=a::pwned.env"]\n');
    writeFileSync(join(d, 'docker-compose.yaml'), c);
    return ['validate', d];
  }, [1, 2], undefined, (out) => out.split('\n').some((l) => l.trimStart().startsWith('::'))],
  ['render, out/nginx -> ../victim', () => {
    const d = fresh();
    mkdirSync(join(work, 'victim'), { recursive: true });
    symlinkSync(join(work, 'victim'), join(d, 'nginx'));
    return ['render', '--tier', '10qps', '--out', d];
  }, [2]],
  ['render, out/.dify-deploy -> ../victim2', () => {
    const d = fresh();
    mkdirSync(join(work, 'victim2'), { recursive: true });
    symlinkSync(join(work, 'victim2'), join(d, '.dify-deploy'));
    return ['render', '--tier', '10qps', '--out', d];
  }, [2]],
  ['render, overrides.env with difyai123456', () => ['render', '--config', file('dify-deploy.yaml', 'tier: 10qps\noverrides:\n  env:\n    DB_PASSWORD: difyai123456\n'), '--out', join(fresh(), 'o')], [2]],
];

let mishandled = 0;
let hangs = 0;
let peak = 0;
for (const [name, make, expected, input, badOutput] of probes) {
  const r = cli(make(), input);
  const leaked = r.out.includes(LEAK) || (badOutput?.(r.out) ?? false);
  const bad = r.hung || !expected.includes(r.code) || leaked;
  if (r.hung) hangs++;
  if (bad) mishandled++;
  peak = Math.max(peak, r.rssMb);
  console.log(`${bad ? 'MISHANDLED' : 'ok        '} exit ${String(r.code).padEnd(4)} ${r.rssMb.toFixed(0).padStart(5)} MB  ${name}${leaked ? ' (leaked a planted value)' : ''}${bad && !r.hung ? `\n            ${r.out.split('\n')[0].slice(0, 200)}` : ''}`);
}

// Secrets byte for byte: an external database password of random bytes from a set rich in what
// .env files treat specially, rendered twice; read back with dotenv.
const SPECIALS = ['#', ' ', "'", '"', '$', '\\', '\n', '`', '=', ':', 'é', '😀', '${X}', ' #'];
let tried = 0;
let refused = 0;
let changed = 0;
for (let i = 0; i < 60; i++) {
  const bytes = randomBytes(12);
  const value = [...bytes].map((b) => (b % 3 === 0 ? SPECIALS[b % SPECIALS.length] : String.fromCharCode(33 + (b % 90)))).join('') + 'z';
  const dir = fresh();
  mkdirSync(join(dir, '.dify-deploy'));
  const spec = join(dir, 'dify-deploy.yaml');
  writeFileSync(spec, `tier: 10qps\ndatabase: {mode: external, host: pg.internal, user: dify, maxConnections: 500, password: ${JSON.stringify(value)}}\n`);
  tried++;
  const first = cli(['render', '--config', spec, '--out', dir]);
  if (first.code === 2) {
    refused++;
    continue;
  }
  const second = cli(['render', '--config', spec, '--out', dir]);
  const env = parseDotenv(readFileSync(join(dir, '.env'), 'utf8'));
  if (first.code !== 0 || second.code !== 0 || env.DB_PASSWORD !== value) changed++;
}
console.log(`\ninputs tried: ${probes.length}; mishandled: ${mishandled}; hangs: ${hangs}; peak RSS: ${peak.toFixed(0)} MB`);
console.log(`secrets: ${tried} random values rendered twice; refused with a message: ${refused}; changed: ${changed}`);
rmSync(work, { recursive: true, force: true });
