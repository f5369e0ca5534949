// A record that reads as `{ ...base1, ...base2, ...own }` without copying the bases: every
// service of a compose file reads the same project .env, and a copy each made memory grow
// with services × variables. Lookups, `in`, Object.keys/entries, spread and JSON behave as on
// the plain object (keys in spread order); writes and deletes stay in this view.

/** `bases` from lowest to highest precedence; `own` on top. */
export function layered<T>(bases: readonly Record<string, T>[], own: Record<string, T> = {}): Record<string, T> {
  const mine = new Map<string, T>(Object.entries(own));
  const removed = new Set<string>();
  const base = (key: string): Record<string, T> | undefined => {
    for (let i = bases.length - 1; i >= 0; i--) if (Object.hasOwn(bases[i], key)) return bases[i];
    return undefined;
  };
  const present = (key: string) => mine.has(key) || (!removed.has(key) && base(key) !== undefined);
  const value = (key: string): T | undefined => (mine.has(key) ? mine.get(key) : removed.has(key) ? undefined : base(key)?.[key]);
  const target: Record<string, T> = {};
  return new Proxy(target, {
    get: (t, key, receiver) => (typeof key === 'string' && present(key) ? value(key) : Reflect.get(t, key, receiver)),
    has: (t, key) => (typeof key === 'string' && present(key)) || Reflect.has(t, key),
    set: (_t, key, v) => {
      if (typeof key !== 'string') return false;
      // A base key deleted and set again stays `removed` from its base position: like a plain object, it now comes last.
      mine.set(key, v as T);
      return true;
    },
    deleteProperty: (_t, key) => {
      if (typeof key !== 'string') return true;
      mine.delete(key);
      if (base(key) !== undefined) removed.add(key);
      return true;
    },
    ownKeys: () => {
      const keys = new Set<string>();
      for (const b of bases) for (const k of Object.keys(b)) if (!removed.has(k)) keys.add(k);
      for (const k of mine.keys()) keys.add(k);
      return [...keys];
    },
    getOwnPropertyDescriptor: (_t, key) =>
      typeof key === 'string' && present(key) ? { value: value(key), writable: true, enumerable: true, configurable: true } : undefined,
    defineProperty: () => false,
  });
}
