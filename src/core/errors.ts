// Errors a user can fix. Commands turn them into one message and exit 2; nothing else
// should ever reach the user as a stack trace.
import { closest, distance } from 'fastest-levenshtein';

export class UserError extends Error {
  /** Each line names the file and field (or line) and says how to fix it. */
  constructor(
    readonly lines: string[],
    readonly exitCode = 2,
  ) {
    super(lines.join('\n'));
    this.name = 'UserError';
  }
}

export function didYouMean(word: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return '';
  const best = closest(word, candidates as string[]);
  return distance(word, best) <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean "${best}"?)` : '';
}
