// Drives the wizard's flow without a terminal: answers by question id, the default for the
// rest (as pressing Enter would), and a log of what was asked and how.
import type { Choice, Prompts, Question } from '../../src/wizard/prompts.js';

export type ScriptedAnswer = string | string[] | boolean;

export interface Asked {
  id: string;
  kind: 'text' | 'secret' | 'select' | 'multiSelect' | 'confirm';
  message: string;
  default?: unknown;
  choices?: Choice<string>[];
}

export interface Script {
  prompts: Prompts;
  asked: Asked[];
  /** The question asked with this id (the last one, when asked more than once). */
  question(id: string): Asked | undefined;
}

/** Thrown when a scripted text answer fails the prompt's validation: what the user would see. */
export class Invalid extends Error {
  constructor(
    readonly id: string,
    readonly shown: string,
  ) {
    super(`${id}: ${shown}`);
  }
}

export function scriptedPrompts(answers: Record<string, ScriptedAnswer> = {}, onAsk?: (q: Question) => void): Script {
  const asked: Asked[] = [];
  const record = (q: Asked) => {
    asked.push(q);
    onAsk?.(q);
  };
  const typed = (q: Question & { validate: (s: string) => true | string }, fallback: string) => {
    const text = answers[q.id] !== undefined ? String(answers[q.id]) : fallback;
    const ok = q.validate(text);
    if (ok !== true) throw new Invalid(q.id, ok);
    return text;
  };
  const prompts: Prompts = {
    text: async (q) => {
      record({ id: q.id, kind: 'text', message: q.message, default: q.default });
      return typed(q, q.default ?? '');
    },
    secret: async (q) => {
      record({ id: q.id, kind: 'secret', message: q.message });
      return typed({ ...q, validate: (s) => (q.keepable && s === '') || q.validate(s) }, '');
    },
    select: async <T extends string>(q: Question & { choices: Choice<T>[]; default?: T }) => {
      record({ id: q.id, kind: 'select', message: q.message, default: q.default, choices: q.choices });
      const a = answers[q.id];
      const value = (a !== undefined ? a : (q.default ?? q.choices[0].value)) as T;
      if (!q.choices.some((c) => c.value === value)) throw new Error(`${q.id}: ${String(value)} is not offered (${q.choices.map((c) => c.value).join(', ')})`);
      return value;
    },
    multiSelect: async <T extends string>(q: Question & { choices: Choice<T>[]; default: T[] }) => {
      record({ id: q.id, kind: 'multiSelect', message: q.message, default: q.default, choices: q.choices });
      return (answers[q.id] as T[] | undefined) ?? q.default;
    },
    confirm: async (q) => {
      record({ id: q.id, kind: 'confirm', message: q.message, default: q.default });
      const a = answers[q.id];
      return typeof a === 'boolean' ? a : q.default;
    },
  };
  return { prompts, asked, question: (id) => [...asked].reverse().find((q) => q.id === id) };
}
