// The read path's own walks against the yaml library's: plainData gives exactly what
// Document#toJS gives (or steps aside), and eachNode meets the nodes visit() meets, in its order.
import fc from 'fast-check';
import { parseAllDocuments, stringify, visit, type Document, type Node } from 'yaml';
import { describe, expect, it } from 'vitest';
import { NOT_PLAIN, plainData } from '../src/io/yaml-data.js';
import { eachNode } from '../src/io/yaml-walk.js';

const OPTIONS = { merge: true, uniqueKeys: false, prettyErrors: false } as const;

/** Keys and scalars where YAML's typing, JS objects or the library's special cases bite. */
const key = fc.constantFrom('a', 'b', '__proto__', 'toString', 'constructor', '1', '1.0', '"1"', '-0', 'null', '~', '""', 'true', 'on', '"<<"', '<<', '!!merge <<', '? [x]', '? {k: v}', '!!str 3', '0x1F', '.inf');
const scalar = fc.constantFrom('x', '2', '0o17', '1e3', '.NaN', '-.inf', 'null', '~', '', 'yes', '"q"', "'s'", '!!str 5', '!!int "7"', '2001-12-14', '!!binary aGk=', '!!timestamp 2001-12-14', '|\n  block', '&s 9', '*s', '*m', '[1, a: 2]', '{a: 1, a: 2}', '!!set {a, b}', '!!omap [{a: 1}]', '!custom x', '[*m, {z: 1}]', '[*m, *s]', '{y: 2, 1: 3}', '&m {1: a, "1": b, null: c, ~: d}', '*nope', '[*m]');
type Tree = { key: string; value: string | Tree; anchor: boolean }[];
const tree: fc.Arbitrary<Tree> = fc.letrec<{ map: Tree }>((tie) => ({
  map: fc.array(fc.record({ key, value: fc.oneof({ depthSize: 'small' }, scalar, tie('map')), anchor: fc.boolean() }), { minLength: 1, maxLength: 4 }),
})).map;

function blockText(map: Tree, indent = ''): string[] {
  return map.flatMap((p) => {
    const k = p.key.startsWith('?') ? `${p.key}\n${indent}` : p.key;
    if (typeof p.value === 'string') return p.value.startsWith('|') ? [`${indent}${k}: |`, `${indent}  block`] : [`${indent}${k}: ${p.value}`];
    return [`${indent}${k}:${p.anchor ? ' &m' : ''}`, ...blockText(p.value, `${indent}  `)];
  });
}

/** Documents that parse cleanly (the read path stops at any error before reading data). */
function docs(text: string): Document[] {
  return parseAllDocuments(text, OPTIONS) as Document[];
}
const clean = (d: Document) => d.errors.length === 0;

/** toJS's answer, or that it throws (a missing anchor, say): plainData must step aside there. */
function reference(doc: Document): { data: unknown } | 'throws' {
  try {
    return { data: doc.toJS({ maxAliasCount: 10_000 }) };
  } catch {
    return 'throws';
  }
}

/** Equal down to own-property order and prototypes (a `__proto__` key is an own property in both). */
function expectSame(ours: unknown, theirs: unknown) {
  // Not toStrictEqual: it compares `.constructor`, which a `constructor:` key makes an own value.
  expect(ours).toEqual(theirs);
  const shape = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(shape) : v && typeof v === 'object' ? [Object.getPrototypeOf(v) === Object.prototype, Object.getOwnPropertyNames(v).map((k) => [k, shape((v as Record<string, unknown>)[k])])] : v;
  expect(shape(ours)).toEqual(shape(theirs));
}

describe('plainData: a document’s data without toJS', () => {
  it('property: equals toJS, or steps aside, on documents with odd keys, tags, anchors, aliases and merges', () => {
    let plain = 0;
    let total = 0;
    fc.assert(
      fc.property(tree, fc.boolean(), (map, yaml11) => {
        const text = `${yaml11 ? '%YAML 1.1\n---\n' : ''}${blockText(map).join('\n')}\n`;
        for (const doc of docs(text).filter(clean)) {
          total++;
          const ours = plainData(doc);
          const theirs = reference(doc);
          if (ours === NOT_PLAIN) continue;
          plain++;
          expect(theirs).not.toBe('throws');
          expectSame(ours, (theirs as { data: unknown }).data);
        }
      }),
      { numRuns: 1000 },
    );
    // The walk must also do its job: most of these trees are plain.
    expect(plain).toBeGreaterThan(total / 10);
  });

  it('property: takes every tree that is JSON-like data, with the same result', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.constantFrom('1.1', '1.2') as fc.Arbitrary<'1.1' | '1.2'>, (value, version) => {
        const [doc] = docs(stringify(value, { version }));
        // The library writes a "<<" key unquoted under 1.1, which then reads as a merge: that text
        // is not the JSON value any more (toJS throws), so it is no case of this property.
        fc.pre(reference(doc) !== 'throws');
        const ours = plainData(doc);
        expect(ours).not.toBe(NOT_PLAIN);
        expectSame(ours, doc.toJS());
      }),
      { numRuns: 500 },
    );
  });

  it('reads the anchors, aliases and merges compose files use', () => {
    // Earlier keys and earlier sources win over later merged ones; later keys override merged ones.
    const text = 'x-env: &env\n  A: 1\n  B: &b two\n  D: env\nx-more: &more {C: 3, B: more, 1: x}\nservices:\n  api:\n    environment:\n      D: own\n      <<: [*env, *more]\n      A: override\n      "1": y\n    image: *b\n';
    const [doc] = docs(text);
    expect(plainData(doc)).not.toBe(NOT_PLAIN);
    expectSame(plainData(doc), doc.toJS());
    expect(plainData(doc)).toMatchObject({ services: { api: { environment: { D: 'own', A: 'override', B: 'two', C: 3, 1: 'y' }, image: 'two' } } });
  });

  it('steps aside for what only toJS reads', () => {
    for (const text of ['a: &x [*x]\n', 'x: &m {a: *y}\ny:\n  <<: *m\n', 'y:\n  <<: 1\n', 'y:\n  <<: *nope\n', '%YAML 1.1\n---\na: !!set {x, y}\n', '%YAML 1.1\n---\nt: 2001-12-14\n', '? [a, b]\n: c\n', 'a: !!binary aGk=\n'])
      expect(plainData(docs(text)[0]), text).toBe(NOT_PLAIN);
  });
});

describe('eachNode: the nodes visit() meets, in its order', () => {
  it('property: same nodes, same order', () => {
    fc.assert(
      fc.property(tree, (map) => {
        for (const doc of docs(`${blockText(map).join('\n')}\n`)) {
          const theirs: Node[] = [];
          visit(doc, { Node: (_, n) => void theirs.push(n) });
          const ours: Node[] = [];
          eachNode(doc, (n) => ours.push(n));
          expect(ours.length).toBe(theirs.length);
          expect(ours.every((n, i) => n === theirs[i])).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
