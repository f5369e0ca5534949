// A one-pass reader for the block YAML most files are written in, building the very node tree
// the `yaml` library's parser builds (Document, YAMLMap, YAMLSeq, Pair, Scalar, Alias: same
// values, types, sources, formats, anchors and ranges). The library's lexer, CST parser and
// composer are generators that run in V8's interpreter for a short-lived CLI: 60–70 ms of a
// 260 ms validate went to reading a few small files. What this reader takes:
//   block maps and sequences (`- key: v` compact maps in items, `key:` followed by `- item` at the
//   key's indentation), plain one-line scalars, one-line single- and double-quoted scalars,
//   literal and folded block scalars without an indentation indicator, flow sequences and maps
//   of scalars (on one line, or over several indented under their key), anchors, aliases,
//   `<<` merge keys, full-line and trailing comments, `---` between documents.
// Anything else makes it decline (return undefined) and the caller uses the library, which
// also reports every syntax error: this reader never reports one. It declines tabs, carriage
// returns and control characters anywhere, tags, directives, `...`, `?` keys, multi-line
// plain and quoted scalars, nested flow collections, empty documents, repeated keys, and
// anything it is unsure of.
// Comments are not kept (no comment, commentBefore or spaceBefore): nothing that reads these
// documents (core/yaml-doc.ts's callers, yaml-data.ts, yaml-walk.ts, validate/) looks at them;
// editing a file with its comments (lifecycle/upgrade.ts) calls the library directly. Where the
// library's parser stretches a node's range over comment lines (a comment indented under a
// scalar, trailing comments of a nested collection, comments after an empty value), the ranges
// here are stretched alike.
// test/yaml-fast.test.ts compares every tree this reader builds with the library's.
import { Alias, Pair, Scalar, YAMLMap, YAMLSeq, isScalar, type Document, type Range, type Schema } from 'yaml';

interface ScalarTag {
  default?: boolean | 'key';
  test?: RegExp;
  format?: string;
  resolve(value: string, onError: (message: string) => void, options: unknown): unknown;
}

/** Thrown where the text leaves the subset; caught in fastParseDocuments. */
const DECLINE = Symbol('decline');
function decline(): never {
  throw DECLINE;
}

// Line kinds, found once for the whole text.
const BLANK = 0; // nothing but spaces
const COMMENT = 1; // first non-space character `#`
const CONTENT = 2;
const DOC_START = 3; // `---`, alone or before a comment

// Tabs, CR, C0/C1 controls, BOM, U+2028/9, lone surrogates, non-characters: the library's
// handling of these differs from place to place, so they all go to it.
const UNUSUAL_CHAR = /[\t\r\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]/u;
// Anchor and alias names this reader takes (the library takes more, e.g. names ending in `:`, an error for an alias).
const NAME_CHAR = /[A-Za-z0-9_.-]/;
// First characters a plain scalar may not have (or this reader does not take): indicators.
const NOT_PLAIN_START = /[-?:,[\]{}#&*!|>'"%@`]/;
const DOUBLE_QUOTE_ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', e: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
  N: '\u0085', _: '\u00a0', L: '\u2028', P: '\u2029', ' ': ' ', '"': '"', '/': '/', '\\': '\\',
};
/** The schema's own key for its string tag (the library's identity.SCALAR). */
const SCALAR_TAG = Symbol.for('yaml.scalar');
const HEX_ESCAPE_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };

class Reader {
  /** Offset of each line's first character (what the library's LineCounter records). */
  readonly lineStarts: number[] = [];
  private readonly lineEnds: number[] = [];
  private readonly indents: number[] = [];
  private readonly kinds: number[] = [];
  /** First line after the current document (its `---` or the end). */
  private docEnd = 0;
  private doc!: Document;
  private schema!: Schema;
  // The document's schema's tags, as composeScalar tries them: values by default tags, keys also by `<<`'s.
  private stringTag!: ScalarTag;
  private valueTags: ScalarTag[] = [];
  private keyTags: ScalarTag[] = [];
  /** Matches when one of valueTags' (keyTags') tests does: most plain scalars are strings, and one test rules out all. */
  private anyValueTag!: RegExp;
  private anyKeyTag!: RegExp;
  /** The line after the node just read. */
  private next = 0;
  /** The line a flow collection being read has reached. */
  private flowLine = 0;

