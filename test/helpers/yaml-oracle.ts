// The fast YAML reader's oracle: the library's parse of the same text, node by node.
import { Document, LineCounter, parseAllDocuments } from 'yaml';
import { PARSE_OPTIONS as OPTIONS } from '../../src/core/yaml-doc.js';
import { fastParseDocuments } from '../../src/core/yaml-fast.js';

/** The fast reader's documents for `text`, made as core/yaml-doc.ts makes them. */
export function fastDocs(text: string): Document[] | undefined {
  return fastParseDocuments(text, () => new Document(undefined, OPTIONS))?.docs;
}

export function libraryDocs(text: string): Document[] {
  const docs = parseAllDocuments(text, OPTIONS);
  return Array.isArray(docs) ? docs : [];
}

/** The line starts the fast reader reports and those the library's parse gives a LineCounter (what checked() reads lines from). */
export function lineStarts(text: string): { fast: number[] | undefined; library: number[] } {
  const lineCounter = new LineCounter();
  parseAllDocuments(text, { ...OPTIONS, lineCounter });
  return { fast: fastParseDocuments(text, () => new Document(undefined, OPTIONS))?.lineStarts, library: lineCounter.lineStarts };
}

// What the fast reader leaves unset by design (no consumer reads comments).
const COMMENT_KEYS = new Set(['comment', 'commentBefore', 'spaceBefore']);

/** The first difference between two trees (path and both sides), or undefined. */
export function treeDifference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (Object.is(a, b)) return undefined;
  if (typeof a === 'symbol' && typeof b === 'symbol') return a.description === b.description ? undefined : `${path}: ${String(a)} ≠ ${String(b)}`;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return `${path}: ${String(a)} ≠ ${String(b)}`;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: prototypes ${a.constructor?.name} ≠ ${b.constructor?.name}`;
  if (Array.isArray(a) && (a as unknown[]).length !== (b as unknown[]).length) return `${path}: length ${(a as unknown[]).length} ≠ ${(b as unknown[]).length}`;
  const keys = (o: object) => Object.keys(o).filter((k) => !COMMENT_KEYS.has(k));
  const ka = keys(a).sort();
  const kb = keys(b).sort();
  if (ka.join() !== kb.join()) return `${path}: keys ${ka.join()} ≠ ${kb.join()}`;
  for (const k of ka) {
    const d = treeDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

/** Documents compared as consumers see them: contents, range, errors, warnings, `---`. */
export function documentsDifference(fast: Document[], lib: Document[]): string | undefined {
  if (fast.length !== lib.length) return `document count ${fast.length} ≠ ${lib.length}`;
  for (let i = 0; i < fast.length; i++) {
    const [f, l] = [fast[i], lib[i]];
    const d =
      treeDifference(f.contents, l.contents, `doc${i}.contents`) ??
      treeDifference(f.range, l.range, `doc${i}.range`) ??
      treeDifference([f.errors.length, f.warnings.length, f.directives?.docStart, f.schema.name], [l.errors.length, l.warnings.length, l.directives?.docStart, l.schema.name], `doc${i}`);
    if (d) return d;
  }
  return undefined;
}
