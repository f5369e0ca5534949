// Every node of a parsed document, in the order yaml's visit() meets them (a node before its
// children, a pair's key before its value), without what visit() builds for each node (a
// frozen copy of the ancestor path, a visitor lookup): on a cold start that was most of
// the cost of the checks that walk a whole document.
import { isAlias, isCollection, isPair, type Alias, type Document, type Node } from 'yaml';

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
