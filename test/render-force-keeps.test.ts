// `render --force` over a .env the user edited: their version is kept (0600, in the same
// all-or-nothing step) and the variables the new .env lacks are named — never their values.
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const SECRET_LOOKING = 'v4lue-that-must-not-print';

describe('render --force keeps what it replaces', () => {
  it('a variable added to .env: named in the output, the edited file kept byte for byte', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'dd-force-')), 'dify');
    expect((await runCli(['render', '--tier', '10qps', '--out', out])).code).toBe(0);
    appendFileSync(join(out, '.env'), `MY_ADDED_VAR=${SECRET_LOOKING}\nexport OTHER_ADDED=${SECRET_LOOKING}\n`);
    const edited = readFileSync(join(out, '.env'));

    const refused = await runCli(['render', '--tier', '10qps', '--out', out]);
    expect(refused.code).toBe(1);

    const forced = await runCli(['render', '--tier', '10qps', '--out', out, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('MY_ADDED_VAR, OTHER_ADDED');
    expect(forced.stdout + forced.stderr).not.toContain(SECRET_LOOKING);
    expect(readFileSync(join(out, '.env'), 'utf8')).not.toContain('MY_ADDED_VAR');

    const runs = readdirSync(join(out, '.dify-deploy', 'replaced'));
    expect(runs).toHaveLength(1);
    const kept = join(out, '.dify-deploy', 'replaced', runs[0], '.env');
    expect(forced.stdout).toContain(`.dify-deploy/replaced/${runs[0]}/.env`);
    expect(readFileSync(kept).equals(edited)).toBe(true);
    expect(statSync(kept).mode & 0o777).toBe(0o600);

    // A second forced render over another edit keeps its own copy: the first is not lost.
    writeFileSync(join(out, 'nginx', 'proxy.conf'), '# hand edit\n');
    const json = JSON.parse((await runCli(['render', '--tier', '10qps', '--out', out, '--force', '--json'])).stdout);
    const proxy = json.files.find((f: { path: string }) => f.path === 'nginx/proxy.conf');
    expect(readFileSync(join(out, proxy.keptAs), 'utf8')).toBe('# hand edit\n');
    expect(readFileSync(kept).equals(edited)).toBe(true);
    expect(json.notices.join('\n')).not.toContain('MY_ADDED_VAR');
  });
});
