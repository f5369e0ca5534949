// Plain scalars a YAML 1.1 reader takes for something else than their text: `off` → false,
// `0755` → 493, `1_000` → 1000, and to PyYAML `1:30` → 90 (sexagesimal), `2001-12-14` → a timestamp.
// Helm reads values files with go-yaml v2 (YAML 1.1 without those two), so an annotation, label or
// env value written that way is not a string and the API server rejects the object;
// docker-compose v1 and PyYAML-based tools turn `restart: no` into false and `FOO: yes` into "True".
import { isAlias, isMap, isScalar, isSeq, parse, type Document, type DocumentOptions, type Node, type ParseOptions, type SchemaOptions } from 'yaml';
import { HELM_VALUES_READER, yaml11PlainType } from '../io/yaml-doc.js';

export interface YamlTrap {
  path: (string | number)[];
  /** The text as written. */
  text: string;
  /** What the file's YAML 1.1 reader makes of it, in words. */
  reading: string;
  /** YAML 1.2 reads the same value (e.g. `5001` in both): only a type matter, not a reader split. */
  sameIn12: boolean;
  line?: number;
}

function describe(value: unknown): string {
  if (value instanceof Date) return 'a timestamp';
  if (value === null) return 'null';
  return `the ${typeof value === 'boolean' ? 'boolean' : 'number'} ${String(value)}`;
}

/**
 * The trap a node holds, if it is a plain scalar the file's consumer reads as a non-string:
 * `reader` is that program's YAML reading (default: YAML 1.1 as PyYAML and docker-compose v1
 * read it; Helm's go-yaml has no sexagesimal numbers or timestamps). The YAML 1.2 reading is
 * taken from the text, whichever reading the document was parsed with.
 */
export function trapAt(node: unknown, path: (string | number)[], lineOf: (n: Node) => number | undefined, reader: ParseOptions & DocumentOptions & SchemaOptions = { version: '1.1' }): YamlTrap | undefined {
  if (!isScalar(node) || node.type !== 'PLAIN') return undefined;
  const text = typeof node.source === 'string' ? node.source : String(node.value);
  const type = text === '' ? undefined : yaml11PlainType(text);
  if (type === undefined || type === 'merge') return undefined;
  const value: unknown = parse(text, reader);
  if (typeof value === 'string') return undefined;
  const in12: unknown = parse(text);
  return { path, text, reading: describe(value), sameIn12: JSON.stringify(value) === JSON.stringify(in12), line: lineOf(node) };
}

const keyOf = (k: unknown) => (isScalar(k) ? String(k.value) : '');
/** Maps Kubernetes reads as string → string: annotations and labels of every kind (podAnnotations, commonLabels, matchLabels …). */
const STRING_MAP = /(annotations|labels)$/i;
/** Lists of Kubernetes EnvVar entries (env, extraEnv, extraEnvVars …). */
const ENV_LIST = /^(env|extraEnv|extraEnvVars|envVars)$/;

/** Traps in a Helm values document (read as Helm reads it): annotation/label values and env `value`s anywhere in the tree. */
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
            const t = trapAt(item.value, [...p, keyOf(item.key)], lineOf, HELM_VALUES_READER);
            if (t) out.push(t);
          }
        else if (ENV_LIST.test(key) && isSeq(pair.value))
          pair.value.items.forEach((item, i) => {
            if (!isMap(item)) return;
            const value = item.items.find((x) => keyOf(x.key) === 'value');
            const t = value && trapAt(value.value, [...p, i, 'value'], lineOf, HELM_VALUES_READER);
            if (t) out.push(t);
          });
        else walk(pair.value, p, depth + 1);
      }
    else if (isSeq(node)) node.items.forEach((item, i) => walk(item, [...path, i], depth + 1));
  };
  walk(doc.contents, [], 0);
  return out;
}
