// `dify-deploy init` as a command: the non-interactive paths, the output directory rules,
// cancellation, and the @inquirer prompts it uses in a terminal.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from '@inquirer/testing';
import { parse } from 'dotenv';
import { afterAll, describe, expect, it } from 'vitest';
import { readSpecFile } from '../src/core/spec-file.js';
import { defaultReleaseVersion, tierNames } from '../src/core/data.js';
import { initDeployment } from '../src/commands/init.js';
import { inquirerPrompts, type PromptContext } from '../src/wizard/prompts.js';
import { runCli } from './helpers/cli.js';
import { scriptedPrompts } from './helpers/scripted-prompts.js';

const root = mkdtempSync(join(tmpdir(), 'dify-init-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `out-${++n}`);
const quietIo = { out: () => {}, err: () => {} };

function answersFile(text: string): string {
  const path = join(root, `answers-${++n}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('non-interactive', () => {
  it('without a terminal and without --yes/--answers: exit 2 with a message, nothing written', async () => {
    const out = freshDir();
    const r = await runCli(['init', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/stdin is not a terminal; pass --yes .* or --answers FILE/);
    expect(() => statSync(out)).toThrow();
  });

  it('--yes renders the defaults: dify-deploy.yaml reads back as them, secrets only in 0600 files and never printed', async () => {
    const out = freshDir();
    const r = await runCli(['init', '--yes', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`target compose`);
    const spec = readSpecFile(join(out, 'dify-deploy.yaml'));
    expect([spec.release, spec.tier, spec.database.mode]).toEqual([defaultReleaseVersion(), tierNames()[0], 'bundled']);
    expect(statSync(join(out, 'docker-compose.yaml')).isFile()).toBe(true);
    const env = parse(readFileSync(join(out, '.env'), 'utf8'));
    expect(statSync(join(out, '.env')).mode & 0o777).toBe(0o600);
    expect(env.SECRET_KEY?.length).toBeGreaterThan(20);
    for (const secret of [env.SECRET_KEY, env.DB_PASSWORD]) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('--target all: compose and Helm files, and validate passes them', async () => {
    const out = freshDir();
    const answers = answersFile('tier: 100qps\nstorage: { type: s3, bucket: dify-files, region: eu-west-1, useIam: true }\n');
    const r = await runCli(['init', '--answers', answers, '--target', 'all', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readSpecFile(join(out, 'dify-deploy.yaml')).targets).toEqual(['compose', 'helm']);
    expect(statSync(join(out, 'helm/values.yaml')).isFile()).toBe(true);
    const validate = await runCli(['validate', out]);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
  });

  it('a typed password goes to the 0600 secrets store, not into the spec', async () => {
    const out = freshDir();
    const answers = answersFile('database: { mode: external, host: db.example.com, user: dify, password: hunter2-Long-Pass-9, maxConnections: 500 }\n');
    const r = await runCli(['init', '--answers', answers, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'dify-deploy.yaml'), 'utf8')).not.toContain('hunter2');
    expect(parse(readFileSync(join(out, '.dify-deploy/secrets.env'), 'utf8')).DB_PASSWORD).toBe('hunter2-Long-Pass-9');
    expect(r.stdout).not.toContain('hunter2');
  });

  it('a weak password in the answers file: exit 2 naming the file and field, the value never shown, nothing written', async () => {
    const out = freshDir();
    const answers = answersFile('database: { mode: external, host: db.example.com, user: dify, password: hunter2, maxConnections: 500 }\n');
    const r = await runCli(['init', '--answers', answers, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/answers.*: database\.password: the metadata database password is only 7 characters \(use ≥ 12 random characters\)/);
    expect(r.stdout + r.stderr).not.toContain('hunter2');
    expect(existsSync(join(out, 'dify-deploy.yaml'))).toBe(false);
  });

  it('running init again over its own output keeps the secrets (with --force for the non-empty directory)', async () => {
    const out = freshDir();
    expect((await runCli(['init', '--yes', '--out', out])).code).toBe(0);
    const before = readFileSync(join(out, '.env'), 'utf8');
    expect((await runCli(['init', '--yes', '--out', out, '--force'])).code).toBe(0);
    expect(parse(readFileSync(join(out, '.env'), 'utf8')).SECRET_KEY).toBe(parse(before).SECRET_KEY);
  });

  it('flags answer their questions', async () => {
    const out = freshDir();
    const r = await runCli(['init', '--yes', '--out', out, '--tier', '50qps', '--release', '1.13.3']);
    expect(r.code, r.stderr).toBe(0);
    const spec = readSpecFile(join(out, 'dify-deploy.yaml'));
    expect([spec.tier, spec.release]).toEqual(['50qps', '1.13.3']);
  });

  it('--answers: partial answers, the rest defaults; flags win over the file', async () => {
    const out = freshDir();
    const answers = answersFile(
      ['tier: 100qps', 'vectorStore:', '  type: qdrant', 'database:', '  mode: external', '  host: db.example.com', '  user: dify', '  password: pw-Long-Pass-0123', '  maxConnections: 2000', ''].join('\n'),
    );
    const r = await runCli(['init', '--answers', answers, '--out', out, '--tier', '200qps']);
    expect(r.code, r.stderr).toBe(0);
    const spec = readSpecFile(join(out, 'dify-deploy.yaml'));
    expect(spec.tier).toBe('200qps');
    expect(spec.vectorStore).toMatchObject({ type: 'qdrant', mode: 'bundled' });
    expect(spec.database).toMatchObject({ mode: 'external', host: 'db.example.com', port: 5432, maxConnections: 2000 });
    expect(spec.redis.mode).toBe('bundled');
  });

  it.each([
    ['database:\n  mode: external\n  host: db.example.com\n  port: "54x2"\n', /answers-\d+\.yaml: database\.port: expected an integer 1–65535, got "54x2" \(line 4\)/],
    ['vectorStore:\n  type: qdrnt\n', /vectorStore\.type: expected one of .*got "qdrnt" \(did you mean "qdrant"\?\) \(line 2\)/],
    ['databse:\n  mode: external\n', /databse: unknown key \(did you mean "database"\?\)/],
    ['database:\n  mode: external\n', /database\.host: required/],
    ['tier: [\n', /answers-\d+\.yaml:\d+: YAML syntax error/],
  ])('a bad answers file is exit 2 naming the file, field and line: %j', async (text, message) => {
    const out = freshDir();
    const r = await runCli(['init', '--answers', answersFile(text), '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(() => statSync(out)).toThrow();
  });

  it('a missing answers file, or a directory, is exit 2', async () => {
    expect((await runCli(['init', '--answers', join(root, 'nope.yaml'), '--out', freshDir()])).stderr).toMatch(/nope\.yaml: file not found \(the answers file\)/);
    const r = await runCli(['init', '--answers', root, '--out', freshDir()]);
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/is a directory/)]);
  });

  it('a plan with problems writes nothing and exits 1', async () => {
    const out = freshDir();
    const answers = answersFile('tier: 500qps\ntargets: [compose]\nredis: { eventBus: { mode: external, url: "redis://bus.example.com:6379" } }\ndatabase: { mode: external, host: db.example.com, user: u, password: p-Long-Pass-0123, maxConnections: 100 }\n');
    const r = await runCli(['init', '--answers', answers, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/problem: database/);
    expect(() => statSync(out)).toThrow();
  });
});

describe('the output directory', () => {
  it('non-empty: refused without --force (exit 2, untouched), written into with --force', async () => {
    const out = freshDir();
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const refused = await runCli(['init', '--yes', '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/not empty .*--force/);
    expect(readdirSync(out)).toEqual(['notes.txt']);
    const forced = await runCli(['init', '--yes', '--out', out, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(out)).toContain('dify-deploy.yaml');
  });

  it('interactive, non-empty: asks, and a "no" writes nothing', async () => {
    const out = freshDir();
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const script = scriptedPrompts({ nonEmpty: false });
    const report = await initDeployment({ out }, { io: quietIo, prompts: script.prompts });
    expect(script.question('nonEmpty')!.message).toMatch(/not empty/);
    expect([report.written, report.stopped]).toEqual([false, 'declined']);
    expect(readdirSync(out)).toEqual(['notes.txt']);
  });
});

describe('interactive', () => {
  it('a hand-made .env in the directory: shown as a conflict; replaced only when chosen, keeping its secrets', async () => {
    const out = freshDir();
    mkdirSync(out);
    writeFileSync(join(out, '.env'), 'SECRET_KEY=sk-my-own-live-key\n');
    const quit = scriptedPrompts({ nonEmpty: true, confirm: 'quit' });
    await initDeployment({ out }, { io: quietIo, prompts: quit.prompts });
    expect(quit.question('confirm')!.choices!.map((c) => c.value)).toEqual(['overwrite', 'change', 'quit']);
    expect(readdirSync(out)).toEqual(['.env']);

    const overwrite = scriptedPrompts({ nonEmpty: true, confirm: 'overwrite' });
    const report = await initDeployment({ out }, { io: quietIo, prompts: overwrite.prompts });
    expect(report.written).toBe(true);
    expect(parse(readFileSync(join(out, '.env'), 'utf8')).SECRET_KEY).toBe('sk-my-own-live-key');
  });


  it('shows the plan and the files before asking to write; "quit" writes nothing', async () => {
    const out = freshDir();
    let printed = '';
    const script = scriptedPrompts({ confirm: 'quit' }, (q) => {
      if (q.id === 'confirm') expect(printed).toMatch(/Budget: Server side \(components → PostgreSQL, no pooler\): \d+ connections.*\n[\s\S]*would create\s+dify-deploy\.yaml/);
    });
    const report = await initDeployment({ out }, { io: { out: (t) => (printed += `${t}\n`), err: () => {} }, prompts: script.prompts });
    expect(report.written).toBe(false);
    expect(() => statSync(out)).toThrow();
  });

  it('"change my answers" runs the questions again with the first answers as defaults', async () => {
    const out = freshDir();
    const answers: Record<string, string> = { confirm: 'change', tier: '50qps' };
    const script = scriptedPrompts(answers, (q) => {
      // Second time round: write.
      if (q.id === 'tier' && script.asked.filter((a) => a.id === 'tier').length === 2) {
        expect(q.default).toBe('50qps');
        answers.confirm = 'write';
      }
    });
    const report = await initDeployment({ out }, { io: quietIo, prompts: script.prompts });
    expect(report.written).toBe(true);
    expect(readSpecFile(join(out, 'dify-deploy.yaml')).tier).toBe('50qps');
  });

  it('Ctrl-C at any question: the error propagates and nothing is written', async () => {
    const cancel = Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' });
    for (const at of ['out', 'tier', 'database.mode', 'domain.host', 'confirm']) {
      const out = freshDir();
      const script = scriptedPrompts({}, (q) => {
        if (q.id === at) throw cancel;
      });
      await expect(initDeployment({ ...(at === 'out' ? {} : { out }) }, { io: quietIo, prompts: script.prompts })).rejects.toBe(cancel);
      expect(() => statSync(out)).toThrow();
    }
  });
});

describe('the terminal prompts (@inquirer)', () => {
  /** One question through the real @inquirer prompt, on test streams. */
  const terminal = <K extends 'text' | 'secret'>(kind: K) =>
    ((config: Parameters<Awaited<ReturnType<typeof inquirerPrompts>>[K]>[0], context?: PromptContext) =>
      inquirerPrompts(context).then((p) => p[kind](config as never))) as never;
  /** The prompt draws asynchronously: wait (up to 3 s) for the screen to show `text`. */
  const until = async (screen: () => string, text: string) => {
    for (let i = 0; i < 150 && !screen().includes(text); i++) await new Promise((r) => setTimeout(r, 20));
    return screen();
  };
  const port = (s: string) => (/^\d+$/.test(s) && Number(s) <= 65535) || 'expected an integer 1–65535';

  it('shows the validation message as soon as a bad answer is entered, and takes a corrected one', async () => {
    const { answer, events, getScreen } = await render(terminal('text'), { id: 'database.port', message: 'Database port:', validate: port });
    await until(getScreen, 'Database port:');
    events.type('70000');
    events.keypress('enter');
    expect(await until(getScreen, 'expected an integer')).toContain('expected an integer 1–65535');
    for (let i = 0; i < 5; i++) events.keypress('backspace');
    events.type('5432');
    events.keypress('enter');
    await expect(answer).resolves.toBe('5432');
  });

  it('masks passwords: the typed text never reaches the terminal', async () => {
    const { answer, events, getScreen, getFullOutput } = await render(terminal('secret'), { id: 'database.password', message: 'Database password:', validate: () => true });
    await until(getScreen, 'Database password:');
    events.type('hunter2');
    events.keypress('enter');
    await expect(answer).resolves.toBe('hunter2');
    expect(getFullOutput()).not.toContain('hunter2');
    expect(getFullOutput()).toContain('*******');
  });
});
