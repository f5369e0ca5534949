// The quoting policy of stringifyYaml/yamlText (src/io/yaml-doc.ts) against the real readers:
// the `yaml` library's own YAML 1.1 and 1.2 parsers read back, from what was written, the data
// that was written — over arbitrary data built from the strings YAML treats specially, and the
// multi-line strings whose literal blocks the library writes wrong.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Document, parseAllDocuments, parseDocument } from 'yaml';
import { stringifyYaml, yamlText } from '../src/io/yaml-doc.js';

const readAs = (text: string, version: '1.1' | '1.2') =>
  parseAllDocuments(text, { version }).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS();
  });

/** The data a reader gets back: undefined map values dropped, undefined array items null. */
const asRead = (v: unknown): unknown =>
  Array.isArray(v)
    ? Array.from(v, (x) => (x === undefined ? null : asRead(x)))
    : v && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (x === undefined ? [] : [[k, asRead(x)]])))
      : v;

const hasExponent = (v: unknown): boolean =>
  typeof v === 'number' ? String(v).includes('e') : !!v && typeof v === 'object' && Object.values(v).some(hasExponent);

/** Pieces of strings YAML treats specially: 1.1 and 1.2 non-strings, indicators, quotes, escapes, breaks, document markers. */
const TRAPS = ['off', 'On', 'yes', 'N', '0755', '010', '0b101', '1:30', '190:20:30', '1_000', '2001-12-14', '2001-12-14 21:59:43.10 -5', '~', 'null', 'NULL', '<<', '=', 'true', 'False', '1e3', '.5', '5.', '0x1F', '0o17', '+1', '-1', '.inf', '-.Inf', '.NaN'];
const PIECES = [...TRAPS, 'a', 'b', ' ', '  ', '\t', '\n', '\n\n', '\r', ':', ': ', ' #', '#', '- ', '? ', '-', '?', '[', ']', '{', '}', ',', '"', "'", '\\', '%', '---', '...', '&', '*', '!', '|', '>', '@', '`', 'é', '😀', '\u0085', '\u00a0', '\u2028', 'x'.repeat(45)];
const text = fc.oneof(fc.constantFrom(...TRAPS, ''), fc.string({ unit: fc.constantFrom(...PIECES), maxLength: 6 }));
const scalar = fc.oneof(text, fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null));
const data = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(fc.oneof(tie('node'), fc.constant(undefined)), { maxLength: 4 }),
    fc.dictionary(text, fc.oneof(tie('node'), fc.constant(undefined)), { maxKeys: 4 }),
  ),
})).node;

describe('stringifyYaml: YAML 1.1 and 1.2 readers read back what was written', () => {
  test('property: arbitrary data of special strings, as value, key and whole document', () => {
    fc.assert(
      fc.property(data, (value) => {
        // A YAML 1.1 reader takes the library's 1e+21 for a string (its floats need a dot).
        fc.pre(!hasExponent(value));
        const written = stringifyYaml(value);
        for (const version of ['1.1', '1.2'] as const) expect(readAs(written, version)).toEqual([asRead(value)]);
      }),
      { numRuns: 2000 },
    );
  });

  test.each(PIECES.map((p) => [p]))('%j alone, as key and value, in a list and at the root', (s) => {
    for (const value of [s, { [s]: s }, { k: { [s]: [s, `${s}\n${s}`] } }, [s, [`${s}\n`]], { [`${s}\n`]: ` ${s}\n\n` }])
      for (const version of ['1.1', '1.2'] as const) expect(readAs(stringifyYaml(value), version), JSON.stringify(value)).toEqual([value]);
  });

  test('blank multi-line strings, which the library writes as literal blocks that lose their spaces, are double-quoted', () => {
    for (const s of [' \n', ' \n\n', ' \t\n', '\n \n', ' \n \n', '  \t \n\n']) {
      const written = stringifyYaml([s, { k: s }]);
      expect(written, JSON.stringify(s)).not.toMatch(/[|>]/); // no block scalar
      for (const version of ['1.1', '1.2'] as const) expect(readAs(written, version)).toEqual([[s, { k: s }]]);
    }
  });

  test('a whole-document multi-line string starting with a space is double-quoted', () => {
    for (const s of [' a\nb', '\n a', ' \nabc', ' \n\noff', '\n\n a\n', ' ---\nx']) {
      const written = stringifyYaml(s);
      expect(written, JSON.stringify(s)).toMatch(/^"/);
      for (const version of ['1.1', '1.2'] as const) expect(readAs(written, version), JSON.stringify(s)).toEqual([s]);
      // Nested, the library's block reads back: it stays a block.
      expect(stringifyYaml([s]), JSON.stringify(s)).toMatch(/^- \|/);
    }
    expect(readAs(yamlText(new Document(' a\nb')), '1.1')).toEqual([' a\nb']);
  });

  // stringifyYaml writes a new document without looking for directives; a user's file keeps its own.
  test('a parsed document keeps its %YAML directive and `---`; a new document is written without either', () => {
    expect(yamlText(parseDocument('%YAML 1.1\n---\nkey: value\n'))).toBe('%YAML 1.1\n---\nkey: value\n');
    expect(yamlText(parseDocument('---\nkey: value\n'))).toBe('---\nkey: value\n');
    expect(stringifyYaml({ key: 'value' })).toBe('key: value\n');
  });
});
