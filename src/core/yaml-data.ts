// A parsed document's data without the library's generic Document#toJS, which tracks anchors,
// calls toJSON on every node and allocates a context per value — the bulk of a small file's
// read in a cold CLI run. Only plain trees take this path: maps with scalar keys, sequences and
// scalars holding strings, numbers, booleans or null. Anything whose meaning needs the library
// (aliases and their counts, `<<` merges, !!set/!!omap, timestamps, binary, collection keys)
// makes the walk give up, and the caller uses toJS. Same result as toJS for every tree it
// accepts (property-tested in test/yaml-data.test.ts).
import { Scalar, YAMLMap, YAMLSeq, isPair, type Node } from 'yaml';

/** The walk met something only toJS knows how to read. */
export const NOT_PLAIN: unique symbol = Symbol('not plain');

class NotPlain extends Error {}

function scalarValue(node: Scalar): string | number | boolean | null {
  const v = node.value;
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  throw new NotPlain(); // a Date, Uint8Array, bigint or the merge symbol
}

function data(node: unknown): unknown {
  if (node === null || node === undefined) return null;
  // Exact classes: the YAML 1.1 !!set and !!omap nodes are subclasses with their own toJSON.
  const proto = Object.getPrototypeOf(node);
  if (proto === Scalar.prototype) return scalarValue(node as Scalar);
  if (proto === YAMLSeq.prototype) {
    const out: unknown[] = [];
    for (const item of (node as YAMLSeq).items) out.push(isPair(item) ? notPlain() : data(item));
    return out;
  }
  if (proto === YAMLMap.prototype) {
    const out: Record<string, unknown> = {};
    for (const { key, value } of (node as YAMLMap<Node, Node>).items) {
      let name: string;
      if (key === null) name = '';
      else if (Object.getPrototypeOf(key) !== Scalar.prototype) return notPlain();
      else {
        const k = scalarValue(key as Scalar);
        if (k === '<<') return notPlain(); // a merge key spelt `!!merge <<`: toJS merges it
        name = k === null ? '' : String(k);
      }
      const v = data(value);
      // As toJS does: a key the object already has, its own or inherited (`__proto__`,
      // `toString`), becomes an own property instead of going through the setter.
      if (name in out) Object.defineProperty(out, name, { value: v, writable: true, enumerable: true, configurable: true });
      else out[name] = v;
    }
    return out;
  }
  return notPlain(); // an alias, or a node class of a custom tag
}

function notPlain(): never {
  throw new NotPlain();
}

/** The data of a document's contents, or NOT_PLAIN when only toJS can say it. */
export function plainData(contents: unknown): unknown {
  try {
    return data(contents);
  } catch (e) {
    // A tree too deep for this walk's stack goes to toJS too, which says what it says.
    if (e instanceof NotPlain || e instanceof RangeError) return NOT_PLAIN;
    throw e;
  }
}
