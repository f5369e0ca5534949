// Every node of a parsed document, in the order yaml's visit() meets them (a node before its
// children, a pair's key before its value), without what visit() builds for each node (a
// frozen copy of the ancestor path, a visitor lookup): on a cold start that was most of
// the cost of the checks that walk a whole document.
import { isCollection, isPair, type Document, type Node } from 'yaml';

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
