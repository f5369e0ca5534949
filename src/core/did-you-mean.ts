// Did-you-mean suggestions: the nearest candidate by edit distance (fastest-levenshtein), when
// it is near enough to be a misspelling. A Suggester serves many words against one list with
// a bounded total cost, so validate of a huge .env stays linear in its size.
import { distance } from 'fastest-levenshtein';

/** How far a misspelling may be from the word meant: 2 edits, or a third of a longer word. */
const tolerance = (word: string) => Math.max(2, Math.floor(word.length / 3));

/** ` (did you mean "x"?)`, or '' without a suggestion. */
export const suggestionText = (best: string | null | undefined) => (best ? ` (did you mean "${best}"?)` : '');

/**
 * The first candidate at the least distance within tolerance. A candidate whose length differs
 * by more than the tolerance cannot be within it, so only the lengths in reach are compared;
 * `count` is told how many comparisons that took.
 */
function nearest(word: string, byLength: Map<number, { name: string; index: number }[]>, count: (n: number) => void): string | undefined {
  const reach = tolerance(word);
  let best: { name: string; index: number; distance: number } | undefined;
  let compared = 0;
  for (let length = Math.max(1, word.length - reach); length <= word.length + reach; length++)
    for (const c of byLength.get(length) ?? []) {
      const d = distance(word, c.name);
      compared++;
      if (d <= reach && (!best || d < best.distance || (d === best.distance && c.index < best.index))) best = { ...c, distance: d };
    }
  count(compared);
  return best?.name;
}

function bucket(candidates: readonly string[]): Map<number, { name: string; index: number }[]> {
  const byLength = new Map<number, { name: string; index: number }[]>();
  candidates.forEach((name, index) => {
    const list = byLength.get(name.length) ?? [];
    list.push({ name, index });
    byLength.set(name.length, list);
  });
  return byLength;
}

/** ` (did you mean "x"?)`, or '' when no candidate is near. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  return suggestionText(nearest(word, bucket(candidates), () => {}));
}

/**
 * Suggestions for many words against one candidate list, until a budget of comparisons is
 * spent: the first words always get theirs, later ones are not searched, so the total cost is
 * bounded whatever the input. `suggest` gives the nearest name, null when none is near, or
 * undefined once the budget is spent.
 */
export class Suggester {
  private readonly byLength: Map<number, { name: string; index: number }[]>;
  /** Comparisons made so far (each one edit-distance computation). */
  comparisons = 0;

  constructor(
    candidates: readonly string[],
    private readonly budget: number,
  ) {
    this.byLength = bucket(candidates);
  }

  suggest(word: string): string | null | undefined {
    if (this.comparisons >= this.budget) return undefined;
    return nearest(word, this.byLength, (n) => (this.comparisons += n)) ?? null;
  }
}
