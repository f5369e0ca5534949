// One wizard run: asks each question unless the answers file / flags already answer it,
// checks every value against the spec's own field schema, and builds the spec data.
import { z } from 'zod';
import { UserError, didYouMean } from '../io/errors.js';
import { getAt, setAt } from '../core/data-path.js';
import { describe, parseSpecData, schemaAt } from '../core/spec-parse.js';
import type { Spec } from '../core/spec.js';
import type { Choice, Prompts, Validate } from './prompts.js';

/** Answers given up front (an answers file and/or flags): those questions are not asked. */
export interface GivenAnswers {
  data: Record<string, unknown>;
  /** Names the answers in messages: the file, or "flags". */
  source: string;
  lineOf?: (path: (string | number)[]) => number | undefined;
}

type Data = Record<string, unknown>;

/** zod's default wording is for developers; these are for someone typing an answer. */
function issueMessage(issue: z.ZodIssue): string {
  if (issue.code === 'invalid_string' && issue.validation === 'url') return 'expected a URL such as https://host:port';
  if (issue.code === 'invalid_string' && issue.validation === 'email') return 'expected an e-mail address';
  if (issue.code === 'too_small' && issue.type === 'string') return 'required';
  if (issue.code === 'invalid_type' && issue.expected === 'number') return 'expected a number';
  return issue.message;
}

/** The spec's schema for `path`; a wizard question without one is a bug, not a user error. */
function fieldSchema(path: string): z.ZodTypeAny {
  const schema = schemaAt(path.split('.'));
  if (!schema) throw new Error(`wizard asks for ${path}, which the spec does not have`);
  return schema;
}

/** Typed text → the value the spec stores: numbers for number fields, lists split on commas. */
function fromText(schema: z.ZodTypeAny, text: string): unknown {
  if (schema instanceof z.ZodNumber) return text.trim() === '' || Number.isNaN(Number(text)) ? text : Number(text);
  if (schema instanceof z.ZodArray) return text.split(/[\s,]+/).filter(Boolean);
  return text.trim();
}

function toText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : String(value);
}

const isMapping = (v: unknown): v is Data => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `top` over `base`, mapping by mapping (a copy). */
function overlay(base: Data, top: Data): Data {
  const out: Data = structuredClone(base);
  for (const [key, value] of Object.entries(top)) out[key] = isMapping(value) && isMapping(out[key]) ? overlay(out[key] as Data, value) : structuredClone(value);
  return out;
}

export interface FieldOptions {
  /** Empty is not allowed (the spec requires it in this branch). */
  required?: boolean;
  /** Masked; never shown as a default. */
  secret?: boolean;
  /** Offered when there is no earlier answer. */
  default?: string | number;
  /** A further judgement of a non-empty text answer (a secret's strength): why it is refused, or undefined. */
  problem?: (text: string) => string | undefined;
}

export class Session {
  /** The spec data being built; starts as the earlier answers under the given ones, so unasked keys survive. */
  readonly data: Data;

  constructor(
    private readonly prompts: Prompts,
    private readonly given: GivenAnswers = { data: {}, source: 'answers' },
    /** Answers from an earlier pass through the wizard: the defaults this time. */
    private readonly previous: Data = {},
  ) {
    this.data = overlay(previous, given.data);
  }

  value(path: string): unknown {
    return getAt(this.data, path);
  }

  set(path: string, value: unknown): void {
    setAt(this.data, path, value);
  }

  /** The answers so far as a spec (the spec fills in what is not yet asked). */
  spec(): Spec {
    return parseSpecData(this.data, this.given.source, this.given.lineOf);
  }

  /** What the answers file or flags say for `path` (not an earlier pass). */
  givenValue(path: string): unknown {
    return getAt(this.given.data, path);
  }

  /** `value` undefined: not shown (a secret). */
  private reject(path: string, message: string, value: unknown): never {
    const line = this.given.lineOf?.(path.split('.'));
    throw new UserError([`${this.given.source}: ${path}: ${message}${value === undefined ? '' : `, got ${describe(value)}`}${line ? ` (line ${line})` : ''}`]);
  }

  /** One of `choices`; a single choice is taken without asking. */
  async pick<T extends string>(path: string, message: string, choices: Choice<T>[], fallback?: T): Promise<T> {
    const values = choices.map((c) => c.value);
    const given = this.givenValue(path);
    if (given !== undefined) {
      if (!values.includes(given as T))
        this.reject(path, `expected one of ${values.join(', ')}${didYouMean(String(given), values)}`, given);
      return given as T;
    }
    if (values.length === 1) {
      this.set(path, values[0]);
      return values[0];
    }
    const earlier = getAt(this.previous, path) as T | undefined;
    const preferred = [earlier, fallback].find((v): v is T => v !== undefined && values.includes(v));
    const answer = await this.prompts.select({ id: path, message, choices, default: preferred });
    this.set(path, answer);
    return answer;
  }

  /** Several of `choices` (at least one). */
  async pickSome<T extends string>(path: string, message: string, choices: Choice<T>[], fallback: T[]): Promise<T[]> {
    const values = choices.map((c) => c.value);
    const given = this.givenValue(path);
    if (given !== undefined) {
      const list = Array.isArray(given) ? given : [given];
      const bad = list.find((v) => !values.includes(v as T));
      if (list.length === 0 || bad !== undefined) this.reject(path, `expected a list of ${values.join(', ')}`, given);
      return list as T[];
    }
    const earlier = getAt(this.previous, path) as T[] | undefined;
    const answer = await this.prompts.multiSelect({ id: path, message, choices, default: earlier ?? fallback });
    this.set(path, answer);
    return answer;
  }

  /** A yes/no field. */
  async yesNo(path: string, message: string, fallback: boolean): Promise<boolean> {
    const given = this.givenValue(path);
    if (given !== undefined) {
      if (typeof given !== 'boolean') this.reject(path, 'expected true or false', given);
      return given;
    }
    const earlier = getAt(this.previous, path);
    const answer = await this.prompts.confirm({ id: path, message, default: typeof earlier === 'boolean' ? earlier : fallback });
    this.set(path, answer);
    return answer;
  }

  /** A typed field, checked against the spec's schema for `path` as it is entered. */
  async field(path: string, message: string, opts: FieldOptions = {}): Promise<void> {
    const schema = fieldSchema(path);
    const check = (value: unknown): true | string => {
      if (value === '' || (Array.isArray(value) && value.length === 0)) return opts.required ? 'required' : true;
      const r = schema.safeParse(value);
      if (!r.success) return issueMessage(r.error.issues[0]);
      return (typeof value === 'string' && opts.problem?.(value)) || true;
    };
    const given = this.givenValue(path);
    if (given !== undefined) {
      const ok = check(given);
      if (ok !== true) this.reject(path, ok, opts.secret ? undefined : given);
      return;
    }
    const validate: Validate = (text) => check(fromText(schema, text));
    const earlier = getAt(this.previous, path);
    let text: string;
    if (opts.secret) {
      text = await this.prompts.secret({ id: path, message, validate, keepable: earlier !== undefined });
      if (text === '' && earlier !== undefined) text = String(earlier);
    } else {
      text = await this.prompts.text({ id: path, message, default: toText(earlier ?? opts.default), validate });
    }
    const value = fromText(schema, text);
    this.set(path, value === '' || (Array.isArray(value) && value.length === 0) ? undefined : value);
  }
}
