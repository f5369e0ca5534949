// Counts Dify reads with Python's int(): validate, import and the sizing read them the same way
// (one parse, core/python-int.ts), and a value int() rejects (1e9, 0x10, 1.5) is a finding with its
// file and line, never some other number. The oracle is CPython itself; POSTGRES_MAX_CONNECTIONS=abc
// keeps its budget finding.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pythonInt } from '../src/core/python-int.js';
import { runCli } from './helpers/cli.js';
import { describeUpstream, hardened, UPSTREAM } from './helpers/upstream.js';
import { userDeployment } from './helpers/user-deployments.js';

/** What CPython's int(s) returns for each string (as text, to keep big integers exact), or null when it raises. */
function cpythonInts(inputs: string[]): (string | null)[] {
  const script = 'import json,sys\nout=[]\nfor s in json.load(sys.stdin):\n  try: out.append(str(int(s)))\n  except ValueError: out.append(None)\nprint(json.dumps(out))';
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(inputs), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 is needed as the oracle: ${r.error ?? r.stderr}`);
  return JSON.parse(r.stdout);
}

const asText = (n: number | undefined) => (n === undefined ? null : BigInt(n).toString());

describe('pythonInt reads what Python int() reads', () => {
  it('property: numeric-looking strings, against CPython', () => {
    const piece = fc.constantFrom('0', '1', '7', '9', '10', '_', '+', '-', ' ', '\t', '\n', '\u00a0', '\u0085', '\ufeff', '\u180e', '\u3000', '\x1c', 'e', 'E', 'x', '0x', '.', ',', 'a', 'ab', '٣');
    const inputs = fc.sample(fc.array(piece, { maxLength: 8 }).map((p) => p.join('')), { numRuns: 4000, seed: 24 });
    const oracle = cpythonInts(inputs);
    const mismatches = inputs.filter((s, i) => asText(pythonInt(s)) !== oracle[i]);
    expect(mismatches).toEqual([]);
    expect(oracle.filter((v) => v !== null).length).toBeGreaterThan(200);
  });

  it('every Unicode decimal digit (Nd) CPython knows, alone and between ASCII digits and underscores', () => {
    // Python's docs: int() takes "the digits 0 to 9 or any Unicode equivalent (code points with the Nd property)".
    const r = spawnSync('python3', ['-c', 'import json,sys,unicodedata\nprint(json.dumps([chr(c) for c in range(0x80, 0x110000) if unicodedata.category(chr(c)) == "Nd"]))'], { encoding: 'utf8' });
    const digits: string[] = JSON.parse(r.stdout);
    expect(digits.length).toBeGreaterThan(600);
    const inputs = digits.flatMap((d) => [d, `1${d}`, `${d}_${d}0`, ` -${d}${d} `]);
    const oracle = cpythonInts(inputs);
    expect(oracle.every((v) => v !== null)).toBe(true);
    expect(inputs.filter((s, i) => asText(pythonInt(s)) !== oracle[i])).toEqual([]);
  });

  it('the forms JavaScript reads and Python does not', () => {
    const forms = ['1e9', '0x10', '1.5', '10.', 'Infinity', '0b11', '1_000', ' -3 ', '+4', '007', '1__0', '_1', ''];
    expect(forms.map((s) => asText(pythonInt(s)))).toEqual(cpythonInts(forms));
  });
});

describeUpstream('import reads them as Python does', () => {
  // gunicorn reads `--workers 0_4` as 4: the adopted sizing says 4 processes, and the plan from it is a number.
  it.each(['+4', ' 4 ', '0_4', '٤'])('SERVER_WORKER_AMOUNT=%j: 4 processes per api replica', async (value) => {
    const src = userDeployment('1.16.1', ['sizing']);
    const env = join(src, '.env');
    writeFileSync(env, readFileSync(env, 'utf8').replace(/^SERVER_WORKER_AMOUNT=.*$/m, `SERVER_WORKER_AMOUNT=${value}`));
    const r = await runCli(['import', src, '--out', `${src}-adopted`, '--dry-run', '--json']);
    const report = JSON.parse(r.stdout);
    expect(report.problems).toEqual([]);
    expect(r.code).toBe(0);
    expect(report.componentOverrides.api.processesPerReplica).toBe(4);
  });
});

const FIXTURE = join(UPSTREAM, 'dify-1.13.3', 'docker');

/** Upstream 1.13.3's folder with strong secrets and `extra` set in .env; returns the folder and each variable's .env line. */
function deployment(extra: Record<string, string>): { dir: string; lineOf: (name: string) => number } {
  const dir = mkdtempSync(join(tmpdir(), 'dd-int-'));
  copyFileSync(join(FIXTURE, 'docker-compose.yaml'), join(dir, 'docker-compose.yaml'));
  const text = hardened(readFileSync(join(FIXTURE, '.env.example'), 'utf8'), { REDIS_MAX_CONNECTIONS: '50', ...extra });
  writeFileSync(join(dir, '.env'), text);
  const lines = text.split('\n');
  return { dir, lineOf: (name) => lines.findIndex((l) => l.startsWith(`${name}=`)) + 1 };
}

async function diagnostics(dir: string) {
  const r = await runCli(['validate', dir, '--format', 'json']);
  expect(r.code).not.toBe(70);
  return JSON.parse(r.stdout).diagnostics as { rule: string; severity: string; file: string; line: number; message: string; data: any }[];
}

describeUpstream.concurrent('validate on integers Python would reject', () => {
  it.each([
    ['SERVER_WORKER_AMOUNT', '1e9'],
    ['SQLALCHEMY_POOL_SIZE', '0x10'],
    ['CELERY_WORKER_AMOUNT', '2.5'],
  ])('%s=%s: an integer-variable error at its .env line, and the budget reads the default', async (name, value) => {
    const { dir, lineOf } = deployment({ [name]: value, CELERY_WORKER_POOL: 'prefork' });
    const found = await diagnostics(dir);
    const integer = found.filter((d) => d.rule === 'integer-variable' && d.data.variable === name);
    expect(integer.length).toBeGreaterThan(0);
    for (const d of integer) {
      expect(d).toMatchObject({ severity: 'error', file: join(dir, '.env'), line: lineOf(name) });
      expect(d.message).not.toContain(value);
    }
    const budget = found.find((d) => d.rule === 'connection-budget');
    const formulas = JSON.stringify(budget?.data.breakdown ?? []);
    expect(formulas).not.toMatch(/=(1000000000|16|2)\b|POOL_SIZE (16|1000000000)\b/);
  });

  it.each(['abc', '0x10', '1e3', '010'])('POSTGRES_MAX_CONNECTIONS=%s: a connection-budget error at its line, not dropped', async (value) => {
    const { dir, lineOf } = deployment({ POSTGRES_MAX_CONNECTIONS: value });
    const budget = (await diagnostics(dir)).filter((d) => d.rule === 'connection-budget');
    expect(budget).toHaveLength(1);
    expect(budget[0]).toMatchObject({ severity: 'error', file: join(dir, '.env'), line: lineOf('POSTGRES_MAX_CONNECTIONS') });
    expect(budget[0].message).toContain('POSTGRES_MAX_CONNECTIONS');
  });

  it('a plain POSTGRES_MAX_CONNECTIONS is still read', async () => {
    const { dir } = deployment({ POSTGRES_MAX_CONNECTIONS: '90' });
    const budget = (await diagnostics(dir)).filter((d) => d.rule === 'connection-budget');
    expect(budget.map((d) => d.data.maxConnections)).toEqual([90]);
    expect((await diagnostics(deployment({ SERVER_WORKER_AMOUNT: ' 1_0 ' }).dir)).filter((d) => d.rule === 'integer-variable')).toEqual([]);
  });
});
