// nodeAt finds what the library's doc.getIn(path, true) finds, for every path into the upstream
// corpus's documents and for paths that miss (a key not there, an index out of range or not a
// whole number, a step into a scalar or through an alias), and for collections of other classes.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { YAMLMap, YAMLSeq, isPair, isScalar, parseAllDocuments, parseDocument, type Document } from 'yaml';
import { PARSE_OPTIONS } from '../src/io/yaml-doc.js';
import { nodeAt } from '../src/io/yaml-walk.js';
import { UPSTREAM, UPSTREAM_REQUIRED } from './helpers/upstream-path.js';

type Path = (string | number)[];

/** Every path to a node of the document, and from each a few that go astray. */
function paths(doc: Document): Path[] {
  const out: Path[] = [[]];
  const walk = (node: unknown, path: Path) => {
    out.push(path, [...path, 'no-such-key'], [...path, 0], [...path, '0'], [...path, -1], [...path, 1.5], [...path, '1e0'], [...path, 10_000]);
    if (node instanceof YAMLMap)
      for (const it of node.items) {
        if (!isPair(it) || !isScalar(it.key)) continue;
        const k = it.key.value;
        if (typeof k === 'string' || typeof k === 'number') walk(it.value, [...path, k]);
        if (typeof k === 'number') out.push([...path, String(k)]); // "1" is not the key 1
      }
    else if (node instanceof YAMLSeq) node.items.forEach((item, i) => (walk(item, [...path, i]), walk(item, [...path, String(i)])));
  };
  walk(doc.contents, []);
  return out;
}

/** The paths where nodeAt and getIn disagree (expect() per path made the corpus check slow). */
const disagreements = (doc: Document, list: Path[]) => list.filter((path) => nodeAt(doc, path) !== doc.getIn(path, true)).map((p) => JSON.stringify(p));

describe('nodeAt', () => {
  test('what getIn finds: aliases, null values, number keys, !!set and !!omap, a scalar document', () => {
    const texts = [
      'a: &x { b: 1 }\nc: *x\nd:\ne: ~\n1: one\n"2": two\ntrue: yes\nlist: [a, *x, { k: v }]\n',
      '%YAML 1.1\n---\nset: !!set { a, b }\nomap: !!omap [ { a: 1 }, { b: 2 } ]\npairs: !!pairs [ { a: 1 } ]\n',
      'just a scalar\n',
      '- [1, 2]\n- - x\n  - { y: z }\n',
    ];
    for (const text of texts) {
      const doc = parseDocument(text, PARSE_OPTIONS);
      expect(disagreements(doc, [...paths(doc), ['c', 'b'], ['set', 'a'], ['omap', 0, 'a'], ['omap', 'a'], ['pairs', 0], ['list', 1, 'b']]), text).toEqual([]);
    }
  });

  test('property: random paths into a random document', () => {
    const key = fc.oneof(fc.constantFrom('a', 'b', '0', '1', 'x y'), fc.integer({ min: -1, max: 3 }));
    const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.constantFrom(null, 'x', 1), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('a', 'b', '0', '1', 'x y'), tie('v'), { maxKeys: 3 })),
    })).v;
    fc.assert(
      fc.property(value, fc.array(fc.array(key, { maxLength: 4 }), { maxLength: 20 }), (data, tries) => {
        const doc = parseDocument(JSON.stringify(data), PARSE_OPTIONS);
        expect(disagreements(doc, [...tries, ...paths(doc)])).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe.skipIf(!UPSTREAM_REQUIRED)('nodeAt on the upstream corpus', () => {
  test('paths of every document (up to 2,000 each, spread over it), as getIn', () => {
    const files = readdirSync(UPSTREAM, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThan(100);
    const texts = new Set<string>(); // the releases and chart versions share many files
    let checked = 0;
    for (const f of files) {
      const text = readFileSync(join(UPSTREAM, f), 'utf8');
      if (texts.has(text)) continue;
      texts.add(text);
      for (const doc of parseAllDocuments(text, PARSE_OPTIONS) as Document[]) {
        const all = paths(doc);
        const step = Math.ceil(all.length / 2_000);
        const list = all.filter((_, i) => i % step === 0);
        expect(disagreements(doc, list), f).toEqual([]);
        checked += list.length;
      }
    }
    expect(checked).toBeGreaterThan(10_000);
  });
});
