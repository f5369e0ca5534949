// Ajv's standalone mode: a JSON schema compiled ahead of time to a CommonJS module exporting
// the validate function, so no run pays for Ajv itself or for compiling the schema.
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

/**
 * Deep equality of parsed YAML/JSON data (plain objects, arrays, strings, numbers, booleans,
 * null), as Ajv's runtime `equal` (fast-deep-equal) decides it for such data, NaN equal to NaN.
 * The generated code would require Ajv's from node_modules for `uniqueItems` and `const`/`enum`
 * of objects, and resolving a package is ≈ 3 ms of a cold start; this one is written into the
 * module instead. test/validate-schema.test.ts compares the two.
 */
export function jsonEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a !== a && b !== b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && jsonEqual(a[key], b[key]));
}

const AJV_EQUAL = 'require("ajv/dist/runtime/equal").default';

/** The module text (a one-line `header` comment first) for `schema` compiled with these Ajv `options`. */
export function standaloneValidator(schema, options, header) {
  const ajv = new Ajv({ ...options, code: { source: true } });
  const code = standaloneCode.default(ajv, ajv.compile(schema));
  return `${header}\n${code.replaceAll(AJV_EQUAL, `(${jsonEqual.toString()})`)}`;
}
