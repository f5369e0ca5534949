// A record that reads as `{ ...base1, ...base2, ...own }` without copying the bases: every
// service of a compose file reads the same project .env, and a copy each made memory grow
// with services × variables. Lookups, `in`, Object.keys/entries, spread and JSON behave as on
// the plain object (keys in spread order); writes and deletes stay in this view.

/** What a view's `read` gives for a key it does not have (a value may itself be undefined). */
const ABSENT: unique symbol = Symbol('absent');

interface LayeredParts {
  bases: readonly Record<string, unknown>[];
  mine: Map<string, unknown>;
  removed: Set<string>;
  read(key: string): unknown;
}

/** Each view's parts, for entriesMatcher. */
const VIEWS = new WeakMap<object, LayeredParts>();

/** `bases` from lowest to highest precedence; `own` on top. */
export function layered<T>(bases: readonly Record<string, T>[], own: Record<string, T> = {}): Record<string, T> {
  const mine = new Map<string, T>(Object.entries(own));
  const removed = new Set<string>();
  const base = (key: string): Record<string, T> | undefined => {
    for (let i = bases.length - 1; i >= 0; i--) if (Object.hasOwn(bases[i], key)) return bases[i];
    return undefined;
  };
  /** The key's value, or ABSENT when the view does not have it: one pass over the layers per lookup. */
  const read = (key: string): T | typeof ABSENT => {
    if (mine.has(key)) return mine.get(key) as T;
    const holder = removed.has(key) ? undefined : base(key);
    return holder ? holder[key] : ABSENT;
  };
  const target: Record<string, T> = {};
  const view = new Proxy(target, {
    get: (t, key, receiver) => {
      const v = typeof key === 'string' ? read(key) : ABSENT;
      return v === ABSENT ? Reflect.get(t, key, receiver) : v;
    },
    has: (t, key) => (typeof key === 'string' && read(key) !== ABSENT) || Reflect.has(t, key),
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
    getOwnPropertyDescriptor: (_t, key) => {
      const v = typeof key === 'string' ? read(key) : ABSENT;
      return v === ABSENT ? undefined : { value: v, writable: true, enumerable: true, configurable: true };
    },
    defineProperty: () => false,
  });
  VIEWS.set(view, { bases, mine, removed, read });
  return view;
}

/**
 * `Object.entries(record).filter(([, v]) => keep(v))`, in the same order, for plain records and
 * layered views alike; a base shared by many views is tested once per matcher, not once per view.
 * Every service of a compose file reads the same .env: enumerating each service's whole view went
 * through the proxy's traps services × variables times (a quarter of a 1,000-service validate).
 * A matcher caches what it read of the bases: use one per pass over views whose bases stay unchanged.
 */
export function entriesMatcher<T>(keep: (value: T) => boolean): (record: Record<string, T>) => [string, T][] {
  const scanned = new WeakMap<object, { matching: string[]; index: Map<string, number> }>();
  const scan = (base: Record<string, unknown>) => {
    let found = scanned.get(base);
    if (!found) {
      const keys = Object.keys(base);
      found = { matching: keys.filter((k) => keep(base[k] as T)), index: new Map(keys.map((k, i) => [k, i])) };
      scanned.set(base, found);
    }
    return found;
  };
  return (record) => {
    const parts = VIEWS.get(record);
    if (!parts) return Object.entries(record).filter(([, v]) => keep(v));
    const { bases, mine, removed, read } = parts;
    const candidates = new Set<string>();
    for (const b of bases) for (const k of scan(b).matching) candidates.add(k);
    for (const [k, v] of mine) if (keep(v as T)) candidates.add(k);
    // The view's key order (ownKeys): base keys by their first base and place in it, then own keys.
    const ownOrder = [...mine.keys()];
    const position = (k: string): [number, number] => {
      if (!removed.has(k))
        for (let i = 0; i < bases.length; i++) {
          const at = scan(bases[i]).index.get(k);
          if (at !== undefined) return [i, at];
        }
      return [bases.length, ownOrder.indexOf(k)];
    };
    return [...candidates]
      .map((k) => ({ k, at: position(k) }))
      .sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1])
      .map(({ k }): [string, unknown] => [k, read(k)])
      .filter((entry): entry is [string, T] => entry[1] !== ABSENT && keep(entry[1] as T));
  };
}
