// The YAML emitter against the yaml library it replaces: the library's own text (a Document,
// strings that any YAML 1.1 or 1.2 schema resolves otherwise double-quoted, and the multi-line
// ones its literal blocks get wrong, lineWidth 0) is the oracle, over every value the renderers
// write across the release × tier × backend matrix and over arbitrary data built from the
// strings YAML treats specially; what is written reads back as the same data under YAML 1.1 and 1.2.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, test, vi } from 'vitest';
import { Document, parseAllDocuments, visit } from 'yaml';
import { stringifyYaml, yamlText } from '../src/core/yaml-doc.js';
import { emitYaml } from '../src/core/yaml-emit.js';
import { renderFiles } from '../src/render/index.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { matrix } from './helpers/matrix.js';

// Every value the renderers hand to stringifyYaml, recorded on the way through.
const written = vi.hoisted(() => [] as unknown[]);
vi.mock('../src/core/yaml-doc.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/core/yaml-doc.js')>();
  return { ...original, stringifyYaml: (value: unknown) => (written.push(value), original.stringifyYaml(value)) };
});

/** Plain scalars the library's YAML 1.1 or 1.2 schema resolves to something other than a string. */
const nonStringTests = (['1.1', '1.2'] as const).flatMap((version) =>
  new Document(null, { version }).schema.tags.flatMap((t) => (t.default && t.tag !== 'tag:yaml.org,2002:str' && 'test' in t && t.test instanceof RegExp ? [t.test] : [])),
);
const readsAsNonString = (s: string) => nonStringTests.some((re) => re.test(s));
/**
 * And the multi-line strings of only spaces, tabs and breaks, which the library's literal block loses (" \n" reads back as "\n");
 * and a whole-document multi-line string whose first line (after blank ones) starts with a space, which the library writes
 * as `|1-` with its lines at column 0 (" a\nb" reads back as "a", " \nabc" is an error).
 */
const mustDoubleQuote = (s: string, root: boolean) =>
  readsAsNonString(s) || (/^[ \t\n]*$/.test(s) && s.includes(' ') && s.includes('\n')) || (root && s.includes('\n') && /^[ \n]*/.exec(s)![0].includes(' '));

/** The library's text: what stringifyYaml wrote before the emitter. */
function oracle(value: unknown): string {
  const doc = new Document(value, { version: '1.2' });
  visit(doc, { Scalar: (_, node) => void (typeof node.value === 'string' && mustDoubleQuote(node.value, node === doc.contents) && (node.type = 'QUOTE_DOUBLE')) });
  return doc.toString({ lineWidth: 0 });
}

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

describe('emitYaml writes the library’s text for every value the renderers write', () => {
  const cases = [...matrix(['compose', 'helm']), ...matrix(['compose']).filter((c) => c.backend.includes('local storage'))];
  const targets = (backend: string) => (backend.includes('local storage') ? (['compose'] as const) : (['compose', 'helm', 'all'] as const));
  test.each(cases)('$release $tier, $backend', ({ spec, backend }) => {
    for (const target of targets(backend)) {
      const { files } = renderFiles(spec, target, resolveSecrets({ DB_PASSWORD: 'store-Db-password-1' }, spec));
      // The hook saw the renderers' values: compose, spec, runbook and (with Helm) values and manifests.
      const values = written.splice(0);
      expect(values.length).toBeGreaterThanOrEqual(target === 'compose' ? 2 : 4);
      expect(files.some((f) => f.path.endsWith('.yaml'))).toBe(true);
      for (const value of values) {
        const expected = oracle(value);
        // Not through the library's fallback: the emitter itself wrote it.
        expect(emitYaml(value, mustDoubleQuote)).toBe(expected);
        expect(stringifyYaml(value)).toBe(expected);
      }
      written.length = 0; // the calls just made
    }
  });
});

/** Pieces of strings YAML treats specially: 1.1 and 1.2 non-strings, indicators, quotes, escapes, breaks, document markers. */
const TRAPS = ['off', 'On', 'yes', 'N', '0755', '010', '0b101', '1:30', '190:20:30', '1_000', '2001-12-14', '2001-12-14 21:59:43.10 -5', '~', 'null', 'NULL', '<<', '=', 'true', 'False', '1e3', '.5', '5.', '0x1F', '0o17', '+1', '-1', '.inf', '-.Inf', '.NaN'];
const PIECES = [...TRAPS, 'a', 'b', ' ', '  ', '\t', '\n', '\n\n', '\r', ':', ': ', ' #', '#', '- ', '? ', '-', '?', '[', ']', '{', '}', ',', '"', "'", '\\', '%', '---', '...', '&', '*', '!', '|', '>', '@', '`', 'é', '😀', '\u0000', '\u0007', '\u001b', '\u0085', '\u00a0', '\u2028', '\ud800', 'x'.repeat(45)];
const text = fc.oneof(
  fc.constantFrom(...TRAPS, ''),
  fc.string({ unit: fc.constantFrom(...PIECES), maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const scalar = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const data = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(fc.oneof(tie('node'), fc.constant(undefined)), { maxLength: 4 }),
    fc.sparseArray(tie('node'), { maxLength: 4 }),
    fc.dictionary(text, fc.oneof(tie('node'), fc.constant(undefined)), { maxKeys: 4 }),
  ),
})).node;

