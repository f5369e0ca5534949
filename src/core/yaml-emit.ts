// YAML text for plain data (objects, arrays, strings, numbers, booleans, null), written
// directly instead of through the `yaml` package's node tree: every command runs once, so the
// library's stringify code is always cold and cost ~20 ms a render. The text is exactly what a
// library Document of the value writes with lineWidth 0 after double-quoting the strings the
// caller names — the library's decisions (yaml 2.x, dist/stringify/) are replicated below,
// and test/yaml-emit.test.ts compares the two. With lineWidth 0 the library never folds, so
// multi-line strings are always literal blocks (`|`) and quoted strings stay on their lines.

const INDENT_STEP = '  ';

/** Why the library's path is needed instead: the caller falls back to it for the whole value. */
class NotPlain extends Error {}

/**
 * The text, or undefined for what only the library writes: a value that is not plain data
 * (class instances, toJSON, bigint, functions) or a key longer than 1024 characters (written as
 * an explicit `? key`). `doubleQuoted` names the strings to double-quote (keys too), as setting
 * a Scalar's type to QUOTE_DOUBLE does, `root` true for a string that is the whole document; it
 * must include every string the YAML 1.2 core schema would resolve to a non-string, which the
 * library's own plain-string check would otherwise quote.
 */
export function emitYaml(value: unknown, doubleQuoted: (text: string, root: boolean) => boolean): string | undefined {
  try {
    return `${new Emitter(repeatedObjects(value), doubleQuoted).node(value, '')}\n`;
  } catch (e) {
    if (e instanceof NotPlain) return undefined;
    throw e;
  }
}

/**
 * The library writes an object met again as an alias (`*a1`) of an anchor on its first
 * occurrence (`&a1`), numbered in the order the repeats are met, depth first; it does not
 * descend into a repeat. The compose file shares objects between services, so this is common.
 */
function repeatedObjects(root: unknown): Map<object, string> {
  const seen = new Set<object>();
  const anchors = new Map<object, string>();
  const walk = (v: unknown) => {
    if (typeof v !== 'object' || v === null) return;
    if (seen.has(v)) {
      if (!anchors.has(v)) anchors.set(v, `a${anchors.size + 1}`);
      return;
    }
    seen.add(v);
    for (const item of Array.isArray(v) ? v : Object.values(v)) walk(item);
  };
  walk(root);
  return anchors;
}

class Emitter {
  private readonly anchored = new Set<object>();
  constructor(
    private readonly anchors: Map<object, string>,
    private readonly doubleQuoted: (text: string, root: boolean) => boolean,
  ) {}

  /** A value whose node is at `indent` (the library's ctx.indent). */
  node(value: unknown, indent: string): string {
    if (value === null || value === undefined) return 'null'; // undefined: only in arrays (maps drop it) or as the root
    switch (typeof value) {
      case 'string':
        return this.string(value, indent, false);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'number':
        return numberText(value);
      case 'object':
        return this.collection(value, indent);
      default:
        throw new NotPlain();
    }
  }

  /** The collection, its anchor first (`&a1` on a line of its own unless empty), or its alias. */
  private collection(value: object, indent: string): string {
    const anchor = this.anchors.get(value);
    if (anchor === undefined) return this.items(value, indent);
    if (this.anchored.has(value)) return `*${anchor}`;
    this.anchored.add(value);
    const body = this.items(value, indent);
    return body === '{}' || body === '[]' ? `&${anchor} ${body}` : `&${anchor}\n${indent}${body}`;
  }

  private items(value: object, indent: string): string {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') throw new NotPlain();
    if (Array.isArray(value)) {
      // Items are one step in from the dash; a for loop, as the library reads holes as null.
      const items: string[] = [];
      for (let i = 0; i < value.length; i++) items.push(`- ${this.node(value[i], indent + INDENT_STEP)}`);
      return items.length === 0 ? '[]' : items.join(`\n${indent}`);
    }
    // Class instances, Maps, and iterables the library would write as sequences.
    const proto = Object.getPrototypeOf(value);
    if ((proto !== Object.prototype && proto !== null) || Symbol.iterator in value) throw new NotPlain();
    const pairs: string[] = [];
    for (const [key, v] of Object.entries(value)) if (v !== undefined) pairs.push(this.pair(key, v, indent + INDENT_STEP));
    return pairs.length === 0 ? '{}' : pairs.join(`\n${indent}`);
  }

