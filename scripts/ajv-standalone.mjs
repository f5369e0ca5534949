// Ajv's standalone mode (https://ajv.js.org/standalone.html): a JSON schema compiled ahead of
// time to a CommonJS module exporting the validate function, so no run compiles the schema.
// The module is Ajv's output as it is; it requires Ajv's small runtime helpers (e.g. equal).
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

/** The module text (a one-line `header` comment first) for `schema` compiled with these Ajv `options`. */
export function standaloneValidator(schema, options, header) {
  const ajv = new Ajv({ ...options, code: { source: true } });
  return `${header}\n${standaloneCode.default(ajv, ajv.compile(schema))}`;
}
