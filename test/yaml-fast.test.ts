// The fast YAML reader (src/core/yaml-fast.ts) against its oracle, the `yaml` library: whatever
// it accepts must be the library's tree node for node (prototypes, values, types, sources,
// formats, anchors, flow, all three range offsets) with no parse error or warning, and read as
// the same data; anything else it declines. Every YAML file a render writes must take it.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Document } from 'yaml';
import { renderFiles } from '../src/render/index.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { matrix } from './helpers/matrix.js';
import { UPSTREAM, UPSTREAM_REQUIRED } from './helpers/upstream-path.js';
import { documentsDifference, fastDocs, libraryDocs, lineStarts } from './helpers/yaml-oracle.js';

/** undefined when the fast reader declines or agrees with the library; else what differs. */
function disagreement(text: string): string | undefined {
  const fast = fastDocs(text);
  if (fast === undefined) return undefined;
  const lib = libraryDocs(text);
  const problems = lib.flatMap((d) => [...d.errors, ...d.warnings].map((e) => e.message.split('\n')[0]));
  if (problems.length > 0) return `accepted a text the library reports: ${problems.join('; ')}`;
  const tree = documentsDifference(fast, lib);
  if (tree) return tree;
  // toJS refuses an alias without its anchor: then both must refuse alike.
  const data = (docs: Document[]) => {
    try {
      return docs.map((d) => d.toJS({ maxAliasCount: -1 }));
    } catch (e) {
      return `throws ${(e as Error).message}`;
    }
  };
  try {
    expect(data(fast)).toEqual(data(lib));
  } catch {
    return 'toJS differs';
  }
  return undefined;
}

describe('examples', () => {
  const accepted = [
    'a: b  # c\nk: &x\n  - 1\n  -  "q" \nz:\n- x\n- y: 1\n  w:\n<<: *x\ne:\nlast: |\n  t\n   u\n\n\nf: [a, "b" ]  # x\n',
    '# top\n\na: 1\n\n# mid\nb:   # cm\n  c: 2\n# end\n\n---\n- x\n--- # hi\nk: v\n',
    'x-env: &env\n  A: "1"\n  B: \'it\'\'s\'\nsvc:\n  <<: *env\n  C: >-\n    folded\n    text\n\n    more\n  D: |+\n    kept\n\n  E: {a: 1, "b": x}\n',
    'l:\n- a\n  # c\n- b\nx:\n  y:\n    z: 1\n    # c\n  w: [1,\n    2,\n   ]\n', // comments the library puts in a node's range
    '- |+\n      # comment\n  ', // kept trailing lines of a block scalar, and spaces after the last line break
    'a: 0x1F\nb: .inf\nc: ~\nd: 1e3\ne: a:b\nf: "\\u00e9\\x41\\t"\ng: 1.50\nh: -1\ni: yes\n',
  ];
  test.each(accepted)('accepted and equal: %j', (text) => {
    expect(fastDocs(text)).toBeDefined();
    expect(disagreement(text)).toBeUndefined();
  });
  const declined = [
    'a: !!str 1\n', // a tag
    '%YAML 1.2\n---\na: 1\n', // a directive
    'a: b\n  c\n', // a multi-line plain scalar
    'a: "b\n  c"\n', // a multi-line quoted scalar
    '? a\n: b\n', // an explicit key
    'a:\n\tb: 1\n', // a tab
    'a: 1\na: 2\n', // a repeated key
    'a: 1\n...\n', // a document end marker
    'a: |2\n   x\n', // an indentation indicator
    'a: [b, [c]]\n', // nested flow
    '---\n', // an empty document
    '',
  ];
  test.each(declined)('declined: %j', (text) => expect(fastDocs(text)).toBeUndefined());
});

