// The messages a first-time operator reads: one line naming the flag, file, field or line, no
// zod or duplicated text, JSON when JSON was asked for, and a dry run that says it wrote nothing.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const specFile = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'dd-msg-')), 'dify-deploy.yaml');
  writeFileSync(file, text);
  return file;
};

describe('flags', () => {
  it('--target swarm names the flag once', async () => {
    const r = await runCli(['plan', '--tier', '10qps', '--target', 'swarm']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('error: --target: expected one of compose, helm');
  });

  it.each([
    [['render', 'dify-deploy.yaml'], /too many arguments for 'render'.*--config FILE/],
    [['plan', 'spec.yaml'], /too many arguments for 'plan'.*--config FILE/],
    [['plan', '--bogus'], /unknown option '--bogus'/],
  ])('%j: the error and a pointer to --help, not the whole help', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(message);
    expect(lines.slice(1)).toEqual(["(add --help for the command's options)"]);
    expect(r.stdout).toBe('');
  });

  it('a one-value flag given twice is refused naming it (commander kept the last silently); --set still repeats', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dd-msg-'));
    writeFileSync(join(dir, 'base.yaml'), 'api:\n  replicas: 3\n');
    writeFileSync(join(dir, 'prod.yaml'), 'worker:\n  replicas: 2\n');
    for (const command of ['validate', 'import']) {
      const r = await runCli([command, '--helm-values', join(dir, 'base.yaml'), '--helm-values', join(dir, 'prod.yaml'), '--out', join(dir, 'out')].slice(0, command === 'import' ? 7 : 5));
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^error: --helm-values given more than once: .*merge them into one/);
      expect(r.stderr).not.toContain('base.yaml');
    }
    expect(readdirSync(dir).sort()).toEqual(['base.yaml', 'prod.yaml']);
    const tier = await runCli(['plan', '--tier', '10qps', '--tier', '50qps', '--json']);
    expect(tier.code).toBe(2);
    expect(JSON.parse(tier.stdout).errors).toEqual(['--tier given more than once: it takes one value; give it once']);
    expect((await runCli(['plan', '--tier', '10qps', '--set', 'storage.type=s3', '--set', 'storage.bucket=b', '--set', 'storage.region=r', '--json'])).code).not.toBe(2);
  });

  it('validate --json is --format json', async () => {
    const file = specFile('tier: 10qps\n');
    const a = await runCli(['validate', '--config', file, '--json']);
    const b = await runCli(['validate', '--config', file, '--format', 'json']);
    expect(a.code).toBe(b.code);
    expect(JSON.parse(a.stdout)).toEqual(JSON.parse(b.stdout));
  });
});

describe('with --json, an exit-2 error is JSON on stdout', () => {
  it.each([
    ['plan', ['plan', '--json', '--config', 'SPEC'], 'tier: [10qps\n'],
    ['render', ['render', '--json', '--config', 'SPEC', '--dry-run'], 'tier: 10qpz\n'],
    ['validate', ['validate', '--json', '--config', 'SPEC'], 'tier: [x\n'],
    ['a bad flag', ['plan', '--json', '--tier', '10qps', '--target', 'swarm'], ''],
    ['an unknown option', ['plan', '--json', '--bogus'], ''],
  ])('%s', async (_what, args, text) => {
    const file = specFile(text);
    const r = await runCli(args.map((a) => (a === 'SPEC' ? file : a)));
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: false, exitCode: 2 });
    expect(doc.errors.length).toBeGreaterThan(0);
    expect(r.stderr).toBe('');
  });
});