  constructor(private readonly text: string) {
    if (UNUSUAL_CHAR.test(text)) decline();
    for (let start = 0; ; ) {
      const nl = text.indexOf('\n', start);
      const end = nl < 0 ? text.length : nl;
      let indent = start;
      while (text.charCodeAt(indent) === 32) indent++;
      const first = text[indent];
      this.lineStarts.push(start);
      this.lineEnds.push(end);
      this.indents.push(indent - start);
      // Only a line starting `-`, `.` or `%` at column 0 can be a marker or a directive.
      this.kinds.push(indent === end ? BLANK : first === '#' ? COMMENT : indent === start && (first === '-' || first === '.' || first === '%') && this.docMarker(start, end) ? DOC_START : CONTENT);
      if (nl < 0) break;
      start = nl + 1;
    }
  }

  /** `---` (alone or before a comment) starts a document; `...` and `%` directives are not taken. */
  private docMarker(start: number, end: number): boolean {
    const t = this.text;
    if (t[start] === '%') decline();
    const head = t.slice(start, start + 3);
    if ((head !== '---' && head !== '...') || (end > start + 3 && t[start + 3] !== ' ')) return false;
    if (head === '...') decline();
    const rest = t.slice(start + 3, end).trimStart();
    if (rest !== '' && rest[0] !== '#') decline(); // `--- value`
    return true;
  }

  documents(newDocument: () => Document): Document[] {
    const docs: Document[] = [];
    const lines = this.kinds.length;
    for (let line = 0; line < lines; ) {
      const explicit = this.kinds[line] === DOC_START;
      const first = explicit ? line + 1 : line;
      let end = first;
      while (end < lines && this.kinds[end] !== DOC_START) end++;
      this.docEnd = end;
      const content = this.nextContent(first);
      if (content < end) docs.push(this.document(newDocument(), explicit ? this.lineStarts[line] : -1, content));
      else if (explicit) decline(); // an empty document
      line = end;
    }
    if (docs.length === 0) decline();
    return docs;
  }

  /** A document whose top node starts at line `first` (its `---` at `start`, or -1). */
  private document(doc: Document, start: number, first: number): Document {
    this.doc = doc;
    this.schema = doc.schema;
    const schema = doc.schema as Schema & { [SCALAR_TAG]: ScalarTag };
    if (schema.compat) decline(); // a YAML 1.1 schema's warnings
    this.stringTag = schema[SCALAR_TAG];
    const tags = (schema.tags as ScalarTag[]).filter((t) => t.test);
    this.valueTags = tags.filter((t) => t.default === true);
    this.keyTags = tags.filter((t) => t.default === true || t.default === 'key');
    this.anyValueTag = alternation(this.valueTags.map((t) => t.test!));
    this.anyKeyTag = alternation(this.keyTags.map((t) => t.test!));
    if (this.indents[first] !== 0) decline();
    const contents = this.isSeqItem(first, 0) ? this.blockSeq(first, 0) : this.blockMap(first, 0);
    if (this.nextContent(this.next) < this.docEnd) decline();
    if (start >= 0) doc.directives!.docStart = true;
    doc.contents = contents;
    const contentEnd = contents.range![2];
    // The lines after the contents are the document's, unless a node took them (an empty value or a collection).
    const rangeEnd = this.next >= this.docEnd ? contentEnd : this.docEnd < this.lineStarts.length ? this.lineStarts[this.docEnd] : this.text.length;
    doc.range = [start >= 0 ? start : this.lineStarts[first], contentEnd, rangeEnd];
    return doc;
  }

  /** The first content line from `line` on, or the document's end. */
  private nextContent(line: number): number {
    while (line < this.docEnd && (this.kinds[line] === BLANK || this.kinds[line] === COMMENT)) line++;
    return line;
  }

  /**
   * Where a block collection at column `col` ends, its last item's range ending at `end`: the
   * library's parser gives the comment lines after it (up to the next content line) to the
   * innermost collection it closes whose column some of them reach (none at column 0), and the
   * collection's range then runs to the next content (`this.next` moves past them).
   */
  private collectionEnd(col: number, end: number): number {
    const next = this.nextContent(this.next);
    let deepest = -1;
    for (let i = this.next; i < next; i++) if (this.kinds[i] === COMMENT) deepest = Math.max(deepest, this.indents[i]);
    if (col === 0 || deepest < col) return end;
    this.next = next;
    return next < this.docEnd ? this.lineStarts[next] + this.indents[next] : next < this.lineStarts.length ? this.lineStarts[next] : this.text.length;
  }