  /** `key: value`; a block collection starts on the next line, at the pair's inner indent. */
  private pair(key: string, value: unknown, inner: string): string {
    const k = this.string(key, inner, true);
    if (k.length > 1024) throw new NotPlain();
    const v = this.node(value, inner);
    if (typeof value !== 'object' || value === null) return `${k}: ${v}`;
    // An empty collection, an alias, or an anchor (its collection on the next lines) stays on the key's line.
    return v === '{}' || v === '[]' || v[0] === '*' || v[0] === '&' ? `${k}: ${v}` : `${k}:\n${inner}${v}`;
  }

  /** The library's stringifyString for a string tagged PLAIN by default, QUOTE_DOUBLE when named or holding control characters. */
  private string(value: string, indent: string, implicitKey: boolean): string {
    // Only the root node is at indent '' (a key is at least one step in).
    if (this.doubleQuoted(value, indent === '') || CONTROL_CHARS.test(value)) return doubleQuotedString(value, indent, implicitKey);
    return plainString(value, indent, implicitKey);
  }
}

/** Control characters and lone surrogates: the library double-quotes these whatever the style. */
const CONTROL_CHARS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;

/** The library's stringifyNumber (every number tag of the core schema writes through it for these). */
function numberText(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? '.nan' : n < 0 ? '-.inf' : '.inf';
  return Object.is(n, -0) ? '-0' : JSON.stringify(n);
}

// Lines starting with %, ---, or ... would read as directives or document markers.
const containsDocumentMarker = (s: string) => /^(%|---|\.\.\.)/m.test(s);

/** Plain when YAML allows it, else quoted (keys, one-line strings) or a block (multi-line values). */
function plainString(value: string, indent: string, implicitKey: boolean): string {
  const multiLine = value.includes('\n');
  if (implicitKey && multiLine) return quotedString(value, indent, implicitKey);
  // Indicator first characters, a lone or leading `- `/`? `, `: ` or ` #` inside, space
  // around a newline, a trailing space or colon: not plain.
  if (/^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/.test(value)) {
    return implicitKey || !multiLine ? quotedString(value, indent, implicitKey) : blockString(value, indent, false);
  }
  if (!implicitKey && multiLine) return blockString(value, indent, false);
  if (containsDocumentMarker(value)) {
    if (indent === '') return blockString(value, indent, true); // a root scalar: a block indents it off column 0
    if (implicitKey && indent === INDENT_STEP) return quotedString(value, indent, implicitKey); // a top-level key
  }
  // The library also quotes a plain string the 1.2 core schema resolves otherwise; the caller's
  // doubleQuoted already covers those (see emitYaml).
  return value;
}

/** Single quotes only when the string has double quotes and no single ones. */
function quotedString(value: string, indent: string, implicitKey: boolean): string {
  return value.includes('"') && !value.includes("'") ? singleQuotedString(value, indent, implicitKey) : doubleQuotedString(value, indent, implicitKey);
}

function singleQuotedString(value: string, indent: string, implicitKey: boolean): string {
  // A single-quoted line break would eat whitespace next to it; keys cannot span lines.
  if ((implicitKey && value.includes('\n')) || /[ \t]\n|\n[ \t]/.test(value)) return doubleQuotedString(value, indent, implicitKey);
  const ind = indent || (containsDocumentMarker(value) ? INDENT_STEP : '');
  return `'${value.replace(/'/g, "''").replace(/\n+/g, `$&\n${ind}`)}'`;
}

