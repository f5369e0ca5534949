// The one YAML layer, over the `yaml` library's public API. Reading: a file parsed with line
// positions, so syntax errors and bad anchors become one message naming the file and line (bad
// input, exit 2), never an internal error, and findings name their lines. Writing: the library's
// text with one quoting policy, so YAML 1.1 and 1.2 readers read the same data.
import { Document, LineCounter, isMap, isScalar, parseAllDocuments, parseDocument, type Alias, type Node, type Tags, type ToStringOptions } from 'yaml';
import { UserError } from './errors.js';
import { NOT_PLAIN, plainData } from './yaml-data.js';
import { aliasProblem, aliasTargetCollector, eachNode, MAX_ALIAS_EXPANSION, nodeAt } from './yaml-walk.js';

export interface YamlDocument {
  doc: Document;
  data: unknown;
  /** The 1-based line of the node at a path, when the text has it. */
  lineAt(path: (string | number)[]): number | undefined;
  /** The 1-based line of a node. */
  lineOf(node: Node | null | undefined): number | undefined;
  /** What each alias stands for (yaml-walk's aliasTargets), from the walk that finds repeated keys. */
  aliasTargets(): Map<Alias, Node>;
}

/**
 * Keys repeated in a map, in one pass: the parser's own uniqueKeys check compares every key with
 * all earlier ones (a 10,000-service compose file took seconds). Same equality as the parser's:
 * scalar keys by value (the `<<` merge key included), other keys by node.
 */
function duplicateKeysIn(map: Node, out: { pos: [number, number]; message: string }[]): void {
  if (!isMap(map) || map.items.length < 2) return; // one key repeats nothing: no Set for it
  const seen = new Set<unknown>();
  for (const { key } of map.items) {
    if (!isScalar(key) || Number.isNaN(key.value)) continue;
    if (seen.has(key.value)) out.push({ pos: [key.range?.[0] ?? 0, key.range?.[1] ?? 0], message: 'Map keys must be unique' });
    else seen.add(key.value);
  }
}

/**
 * A document's repeated keys and, when its text has a `*` (no alias without one), what each alias
 * stands for: one walk for both, as both visit every node.
 */
function scan(doc: Document, mayAlias: boolean): { duplicates: { pos: [number, number]; message: string }[]; targets: Map<Alias, Node> } {
  const duplicates: { pos: [number, number]; message: string }[] = [];
  const aliases = mayAlias ? aliasTargetCollector() : undefined;
  eachNode(doc, (node) => {
    duplicateKeysIn(node, duplicates);
    aliases?.visit(node);
  });
  return { duplicates, targets: aliases?.targets ?? new Map() };
}

/**
 * The data of YAML dify-deploy wrote itself (a template's output), by the same walk as a user's
 * file; an error throws, as the library's parse does. Merge keys are read as Compose reads them.
 */
export function parseOwnYaml(text: string): unknown {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0) throw doc.errors[0];
  const data = plainData(doc);
  return data === NOT_PLAIN ? doc.toJS() : data;
}

/**
 * How Helm reads a values file (go-yaml v2, through sigs.k8s.io/yaml): YAML 1.1 plain scalars —
 * `yes`/`off` booleans, `010` octal, `1_000` — but no sexagesimal numbers (`1:30` stays a string),
 * and a timestamp read into Helm's untyped values stays its text. `helm template` of values with
 * `replicas: 010` renders 8, and `enabled: no` turns the block off (test/helm-values-reader.test.ts).
 */
export const HELM_VALUES_READER = {
  version: '1.1',
  customTags: (tags: Tags) => tags.filter((t) => typeof t !== 'object' || (t.format !== 'TIME' && t.tag !== 'tag:yaml.org,2002:timestamp')),
} as const;

/**
 * `what` names the file's role in messages ("spec file", "compose file", …); `reader` the YAML
 * reading of the program that consumes the file (default: YAML 1.2, as Compose v2 and dify-deploy read).
 */
export function parseYamlDocument(text: string, file: string, what: string, reader?: typeof HELM_VALUES_READER): YamlDocument {
  const lineCounter = new LineCounter();
  const source = text.replace(/^\uFEFF/, '');
  return checked([parseDocument(source, { lineCounter, ...PARSE_OPTIONS, ...reader })], lineCounter, file, what, source.includes('*'))[0];
}

/** Every document of a multi-document file (Kubernetes manifests), each with its lines. */
export function parseYamlDocuments(text: string, file: string, what: string): YamlDocument[] {
  const lineCounter = new LineCounter();
  const source = text.replace(/^\uFEFF/, '');
  const docs = parseAllDocuments(source, { lineCounter, ...PARSE_OPTIONS });
  // An empty stream (no documents) comes back as an EmptyStream, not an array.
  return Array.isArray(docs) ? checked(docs, lineCounter, file, what, source.includes('*')) : [];
}

/** How every user file is parsed (repeated keys are found by duplicateKeys, in one pass). */
export const PARSE_OPTIONS = { merge: true, uniqueKeys: false, prettyErrors: false } as const;

