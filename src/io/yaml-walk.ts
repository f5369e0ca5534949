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
  const collector = aliasTargetCollector();
  eachNode(doc, collector.visit);
  return collector.targets;
}

/** aliasTargets's map, filled node by node in eachNode's order, for a walk that also does other work. */
export function aliasTargetCollector(): { visit(node: Node): void; targets: Map<Alias, Node> } {
  const targets = new Map<Alias, Node>();
  const anchored = new Map<string, Node>();
  const visit = (node: Node) => {
    if (isAlias(node)) {
      const target = anchored.get(node.source);
      if (target) targets.set(node, target);
    } else if (node.anchor) anchored.set(node.anchor, node);
  };
  return { visit, targets };
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

/** The most nodes aliases and `<<` merges may stand for in one document, counted as copies (documented in docs/untrusted-input.md). */
export const MAX_ALIAS_EXPANSION = 1_000_000;

/**
 * The first alias that makes the document stand for more than MAX_ALIAS_EXPANSION nodes once
 * every alias is read as a copy of its anchor (an alias bomb, or thousands of services sharing
 * thousands of variables), or that sits inside the node its own anchor marks (a recursive alias,
 * which reads as an endless structure). Undefined when neither: reading the document is then
 * bounded by its size times a constant.
 */
export function aliasProblem(doc: Document, targets: Map<Alias, Node>): { alias: Alias; kind: 'recursive' | 'expansion' } | undefined {
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  let expanded = 0;
  let found: { alias: Alias; kind: 'recursive' | 'expansion' } | undefined;
  // The nodes `node` stands for, aliases read as copies; memoised per anchored node.
  const size = (node: unknown): number => {
    if (found) return 0;
    if (isPair(node)) return size(node.key) + size(node.value);
    if (node === null || typeof node !== 'object') return 0;
    if (isAlias(node)) {
      const target = targets.get(node);
      if (!target) return 1;
      if (open.has(target)) {
        found = { alias: node, kind: 'recursive' };
        return 0;
      }
      const n = size(target);
      expanded += n;
      if (expanded > MAX_ALIAS_EXPANSION && !found) found = { alias: node, kind: 'expansion' };
      return n;
    }
    const known = sizes.get(node as Node);
    if (known !== undefined) return known;
    open.add(node as Node);
    let n = 1;
    if (isCollection(node)) for (const item of node.items) n += size(item);
    open.delete(node as Node);
    if ((node as Node).anchor) sizes.set(node as Node, n);
    return n;
  };
  size(doc.contents);
  return found;
}
