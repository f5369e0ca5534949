// Dotted paths (`database.password`) into plain nested data: a spec as read, an answers file.

type Data = Record<string, unknown>;

export function getAt(data: unknown, path: string): unknown {
  let v = data;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Data)[key];
  }
  return v;
}

/** Sets (or, with undefined, deletes) the value at `path`, making the mappings on the way. */
export function setAt(data: Data, path: string, value: unknown): void {
  const keys = path.split('.');
  let obj = data;
  for (const key of keys.slice(0, -1)) {
    const next = obj[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      if (value === undefined) return;
      obj[key] = {};
    }
    obj = obj[key] as Data;
  }
  if (value === undefined) delete obj[keys[keys.length - 1]];
  else obj[keys[keys.length - 1]] = value;
}