// Fragments of YAML-ish text: indentation, indicators, keys (quoted ones with `: ` and `#`),
// scalars the schema resolves (or nearly), anchors, aliases, merges, flow, block scalars,
// comments, document markers, tabs, trailing spaces.
const INDENT = fc.constantFrom('', '', '', '  ', '  ', '    ', ' ', '   ', '      ');
const KEY = fc.constantFrom('a', 'b', 'key', 'k2', '<<', '"q: #k"', "'s k'", '"a"', 'x y', 'a:b', 'on', '1', '~', '-x', '? a', 'a ', '*al', '&an k', '"e\\"s"', 'null', '0x1F');
const SCALAR = fc.constantFrom('yes', '0x1F', '.inf', '-.Inf', '.nan', '~', 'null', '1e3', '1.50', '010', '0o17', '-1', '+2', 'a:b', 'a #b', 'a: b: c', 'http://x:80/p', 'true', 'False', 'plain text', '""', "''", '"d\\"q\\n\\u00e9"', "'it''s'", '"a\\qb"', '"\\x4', '"unterminated', "'x", '[a, "b"]', '[]', '{}', '{a: 1}', '{a: 1, b: "x y"}', '[1, 2, 3 ]', '[a: 1]', '[a,]', '[a, [b]]', '*x', '*y', '&x v', '&y [1]', '&x', '!!str 1', '!t a', '-', '- a', '@no', '`no', '%d', '|', '|-', '|+', '>', '>-', '>+', '|2', '| # c', 'a\tb', '# c', '---', '...', 'x]', 'x,y', '<<', 'a b  ', ' ', '');
const BLOCK_LINE = fc.constantFrom('text', 'more text', '  indented', '', '   ', '# not a comment', 'a: b', '- x', '\t tab');
const LINE = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(INDENT, KEY, SCALAR).map(([i, k, v]) => `${i}${k}: ${v}`) },
  { weight: 3, arbitrary: fc.tuple(INDENT, KEY).map(([i, k]) => `${i}${k}:`) },
  { weight: 3, arbitrary: fc.tuple(INDENT, SCALAR).map(([i, v]) => `${i}- ${v}`) },
  { weight: 2, arbitrary: fc.tuple(INDENT, KEY, SCALAR).map(([i, k, v]) => `${i}- ${k}: ${v}`) },
  { weight: 1, arbitrary: fc.tuple(INDENT, fc.constantFrom('-', '- &x', '- # c', 'k: &x', 'k: &y # c', 'k: # c')).map(([i, s]) => `${i}${s}`) },
  { weight: 2, arbitrary: fc.tuple(INDENT, BLOCK_LINE).map(([i, s]) => `${i}${s}`) },
  { weight: 1, arbitrary: fc.tuple(INDENT, fc.constantFrom('# comment', '#', '# a: b')).map(([i, s]) => `${i}${s}`) },
  { weight: 1, arbitrary: fc.constantFrom('', '', '  ', '---', '--- # c', '--- a', '...', '%YAML 1.2', 'top', '\t', '[a, b]', 'a: 1 ', 'a: 1\t') },
);
// Whole documents from a few lines, ending in a newline or not.
const TEXT = fc.tuple(fc.array(LINE, { minLength: 1, maxLength: 12 }), fc.boolean()).map(([lines, nl]) => lines.join('\n') + (nl ? '\n' : ''));

// Texts shaped like the files we read: an outline of nested maps and sequences with the
// fragments above as leaves, so the fast reader accepts many of them.
const GOOD_KEY = fc.constantFrom('a', 'b', 'c', 'd', 'key', 'image', 'x-shared', '<<', '"q: #k"', "'s k'", 'on', '1', 'a:b', 'x y', 'e', 'f', 'g', 'h');
const OUTLINE_KEY = fc.oneof({ weight: 5, arbitrary: GOOD_KEY }, { weight: 1, arbitrary: KEY });
const LEAF = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('v', 'yes', '1', '0x1F', '1.50', '~', '"q: #"', "'s'", '[a, "b"]', '{a: 1}', '*x', '&x v', 'a #b', '"\\u00e9"', '<<', '', '@flow', '@flow-below', '@flow-map', '|') }, { weight: 1, arbitrary: SCALAR });
type Outline = { kind: 'map'; entries: [string, Outline | string][] } | { kind: 'seq'; items: (Outline | string)[] };
const OUTLINE: fc.Arbitrary<Outline> = fc.letrec<{ node: Outline; child: Outline | string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.record({ kind: fc.constant('map' as const), entries: fc.array(fc.tuple(OUTLINE_KEY, tie('child')), { minLength: 1, maxLength: 4 }) }),
    fc.record({ kind: fc.constant('seq' as const), items: fc.array(tie('child'), { minLength: 1, maxLength: 4 }) }),
  ),
  child: fc.oneof({ weight: 3, arbitrary: LEAF }, { weight: 1, arbitrary: tie('node') }),
})).node;
const BLOCK_SCALAR = fc.tuple(fc.constantFrom('|', '|-', '|+', '>', '>-', '>+'), fc.array(BLOCK_LINE, { minLength: 1, maxLength: 4 }));