  /**
   * The end of a scalar, alias or flow collection value ending on `line`, in a collection at
   * column `col`: its line, and (as the library's parser has it) the comment lines right after
   * it indented deeper than `col`, with the blank lines before them; `this.next` moves past them.
   */
  private valueEnd(line: number, col: number): number {
    let end = this.lineAfter(line);
    this.next = line + 1;
    for (let i = line + 1; i < this.docEnd && this.kinds[i] !== CONTENT; i++) {
      if (this.kinds[i] === BLANK) continue;
      if (this.indents[i] <= col) break;
      end = this.lineAfter(i);
      this.next = i + 1;
    }
    return end;
  }

  private isSeqItem(line: number, col: number): boolean {
    const at = this.lineStarts[line] + col;
    return this.text[at] === '-' && (at + 1 === this.lineEnds[line] || this.text[at + 1] === ' ');
  }

  /** Where the text after a node on `line` ends: after its newline. */
  private lineAfter(line: number): number {
    return line + 1 < this.lineStarts.length ? this.lineStarts[line + 1] : this.text.length;
  }

  /** Only spaces, or spaces and a comment, from `pos` to the line's end. */
  private restIsTrivia(line: number, pos: number): boolean {
    const t = this.text;
    const end = this.lineEnds[line];
    let p = pos;
    while (p < end && t[p] === ' ') p++;
    return p === end || (t[p] === '#' && p > pos);
  }

  private skipSpaces(pos: number): number {
    while (this.text[pos] === ' ') pos++;
    return pos;
  }

  /** A block map whose first key starts at column `col` of `line` (after `- ` for a compact map). */
  private blockMap(line: number, col: number): YAMLMap {
    const map = new YAMLMap(this.schema);
    const keys = new Set<unknown>();
    let end = 0;
    for (let i = line; ; ) {
      const key = this.mapKey(i, col);
      // The library's parse with uniqueKeys reports a repeated key: that text goes to it.
      if (keys.has(key.value)) decline();
      keys.add(key.value);
      const value = this.value(i, key.range![1] + 1, col, true);
      map.items.push(new Pair(key, value));
      end = value.range![2];
      const next = this.nextContent(this.next);
      if (next >= this.docEnd || this.indents[next] < col) break;
      if (this.indents[next] > col) decline(); // a continuation line, or a bad indentation
      if (this.isSeqItem(next, col)) break; // not an entry: the collection around this map declines it
      i = next;
    }
    map.range = [this.lineStarts[line] + col, end, this.collectionEnd(col, end)];
    return map;
  }

  /** A key (plain or quoted, on one line, `:` right after it) starting at column `col`. */
  private mapKey(line: number, col: number): Scalar {
    const t = this.text;
    const start = this.lineStarts[line] + col;
    const lineEnd = this.lineEnds[line];
    const quote = t[start];
    if (quote === '"' || quote === "'") {
      const { value, end } = this.quoted(line, start);
      if (t[end] !== ':' || (end + 1 < lineEnd && t[end + 1] !== ' ')) decline();
      return this.scalar(value, quote === '"' ? Scalar.QUOTE_DOUBLE : Scalar.QUOTE_SINGLE, [start, end, end], true);
    }
    if (NOT_PLAIN_START.test(quote)) decline();
    let colon = t.indexOf(':', start);
    while (colon >= 0 && colon < lineEnd && colon + 1 < lineEnd && t[colon + 1] !== ' ') colon = t.indexOf(':', colon + 1);
    if (colon < 0 || colon >= lineEnd || colon - start > 1000) decline(); // no key here, or one near the library's 1024-character limit
    const source = t.slice(start, colon);
    if (source.endsWith(' ') || source.includes(' #')) decline();
    return this.scalar(source, Scalar.PLAIN, [start, colon, colon], true);
  }

