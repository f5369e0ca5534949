// A parsed document's data without the library's generic Document#toJS, which tracks anchors,
// calls toJSON on every node, allocates a context per value and re-walks the document for every
// alias it resolves — the bulk of a small file's read in a cold CLI run. This walk takes
// maps with scalar keys, sequences, scalars holding strings, numbers, booleans or null, and
// the anchors, aliases and `<<` merges compose files use (x-shared-env: &env …, <<: *env),
// where what an alias or merge stands for holds no alias or merge itself. Anything else makes
// the walk give up and the caller uses toJS: tagged collections (!!set, !!omap), timestamps,
// binary, collection keys, missing anchors, merges of non-maps, and documents with so many
// aliases that toJS's alias-bomb limit could matter. Same result as toJS for every document
// it accepts (property-tested in test/yaml-data.test.ts).
import { Alias, Scalar, YAMLMap, YAMLSeq, isPair, type Document, type Node } from 'yaml';
import { aliasTargets } from './yaml-walk.js';

/** The walk met something only toJS knows how to read. */
export const NOT_PLAIN: unique symbol = Symbol('not plain');

class NotPlain extends Error {}

function notPlain(): never {
  throw new NotPlain();
}

/**
 * Fewer aliases than toJS's limit (10,000 resolutions of one anchor, read with maxAliasCount
 * 10,000): as no alias target or merge source holds an alias, each alias is resolved at most
 * once, so toJS cannot refuse a document with fewer.
 */
const MAX_ALIASES = 9_000;

type Primitive = string | number | boolean | null;

function scalarValue(node: Scalar): Primitive {
  const v = node.value;
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return notPlain(); // a Date, Uint8Array, bigint or the merge symbol
}

/** As the library decides: a plain (or untyped) `<<` key merges, a quoted one is a key. */
function isMergeKey(key: unknown): boolean {
  if (!(key instanceof Scalar) || (key.type !== undefined && key.type !== 'PLAIN')) return false;
  const v = key.value;
  return v === '<<' || (typeof v === 'symbol' && v.description === '<<');
}

// Exact classes: the YAML 1.1 !!set and !!omap nodes are subclasses with their own toJSON.
const kind = (node: unknown) => (node === null || typeof node !== 'object' ? undefined : Object.getPrototypeOf(node));

class Reader {
  private targets?: Map<Alias, Node>;
  /** What an anchored node read as, for the aliases to it. */
  private readonly anchored = new Map<Node, unknown>();
  private readonly noAlias = new Map<Node, boolean>();

  constructor(private readonly targetsOf: () => Map<Alias, Node>) {}

  /** The node an alias stands for, when the walk may use it. */
  private target(alias: Alias): Node {
    if (!this.targets) {
      this.targets = this.targetsOf();
      if (this.targets.size >= MAX_ALIASES) notPlain();
    }
    const node = this.targets.get(alias);
    return node && this.aliasFree(node) ? node : notPlain();
  }

  /** No alias and no merge key anywhere below. */
  private aliasFree(node: unknown): boolean {
    if (kind(node) === Scalar.prototype || node === null || node === undefined) return true;
    if (node instanceof Alias) return false;
    let free = this.noAlias.get(node as Node);
    if (free === undefined) {
      const items = (node as { items?: unknown[] }).items ?? [];
      free = items.every((item) => (isPair(item) ? !isMergeKey(item.key) && this.aliasFree(item.key) && this.aliasFree(item.value) : this.aliasFree(item)));
      this.noAlias.set(node as Node, free);
    }
    return free;
  }

  read(node: unknown): unknown {
    if (node === null || node === undefined) return null;
    if (node instanceof Alias) {
      const target = this.target(node);
      return this.anchored.has(target) ? this.anchored.get(target) : this.read(target);
    }
    const proto = kind(node);
    const anchor = (node as Node).anchor;
    if (proto === Scalar.prototype) {
      const v = scalarValue(node as Scalar);
      if (anchor) this.anchored.set(node as Node, v);
      return v;
    }
    if (proto === YAMLSeq.prototype) {
      const out: unknown[] = [];
      if (anchor) this.anchored.set(node as Node, out);
      for (const item of (node as YAMLSeq).items) out.push(isPair(item) ? notPlain() : this.read(item));
      return out;
    }
    if (proto === YAMLMap.prototype) {
      const out: Record<string, unknown> = {};
      if (anchor) this.anchored.set(node as Node, out);
      for (const { key, value } of (node as YAMLMap).items) {
        if (isMergeKey(key)) {
          this.merge(out, value);
          continue;
        }
        const k = key === null ? null : kind(key) === Scalar.prototype ? scalarValue(key as Scalar) : notPlain();
        const name = k === null ? '' : String(k);
        const v = this.read(value);
        // As toJS does: a key the object already has, its own or inherited (`__proto__`,
        // `toString`) or merged, becomes an own property instead of going through a setter.
        if (name in out) Object.defineProperty(out, name, { value: v, writable: true, enumerable: true, configurable: true });
        else out[name] = v;
      }
      return out;
    }
    return notPlain(); // a node class of a custom tag
  }

  /** `<<: *a` or `<<: [*a, *b]`: each source's keys the map does not have yet, in order (YAML 1.1 merge). */
  private merge(out: Record<string, unknown>, value: unknown): void {
    const resolved = value instanceof Alias ? this.target(value) : value;
    const sources = kind(resolved) === YAMLSeq.prototype ? (resolved as YAMLSeq).items : [resolved];
    for (const item of sources) {
      const source = item instanceof Alias ? this.target(item) : item;
      if (kind(source) !== YAMLMap.prototype || !this.aliasFree(source)) notPlain();
      // The library reads a source into a Map (raw keys: 1 and "1" stay apart), then copies
      // each key the object lacks; a raw key becomes a property name as JS makes one (null → "null").
      const entries = new Map<Primitive, unknown>();
      for (const pair of (source as YAMLMap).items) {
        const k = pair.key === null ? null : kind(pair.key) === Scalar.prototype ? scalarValue(pair.key as Scalar) : notPlain();
        entries.set(k, this.read(pair.value));
      }
      for (const [k, v] of entries) {
        const name = String(k);
        if (!Object.prototype.hasOwnProperty.call(out, name)) Object.defineProperty(out, name, { value: v, writable: true, enumerable: true, configurable: true });
      }
    }
  }
}

/**
 * The data of a document's contents, or NOT_PLAIN when only toJS can say it. `targetsOf` gives
 * the document's aliasTargets, computed once by a caller that needs them too.
 */
export function plainData(doc: Document, targetsOf: () => Map<Alias, Node> = () => aliasTargets(doc)): unknown {
  try {
    return new Reader(targetsOf).read(doc.contents);
  } catch (e) {
    // A tree too deep for this walk's stack goes to toJS too, which says what it says.
    if (e instanceof NotPlain || e instanceof RangeError) return NOT_PLAIN;
    throw e;
  }
}
