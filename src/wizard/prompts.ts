// The five kinds of question the wizard asks, behind an interface so the flow can be
// driven by Inquirer's prompts in a terminal, by the defaults (--yes, --answers) or by a
// script in tests.
// The five prompt packages, not @inquirer/prompts: that one re-exports the editor prompt too,
// and with it iconv-lite (480 KB the bundle would carry into every start).
import checkbox from '@inquirer/checkbox';
import confirm from '@inquirer/confirm';
import input from '@inquirer/input';
import password from '@inquirer/password';
import select from '@inquirer/select';
import { UserError } from '../io/errors.js';

/** Where a prompt reads and draws: the terminal by default, other streams in tests. */
export type PromptContext = Parameters<typeof input>[1];

export interface Choice<T extends string> {
  value: T;
  name: string;
  description?: string;
}

export interface Question {
  /** The spec path the answer goes to (e.g. `database.host`), or a wizard step name. */
  id: string;
  message: string;
}

export type Validate = (text: string) => true | string;

export interface Prompts {
  text(q: Question & { default?: string; validate: Validate }): Promise<string>;
  /** Masked input. `keepable`: an empty answer keeps the value typed earlier (never shown). */
  secret(q: Question & { validate: Validate; keepable?: boolean }): Promise<string>;
  select<T extends string>(q: Question & { choices: Choice<T>[]; default?: T }): Promise<T>;
  multiSelect<T extends string>(q: Question & { choices: Choice<T>[]; default: T[] }): Promise<T[]>;
  confirm(q: Question & { default: boolean }): Promise<boolean>;
}

/** Inquirer's prompts in a terminal (or on the streams in `context`). */
export async function inquirerPrompts(context?: PromptContext): Promise<Prompts> {
  return {
    text: (q) => input({ message: q.message, default: q.default, validate: q.validate }, context),
    secret: (q) =>
      password(
        {
          message: q.keepable ? `${q.message} (Enter keeps the one given before)` : q.message,
          mask: '*',
          validate: (s) => (q.keepable && s === '') || q.validate(s),
        },
        context,
      ),
    select: (q) =>
      select({ message: q.message, choices: q.choices, default: q.default, pageSize: Math.min(q.choices.length, 12) }, context),
    multiSelect: (q) =>
      checkbox(
        {
          message: q.message,
          choices: q.choices.map((c) => ({ ...c, checked: q.default.includes(c.value) })),
          required: true,
        },
        context,
      ),
    confirm: (q) => confirm({ message: q.message, default: q.default }, context),
  };
}

/**
 * Non-interactive: every question takes its default. A question without one (an external
 * server's host, say) is an error naming the field, so nothing is ever guessed.
 */
export function defaultPrompts(source: string, answersFile = false): Prompts {
  const missing = (q: Question): never => {
    const fix = answersFile ? `add \`${q.id}\` to ${source}` : `give \`${q.id}\` in an answers file (--answers FILE)`;
    throw new UserError([`${source}: ${q.id}: required, no default (${q.message.replace(/[:?]\s*$/, '')}); ${fix}`]);
  };
  const checked = (q: Question & { validate: Validate }, value: string) => {
    const ok = q.validate(value);
    if (ok !== true) missing(q);
    return value;
  };
  return {
    text: async (q) => (q.default !== undefined ? q.default : checked(q, '')),
    secret: async (q) => (q.keepable ? '' : checked(q, '')),
    select: async (q) => q.default ?? q.choices[0].value,
    multiSelect: async (q) => q.default,
    confirm: async (q) => q.default,
  };
}

/** Ctrl-C inside a prompt: @inquirer rejects with ExitPromptError (AbortPromptError on a signal). */
export function isPromptCancel(e: unknown): boolean {
  return e instanceof Error && (e.name === 'ExitPromptError' || e.name === 'AbortPromptError');
}
