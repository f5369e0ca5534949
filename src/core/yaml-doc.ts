// Parsing a YAML file with line positions: syntax errors and bad anchors become one
// message naming the file and line (bad input, exit 2), never an internal error.
import { LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { UserError } from './errors.js';

export interface YamlDocument {
  doc: Document;
  data: unknown;
  /** The 1-based line of the node at a path, when the text has it. */
  lineAt(path: (string | number)[]): number | undefined;
  /** The 1-based line of a node. */
  lineOf(node: Node | null | undefined): number | undefined;
}

/** `what` names the file's role in messages ("spec file", "compose file", …). */
export function parseYamlDocument(text: string, file: string, what: string): YamlDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new UserError(
      doc.errors
        .slice(0, 5)
        .map((e) => `${file}:${lineCounter.linePos(e.pos[0]).line}: YAML syntax error in the ${what}: ${e.message.split('\n')[0]} — fix the YAML at that line`),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 10_000 });
  } catch (e) {
    // An alias to an anchor that does not exist, or an alias bomb.
    throw new UserError([`${file}: invalid YAML in the ${what}: ${(e as Error).message.split('\n')[0]} — fix the anchors and aliases (&name / *name)`]);
  }
  const lineOf = (node: Node | null | undefined) => (node?.range ? lineCounter.linePos(node.range[0]).line : undefined);
  return { doc, data, lineOf, lineAt: (path) => lineOf(doc.getIn(path, true) as Node | undefined) };
}
