// Did-you-mean: comparing only the candidates whose length and bag distance are within reach gives
// exactly what a comparison with every candidate gives, and a Suggester stops at its budget whatever the input.
import fc from 'fast-check';
import { closest, distance } from 'fastest-levenshtein';
import { describe, expect, it } from 'vitest';
import { Suggester, didYouMean, suggestionText } from '../src/io/did-you-mean.js';
import { knownEnvVariables } from '../src/core/known-env.js';

/**
 * The plain definition: a number with a unit (`150qps`) gets the candidates with its unit nearest by
 * number; any other word the first nearest of all candidates, if within a third of the word (≥ 2).
 */
function reference(word: string, candidates: string[]): string {
  const withUnit = (w: string) => /^(\d+(?:\.\d+)?)([A-Za-z]+)$/.exec(w);
  const own = withUnit(word);
  const sameUnit = own ? candidates.filter((c) => withUnit(c)?.[2] === own[2]) : [];
  if (own && sameUnit.length) {
    const gap = (c: string) => Math.abs(Number(withUnit(c)![1]) - Number(own[1]));
    const least = Math.min(...sameUnit.map(gap));
    return ` (did you mean ${sameUnit.filter((c) => gap(c) === least).map((c) => `"${c}"`).join(' or ')}?)`;
  }
  if (candidates.length === 0) return '';
  const best = closest(word, candidates);
  return distance(word, best) <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

const known = [...knownEnvVariables('1.16.1')];
/** Words near and far from the known names: edits of one, or random upper-case words. */
const word = fc.oneof(
  fc.tuple(fc.constantFrom(...known), fc.nat(), fc.constantFrom('double', 'drop', 'swap', 'append')).map(([name, n, edit]) => {
    const i = n % name.length;
    if (edit === 'double') return name.slice(0, i) + name[i] + name.slice(i);
    if (edit === 'drop') return name.slice(0, i) + name.slice(i + 1) || name;
    if (edit === 'swap') return i + 1 < name.length ? name.slice(0, i) + name[i + 1] + name[i] + name.slice(i + 2) : name;
    return `${name}_X`;
  }),
  fc.stringMatching(/^[A-Z][A-Z_]{0,40}$/),
  fc.stringMatching(/^[A-Za-z0-9_.-]{1,40}$/),
);

describe('didYouMean', () => {
  it('property: the same suggestion as comparing with every candidate (known variables and small lists with ties)', () => {
    fc.assert(
      fc.property(word, (w) => {
        expect(didYouMean(w, known)).toBe(reference(w, known));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      // Digits 0 and 5 share a slot of the bag bound, as do a and A: the bound stays a lower one.
      fc.property(fc.stringMatching(/^[abA05é]{1,7}$/), fc.array(fc.stringMatching(/^[abA05é]{1,7}$/), { maxLength: 12 }), (w, list) => {
        expect(didYouMean(w, list)).toBe(reference(w, list));
      }),
      { numRuns: 500 },
    );
  });
});

describe('Suggester', () => {
  it('agrees with didYouMean until its budget is spent, then searches no more', () => {
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 60 }), fc.integer({ min: 0, max: 20_000 }), (words, budget) => {
        const s = new Suggester(known, budget);
        let stopped = false;
        for (const w of words) {
          const before = s.comparisons;
          const best = s.suggest(w);
          if (before >= budget) {
            expect(best).toBeUndefined();
            stopped = true;
          } else {
            expect(stopped).toBe(false);
            expect(suggestionText(best)).toBe(reference(w, known));
          }
          // One word never compares with more than every candidate: the budget is overrun by less than that.
          expect(s.comparisons).toBeLessThan(budget + known.length);
        }
      }),
      { numRuns: 100 },
    );
  });
});

// Issue 26 item 15: `--tier 150qps` suggested "10qps" (the nearest spelling). A word that is a
// number with a unit, among candidates with the same unit, gets the nearest by number instead.
describe('didYouMean: numbers with a unit', () => {
  const tiers = ['10qps', '50qps', '100qps', '200qps', '500qps', '1000qps'];
  it.each([
    ['150qps', ' (did you mean "100qps" or "200qps"?)'],
    ['40qps', ' (did you mean "50qps"?)'],
    ['700qps', ' (did you mean "500qps"?)'],
    ['5qps', ' (did you mean "10qps"?)'],
    ['20000qps', ' (did you mean "1000qps"?)'],
  ])('%s → %s', (word, text) => expect(didYouMean(word, tiers)).toBe(text));

  it('a misspelt unit is still a misspelling', () => expect(didYouMean('500qp', tiers)).toBe(' (did you mean "500qps"?)'));

  it('property: the suggestion is a candidate at the least numeric distance', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100000 }), (n) => {
        const text = didYouMean(`${n}qps`, tiers);
        const named = [...text.matchAll(/"(\d+)qps"/g)].map((m) => Number(m[1]));
        const least = Math.min(...tiers.map((t) => Math.abs(parseInt(t, 10) - n)));
        return named.length > 0 && named.every((q) => Math.abs(q - n) === least);
      }),
      { seed: 26 },
    );
  });
});
