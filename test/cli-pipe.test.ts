// The built CLI under a reader that stops early (`dify-deploy validate … | head`): the rest of
// the output is dropped without a stack trace, and the exit code is still the run's own.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'dify-deploy-pipe-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it.each(['text', 'json'])('validate --format %s whose reader closes after the first chunk: exit 1 (findings), no stack trace', async (format) => {
  // Far more output than a pipe holds: one finding per unknown variable.
  const env = join(scratch, `${format}.env`);
  writeFileSync(env, Array.from({ length: 20_000 }, (_, i) => `NOT_A_DIFY_SETTING_${i}=1\n`).join(''));
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'dify-deploy.cjs'), 'validate', '--env', env, '--format', format], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise((resolve) => child.on('close', resolve));
  expect(stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
  expect(code).toBe(1);
});
