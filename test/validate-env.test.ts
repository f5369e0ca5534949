// The .env reader: Docker Compose's values (an oracle written apart from src/,
// test/helpers/compose-dotenv.ts) with the line each key is set on, whatever the file's line
// endings, BOM, `export` prefixes, quotes and comments; and Compose interpolation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interpolate, parseEnvText } from '../src/validate/env-file.js';
import { projectVars } from '../src/validate/deployment.js';
import { UserError } from '../src/io/errors.js';
import { parseComposeEnv } from './helpers/compose-dotenv.js';
import { runCli } from './helpers/cli.js';

/** What a container gets from the file: the reader's values, interpolated as Compose does. */
const composeValues = (text: string) => ({ ...projectVars(parseEnvText(text, '.env')) });

describe('parseEnvText', () => {
  it('maps each key to its line through CRLF, BOM, export, quotes and comments', () => {
    const text = '\uFEFF# head\r\nA=1\r\n\r\nexport B="x # not a comment"\r\nC=\'multi\r\nline\'\r\nD=plain # comment\r\nA=2\r\n';
    const env = parseEnvText(text, '.env');
    // Compose keeps a carriage return inside quotes (it trims one only at the end of an unquoted value).
    expect(env.values).toEqual({ A: '2', B: 'x # not a comment', C: 'multi\r\nline', D: 'plain' });
    expect(env.lines).toEqual({ A: 8, B: 4, C: 5, D: 7 });
  });

  it('reads a value as Docker Compose does where dotenv differs: `#` inside a word, escapes in double quotes', () => {
    const text = 'DB_PASSWORD=Kx9#mQ2vLr8pZt4w\nA="say \\"hi\\""\nB="c:\\\\dir"\nC="cost \\$5"\nD="tab\\there"\nE=`tick`\nF=a #comment\n';
    expect(composeValues(text)).toEqual({ DB_PASSWORD: 'Kx9#mQ2vLr8pZt4w', A: 'say "hi"', B: 'c:\\dir', C: 'cost $5', D: 'tab\there', E: '`tick`', F: 'a' });
    expect(composeValues(text)).toEqual({ ...parseComposeEnv(text) });
  });

  it('a line Docker Compose refuses is bad input naming the file and line', () => {
    for (const [text, line, problem] of [
      ['A=1\nnot an assignment\n', 2, /cannot contain a space/],
      ['A=1\n\nB="never closed\nC=3\n', 3, /quoted value of B is never closed/],
      ['A=1\nB!=2\n', 2, /unexpected character "!"/],
    ] as const) {
      const e = (() => {
        try {
          parseEnvText(text, 'docker/.env');
        } catch (err) {
          return err;
        }
      })();
      expect(e, text).toBeInstanceOf(UserError);
      expect((e as UserError).lines).toHaveLength(1);
      expect((e as UserError).lines[0]).toMatch(new RegExp(`^docker/\\.env:${line}: `));
      expect((e as UserError).lines[0]).toMatch(problem);
      expect(() => parseComposeEnv(text), 'Docker Compose refuses it too').toThrow();
    }
  });

  it('property: values equal Docker Compose\'s, and every key sits on the line the generator put it', () => {
    const key = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,12}$/);
    const value = fc.oneof(fc.stringMatching(/^[a-z0-9./:#-]{0,20}$/), fc.stringMatching(/^[a-z #]{0,12}$/).map((v) => `"${v}"`));
    const line = fc.oneof(
      fc.tuple(key, value, fc.boolean()).map(([k, v, exp]) => ({ key: k, text: `${exp ? 'export ' : ''}${k}=${v}` })),
      fc.constantFrom({ key: undefined, text: '' }, { key: undefined, text: '# comment' }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 25 }), fc.boolean(), fc.boolean(), (lines, crlf, bom) => {
        const text = (bom ? '\uFEFF' : '') + lines.map((l) => l.text).join(crlf ? '\r\n' : '\n');
        const env = parseEnvText(text, '.env');
        expect(composeValues(text)).toEqual({ ...parseComposeEnv(text) });
        for (const k of Object.keys(env.values)) {
          const last = lines.map((l) => l.key).lastIndexOf(k);
          expect(env.lines[k]).toBe(last + 1);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseEnvText reads values exactly as Docker Compose', () => {
  it('property: quotes of every kind, escapes, multi-line values, `KEY: value`, comments, odd keys, `$` references; refuses what Compose refuses', () => {
    const key = fc.oneof(fc.stringMatching(/^[A-Za-z_][\w.-]{0,10}$/), fc.constantFrom('constructor', 'toString', 'hasOwnProperty', 'KEY'));
    const chars = (quote: string) => fc.stringMatching(new RegExp(`^[a-z #=$\\\\n'"\`{}0-8\n]{0,14}$`)).map((v) => v.split(quote).join(''));
    const value = fc.oneof(
      fc.stringMatching(/^[a-z0-9 ./:#${}=-]{0,16}$/),
      chars("'").map((v) => `'${v}'`),
      chars('"').map((v) => `"${v}"`),
      chars('`').map((v) => `\`${v}\``),
      fc.tuple(fc.stringMatching(/^[a-z]{0,6}$/), fc.stringMatching(/^[ a-z#]{0,8}$/)).map(([v, c]) => `${v} #${c}`),
    );
    const line = fc.oneof(
      fc.tuple(key, fc.constantFrom('=', ' = ', ': ', '='), value, fc.constantFrom('', 'export ', '  ')).map(([k, sep, v, pre]) => ({ key: k, text: `${pre}${k}${sep}${v}` })),
      fc.constantFrom('', '# comment', '   ', 'not an assignment', 'NAME_ALONE').map((text) => ({ key: undefined, text })),
    );
    // One assignment per name: Compose interpolates each value as it reads it, so a name assigned
    // twice gives a reference between the two the first value (the reader's values are the last ones).
    const unique = (lines: { key?: string; text: string }[]) => lines.filter((l, i) => l.key === undefined || lines.findIndex((m) => m.key === l.key) === i);
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }).map(unique), fc.boolean(), (lines, crlf) => {
        const text = lines.map((l) => l.text).join(crlf ? '\r\n' : '\n') + '\n';
        let expected: Record<string, string> | Error;
        try {
          expected = { ...parseComposeEnv(text) };
        } catch (e) {
          expected = e as Error;
        }
        // Compose rejects a malformed `${` (invalid interpolation format); validate reads it as text.
        if (expected instanceof Error && /invalid interpolation/.test(expected.message)) return;
        if (expected instanceof Error) expect(() => parseEnvText(text, '.env')).toThrow(UserError);
        else expect(composeValues(text)).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps `__proto__` as a variable (a plain object would drop it)', () => {
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