/** Syntax errors, repeated keys and bad aliases as one UserError naming file and line; else each document's data and lines. */
function checked(docs: Document[], lineCounter: LineCounter, file: string, what: string, mayAlias: boolean): YamlDocument[] {
  const scans = docs.map((doc) => scan(doc, mayAlias));
  const errors = docs.flatMap((doc, i) => [...doc.errors, ...scans[i].duplicates]).sort((a, b) => a.pos[0] - b.pos[0]);
  if (errors.length > 0) {
    throw new UserError(
      errors
        .slice(0, 5)
        .map((e) =>
          // The library reports its own stack running out as an error at the node it had reached.
          /Maximum call stack/.test(e.message)
            ? `${file}:${lineCounter.linePos(e.pos[0]).line}: the ${what} nests deeper than the YAML reader follows (a few hundred levels) — flatten it`
            : 'code' in e && e.code === 'MULTIPLE_DOCS'
              ? `${file}:${lineCounter.linePos(e.pos[0]).line}: a second YAML document starts here (\`---\`), and the ${what} is read as one document — remove the \`---\` (or keep the second part in a file of its own)`
              : `${file}:${lineCounter.linePos(e.pos[0]).line}: YAML syntax error in the ${what}: ${e.message.split('\n')[0]} — fix the YAML at that line`,
        ),
    );
  }
  const lineOf = (node: Node | null | undefined) => (node?.range ? lineCounter.linePos(node.range[0]).line : undefined);
  return docs.map((doc, i) => {
    const { targets } = scans[i];
    if (mayAlias) {
      const problem = aliasProblem(doc, targets);
      if (problem) {
        const at = `${file}:${lineOf(problem.alias) ?? 1}`;
        throw new UserError([
          problem.kind === 'recursive'
            ? `${at}: the alias *${problem.alias.source} in the ${what} is inside the node its anchor marks, so it stands for an endless structure — point it at another anchor or write the values out`
            : `${at}: aliases in the ${what} stand for more than ${MAX_ALIAS_EXPANSION.toLocaleString('en')} copied nodes, the most dify-deploy reads — share fewer variables through one anchor (an env_file is read once, however many services list it)`,
        ]);
      }
    }
    let data = plainData(doc, () => targets);
    if (data === NOT_PLAIN)
      try {
        data = doc.toJS({ maxAliasCount: 10_000 });
      } catch (e) {
        // An alias to an anchor that does not exist, or an alias bomb.
        throw new UserError([`${file}: invalid YAML in the ${what}: ${(e as Error).message.split('\n')[0]} — fix the anchors and aliases (&name / *name)`]);
      }
    return { doc, data, lineOf, lineAt: (path) => lineOf(nodeAt(doc, path) as Node | undefined), aliasTargets: () => targets };
  });
}

// YAML 1.1 readers (Helm and Kubernetes through go-yaml, PyYAML, docker-compose v1, Ansible)
// resolve more plain scalars than YAML 1.2 does: `off` is a boolean, `0755` octal, `1:30`
// sexagesimal, `1_000` an integer, `2001-12-14` a timestamp. The `yaml` package's own 1.1 and
// 1.2 schemas carry the resolution rules; a plain scalar either one resolves to a non-string
// reads differently (or as a non-string) somewhere.
const STR_TAG = 'tag:yaml.org,2002:str';
const PLAIN_RESOLVERS = (['1.1', '1.2'] as const).flatMap((version) =>
  new Document(null, { version }).schema.tags.flatMap((t) =>
    t.default && 'test' in t && t.test instanceof RegExp && t.tag !== STR_TAG ? [{ version, tag: t.tag.replace('tag:yaml.org,2002:', ''), test: t.test }] : [],
  ),
);

const YAML11_RESOLVERS = PLAIN_RESOLVERS.filter((r) => r.version === '1.1');

/** What a YAML 1.1 reader makes of this text as a plain scalar, when not a string: 'bool', 'null', 'int', 'float', 'timestamp', 'merge'. */
export function yaml11PlainType(text: string): string | undefined {
  return YAML11_RESOLVERS.find((r) => r.test.test(text))?.tag;
}

/**
 * Does a YAML 1.1 or 1.2 reader resolve this text, as a plain scalar, to a non-string? The
 * resolvers as one regular expression (none has flags): one match per string written, not ~20.
 */
const ANY_RESOLVER = new RegExp(PLAIN_RESOLVERS.map((r) => `(?:${r.test.source})`).join('|'));
const readsAsNonString = (text: string) => ANY_RESOLVER.test(text);

// Two kinds of multi-line string the library writes as literal blocks that readers get wrong
// (test/yaml-write.test.ts reads back what it writes):
// - nothing but spaces, tabs and line breaks: no indentation indicator, so a reader takes the
//   spaces for indentation (" \n" read back as "\n");
// - the whole document, its first line (after any blank ones) starting with a space: an
//   indentation indicator (`|1-`) but its lines at column 0 (" a\nb" read back as "a").
const isBlankMultiLine = (text: string) => text.includes('\n') && text.includes(' ') && /^[ \t\n]*$/.test(text);
const isIndentedMultiLine = (text: string) => text.includes('\n') && /^[ \n]* /.test(text);

/** The strings double-quoted when written; `root`: the string is the whole document. */
const mustDoubleQuote = (text: string, root: boolean) => readsAsNonString(text) || isBlankMultiLine(text) || (root && isIndentedMultiLine(text));

/**
 * The one way dify-deploy writes YAML: every string a YAML 1.1 or 1.2 reader could take for
 * anything but that string (keys included) is double-quoted, so every reader gets the same data.
 */
export function stringifyYaml(value: unknown): string {
  // A new document has no directives and no `---` to write: `directives: false` says so, and spares
  // the library's look for %TAG prefixes, a walk of every node (≈ 10 % of writing a document).
  return yamlText(new Document(value, { version: '1.2' }), { directives: false });
}

/** A document (e.g. a user's file edited in place, comments kept) as text, quoted the same way. */
export function yamlText(doc: Document, options: Pick<ToStringOptions, 'directives'> = {}): string {
  // eachNode, not the library's visit: that freezes a copy of the path at every node.
  eachNode(doc, (node) => {
    if (isScalar(node) && typeof node.value === 'string' && mustDoubleQuote(node.value, node === doc.contents)) node.type = 'QUOTE_DOUBLE';
  });
  return doc.toString({ lineWidth: 0, ...options });
}