  /**
   * A map value or sequence item after its indicator (`pos` is right after `:` or `-`) of a
   * collection at column `col`: on the same line, or a block collection on the lines after it.
   */
  private value(line: number, pos: number, col: number, inMap: boolean, commentedBefore = false): Scalar | Alias | YAMLMap | YAMLSeq {
    const t = this.text;
    let p = this.skipSpaces(pos);
    let anchor: string | undefined;
    if (t[p] === '&') {
      const end = this.nameEnd(p + 1);
      anchor = t.slice(p + 1, end);
      if (end === p + 1 || (end < this.lineEnds[line] && t[end] !== ' ')) decline();
      p = this.skipSpaces(end);
    }
    if (p === this.lineEnds[line] || t[p] === '#') return this.blockChild(line, p, col, inMap, anchor, commentedBefore);
    const node = this.inlineValue(line, p, col, !inMap && anchor === undefined);
    if (anchor !== undefined) {
      if (node instanceof Alias) decline(); // `&a *b` is an error
      node.anchor = anchor;
    }
    return node;
  }

  /** The node on the lines after `key:` or `-` (nothing else on its line from `pos`), or the null of an empty value. */
  private blockChild(line: number, pos: number, col: number, inMap: boolean, anchor: string | undefined, commentedBefore: boolean): Scalar | YAMLMap | YAMLSeq {
    const next = this.nextContent(line + 1);
    let node: Scalar | YAMLMap | YAMLSeq;
    if (next < this.docEnd && this.indents[next] > col) {
      const indent = this.indents[next];
      const first = this.text[this.lineStarts[next] + indent];
      if (first === '[' || first === '{') node = this.flowCollection(next, this.lineStarts[next] + indent, col);
      else node = this.isSeqItem(next, indent) ? this.blockSeq(next, indent) : this.blockMap(next, indent);
    } else if (inMap && next < this.docEnd && this.indents[next] === col && this.isSeqItem(next, col)) {
      node = this.blockSeq(next, col); // `key:` then `- item` at the key's column
    } else {
      if (anchor !== undefined) decline(); // an anchored null
      return this.emptyValue(line, pos, col, inMap, next, commentedBefore);
    }
    if (anchor !== undefined) node.anchor = anchor;
    return node;
  }

  /**
   * The null of `key:` or `-` with nothing after it (`pos`: after the indicator and its spaces),
   * the next content at `next`. As the library's parser has it, the comment and blank lines
   * after it are the value's (its range ends after them when one is a comment), except that
   * before the next key of the same map, the lines from the second line break after the last
   * comment indented deeper than `col` (or after the value's own line) on belong to that key.
   */
  private emptyValue(line: number, pos: number, col: number, inMap: boolean, next: number, commentedBefore: boolean): Scalar {
    let commented = commentedBefore || pos !== this.lineEnds[line]; // `key: # comment`
    let end: number;
    let last = next; // the last line of those the value takes, when before the next key
    if (inMap && next < this.docEnd && this.indents[next] === col) {
      last = line;
      for (let i = line + 1; i < next; i++) if (this.kinds[i] === COMMENT && this.indents[i] > col) last = i;
      last++;
    }
    if (last < next) end = this.lineEnds[last];
    else if (next < this.docEnd) end = this.lineStarts[next] + this.indents[next];
    else if (next === this.lineStarts.length) end = this.text.length;
    else if (next === line + 1) end = this.lineStarts[next];
    else decline(); // lines between the document's last value, empty, and the next `---`: the library's range differs from case to case
    for (let i = line + 1; i <= Math.min(last, next - 1); i++) if (this.kinds[i] === COMMENT) commented = true;
    this.next = next;
    return this.scalar('', Scalar.PLAIN, [pos, pos, commented ? end : pos], false);
  }

