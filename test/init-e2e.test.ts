// End to end through a real pseudo-terminal: tmux runs the built binary, the test reads the
// screen and types like a user (arrows, Enter, text, Ctrl-C). Needs tmux (.ci/run installs it);
// under CI a missing tmux fails the test instead of skipping it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'dotenv';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRelease } from '../src/core/data.js';
import { readSpecFile } from '../src/core/spec-file.js';
import { VECTOR_STORES } from '../src/backends/vector-stores.js';

const BIN = resolve('bin/dify-deploy.cjs');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux && process.env.CI === 'true') throw new Error('tmux is required under CI (.ci/run installs it)');

/** A question (part of its message) and the reply: text to type, or keys to send. */
type Step = [question: string, reply: string | string[], refusal?: string, corrected?: string];
const ENTER = ['Enter'];

/** A tmux server of our own (-L) so the test never touches a user's sessions. */
class Terminal {
  private readonly socket = `dify-init-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly statusFile: string;

  constructor(
    readonly cwd: string,
    args: string[],
  ) {
    this.statusFile = join(cwd, '.exit-status');
    const command = `node ${JSON.stringify(BIN)} ${args.join(' ')}; echo $? > ${JSON.stringify(this.statusFile)}`;
    this.tmux('new-session', '-d', '-s', 'init', '-x', '200', '-y', '60', '-c', cwd, command);
    // Keep the pane after the command ends so its last screen can still be read.
    this.tmux('set-option', '-t', 'init', 'remain-on-exit', 'on');
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  }

  /** The whole scrollback, as plain text. */
  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'init');
  }

  private async until(what: string, ok: (screen: string) => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ok(this.screen())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Let the prompt finish drawing and start listening before keys arrive.
    await new Promise((r) => setTimeout(r, 80));
  }

  /** Waits until `text` is on the screen. */
  waitFor(text: string): Promise<void> {
    return this.until(JSON.stringify(text), (s) => s.includes(text));
  }

  /** Waits until the open question (inquirer draws it as "? message") is the one containing `text`. */
  question(text: string): Promise<void> {
    return this.until(`the question ${JSON.stringify(text)}`, (s) => {
      const open = s.split('\n').filter((l) => l.startsWith('? '));
      return open.length > 0 && open[open.length - 1].includes(text);
    });
  }

  /**
   * Answers questions in order. A string is typed and entered; a list is sent as keys. With
   * four elements the first text must be refused with the message, then the last is entered.
   */
  async answer(steps: Step[]): Promise<void> {
    for (const [question, reply, refusal, corrected] of steps) {
      await this.question(question);
      if (typeof reply !== 'string') {
        this.keys(...reply);
        continue;
      }
      this.type(reply);
      this.keys('Enter');
      if (refusal === undefined) continue;
      await this.waitFor(refusal);
      this.keys('C-u');
      this.type(corrected!);
      this.keys('Enter');
    }
  }

  keys(...keys: string[]): void {
    for (const k of keys) this.tmux('send-keys', '-t', 'init', k);
  }

  type(text: string): void {
    this.tmux('send-keys', '-t', 'init', '-l', text);
  }

  async exitCode(timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(this.statusFile) || readFileSync(this.statusFile, 'utf8').trim() === '') {
      if (Date.now() > deadline) throw new Error(`the command did not end; screen:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return Number(readFileSync(this.statusFile, 'utf8').trim());
  }

  close(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}

