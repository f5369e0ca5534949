// The schema rule: the precompiled compose-spec validator is current, and findings on
// compose files, specs and Helm values carry the file and the line of the offending key.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without types
import { OUTPUT, generate } from '../scripts/compose-validator.mjs';
import { validate } from '../src/validate/index.js';
import { runCli } from './helpers/cli.js';

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dd-schema-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

describe('schema rule', () => {
  it('schemas/compose-spec-validator.cjs is what scripts/compose-validator.mjs generates from the vendored schema', () => {
    expect(readFileSync(OUTPUT, 'utf8') === generate()).toBe(true);
  });

  it('a compose file that breaks the Compose Specification: finding at the key, with its line', async () => {
    const compose = ['services:', '  api:', '    image: langgenius/dify-api:1.16.1', '    restart: always', '    networks: [default]', '    environment: 5', '    bogus_key: 1', ''].join('\n');
    const dir = dirWith({ 'docker-compose.yaml': compose, '.env': '' });
    const report = await validate({ dir });
    const schema = report.diagnostics.filter((d) => d.rule === 'schema');
    const lines = schema.map((d) => d.line).sort();
    expect(lines).toEqual(expect.arrayContaining([6, 7]));
    expect(schema.every((d) => d.file === join(dir, 'docker-compose.yaml'))).toBe(true);
    expect(schema.find((d) => d.line === 7)?.message).toContain('bogus_key');
  });

  it('a spec with a wrong type and a misspelt key is bad input: exit 2, both fields named with their lines', async () => {
    const dir = dirWith({ 'dify-deploy.yaml': 'tier: 100qps\ndatabase:\n  port: "54x2"\nvectorStroe: qdrant\n' });
    const r = await runCli(['validate', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/database\.port: .*\(line 3\)/);
    expect(r.stderr).toMatch(/vectorStroe: .*vectorStore.*\(line 4\)/);
    expect(r.stdout).toBe('');
  });

  it('Helm values: a misspelt key is reported at its line with the chart', async () => {
    const path = join(dirWith({}), 'values.yaml');
    writeFileSync(path, 'image:\n  api:\n    tag: "1.16.1"\napi:\n  replicass: 3\n');
    const report = await validate({ helmValues: path });
    const finding = report.diagnostics.find((d) => d.rule === 'schema' && d.message.includes('replicass'));
    expect(finding).toMatchObject({ file: path, line: 5, severity: 'error' });
    expect(report.release.version).toBe('1.16.1');
  });
});
