// Ajv's standalone mode: a JSON schema compiled ahead of time to a CommonJS module exporting
// the validate function, so no run pays for Ajv itself or for compiling the schema.
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

/** The module text (a one-line `header` comment first) for `schema` compiled with these Ajv `options`. */
export function standaloneValidator(schema, options, header) {
  const ajv = new Ajv({ ...options, code: { source: true } });
  return `${header}\n${standaloneCode.default(ajv, ajv.compile(schema))}`;
}
