// Every file dify-deploy writes, read by the programs that consume it, over the release ×
// tier × backend matrix: each YAML file gives the same data to a YAML 1.1 reader (Helm,
// Kubernetes, PyYAML, docker-compose v1) as to a YAML 1.2 one; the compose file, interpolated
// the way `docker compose` does against the rendered .env, has every variable it needs.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseDotenv } from 'dotenv';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { stringifyYaml, yaml11PlainType } from '../src/io/yaml-doc.js';
import { renderFiles } from '../src/render/index.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { interpolate, interpolateAll } from './helpers/compose-interpolate.js';
import { matrix } from './helpers/matrix.js';

const readAs = (text: string, version: '1.1' | '1.2') => parseAllDocuments(text, { version }).map((d) => {
  expect(d.errors).toEqual([]);
  return d.toJS();
});

/** Scalars YAML 1.1 resolves to something else than the string (bool, null, octal, sexagesimal, underscores, timestamps …). */
const TRAPS = ['no', 'No', 'NO', 'off', 'Off', 'on', 'ON', 'yes', 'Yes', 'y', 'Y', 'n', 'N', '~', 'null', 'Null', '', '0755', '010', '1:30', '190:20:30', '1_000', '0b101', '0x1F', '+12', '.inf', '-.Inf', '.NaN', '1e3', '1.5', '2001-12-14', '2001-12-14 21:59:43.10 -5', '<<', '0o17', 'true', 'False'];

describe('stringifyYaml: every reader reads what was written', () => {
  test.each(TRAPS)('%j is quoted', (s) => {
    const text = stringifyYaml({ [s]: s, list: [s] });
    for (const v of ['1.1', '1.2'] as const) expect(readAs(text, v)).toEqual([{ [s]: s, list: [s] }]);
  });
  test('YAML 1.1 trap detection', () => {
    expect(['off', 'yes', '~', '0755', '1:30', '1_000', '2001-12-14'].map(yaml11PlainType)).toEqual(['bool', 'bool', 'null', 'int', 'int', 'int', 'timestamp']);
    expect(['always', 'unless-stopped', '100m', 'v1.2.3', '8080/tcp'].map(yaml11PlainType)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
  test('property: arbitrary JSON data round-trips identically under YAML 1.1 and 1.2', () => {
    const scalar = fc.oneof(fc.string(), fc.constantFrom(...TRAPS), fc.integer(), fc.boolean(), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x))); // -0: JSON has no such number
    const key = fc.oneof(fc.string({ minLength: 1 }), fc.constantFrom(...TRAPS.filter((t) => t !== '<<')));
    const data = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(key, tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(data, (value) => {
        const text = stringifyYaml(value);
        const expected = JSON.parse(JSON.stringify(value));
        expect(readAs(text, '1.2')).toEqual([expected]);
        expect(readAs(text, '1.1')).toEqual([expected]);
      }),
      { numRuns: 400 },
    );
  });
});

describe('compose interpolation (the docker compose grammar)', () => {
  const env = { A: 'a', EMPTY: '', PW: 'p$w' };
  test.each([
    ['${A}', 'a'], ['$A-x', 'a-x'], ['$$A', '$A'], ['$${A}', '${A}'], ['${B:-d}', 'd'], ['${EMPTY:-d}', 'd'], ['${EMPTY-d}', ''], ['${B-d}', 'd'],
    ['${A:+alt}', 'alt'], ['${EMPTY:+alt}', ''], ['${EMPTY+alt}', 'alt'], ['${B+alt}', ''], ['${B:-${A}}', 'a'], ['${B:-x${A}y}', 'xay'], ['${PW}', 'p$w'], ['${A:?need A}', 'a'],
  ])('%s → %s', (text, value) => {
    const r = interpolate(text, env);
    expect(r).toEqual({ value, required: [], unresolved: [], invalid: [] });
  });
  test('missing required, unresolved and invalid references are reported', () => {
    expect(interpolate('${B:?set B}', env).required).toEqual(['B: set B']);
    expect(interpolate('${EMPTY:?set it}', env).required).toHaveLength(1);
    expect(interpolate('${EMPTY?set it}', env).required).toEqual([]);
    expect(interpolate('$B ${C}', env).unresolved).toEqual(['B', 'C']);
    expect(interpolate('${A', env).invalid).toHaveLength(1);
    expect(interpolate('${A:x}', env).invalid).toHaveLength(1);
    expect(interpolate('a $ b', env).invalid).toHaveLength(1);
  });
});

const CASES = [...matrix(['compose', 'helm']), ...matrix(['compose']).filter((c) => c.backend.includes('local storage'))];

test('the matrix is broad', () => expect(CASES.length).toBeGreaterThanOrEqual(70));

describe.each(CASES)('$release $tier, $backend', ({ spec, backend }) => {
  const target = backend.includes('local storage') ? 'compose' : 'all';
  // An external database without a password in the spec: the operator put it in the secrets store.
  const { files } = renderFiles(spec, target, resolveSecrets({ DB_PASSWORD: 'store-Db-password-1' }, spec));

  test('every YAML file reads the same under YAML 1.1 and 1.2', () => {
    const yamlFiles = files.filter((f) => /\.ya?ml$/.test(f.path));
    expect(yamlFiles.map((f) => f.path)).toEqual(expect.arrayContaining(['docker-compose.yaml', 'dify-deploy.yaml', ...(target === 'all' ? ['helm/values.yaml', 'helm/extra/migration-job.yaml'] : [])]));
    for (const f of yamlFiles) expect(readAs(f.content, '1.1'), f.path).toEqual(readAs(f.content, '1.2'));
  });

  test('docker compose interpolation: every ${…} resolves against the rendered .env', () => {
    const compose = readAs(files.find((f) => f.path === 'docker-compose.yaml')!.content, '1.2')[0];
    const env = parseDotenv(files.find((f) => f.path === '.env')!.content);
    const results = interpolateAll(compose, env);
    const problems = results.flatMap(({ path, result }) => [
      ...result.required.map((r) => `${path}: required ${r}`),
      ...result.unresolved.map((r) => `${path}: unset ${r}`),
      ...result.invalid.map((r) => `${path}: invalid ${r}`),
    ]);
    expect(problems).toEqual([]);
    // The check has something to check: the file does interpolate from .env.
    expect(JSON.stringify(compose)).toMatch(/\$\{[A-Z_]+\?/);
  });
});

test('YAML is written in one place: no module but io/yaml-doc.ts serialises with the yaml package', () => {
  const src = fileURLToPath(new URL('../src/', import.meta.url));
  const writers = readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && f !== join('io', 'yaml-doc.ts'))
    .filter((f) => /import\s*{[^}]*[\s,{]stringify\b[^}]*}\s*from\s*'yaml'|\bnew Document\(|\.toString\(\s*{\s*lineWidth/.test(readFileSync(join(src, f), 'utf8')));
  expect(writers).toEqual([]);
});