  /** A value starting at `pos` on its indicator's line; in a sequence item (`compactMap`) it may be the first key of a map. */
  private inlineValue(line: number, pos: number, col: number, compactMap: boolean): Scalar | Alias | YAMLMap | YAMLSeq {
    const t = this.text;
    const lineEnd = this.lineEnds[line];
    const ch = t[pos];
    if (ch === '*') {
      const end = this.nameEnd(pos + 1);
      if (end === pos + 1 || !this.restIsTrivia(line, end)) decline(); // `*a: v` (an alias key) or text after it
      const alias = new Alias(t.slice(pos + 1, end));
      alias.range = [pos, end, this.valueEnd(line, col)];
      return alias;
    }
    if (ch === '"' || ch === "'") {
      const { value, end } = this.quoted(line, pos);
      if (t[end] === ':' && compactMap) return this.blockMap(line, pos - this.lineStarts[line]);
      if (!this.restIsTrivia(line, end)) decline();
      return this.scalar(value, ch === '"' ? Scalar.QUOTE_DOUBLE : Scalar.QUOTE_SINGLE, [pos, end, this.valueEnd(line, col)], false);
    }
    if (ch === '[' || ch === '{') return this.flowCollection(line, pos, col);
    if (ch === '|' || ch === '>') return this.blockScalar(line, pos, col);
    if (NOT_PLAIN_START.test(ch) && !(ch === '-' && pos + 1 < lineEnd && t[pos + 1] !== ' ')) decline();
    // A plain scalar: to a ` #` comment or the line's end.
    const comment = t.slice(pos, lineEnd).indexOf(' #');
    let end = comment < 0 ? lineEnd : pos + comment;
    while (t[end - 1] === ' ') end--;
    const source = t.slice(pos, end);
    if (source.includes(': ') || source.endsWith(':')) {
      if (compactMap) return this.blockMap(line, pos - this.lineStarts[line]);
      decline(); // a map where only a value may be
    }
    return this.scalar(source, Scalar.PLAIN, [pos, end, this.valueEnd(line, col)], false);
  }

  /** A block sequence whose first `-` is at column `col` of `line`. */
  private blockSeq(line: number, col: number): YAMLSeq {
    const seq = new YAMLSeq(this.schema);
    let end = 0;
    for (let i = line; ; ) {
      // An item's comment lines before its `-` are its own, and make its range end later if it is empty.
      let commentedBefore = false;
      for (let j = this.next; i > line && j < i; j++) if (this.kinds[j] === COMMENT) commentedBefore = true;
      const item = this.value(i, this.lineStarts[i] + col + 1, col, false, commentedBefore);
      seq.items.push(item);
      end = item.range![2];
      const next = this.nextContent(this.next);
      if (next >= this.docEnd || this.indents[next] < col) break;
      if (this.indents[next] > col) decline();
      if (!this.isSeqItem(next, col)) break; // the next key of the map whose value this is (checked there)
      i = next;
    }
    seq.range = [this.lineStarts[line] + col, end, this.collectionEnd(col, end)];
    return seq;
  }

  /** `|` or `>`, with `-` or `+` or neither, then its lines: computed as the library's resolveBlockScalar does. */
  private blockScalar(line: number, pos: number, col: number): Scalar {
    const t = this.text;
    const folded = t[pos] === '>';
    const chomp = t[pos + 1] === '-' || t[pos + 1] === '+' ? t[pos + 1] : '';
    if (!this.restIsTrivia(line, pos + 1 + chomp.length) || line + 1 >= this.lineStarts.length) decline(); // an indentation indicator
    const last = this.lineStarts.length - 1;
    let first = line + 1;
    while (first <= last && this.kinds[first] === BLANK) first++;
    if (first > last || this.indents[first] <= col) decline(); // empty, or not indented under its key
    const indent = this.indents[first];
    // Its lines: blank ones, and any indented at least as much as the first.
    let stop = line + 1;
    let lastContent = first;
    for (; stop <= last; stop++) {
      if (this.kinds[stop] === BLANK) {
        // A blank line with more spaces than the indentation keeps them, or is an error before the first line.
        if (this.lineEnds[stop] - this.lineStarts[stop] > indent) decline();
      } else if (this.indents[stop] >= indent) lastContent = stop;
      else break;
    }
    // The library's lexer leaves trailing blank lines out of the scalar unless it keeps them (`+`),
    // and spaces after the text's last line break always.
    let endLine = stop;
    if (chomp !== '+') endLine = lastContent + 1;
    else if (stop > last && this.kinds[last] === BLANK) endLine = last;
    const sourceEnd = endLine < this.lineStarts.length ? this.lineStarts[endLine] : t.length;
    const source = t.slice(this.lineStarts[line + 1], sourceEnd);
    this.next = endLine;
    const value = blockScalarValue(source, indent, folded, chomp);
    const end = sourceEnd;
    return this.scalar(value, folded ? Scalar.BLOCK_FOLDED : Scalar.BLOCK_LITERAL, [pos, end, end], false);
  }

