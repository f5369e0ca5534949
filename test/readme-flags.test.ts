// Issue 25 item 5: the README is a reference per command, and moving its long text to docs/ must
// not lose a flag. Every option commander defines (src/cli.ts, the program --help prints) must
// appear, in the form help shows it (`-c, --config` or `--json`), in that command's own README
// section: the text from its `### \`dify-deploy CMD` heading to the next heading.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli.js';
import { processIo } from '../src/cli/io.js';

const README = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');

/** The README section whose heading starts with `dify-deploy NAME` (release list shares release add's). */
function section(name: string): string {
  const start = README.indexOf(`### \`dify-deploy ${name}`);
  expect(start, `README has no "### \`dify-deploy ${name}" section`).toBeGreaterThanOrEqual(0);
  const next = README.slice(start + 4).search(/\n#{1,3} /);
  return next < 0 ? README.slice(start) : README.slice(start, start + 4 + next);
}

/** Every leaf command with its full name: `plan`, `release add`, … */
function leaves(cmd: Command, prefix = ''): [string, Command][] {
  return cmd.commands.flatMap((c) => {
    const name = `${prefix}${c.name()}`;
    return c.commands.length ? leaves(c, `${name} `) : [[name, c] as [string, Command]];
  });
}

describe('the README documents every command and flag', () => {
  const commands = leaves(buildProgram(processIo, () => {}));

  it('finds the commands', () => {
    expect(commands.map(([n]) => n)).toEqual(expect.arrayContaining(['tiers', 'plan', 'render', 'validate', 'import', 'upgrade', 'release add', 'release list', 'measure', 'init']));
  });

  it.each(commands.map(([n, c]) => [n, c] as const))('%s', (name, cmd) => {
    const text = section(name === 'release list' ? 'release add' : name);
    const missing = cmd.options.filter((o) => !text.includes(o.short ? `${o.short}, ${o.long}` : o.long!)).map((o) => o.flags);
    expect(missing, `flags of "${name}" missing from its README section`).toEqual([]);
  });
});
