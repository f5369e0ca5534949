// Reading dify-deploy.yaml: YAML syntax errors with their line; schema errors via spec-parse.
import { readFileSync, statSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import { UserError } from './errors.js';
import { describe, parseSpecData } from './spec-parse.js';
import type { Spec } from './spec.js';

function nodeAt(root: Node | null | undefined, path: (string | number)[]): Node | undefined {
  let n: Node | null | undefined = root;
  for (const p of path) {
    if (isMap(n)) n = n.get(p, true) as Node | undefined;
    else if (isSeq(n)) n = n.get(p as number, true) as Node | undefined;
    else return undefined;
  }
  return n ?? undefined;
}

export interface YamlMapping {
  data: Record<string, unknown>;
  /** The 1-based line of the value at a path, when the text has it. */
  lineOf: (path: (string | number)[]) => number | undefined;
}

/** Parses YAML text that must hold a mapping (or nothing); errors name `file` and the line. */
export function parseYamlMapping(text: string, file: string): YamlMapping {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new UserError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return `${file}:${pos.line}: YAML syntax error: ${e.message.split('\n')[0]} — fix the YAML at that line`;
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 10_000 });
  } catch (e) {
    // An alias to an anchor that does not exist, or an alias bomb.
    throw new UserError([`${file}: invalid YAML: ${(e as Error).message.split('\n')[0]} — fix the anchors and aliases (&name / *name)`]);
  }
  if (data !== null && (typeof data !== 'object' || Array.isArray(data)))
    throw new UserError([`${file}: expected a mapping of settings (release:, tier:, database: …), got ${Array.isArray(data) ? 'a list' : describe(data)}`]);
  return {
    data: (data ?? {}) as Record<string, unknown>,
    lineOf: (path) => {
      const node = nodeAt(doc.contents as Node, path);
      return node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
    },
  };
}

/** Parses spec YAML text; errors name `file`. */
export function parseSpecYaml(text: string, file: string): Spec {
  const { data, lineOf } = parseYamlMapping(text, file);
  return parseSpecData(data, file, lineOf);
}

export function readSpecFile(path: string): Spec {
  const { data, lineOf } = readSpecMapping(path);
  return parseSpecData(data, path, lineOf);
}

/** Reads a spec file's YAML without validating it, so flags can be layered on first. */
export function readSpecMapping(path: string): YamlMapping {
  const name = path;
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new UserError([`${name}: is a directory; pass the spec file (dify-deploy.yaml) with --config`]);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError([
      code === 'ENOENT'
        ? `${name}: file not found; create it with \`dify-deploy init\` or pass --tier`
        : `${name}: cannot read (${code ?? 'error'}); check the path and its permissions`,
    ]);
  }
  return parseYamlMapping(text, name);
}