  /**
   * `[a, "b"]` or `{a: 1, b: "x"}` of scalars, on one line or over several each indented deeper
   * than `col` (no comment or blank line inside), a trailing comma allowed.
   */
  private flowCollection(line: number, pos: number, col: number): YAMLSeq | YAMLMap {
    const t = this.text;
    const isMap = t[pos] === '{';
    const close = isMap ? '}' : ']';
    const coll = isMap ? new YAMLMap(this.schema) : new YAMLSeq(this.schema);
    coll.flow = true;
    const keys = new Set<unknown>();
    this.flowLine = line;
    let p = this.flowSpace(pos + 1, col);
    while (t[p] !== close) {
      const key = this.flowScalar(p, isMap, col);
      p = key.range![2];
      if (isMap) {
        if (keys.has(key.value) || t[key.range![1]] !== ':' || t[key.range![1] + 1] !== ' ') decline();
        keys.add(key.value);
        const value = this.flowScalar(this.flowSpace(key.range![1] + 1, col), false, col);
        (coll as YAMLMap).items.push(new Pair(key, value));
        p = value.range![2];
      } else (coll as YAMLSeq).items.push(key);
      if (t[p] === ',') p = this.flowSpace(p + 1, col);
      else if (t[p] !== close) decline();
    }
    const last = this.flowLine;
    if (!this.restIsTrivia(last, p + 1)) decline(); // `[a]: b` (a flow key) or text after it
    coll.range = [pos, p + 1, this.valueEnd(last, col)];
    return coll;
  }

  /** Past spaces and line breaks in a flow collection; a new line must be content indented deeper than `col`. */
  private flowSpace(pos: number, col: number): number {
    const t = this.text;
    for (;;) {
      pos = this.skipSpaces(pos);
      if (pos !== this.lineEnds[this.flowLine]) return pos;
      const next = ++this.flowLine;
      if (next >= this.docEnd || this.kinds[next] !== CONTENT || this.indents[next] <= col) decline();
      pos = this.lineStarts[next];
      if (t[pos] === '#') decline();
    }
  }

