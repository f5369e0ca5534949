// Bounded work on hostile input: nesting, alias expansion and ${…} interpolation depth have limits,
// and going past one is bad input (exit 2, naming file and line), never an internal error (exit 70).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_ALIAS_EXPANSION } from '../src/io/yaml-walk.js';
import { MAX_INTERPOLATION_DEPTH } from '../src/validate/env-file.js';
import { runCli } from './helpers/cli.js';

const file = (name: string, text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'dd-bounded-')), name);
  writeFileSync(path, text);
  return path;
};
const API = 'services:\n  api:\n    image: langgenius/dify-api:1.16.1\n';
const nested = (n: number) => `${'${A:-'.repeat(n)}x${'}'.repeat(n)}`;
const deepBlock = (n: number) => Array.from({ length: n }, (_, i) => `${'  '.repeat(i)}a:\n`).join('') + `${'  '.repeat(n)}a: 1\n`;

describe('limits are exit 2 with file and line', () => {
  it('a Helm values alias inside its own anchor (a recursive alias)', async () => {
    const path = file('values.yaml', 'api: &a {replicas: 1, extra: *a}\n');
    const r = await runCli(['validate', '--helm-values', path]);
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/values\.yaml:1: the alias \*a .*inside the node its anchor marks/)]);
  });

  it(`\${A:- nested 8,000 deep, in .env and in compose (limit ${MAX_INTERPOLATION_DEPTH})`, async () => {
    const env = file('.env', `X=1\nA=${nested(8000)}\n`);
    const r = await runCli(['validate', '--env', env]);
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/\.env:2: \$\{…\} defaults nest more than 32 deep/)]);
    const compose = file('docker-compose.yaml', `${API}    environment:\n      X: "${nested(8000)}"\n`);
    const c = await runCli(['validate', '--compose', compose]);
    expect([c.code, c.stderr]).toEqual([2, expect.stringMatching(/docker-compose\.yaml:5: \$\{…\} defaults nest more than 32 deep/)]);
    // Within the limit it is read as compose reads it.
    const ok = file('.env', `A=${nested(MAX_INTERPOLATION_DEPTH)}\n`);
    expect((await runCli(['validate', '--env', ok])).code).not.toBe(2);
  });

  it('2,500 levels of nested mappings in the spec, compose, Helm values and import', async () => {
    const deep = deepBlock(2500);
    const spec = await runCli(['plan', '--config', file('dify-deploy.yaml', `tier: 10qps\nx: \n${deep.replace(/^/gm, '  ')}`), '--json']);
    expect(spec.code).toBe(2);
    const compose = file('docker-compose.yaml', `${API}    x-deep:\n${deep.replace(/^/gm, '      ')}`);
    for (const args of [['validate', '--compose', compose], ['validate', '--helm-values', file('values.yaml', deep)], ['import', '--compose', compose, '--out', join(tmpdir(), `dd-b-${process.pid}`)]]) {
      const r = await runCli([...args, '--json']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(JSON.parse(r.stdout).ok ?? false).toBe(false);
    }
  });

  it(`3,000 services sharing 3,000 variables through one anchor: past ${MAX_ALIAS_EXPANSION.toLocaleString('en')} copied nodes`, async () => {
    const lines = ['x-env: &env', ...Array.from({ length: 3000 }, (_, i) => `  E${i}: "v${i}"`), API.trimEnd(), '    environment: *env'];
    for (let i = 0; i < 3000; i++) lines.push(`  s${i}:`, '    image: busybox', '    environment:', '      <<: *env');
    const r = await runCli(['validate', '--compose', file('docker-compose.yaml', `${lines.join('\n')}\n`)]);
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/docker-compose\.yaml:\d+: aliases in the compose file stand for more than 1,000,000 copied nodes/)]);
  });
});
