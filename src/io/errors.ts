// Errors a user can fix. Commands turn them into one message and exit 2; nothing else
// should ever reach the user as a stack trace.

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

export { didYouMean } from './did-you-mean.js';