  /** A quoted or plain scalar in a flow collection; range[2] takes the space (and line breaks) after it. */
  private flowScalar(pos: number, atKey: boolean, col: number): Scalar {
    const t = this.text;
    const line = this.flowLine;
    const ch = t[pos];
    let node: Scalar;
    let end: number;
    if (ch === '"' || ch === "'") {
      const q = this.quoted(line, pos);
      end = q.end;
      node = this.scalar(q.value, ch === '"' ? Scalar.QUOTE_DOUBLE : Scalar.QUOTE_SINGLE, [pos, end, end], atKey);
    } else {
      if (ch === undefined || NOT_PLAIN_START.test(ch)) decline();
      end = pos;
      while (end < this.lineEnds[line] && !/[,[\]{}:#]/.test(t[end])) end++;
      while (t[end - 1] === ' ') end--;
      if (t[end] === '#' || (t[end] === ':' && !atKey)) decline();
      node = this.scalar(t.slice(pos, end), Scalar.PLAIN, [pos, end, end], atKey);
    }
    node.range![2] = t[end] === ':' ? end : this.flowSpace(end, col);
    return node;
  }

  /** A quoted scalar closed on its line: its value and the offset after the closing quote. */
  private quoted(line: number, pos: number): { value: string; end: number } {
    const t = this.text;
    const lineEnd = this.lineEnds[line];
    if (t[pos] === "'") {
      let value = '';
      for (let p = pos + 1; p < lineEnd; ) {
        const q = t.indexOf("'", p);
        if (q < 0 || q >= lineEnd) break;
        value += t.slice(p, q);
        if (t[q + 1] !== "'") return { value, end: q + 1 };
        value += "'";
        p = q + 2;
      }
      return decline(); // closed on a later line, or never
    }
    let value = '';
    for (let p = pos + 1; p < lineEnd; ) {
      const ch = t[p];
      if (ch === '"') return { value, end: p + 1 };
      if (ch !== '\\') {
        value += ch;
        p++;
        continue;
      }
      const e = t[p + 1];
      const length = HEX_ESCAPE_LENGTH[e];
      if (length) {
        const hex = t.slice(p + 2, p + 2 + length);
        const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === length ? parseInt(hex, 16) : NaN;
        if (!(code <= 0x10ffff)) decline();
        value += String.fromCodePoint(code);
        p += 2 + length;
      } else if (Object.prototype.hasOwnProperty.call(DOUBLE_QUOTE_ESCAPES, e)) {
        value += DOUBLE_QUOTE_ESCAPES[e];
        p += 2;
      } else decline(); // an unknown escape, or `\` at the end of the line (a line continuation)
    }
    return decline();
  }

  private nameEnd(pos: number): number {
    while (pos < this.text.length && NAME_CHAR.test(this.text[pos])) pos++;
    return pos;
  }

  /**
   * A scalar resolved as the library's composeScalar resolves it: a plain one by the first of
   * the schema's default tags whose test matches (keys also by the merge tag, `<<`), others
   * as strings; a resolver's complaint declines.
   */
  private scalar(source: string, type: Scalar.Type, range: Range, atKey: boolean): Scalar {
    let tag = this.stringTag;
    if (type === Scalar.PLAIN && (atKey ? this.anyKeyTag : this.anyValueTag).test(source))
      tag = (atKey ? this.keyTags : this.valueTags).find((t) => t.test!.test(source)) ?? this.stringTag;
    const resolved = tag.resolve(source, decline, this.doc.options);
    const node = isScalar(resolved) ? resolved : new Scalar(resolved);
    node.range = range;
    node.source = source;
    node.type = type;
    if (tag.format) node.format = tag.format;
    return node;
  }
}

const alternations = new Map<string, RegExp>();

/**
 * One regular expression matching exactly when one of `tests` does: their alternation, or one
 * that always matches when a test has flags or a back-reference (which an alternation would
 * change), so that the tests are then tried one by one. Built once per set of tests.
 */
export function alternation(tests: readonly RegExp[]): RegExp {
  const key = tests.map((r) => `${r.source}/${r.flags}`).join('\n');
  let any = alternations.get(key);
  if (!any) {
    any = tests.every((r) => r.flags === '' && !/\\[1-9k]/.test(r.source)) ? new RegExp(tests.map((r) => `(?:${r.source})`).join('|')) : /(?:)/;
    alternations.set(key, any);
  }
  return any;
}

/** A block scalar's value from its lines, as the library's resolveBlockScalar computes it (no indentation indicator, no tabs or CRs). */
function blockScalarValue(source: string, indent: number, folded: boolean, chomp: string): string {
  // [indentation, content] per line, as the library's splitLines makes them.
  const split = source.split(/\n( *)/);
  const head = /^( *)/.exec(split[0])![1];
  const lines: [string, string][] = [[head, split[0].slice(head.length)]];
  for (let i = 1; i < split.length; i += 2) lines.push([split[i], split[i + 1]]);
  let chompStart = lines.length;
  while (chompStart > 0 && lines[chompStart - 1][1] === '') chompStart--;
  let contentStart = 0;
  while (lines[contentStart][1] === '') contentStart++;
  let value = '\n'.repeat(contentStart); // leading blank lines (none has more spaces than `indent`)
  let sep = '';
  let prevMoreIndented = false;
  for (let i = contentStart; i < chompStart; ++i) {
    const [lineIndent, content] = lines[i];
    if (!folded) {
      value += sep + lineIndent.slice(indent) + content;
      sep = '\n';
    } else if (lineIndent.length > indent) {
      // more-indented lines of a folded scalar keep their line breaks
      if (sep === ' ') sep = '\n';
      else if (!prevMoreIndented && sep === '\n') sep = '\n\n';
      value += sep + lineIndent.slice(indent) + content;
      sep = '\n';
      prevMoreIndented = true;
    } else if (content === '') {
      if (sep === '\n') value += '\n';
      else sep = '\n';
    } else {
      value += sep + content;
      sep = ' ';
      prevMoreIndented = false;
    }
  }
  if (chomp === '+') {
    for (let i = chompStart; i < lines.length; ++i) value += '\n' + lines[i][0].slice(indent);
    if (!value.endsWith('\n')) value += '\n';
  } else if (chomp === '') value += '\n';
  return value;
}

/**
 * The documents of `text` (one per `---`-separated part) when all of it is in this reader's
 * subset, each made by `newDocument` (a Document with the parse's options) and with the offsets
 * where its lines start; else undefined, and the library reads the text.
 */
export function fastParseDocuments(text: string, newDocument: () => Document): { docs: Document[]; lineStarts: number[] } | undefined {
  try {
    const reader = new Reader(text);
    return { docs: reader.documents(newDocument), lineStarts: reader.lineStarts };
  } catch (e) {
    if (e === DECLINE || e instanceof RangeError) return undefined; // RangeError: a tree too deep for the stack
    throw e;
  }
}