const root = mkdtempSync(join(tmpdir(), 'dify-init-e2e-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!hasTmux)('init in a real terminal (tmux)', () => {
  // The test drives the built CLI, which test/global-setup.ts builds once for the whole run.

  it('answers every question (external Redis, Qdrant, a domain), writes files that validate', async () => {
    const cwd = mkdtempSync(join(root, 'run-'));
    const term = new Terminal(cwd, ['init']);
    try {
      const release = loadRelease();
      const offered = VECTOR_STORES.filter((v) => release.vectorStores.supported.includes(v.id)).map((v) => v.id);
      const redisPassword = 'r3dis-Pa55word';

      await term.answer([
        ['Directory to write the deployment into', 'deploy/dify'],
        ['Dify release', ENTER],
        ['Traffic tier', ['Down', 'Enter']], // the second tier
        ['Deploy with', ENTER],
        ['Database:', ENTER],
        ['Database engine', ENTER],
        ['Database host vCPUs', ENTER],
        ['Database host memory', ENTER],
        ['Redis:', ['Down', 'Enter']], // external
        ['Redis topology', ENTER], // standalone
        ['Redis host', 'redis bad', 'expected a hostname or IP address', 'redis.internal.example.com'],
        ['Redis port', '99999', 'expected an integer 1–65535', '6380'],
        ['Redis username', ENTER],
        ['Redis password', redisPassword],
        ['Redis database number', ENTER],
        ['over TLS', ENTER],
        ["server's maxclients", ENTER],
        ['Vector store', [...Array<string>(offered.indexOf('qdrant')).fill('Down'), 'Enter']],
        ['Qdrant:', ENTER], // bundled
        ['File storage', ENTER],
        ['Domain name', 'dify.example.com'],
        ['HTTPS', ENTER],
        ['vCPUs of the machine', ENTER],
        ['Its memory in GiB', ENTER],
      ]);
      // "Budget: Server side …", or with PgBouncer on (50qps opens > 500 connections) "Budget: Client side …".
      await term.waitFor('Budget');
      await term.answer([['Write these files to', ENTER]]);
      expect(await term.exitCode()).toBe(0);
      expect(term.screen()).not.toContain(redisPassword);

      const out = join(cwd, 'deploy/dify');
      const specPath = join(out, 'dify-deploy.yaml');
      // The typed password is in the store, so the spec can be committed.
      expect(readFileSync(specPath, 'utf8')).not.toContain(redisPassword);
      expect(parse(readFileSync(join(out, '.dify-deploy/secrets.env'), 'utf8')).REDIS_PASSWORD).toBe(redisPassword);
      const spec = readSpecFile(specPath);
      expect(spec.tier).toBe('50qps');
      expect(spec.redis).toMatchObject({ mode: 'external', host: 'redis.internal.example.com', port: 6380 });
      expect(spec.vectorStore).toMatchObject({ type: 'qdrant', mode: 'bundled' });
      expect(spec.domain.host).toBe('dify.example.com');
      // The answers reach the rendered deployment, and the typed password stays in 0600 files.
      const env = parse(readFileSync(join(out, '.env'), 'utf8'));
      expect(env.REDIS_PASSWORD).toBe(redisPassword);
      expect([env.REDIS_HOST, env.REDIS_PORT, env.VECTOR_STORE]).toEqual(['redis.internal.example.com', '6380', 'qdrant']);
      expect(statSync(join(out, '.env')).mode & 0o777).toBe(0o600);
      expect(statSync(join(out, 'docker-compose.yaml')).isFile()).toBe(true);

      const validate = spawnSync('node', [BIN, 'validate', out], { encoding: 'utf8' });
      expect(validate.status, `${validate.stdout}\n${validate.stderr}`).toBe(0);
    } finally {
      term.close();
    }
  });

  it('Ctrl-C at a question: exit 130 and nothing written', async () => {
    const cwd = mkdtempSync(join(root, 'run-'));
    const term = new Terminal(cwd, ['init', '--out', 'dify']);
    try {
      await term.answer([
        ['Dify release', ENTER],
        ['Traffic tier', ENTER],
      ]);
      await term.question('Deploy with');
      term.keys('C-c');
      expect(await term.exitCode()).toBe(130);
      expect(term.screen()).toContain('nothing written');
      expect(existsSync(join(cwd, 'dify'))).toBe(false);
    } finally {
      term.close();
    }
  });

  it('Ctrl-C at the final confirmation: exit 130 and nothing written', async () => {
    const cwd = mkdtempSync(join(root, 'run-'));
    const term = new Terminal(cwd, ['init', '--out', 'dify', '--tier', '10qps', '--release', loadRelease().version, '--target', 'compose']);
    try {
      const questions = ['Database:', 'Database engine', 'Database host vCPUs', 'Database host memory', 'Redis:', 'Vector store', 'Weaviate:', 'File storage', 'Domain name', 'HTTPS', 'vCPUs of the machine', 'Its memory'];
      await term.answer(questions.map((q) => [q, ENTER]));
      await term.question('Write these files to');
      term.keys('C-c');
      expect(await term.exitCode()).toBe(130);
      expect(existsSync(join(cwd, 'dify'))).toBe(false);
    } finally {
      term.close();
    }
  });
});
