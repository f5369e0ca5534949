// The .env reader: dotenv's values with the line each key is set on, whatever the file's
// line endings, BOM, `export` prefixes, quotes and comments; and Compose interpolation.
import fc from 'fast-check';
import { parse } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interpolate, parseEnvText } from '../src/validate/env-file.js';
import { runCli } from './helpers/cli.js';

describe('parseEnvText', () => {
  it('maps each key to its line through CRLF, BOM, export, quotes and comments', () => {
    const text = '\uFEFF# head\r\nA=1\r\n\r\nexport B="x # not a comment"\r\nC=\'multi\r\nline\'\r\nD=plain # comment\r\nA=2\r\n';
    const env = parseEnvText(text, '.env');
    expect(env.values).toEqual({ A: '2', B: 'x # not a comment', C: 'multi\nline', D: 'plain' });
    expect(env.lines).toEqual({ A: 8, B: 4, C: 5, D: 7 });
  });

  it('property: values equal dotenv, and every key sits on the line the generator put it', () => {
    const key = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,12}$/);
    const value = fc.oneof(fc.stringMatching(/^[a-z0-9./:-]{0,20}$/), fc.stringMatching(/^[a-z #]{0,12}$/).map((v) => `"${v}"`));
    const line = fc.oneof(
      fc.tuple(key, value, fc.boolean()).map(([k, v, exp]) => ({ key: k, text: `${exp ? 'export ' : ''}${k}=${v}` })),
      fc.constantFrom({ key: undefined, text: '' }, { key: undefined, text: '# comment' }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 25 }), fc.boolean(), fc.boolean(), (lines, crlf, bom) => {
        const text = (bom ? '\uFEFF' : '') + lines.map((l) => l.text).join(crlf ? '\r\n' : '\n');
        const env = parseEnvText(text, '.env');
        expect(env.values).toEqual(parse(text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n')));
        for (const k of Object.keys(env.values)) {
          const last = lines.map((l) => l.key).lastIndexOf(k);
          expect(env.lines[k]).toBe(last + 1);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseEnvText reads values exactly as dotenv', () => {
  it('property: quotes of every kind, escapes, multi-line values, `KEY: value`, comments, odd keys', () => {
    const key = fc.oneof(fc.stringMatching(/^[A-Za-z_][\w.-]{0,10}$/), fc.constantFrom('constructor', 'toString', 'hasOwnProperty'));
    const chars = (quote: string) => fc.stringMatching(new RegExp(`^[a-z #=$\\\\n'"\`\n]{0,14}$`)).map((v) => v.split(quote).join(''));
    const value = fc.oneof(
      fc.stringMatching(/^[a-z0-9 ./:${}=-]{0,16}$/),
      chars("'").map((v) => `'${v}'`),
      chars('"').map((v) => `"${v}"`),
      chars('`').map((v) => `\`${v}\``),
      fc.tuple(fc.stringMatching(/^[a-z]{0,6}$/), fc.stringMatching(/^[ a-z#]{0,8}$/)).map(([v, c]) => `${v} #${c}`),
    );
    const line = fc.oneof(
      fc.tuple(key, fc.constantFrom('=', ' = ', ': ', '='), value, fc.constantFrom('', 'export ', '  ')).map(([k, sep, v, pre]) => `${pre}${k}${sep}${v}`),
      fc.constantFrom('', '# comment', '   ', 'not an assignment'),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), fc.boolean(), (lines, crlf) => {
        const text = lines.join(crlf ? '\r\n' : '\n');
        expect({ ...parseEnvText(text, '.env').values }).toEqual(parse(text.replace(/\r\n/g, '\n')));
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps `__proto__` as a variable (dotenv, writing into a plain object, drops it)', () => {
    const env = parseEnvText('__proto__=x\nA=1\n', '.env');
    expect(Object.keys(env.values)).toEqual(['__proto__', 'A']);
    expect(env.values.__proto__).toBe('x');
    expect(env.lines.__proto__).toBe(1);
  });
});

describe('interpolate (Compose rules)', () => {
  const vars = { SET: 'v', EMPTY: '' };
  it.each([
    ['${SET}', 'v'],
    ['$SET/x', 'v/x'],
    ['${UNSET:-d}', 'd'],
    ['${EMPTY:-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${UNSET-d}', 'd'],
    ['${SET:+alt}', 'alt'],
    ['${UNSET:+alt}', ''],
    ['$${SET}', '${SET}'],
    ['${UNSET:-${SET}}', 'v'],
    ["postgres -c 'max_connections=${N:-100}'", "postgres -c 'max_connections=100'"],
    ['${UNCLOSED', '${UNCLOSED'],
  ])('%s → %s', (raw, expected) => {
    expect(interpolate(raw, vars)).toBe(expected);
  });
});

describe('${VAR:?err} with VAR unset or empty (Compose refuses to start)', () => {
  it('interpolate names the variable; a set one is not named', () => {
    for (const [text, vars, named] of [
      ['${X:?need X}', {}, ['X']],
      ['${X:?need X}', { X: '' }, ['X']],
      ['${X?need X}', { X: '' }, []],
      ['${X?need X}', {}, ['X']],
      ['a${X:?e}b${Y:-${Z:?e}}', { X: '1' }, ['Z']],
      ['${X:?e}', { X: 'v' }, []],
    ] as const) {
      const required: string[] = [];
      interpolate(text, vars, undefined, 0, required);
      expect(required, text).toEqual(named);
    }
  });

  it('validate reports it at the line, without the error text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dd-required-'));
    writeFileSync(join(dir, 'docker-compose.yaml'), 'services:\n  api:\n    image: langgenius/dify-api:1.16.1\n    environment:\n      DB_HOST: ${DB_HOST:?secret-looking-hint}\n');
    writeFileSync(join(dir, '.env'), 'SECRET_KEY=x\n');
    const r = await runCli(['validate', dir, '--format', 'json']);
    const found = JSON.parse(r.stdout).diagnostics.filter((d: { message: string }) => /requires DB_HOST/.test(d.message));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', line: 5 });
    expect(r.stdout).not.toContain('secret-looking-hint');
  });
});