test('blank multi-line strings, which the library writes as literal blocks that lose their spaces, are double-quoted and read back', () => {
  for (const s of [' \n', ' \n\n', ' \t\n', '\n \n', ' \n \n', '  \t \n\n']) {
    const text = stringifyYaml([s, { k: s }]);
    expect(text, JSON.stringify(s)).not.toMatch(/[|>]/); // no block scalar
    for (const version of ['1.1', '1.2'] as const) expect(readAs(text, version)).toEqual([[s, { k: s }]]);
  }
});

test('a whole-document multi-line string starting with a space is double-quoted and reads back', () => {
  for (const s of [' a\nb', '\n a', ' \nabc', ' \n\noff', '\n\n a\n', ' ---\nx']) {
    const text = stringifyYaml(s);
    expect(text, JSON.stringify(s)).toMatch(/^"/);
    for (const version of ['1.1', '1.2'] as const) expect(readAs(text, version), JSON.stringify(s)).toEqual([s]);
    // Nested, the library's block reads back: it stays a block.
    expect(stringifyYaml([s]), JSON.stringify(s)).toMatch(/^- \|/);
  }
  const doc = new Document(' a\nb');
  expect(readAs(yamlText(doc), '1.1')).toEqual([' a\nb']);
});

describe('emitYaml over arbitrary data', () => {
  test('property: the library’s text, and both YAML versions read back the data', () => {
    fc.assert(
      fc.property(data, (value) => {
        const expected = oracle(value);
        expect(emitYaml(value, mustDoubleQuote)).toBe(expected);
        expect(stringifyYaml(value)).toBe(expected);
        // A YAML 1.1 reader takes the library's 1e+21 for a string (its floats need a dot).
        if (!hasExponent(value)) for (const version of ['1.1', '1.2'] as const) expect(readAs(expected, version)).toEqual([asRead(value)]);
      }),
      { numRuns: 3000 },
    );
  });

  test.each(PIECES.map((p) => [p]))('%j alone, as key and value, in a list and at the root', (s) => {
    for (const value of [s, { [s]: s }, { k: { [s]: [s, `${s}\n${s}`] } }, [s, [`${s}\n`]], { [`${s}\n`]: ` ${s}\n\n` }]) expect(emitYaml(value, mustDoubleQuote)).toBe(oracle(value));
  });

  test('double-quoted line breaks: escaped below 40 characters of JSON, written out from 40 on', () => {
    for (let n = 30; n <= 45; n++) {
      for (const s of [`\u0007${'x'.repeat(n)}\nab`, `${'x'.repeat(n)}\n  b\n `, ` ${'x'.repeat(n)}\n\n\n c \nd\n`]) {
        for (const value of [s, { k: s }, [s], { [s]: 1 }]) expect(emitYaml(value, mustDoubleQuote)).toBe(oracle(value));
      }
    }
  });

  test('property: objects met again are anchored and aliased as the library does', () => {
    fc.assert(
      fc.property(data, data, (a, b) => {
        for (const value of [{ a, b, again: a, list: [b, a, { b }] }, [a, [a]]]) expect(emitYaml(value, mustDoubleQuote)).toBe(oracle(value));
      }),
      { numRuns: 500 },
    );
    const loop: Record<string, unknown> = { a: [] };
    loop.self = loop;
    (loop.a as unknown[]).push(loop.a, {});
    expect(emitYaml(loop, mustDoubleQuote)).toBe(oracle(loop));
    expect(oracle(loop)).toContain('*a1');
  });

  test('what only the library writes is left to it, with the same text', () => {
    for (const value of [{ ['k'.repeat(1100)]: 1 }, { when: new Date(0) }, new Map([['a', 1]]), { n: 10n }, { s: new String('x') }]) {
      expect(emitYaml(value, mustDoubleQuote)).toBeUndefined();
      expect(stringifyYaml(value)).toBe(oracle(value));
    }
  });
});

test('only stringifyYaml calls the emitter, so every YAML written gets the YAML 1.1 quoting', () => {
  const src = fileURLToPath(new URL('../src/', import.meta.url));
  const callers = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && /from '[./]*(core\/)?yaml-emit\.js'/.test(readFileSync(join(src, f), 'utf8')));
  expect(callers).toEqual([join('core', 'yaml-doc.ts')]);
});