describe('spec errors', () => {
  it('an unknown key on line 2 is line 2, in plan and validate', async () => {
    const file = specFile('tier: 10qps\nbogus: 1\n');
    expect((await runCli(['plan', '--config', file])).stderr).toMatch(/bogus: unknown key.*\(line 2\)/);
    const v = await runCli(['validate', '--config', file, '--json']);
    expect(v.code).toBe(2);
    expect(JSON.parse(v.stdout).errors[0]).toMatch(/bogus: unknown key.*\(line 2\)/);
  });

  it.each([
    ['qps: "x"\n', 'qps'],
    ['tier: 10qps\ndatabase: { maxConnections: "many" }\n', 'database.maxConnections'],
    ['tier: 10qps\ntargets: compose\n', 'targets'],
    ['tier: 10qps\nrecovery: { rpoMinutes: 1.5 }\n', 'recovery.rpoMinutes'],
  ])('%j: names the field, no raw zod text', async (text, field) => {
    const r = await runCli(['plan', '--config', specFile(text)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`: ${field}: `);
    expect(r.stderr).not.toMatch(/Expected \w+, received \w+|Invalid input/);
  });

  it('a YAML error is printed once', async () => {
    const r = await runCli(['plan', '--config', specFile('tier: [10qps\n')]);
    expect(r.stderr.match(/YAML syntax error/g)).toHaveLength(1);
  });
});

describe('dry run', () => {
  const statuses = (stdout: string, key = 'files') => [...new Set((JSON.parse(stdout)[key] as { status: string }[]).map((f) => f.status))].sort();

  it('says what it would write, never "created", per file and in the tally', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dd-dry-'));
    const r = await runCli(['render', '--tier', '10qps', '--out', out, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/would create \d+/);
    expect(r.stdout).not.toMatch(/\d+ created/);
    expect(r.stdout).toMatch(/^ {2}would create +docker-compose\.yaml$/m);
    expect(r.stdout).not.toMatch(/^ {2}create /m);
  });

  it('--json: statuses say wouldCreate / wouldChange, never created / changed; a real write says created', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dd-dry-json-'));
    const dry = await runCli(['render', '--tier', '10qps', '--out', out, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(statuses(dry.stdout)).toEqual(['wouldCreate']);
    expect(readdirSync(out)).toEqual([]);

    const written = await runCli(['render', '--tier', '10qps', '--out', out, '--json']);
    expect(written.code, written.stderr).toBe(0);
    expect(statuses(written.stdout)).toEqual(['created']);

    // A different tier over the same directory: some files would change, the rest stay.
    const again = await runCli(['render', '--tier', '50qps', '--out', out, '--dry-run', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(statuses(again.stdout)).toContain('wouldChange');
    expect(statuses(again.stdout)).not.toContain('changed');
    const text = await runCli(['render', '--tier', '50qps', '--out', out, '--dry-run']);
    expect(text.stdout).toMatch(/^ {2}would update +docker-compose\.yaml$/m);
    expect(text.stdout).toMatch(/would create \d+, update [1-9]\d*, leave \d+ unchanged/);
  });

  it('a write refused for an edited file reports the rest as what it would do', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dd-dry-refused-'));
    expect((await runCli(['render', '--tier', '10qps', '--out', out])).code).toBe(0);
    writeFileSync(join(out, 'docker-compose.yaml'), '# edited\n');
    const r = await runCli(['render', '--tier', '50qps', '--out', out, '--json']);
    expect(r.code).toBe(1);
    expect(statuses(r.stdout)).toContain('conflict');
    expect(statuses(r.stdout).filter((s) => s === 'created' || s === 'changed')).toEqual([]);
  });
});

describe('colours', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  const styles = ['red', 'yellow', 'green', 'bold', 'dim', 'underline'] as const;
  /** colors() for a stream with NO_COLOR / FORCE_COLOR set as given (else unset), the environment restored after. */
  async function colorsWith(stream: NodeJS.WriteStream, vars: { NO_COLOR?: string; FORCE_COLOR?: string }) {
    const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR };
    const set = (v: Record<string, string | undefined>) => {
      for (const [k, x] of Object.entries(v)) if (x === undefined) delete process.env[k];
      else process.env[k] = x;
    };
    set({ NO_COLOR: vars.NO_COLOR, FORCE_COLOR: vars.FORCE_COLOR });
    try {
      const { colors } = await import('../src/cli/io.js');
      return await colors(stream);
    } finally {
      set(saved);
    }
  }

  it('off on a pipe and with NO_COLOR: every style gives the text as it is', async () => {
    for (const c of [await colorsWith(pipe, {}), await colorsWith(tty, { NO_COLOR: '1' })]) for (const s of styles) expect(c[s]('text'), s).toBe('text');
  });

  it("on on a TTY, and with FORCE_COLOR on a pipe: chalk's ANSI styles", async () => {
    const { Chalk } = await import('chalk');
    const chalk = new Chalk({ level: 1 });
    for (const c of [await colorsWith(tty, {}), await colorsWith(pipe, { FORCE_COLOR: '1' })])
      for (const s of styles) {
        expect(c[s]('text'), s).toBe(chalk[s]('text'));
        expect(c[s]('text'), s).not.toBe('text');
      }
  });
});