/** Short YAML escapes for what JSON writes as \u00XX. */
const SHORT_ESCAPES: Record<string, string> = { '0000': '\\0', '0007': '\\a', '000b': '\\v', '001b': '\\e', '0085': '\\N', '00a0': '\\_', '2028': '\\L', '2029': '\\P' };
/** Below this JSON length a value's \n stays an escape; from it on a line break (the library's doubleQuotedMinMultiLineLength). */
const MIN_MULTI_LINE_LENGTH = 40;

/** JSON's escapes, YAML's shorter ones, and (in long values) \n written as real line breaks. */
function doubleQuotedString(value: string, indent: string, implicitKey: boolean): string {
  const json = JSON.stringify(value);
  const ind = indent || (containsDocumentMarker(value) ? INDENT_STEP : '');
  let str = '';
  let start = 0;
  for (let i = 0, ch = json[i]; ch; ch = json[++i]) {
    if (ch === ' ' && json[i + 1] === '\\' && json[i + 2] === 'n') {
      // A space before a line break is escaped, else the break would fold it away.
      str += `${json.slice(start, i)}\\ `;
      i += 1;
      start = i;
      ch = '\\';
    }
    if (ch !== '\\') continue;
    if (json[i + 1] === 'u') {
      const code = json.substr(i + 2, 4);
      str += json.slice(start, i) + (SHORT_ESCAPES[code] ?? (code.startsWith('00') ? `\\x${code.slice(2)}` : json.substr(i, 6)));
      i += 5;
      start = i + 1;
    } else if (json[i + 1] === 'n' && !implicitKey && json[i + 2] !== '"' && json.length >= MIN_MULTI_LINE_LENGTH) {
      // A line break in a double-quoted scalar folds to a space, so one \n takes two breaks
      // (and each further \n one); a leading space on the next line is escaped.
      str += `${json.slice(start, i)}\n\n`;
      while (json[i + 2] === '\\' && json[i + 3] === 'n' && json[i + 4] !== '"') {
        str += '\n';
        i += 2;
      }
      str += ind;
      if (json[i + 2] === ' ') str += '\\';
      i += 1;
      start = i + 1;
    } else {
      i += 1; // any other escape stays as JSON wrote it
    }
  }
  return start ? str + json.slice(start) : json;
}

// Runs of newlines inside the trailing whitespace, each but the last line break getting the indent.
const BLOCK_END_NEWLINES = /(^|(?<!\n))\n+(?!\n|$)/g;

/** A literal block (`|`), its chomping (`-` strip, clip, `+` keep) from the trailing newlines, an indentation indicator when the text starts with a space. */
function blockString(value: string, indent: string, forceBlockIndent: boolean): string {
  // A block cannot end in whitespace after its last line break.
  if (/\n[\t ]+$/.test(value)) return quotedString(value, indent, false);
  const ind = indent || (forceBlockIndent || containsDocumentMarker(value) ? INDENT_STEP : '');
  let endStart = value.length;
  while (endStart > 0 && '\n\t '.includes(value[endStart - 1])) endStart--;
  let end = value.substring(endStart);
  const endNlPos = end.indexOf('\n');
  const chomp = endNlPos === -1 ? '-' : value === end || endNlPos !== end.length - 1 ? '+' : '';
  let body = value;
  if (end) {
    body = body.slice(0, -end.length);
    if (end.endsWith('\n')) end = end.slice(0, -1);
    end = end.replace(BLOCK_END_NEWLINES, `$&${ind}`);
  }
  // Leading spaces and blank lines: kept apart so only the line breaks get the indent.
  let startWithSpace = false;
  let startEnd = 0;
  let startNlPos = -1;
  for (; startEnd < body.length; ++startEnd) {
    const ch = body[startEnd];
    if (ch === ' ') startWithSpace = true;
    else if (ch === '\n') startNlPos = startEnd;
    else break;
  }
  let start = body.substring(0, startNlPos < startEnd ? startNlPos + 1 : startEnd);
  if (start) {
    body = body.substring(start.length);
    start = start.replace(/\n+/g, `$&${ind}`);
  }
  const header = (startWithSpace ? (ind ? '2' : '1') : '') + chomp;
  return `|${header}\n${ind}${start}${body.replace(/\n+/g, `$&${ind}`)}${end}`;
}
