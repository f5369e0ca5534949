// Every node of a parsed document, in the order yaml's visit() meets them (a node before its
// children, a pair's key before its value), without what visit() builds for each node (a
// frozen copy of the ancestor path, a visitor lookup): on a cold start that was most of
// the cost of the checks that walk a whole document.
import { YAMLMap, YAMLSeq, isAlias, isCollection, isPair, isScalar, type Alias, type Document, type Node } from 'yaml';

export function eachNode(doc: Document, fn: (node: Node) => void): void {
  const walk = (node: unknown) => {
    if (isPair(node)) {
      walk(node.key);
      walk(node.value);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    fn(node as Node);
    if (isCollection(node)) for (const item of node.items) walk(item);
  };
  walk(doc.contents);
}

/**
 * Every alias's node from one walk of the document: the last node before it anchored with its
 * name, as yaml's Alias.resolve finds it — which walks the whole document on each call (1,000
 * services merging one anchor took half a minute). An alias without one is not in the map.
 */
export function aliasTargets(doc: Document): Map<Alias, Node> {
  const targets = new Map<Alias, Node>();
  const anchored = new Map<string, Node>();
  eachNode(doc, (node) => {
    if (isAlias(node)) {
      const target = anchored.get(node.source);
      if (target) targets.set(node, target);
    } else if (node.anchor) anchored.set(node.anchor, node);
  });
  return targets;
}

/**
 * The node at a path, exactly as `doc.getIn(path, true)` finds it (no alias followed, a null
 * value is undefined), without the copy of the rest of the path it makes at each level: a
 * finding's line was looked up at some 60 µs on a cold start. A collection of another class
 * (a !!set, an !!omap, a custom tag's) is left to getIn.
 */
export function nodeAt(doc: Document, path: readonly (string | number)[]): unknown {
  let node: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    if (node === null || typeof node !== 'object') return undefined;
    const proto = Object.getPrototypeOf(node);
    const key = path[i];
    if (proto === YAMLMap.prototype) {
      // YAMLMap#get's findPair: the key node itself, or a scalar key of that value.
      const pair = (node as YAMLMap).items.find((it) => isPair(it) && (it.key === key || (isScalar(it.key) && it.key.value === key)));
      node = pair?.value ?? undefined;
    } else if (proto === YAMLSeq.prototype) {
      // YAMLSeq#get's asItemIndex: a whole number ≥ 0, or a string that is one.
      const index = key && typeof key === 'string' ? Number(key) : key;
      node = typeof index === 'number' && Number.isInteger(index) && index >= 0 ? (node as YAMLSeq).items[index] : undefined;
    } else return isCollection(node) ? doc.getIn(path, true) : undefined;
  }
  return node;
}
