// layered(): a view that must behave like `{ ...base1, ...base2, ...own }` for every reader —
// lookups, `in`, keys in spread order, entries, spread, JSON — and after writes and deletes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entriesMatcher, layered } from '../src/validate/layered.js';

const key = fc.constantFrom('A', 'B', 'C', 'D', 'E', 'toString', 'constructor');
const record = fc.dictionary(key, fc.string({ maxLength: 3 }), { maxKeys: 5 });
const edit = fc.oneof(
  fc.tuple(fc.constant('set' as const), key, fc.string({ maxLength: 3 })),
  fc.tuple(fc.constant('delete' as const), key, fc.constant('')),
);

describe('layered', () => {
  it('property: reads like the spread of its layers, before and after edits', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 3 }), record, fc.array(edit, { maxLength: 6 }), (bases, own, edits) => {
        const view = layered(bases, own);
        const plain: Record<string, string> = Object.assign({}, ...bases, own);
        const same = () => {
          expect(Object.keys(view)).toEqual(Object.keys(plain));
          expect(Object.entries(view)).toEqual(Object.entries(plain));
          expect({ ...view }).toEqual(plain);
          expect(JSON.stringify(view)).toBe(JSON.stringify(plain));
          for (const k of ['A', 'B', 'C', 'D', 'E', 'toString', 'constructor', 'missing']) {
            expect(view[k]).toBe(plain[k]);
            expect(k in view).toBe(k in plain);
            expect(Object.hasOwn(view, k)).toBe(Object.hasOwn(plain, k));
          }
        };
        same();
        for (const [op, k, v] of edits) {
          if (op === 'set') {
            view[k] = v;
            plain[k] = v;
          } else {
            delete view[k];
            delete plain[k];
          }
          same();
        }
        // The bases are read, never written.
        expect(bases).toEqual(bases.map((b) => ({ ...b })));
      }),
      { numRuns: 400 },
    );
  });

  it('property: entriesMatcher gives the entries Object.entries would, filtered, in order — for views sharing bases, after edits', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 3 }), fc.array(fc.tuple(record, fc.array(edit, { maxLength: 6 })), { minLength: 1, maxLength: 3 }), (bases, views) => {
        // One matcher across views whose bases are the same objects (its cache is per base).
        const matching = entriesMatcher((v: string) => v.length > 1 || v === 'a');
        for (const [own, edits] of views) {
          const view = layered(bases, own);
          for (const [op, k, v] of edits) {
            if (op === 'set') view[k] = v;
            else delete view[k];
          }
          expect(matching(view)).toEqual(Object.entries(view).filter(([, v]) => v.length > 1 || v === 'a'));
          expect(matching(own)).toEqual(Object.entries(own).filter(([, v]) => v.length > 1 || v === 'a'));
        }
      }),
      { numRuns: 400 },
    );
  });
});
