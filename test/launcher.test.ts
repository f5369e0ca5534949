// What the launcher (bin/dify-deploy.cjs) brings up before the CLI runs: every command is a
// cold start, so Node's ES module loader (an ES module entry) stays out of every run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'dify-deploy-launcher-'));
// 100qps asks where the workflow logs go (docs/state-sizing.md); this test is about module loading.
const ACCEPT_LOGS = 'observability.workflowLogs.acceptLargeDatabase=true';
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Node's built-in modules a run of the CLI loaded, as process.moduleLoadList names them. */
function builtinsLoaded(args: string[]): string[] {
  const list = join(scratch, 'modules.json');
  const hook = join(scratch, 'hook.cjs');
  writeFileSync(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(process.moduleLoadList)));`);
  const r = spawnSync(process.execPath, ['--require', hook, join(ROOT, 'bin', 'dify-deploy.cjs'), ...args], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(readFileSync(list, 'utf8')) as string[]).filter((m) => m.startsWith('NativeModule '));
}

it.each([[['--help']], [['plan', '--tier', '100qps', '--set', ACCEPT_LOGS, '--json']], [['render', '--tier', '100qps', '--set', ACCEPT_LOGS, '--target', 'compose', '--out', join(scratch, 'out')]]])(
  '%j does not load the ES module loader',
  (args) => {
    const loaded = builtinsLoaded(args);
    expect(loaded).toContain('NativeModule fs'); // the hook saw the run
    expect(loaded.filter((m) => /internal\/modules\/esm\/(module_job|translators)/.test(m))).toEqual([]);
  },
);
