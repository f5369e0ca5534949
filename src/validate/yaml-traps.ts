// Plain scalars a YAML 1.1 reader takes for something else than their text: `off` → false,
// `0755` → 493, `1:30` → 90 (sexagesimal), `1_000` → 1000, `2001-12-14` → a timestamp.
// Helm and Kubernetes read YAML 1.1 (go-yaml), so an annotation, label or env value written
// that way is not a string and the API server rejects the object; docker-compose v1 and
// PyYAML-based tools turn `restart: no` into false and `FOO: yes` into "True".
import { isAlias, isMap, isScalar, isSeq, parse, type Document, type Node } from 'yaml';
import { yaml11PlainType } from '../io/yaml-doc.js';

export interface YamlTrap {
  path: (string | number)[];
  /** The text as written. */
  text: string;
  /** What a YAML 1.1 reader makes of it, in words. */
  reading: string;
  /** YAML 1.2 (this parser) also reads a non-string: other rules may already say so. */
  nonStringIn12: boolean;
  /** YAML 1.2 reads the same value (e.g. `5001` in both): only a type matter, not a reader split. */
  sameIn12: boolean;
  line?: number;
}

function describe(value: unknown): string {
  if (value instanceof Date) return 'a timestamp';
  if (value === null) return 'null';
  return `the ${typeof value === 'boolean' ? 'boolean' : 'number'} ${String(value)}`;
}

/** The trap a node holds, if it is a plain scalar YAML 1.1 reads as a non-string. */
export function trapAt(node: unknown, path: (string | number)[], lineOf: (n: Node) => number | undefined): YamlTrap | undefined {
  if (!isScalar(node) || node.type !== 'PLAIN') return undefined;
  const text = typeof node.source === 'string' ? node.source : String(node.value);
  const type = text === '' ? undefined : yaml11PlainType(text);
  if (type === undefined || type === 'merge') return undefined;
  const value: unknown = parse(text, { version: '1.1' });
  return { path, text, reading: describe(value), nonStringIn12: typeof node.value !== 'string', sameIn12: JSON.stringify(value) === JSON.stringify(node.value), line: lineOf(node) };
}

const keyOf = (k: unknown) => (isScalar(k) ? String(k.value) : '');
/** Maps Kubernetes reads as string → string: annotations and labels of every kind (podAnnotations, commonLabels, matchLabels …). */
const STRING_MAP = /(annotations|labels)$/i;
/** Lists of Kubernetes EnvVar entries (env, extraEnv, extraEnvVars …). */
const ENV_LIST = /^(env|extraEnv|extraEnvVars|envVars)$/;

/** Traps in a Helm values document: annotation/label values and env `value`s anywhere in the tree. */
export function helmValueTraps(doc: Document, lineOf: (n: Node) => number | undefined): YamlTrap[] {
  const out: YamlTrap[] = [];
  const walk = (node: unknown, path: (string | number)[], depth: number) => {
    if (depth > 64 || isAlias(node)) return;
    if (isMap(node))
      for (const pair of node.items) {
        const key = keyOf(pair.key);
        const p = [...path, key];
        if (STRING_MAP.test(key) && isMap(pair.value))
          for (const item of pair.value.items) {
            const t = trapAt(item.value, [...p, keyOf(item.key)], lineOf);
            if (t) out.push(t);
          }
        else if (ENV_LIST.test(key) && isSeq(pair.value))
          pair.value.items.forEach((item, i) => {
            if (!isMap(item)) return;
            const value = item.items.find((x) => keyOf(x.key) === 'value');
            const t = value && trapAt(value.value, [...p, i, 'value'], lineOf);
            if (t) out.push(t);
          });
        else walk(pair.value, p, depth + 1);
      }
    else if (isSeq(node)) node.items.forEach((item, i) => walk(item, [...path, i], depth + 1));
  };
  walk(doc.contents, [], 0);
  return out;
}
