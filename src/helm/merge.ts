// Helm's coalescing of user values onto a chart's defaults: maps merge key by key, any
// other value (lists included) replaces the default, and null deletes the key.
export type Values = Record<string, unknown>;

/** A key path as `a.b[2].c` (values, compose files). */
export const dotted = (path: readonly (string | number)[]) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

export function isMap(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function coalesceValues(defaults: Values, overrides: Values): Values {
  const out: Values = { ...defaults };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) delete out[key];
    else if (isMap(value) && isMap(out[key])) out[key] = coalesceValues(out[key] as Values, value);
    else out[key] = value;
  }
  return out;
}
