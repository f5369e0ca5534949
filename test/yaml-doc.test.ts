// parseYamlDocument finds repeated keys in one pass instead of the parser's pairwise check: the
// same findings, on the same lines, as the parser's own uniqueKeys, for block and flow maps,
// quoted and plain keys, and keys that only look alike (1 and "1").
import fc from 'fast-check';
import { LineCounter, parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/io/errors.js';
import { parseYamlDocument } from '../src/io/yaml-doc.js';

const key = fc.constantFrom('a', 'b', "'a'", '"a"', '1', '"1"', '1.0', 'null', '~', '"<<"');
type Tree = { key: string; value: string | Tree[]; flow: boolean }[];
const tree: fc.Arbitrary<Tree> = fc.letrec<{ map: Tree }>((tie) => ({
  map: fc.array(fc.record({ key, value: fc.oneof({ depthSize: 'small' }, fc.constantFrom('x', '2'), tie('map')), flow: fc.boolean() }), { minLength: 1, maxLength: 4 }),
})).map;

function flowText(map: Tree): string {
  return `{ ${map.map((p) => `${p.key}: ${typeof p.value === 'string' ? p.value : flowText(p.value)}`).join(', ')} }`;
}
function blockText(map: Tree, indent = ''): string[] {
  return map.flatMap((p) =>
    typeof p.value === 'string' ? [`${indent}${p.key}: ${p.value}`] : p.flow ? [`${indent}${p.key}: ${flowText(p.value)}`] : [`${indent}${p.key}:`, ...blockText(p.value, `${indent}  `)],
  );
}

/** What the parser's own check reports, formatted as parseYamlDocument formats its errors. */
function reference(text: string): string[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false });
  return doc.errors.slice(0, 5).map((e) => `f.yaml:${lineCounter.linePos(e.pos[0]).line}: YAML syntax error in the spec file: ${e.message.split('\n')[0]} — fix the YAML at that line`);
}

function ours(text: string): string[] {
  try {
    parseYamlDocument(text, 'f.yaml', 'spec file');
    return [];
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return e.lines;
  }
}

describe('parseYamlDocument: repeated keys', () => {
  it('property: the same errors on the same lines as the parser’s uniqueKeys check', () => {
    fc.assert(
      fc.property(tree, (map) => {
        const text = `${blockText(map).join('\n')}\n`;
        expect(ours(text)).toEqual(reference(text));
      }),
      { numRuns: 500 },
    );
  });

  it('a repeated service in a compose file names its line', () => {
    expect(ours('services:\n  api:\n    image: a\n  web:\n    image: b\n  api:\n    image: c\n')).toEqual([
      'f.yaml:6: YAML syntax error in the spec file: Map keys must be unique — fix the YAML at that line',
    ]);
  });
});

describe('parseYamlDocument: a second document', () => {
  it('names the `---` line and says what to do, in words of the file, not of the YAML library', () => {
    expect(ours('api:\n  replicas: 3\n---\napi:\n  replicas: 5\n')).toEqual([
      'f.yaml:3: a second YAML document starts here (`---`), and the spec file is read as one document — remove the `---` (or keep the second part in a file of its own)',
    ]);
    // A leading `---` starts the one document: no error.
    expect(ours('---\napi:\n  replicas: 3\n')).toEqual([]);
  });
});