function outlineText(node: Outline, indent: string, extra: { blockScalars: [string, string[]][]; comments: string[] }, out: string[]): void {
  const child = (prefix: string, value: Outline | string) => {
    if (typeof value === 'string') {
      const block = value === '|' ? extra.blockScalars.pop() : undefined;
      // Flow collections over several lines, the closing bracket at the key's column or deeper.
      if (value === '@flow') out.push(`${prefix} [a,`, `${indent}    "b", c,`, `${indent}  ]`);
      else if (value === '@flow-below') out.push(prefix, `${indent}  [`, `${indent}    "CMD",`, `${indent}    x`, `${indent}${extra.comments.length % 2 ? '' : '  '}]`);
      else if (value === '@flow-map') out.push(`${prefix} {a: 1,`, `${indent}   "b": c}`);
      else if (block) {
        out.push(`${prefix} ${block[0]}`);
        for (const l of block[1]) out.push(l === '' ? '' : `${indent}  ${l}`);
      } else out.push(`${prefix} ${value}`.trimEnd());
      return;
    }
    out.push(prefix);
    outlineText(value, `${indent}  `, extra, out);
  };
  const comment = extra.comments.pop();
  if (comment !== undefined) out.push(comment.replace('@', indent));
  if (node.kind === 'map') for (const [k, v] of node.entries) child(`${indent}${k}:`, v);
  else for (const item of node.items) child(`${indent}-`, item);
}
const OUTLINE_TEXT = fc
  .tuple(
    fc.array(OUTLINE, { minLength: 1, maxLength: 2 }),
    fc.array(BLOCK_SCALAR, { maxLength: 3 }),
    fc.array(fc.constantFrom('@# c', '# c', '', '@  # c', '@'), { maxLength: 4 }),
    // Comment and blank lines put anywhere: between entries, after the last one, inside block scalars and flow collections.
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('', '  ', '# c', ' # c', '  # c', '   # c', '    # c', '      # c', '        # c')), { maxLength: 5 }),
  )
  .map(([docs, blockScalars, comments, trivia]) => {
    const out: string[] = [];
    docs.forEach((d, i) => {
      if (i > 0) out.push('---');
      outlineText(d, '', { blockScalars, comments }, out);
    });
    for (const [at, line] of trivia) out.splice(1 + (at % out.length), 0, line);
    return `${out.join('\n')}\n`;
  });

describe('property: accepted means equal to the library', () => {
  const taken = { 'line soup': [0, 0], outlines: [0, 0] };
  const check = (name: keyof typeof taken) => (text: string) => {
    taken[name][1]++;
    if (fastDocs(text)) taken[name][0]++;
    const d = disagreement(text);
    if (d) throw new Error(`${d}\n--- text ---\n${JSON.stringify(text)}`);
  };
  test('line soup', () => fc.assert(fc.property(TEXT, check('line soup')), { numRuns: Number(process.env.YAML_FAST_RUNS ?? 30_000) }));
  test('outlines', () => fc.assert(fc.property(OUTLINE_TEXT, check('outlines')), { numRuns: Number(process.env.YAML_FAST_RUNS ?? 30_000) }));
  test('the generators reach the fast path often', () => {
    for (const [name, [accepted, runs]] of Object.entries(taken)) console.log(`${name}: the fast path took ${accepted} of ${runs} generated texts (${((100 * accepted) / runs).toFixed(1)}%)`);
    expect(taken['line soup'][0] / taken['line soup'][1]).toBeGreaterThan(0.02);
    expect(taken.outlines[0] / taken.outlines[1]).toBeGreaterThan(0.3);
  });
});

const yamlFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(dir, f))
    .sort();

describe.skipIf(!UPSTREAM_REQUIRED)('upstream corpus', () => {
  test('every accepted file is the library tree', () => {
    const files = yamlFiles(UPSTREAM);
    expect(files.length).toBeGreaterThan(100);
    const accepted = files.filter((f) => {
      const text = readFileSync(f, 'utf8').replace(/^\uFEFF/, '');
      expect(disagreement(text), f).toBeUndefined();
      const lines = lineStarts(text);
      if (lines.fast) expect(lines.fast, f).toEqual(lines.library);
      return lines.fast !== undefined;
    });
    console.log(`fast path took ${accepted.length} of ${files.length} upstream YAML files:\n  ${accepted.map((f) => f.slice(UPSTREAM.length)).join('\n  ')}`);
    // Dify's compose files and the chart's values are what validate reads most.
    for (const f of files.filter((f) => /dify-[\d.]+\/docker\/docker-compose\.yaml$|dify-helm-[^/]+\/chart\/values\.yaml$/.test(f))) expect(accepted, f).toContain(f);
  });
});

const CASES = [...matrix(['compose', 'helm']), ...matrix(['compose']).filter((c) => c.backend.includes('local storage'))];

describe('every YAML file a render writes takes the fast path, equal to the library', () => {
  test.each(CASES)('$release $tier, $backend', ({ spec, backend }) => {
    const target = backend.includes('local storage') ? 'compose' : 'all';
    const { files } = renderFiles(spec, target, resolveSecrets({ DB_PASSWORD: 'store-Db-password-1' }, spec));
    const yaml = files.filter((f) => /\.ya?ml$/.test(f.path));
    expect(yaml.length).toBeGreaterThanOrEqual(2);
    for (const f of yaml) {
      expect(fastDocs(f.content), f.path).toBeDefined();
      expect(disagreement(f.content), f.path).toBeUndefined();
    }
  });
});
