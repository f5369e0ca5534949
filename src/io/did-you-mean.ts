// Did-you-mean suggestions: the nearest candidate by edit distance (fastest-levenshtein), when
// it is near enough to be a misspelling. A Suggester serves many words against one list with
// a bounded total cost, so validate of a huge .env stays linear in its size.
import { distance } from 'fastest-levenshtein';

/** How far a misspelling may be from the word meant: 2 edits, or a third of a longer word. */
const tolerance = (word: string) => Math.max(2, Math.floor(word.length / 3));

/** ` (did you mean "x"?)`, or '' without a suggestion. */
export const suggestionText = (best: string | null | undefined) => (best ? ` (did you mean "${best}"?)` : '');

/**
 * A word's characters as three 32-bit sets: the first, second and third occurrence of each.
 * Letters (either case) and `_` have a bit each, digits share five, anything else the last.
 */
type Signature = { first: number; second: number; third: number };
type Candidate = Signature & { name: string; index: number };

const slot = (c: number) => {
  const lower = c | 32;
  return lower >= 97 && lower <= 122 ? lower - 97 : c === 95 ? 26 : c >= 48 && c <= 57 ? 27 + ((c - 48) % 5) : 31;
};

/** Occurrences so far per slot, while a signature is taken. */
const seen = new Uint8Array(32);

function signature(word: string): Signature {
  seen.fill(0);
  let first = 0;
  let second = 0;
  let third = 0;
  for (let i = 0; i < word.length; i++) {
    const s = slot(word.charCodeAt(i));
    const bit = 1 << s;
    const n = seen[s]++;
    if (n === 0) first |= bit;
    else if (n === 1) second |= bit;
    else if (n === 2) third |= bit;
  }
  return { first, second, third };
}

function bitCount(n: number): number {
  n -= (n >>> 1) & 0x55555555;
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (((n + (n >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * A lower bound of the edit distance, far cheaper than the distance: the bag distance, the larger
 * count of characters (with repeats) that one word has and the other lacks, since an edit removes
 * at most one from each count. Counting three repeats at most and sharing slots only lowers it.
 * It rules out nearly every candidate of a name that is no typo.
 */
function bagBound(a: Signature, b: Signature): number {
  const onlyA = bitCount(a.first & ~b.first) + bitCount(a.second & ~b.second) + bitCount(a.third & ~b.third);
  const onlyB = bitCount(b.first & ~a.first) + bitCount(b.second & ~a.second) + bitCount(b.third & ~a.third);
  return Math.max(onlyA, onlyB);
}

/**
 * The first candidate at the least distance within tolerance. A candidate whose length differs
 * by more than the tolerance cannot be within it, so only the lengths in reach are weighed
 * (`count` is told how many candidates that is). The nearest lengths go first: once a candidate
 * at distance d is found, lengths further than d are skipped, and of the rest only candidates
 * whose bag distance allows a win reach the edit distance.
 */
function nearest(word: string, byLength: Map<number, Candidate[]>, count: (n: number) => void): string | undefined {
  const reach = tolerance(word);
  const sign = signature(word);
  let best: Candidate | undefined;
  let bestDistance = reach;
  let weighed = 0;
  for (let length = Math.max(1, word.length - reach); length <= word.length + reach; length++) weighed += byLength.get(length)?.length ?? 0;
  for (let gap = 0; gap <= bestDistance; gap++)
    for (const length of gap === 0 ? [word.length] : [word.length - gap, word.length + gap])
      for (const c of (length > 0 && byLength.get(length)) || []) {
        const bound = Math.max(gap, bagBound(sign, c));
        // A candidate wins with a smaller distance, or the same one at an earlier index.
        if (bound > bestDistance || (best && bound === bestDistance && c.index > best.index)) continue;
        const d = distance(word, c.name);
        if (d < bestDistance || (d === bestDistance && (!best || c.index < best.index))) {
          best = c;
          bestDistance = d;
        }
      }
  count(weighed);
  return best?.name;
}

function bucket(candidates: readonly string[]): Map<number, Candidate[]> {
  const byLength = new Map<number, Candidate[]>();
  candidates.forEach((name, index) => {
    const list = byLength.get(name.length) ?? [];
    const { first, second, third } = signature(name);
    list.push({ name, index, first, second, third });
    byLength.set(name.length, list);
  });
  return byLength;
}

/** A number with a unit after it (`150qps`): its number and unit. */
const NUMBER_WITH_UNIT = /^(\d+(?:\.\d+)?)([A-Za-z]+)$/;

/**
 * Among candidates with the word's unit, the nearest by number (both when two are as near):
 * `150qps` means a load between the tiers, not a misspelling of `10qps`. Undefined when the word
 * is no number with a unit, or no candidate has its unit.
 */
function nearestByNumber(word: string, candidates: readonly string[]): string[] | undefined {
  const m = NUMBER_WITH_UNIT.exec(word);
  if (!m) return undefined;
  const n = Number(m[1]);
  const same = candidates.flatMap((c) => {
    const cm = NUMBER_WITH_UNIT.exec(c);
    return cm && cm[2] === m[2] ? [{ c, d: Math.abs(Number(cm[1]) - n) }] : [];
  });
  if (same.length === 0) return undefined;
  const least = Math.min(...same.map((x) => x.d));
  return same.filter((x) => x.d === least).map((x) => x.c);
}

/** ` (did you mean "x"?)` (or `"x" or "y"` for a number between two), or '' when no candidate is near. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const byNumber = nearestByNumber(word, candidates);
  if (byNumber) return ` (did you mean ${byNumber.map((c) => `"${c}"`).join(' or ')}?)`;
  return suggestionText(nearest(word, bucket(candidates), () => {}));
}

/**
 * Suggestions for many words against one candidate list, until a budget of comparisons is
 * spent: the first words always get theirs, later ones are not searched, so the total cost is
 * bounded whatever the input. `suggest` gives the nearest name, null when none is near, or
 * undefined once the budget is spent.
 */
export class Suggester {
  /** Built at the first word: a run whose variables are all known never needs it. */
  private byLength?: Map<number, Candidate[]>;
  /** Candidates weighed so far, whether or not their bag distance let them reach an edit-distance computation. */
  comparisons = 0;

  constructor(
    private readonly candidates: readonly string[],
    private readonly budget: number,
  ) {}

  suggest(word: string): string | null | undefined {
    if (this.comparisons >= this.budget) return undefined;
    this.byLength ??= bucket(this.candidates);
    return nearest(word, this.byLength, (n) => (this.comparisons += n)) ?? null;
  }
}
