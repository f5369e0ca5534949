// The schema rule: the precompiled compose-spec validator is current, and findings on
// compose files, specs and Helm values carry the file and the line of the offending key.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without types
import { OPTIONS, OUTPUT, SCHEMA, generate } from '../scripts/compose-validator.mjs';
import { releaseVersions } from '../src/core/data.js';
import { validate } from '../src/validate/index.js';
import { runCli } from './helpers/cli.js';
import { UPSTREAM, testUpstream } from './helpers/upstream.js';

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dd-schema-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

describe('schema rule', () => {
  it('schemas/compose-spec-validator.cjs is what scripts/compose-validator.mjs generates from the vendored schema', () => {
    expect(readFileSync(OUTPUT, 'utf8') === generate()).toBe(true);
  });

  testUpstream('the validator reports what Ajv compiling the whole schema reports, on upstream compose files with values changed anywhere', () => {
    const compiled = new Ajv(OPTIONS).compile(JSON.parse(readFileSync(SCHEMA, 'utf8')));
    const standalone = createRequire(import.meta.url)(OUTPUT) as typeof compiled;
    const upstream = releaseVersions().map((v) => parse(readFileSync(join(UPSTREAM, `dify-${v}`, 'docker', 'docker-compose.yaml'), 'utf8'), { merge: true }) as unknown);
    /** Every [parent, key] in a value, to change one. */
    const places = (v: unknown, out: [Record<string, unknown>, string][] = []): [Record<string, unknown>, string][] => {
      if (v && typeof v === 'object') for (const [k, child] of Object.entries(v)) (out.push([v as Record<string, unknown>, k]), places(child, out));
      return out;
    };
    const same = (data: unknown) => {
      const ok = compiled(data);
      expect(standalone(data)).toBe(ok);
      expect(standalone.errors ?? null).toEqual(compiled.errors ?? null);
      return ok;
    };
    for (const doc of upstream) expect(same(doc)).toBe(true);
    const changes = fc.array(fc.tuple(fc.nat(), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('', 'x', 7, [], {}, [{}], [1, 1], ['a', 'a']))), { minLength: 1, maxLength: 4 });
    let invalid = 0;
    fc.assert(
      fc.property(fc.nat(upstream.length - 1), changes, (which, edits) => {
        const data = structuredClone(upstream[which]);
        for (const [at, value] of edits) {
          const all = places(data);
          const [parent, key] = all[at % all.length];
          parent[key] = value;
        }
        if (!same(data)) invalid++;
      }),
      { numRuns: 300 },
    );
    expect(invalid).toBeGreaterThan(100); // most changes break the schema: the errors were compared
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
