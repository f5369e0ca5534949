// Validating spec data: schema errors become one line each with the file, the YAML path
// (and line when known); unknown keys get a did-you-mean.
import { mayHoldCredential, redactUrlPasswords } from './redact.js';
import { z } from 'zod';
import { releaseVersions, tierNames } from './data.js';
import { UserError, didYouMean } from '../io/errors.js';
import { specSchema, type Spec } from './spec.js';

function unwrap(schema: z.ZodTypeAny): z.ZodTypeAny {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodDefault) s = s._def.innerType;
    else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap();
    else if (s instanceof z.ZodEffects) s = s.innerType();
    else return s;
  }
}

/**
 * The spec's schema for the field at `path` (defaults, optionality and refinements
 * stripped), or undefined when the spec has no such field.
 */
export function schemaAt(path: readonly (string | number)[]): z.ZodTypeAny | undefined {
  let s: z.ZodTypeAny = unwrap(specSchema);
  for (const part of path) {
    if (s instanceof z.ZodObject) {
      const field = s.shape[part as string] as z.ZodTypeAny | undefined;
      if (!field) return undefined;
      s = unwrap(field);
    } else if (s instanceof z.ZodArray) s = unwrap(s.element);
    else if (s instanceof z.ZodRecord) s = unwrap(s.valueSchema);
    else return undefined;
  }
  return s;
}

/** The keys a (strict) object accepts at `path`, for did-you-mean hints. */
function keysAt(path: (string | number)[]): string[] {
  const s = schemaAt(path);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function valueAt(data: unknown, path: (string | number)[]): unknown {
  let v = data;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const TYPE_NAMES: Record<string, string> = { number: 'a number', string: 'text', boolean: 'true or false', array: 'a list', object: 'a mapping', integer: 'an integer' };

/** The schema's own wording where it has one (lower-case "expected …"), else ours, never zod's. */
function plainMessage(issue: z.ZodIssue): string {
  if (/^expected /.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'too_small':
      return issue.type === 'array' || issue.type === 'string' ? `expected at least ${issue.minimum} ${issue.type === 'array' ? 'entries' : 'characters'}` : `expected a number ${issue.inclusive ? '≥' : '>'} ${issue.minimum}`;
    case 'too_big':
      return issue.type === 'array' || issue.type === 'string' ? `expected at most ${issue.maximum} ${issue.type === 'array' ? 'entries' : 'characters'}` : `expected a number ${issue.inclusive ? '≤' : '<'} ${issue.maximum}`;
    case 'invalid_string':
      return issue.validation === 'url' ? 'expected a URL (https://…)' : issue.validation === 'email' ? 'expected an e-mail address' : 'expected text in the documented format';
    default:
      return issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
  }
}

/** Validates already-parsed spec data; `lineOf` maps a path to a 1-based line when known. */
export function parseSpecData(data: unknown, file: string, lineOf: (path: (string | number)[]) => number | undefined = () => undefined): Spec {
  const result = specSchema.safeParse(data ?? {});
  if (result.success) {
    // Names the schema cannot know: the tiers and releases are data files.
    const unknown = [
      ...(result.data.tier !== undefined && !tierNames().includes(result.data.tier)
        ? [{ path: ['tier'], message: `unknown tier "${result.data.tier}"${didYouMean(result.data.tier, tierNames())}; known tiers: ${tierNames().join(', ')} (or give qps:)` }]
        : []),
      ...(result.data.release !== undefined && !releaseVersions().includes(result.data.release)
        ? [{ path: ['release'], message: `unknown Dify release "${result.data.release}"${didYouMean(result.data.release, releaseVersions())}; known releases: ${releaseVersions().join(', ')} (a newer one: \`dify-deploy release add\` its checkout)` }]
        : []),
    ];
    if (unknown.length === 0) return result.data;
    throw new UserError(unknown.map((u) => `${file}: ${u.path.join('.')}: ${u.message}${lineOf(u.path) ? ` (line ${lineOf(u.path)})` : ''}`));
  }
  const lines: string[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const where = lineOf(path);
        lines.push(
          `${file}: ${path.join('.')}: unknown key${didYouMean(key, keysAt(issue.path))}; allowed: ${keysAt(issue.path).join(', ')}${where ? ` (line ${where})` : ''}`,
        );
      }
      continue;
    }
    const where = lineOf(issue.path);
    const field = issue.path.length ? issue.path.join('.') : '(top level)';
    let message = issue.message;
    if (issue.code === 'invalid_enum_value') {
      const got = String(issue.received);
      message = `expected one of ${issue.options.join(', ')}, got ${describe(issue.received)}${didYouMean(got, issue.options.map(String))}`;
    } else if (issue.code !== 'custom') {
      const value = valueAt(data, issue.path);
      // Only text can carry a URL password; String() of a mapping with a `toString` key would throw.
      const hidden = mayHoldCredential(issue.path[issue.path.length - 1]) || (typeof value === 'string' && redactUrlPasswords(value) !== value);
      message = `${plainMessage(issue)}, got ${hidden ? 'a value not shown here (the field may hold a credential)' : describe(value)}`;
    }
    lines.push(`${file}: ${field}: ${message}${where ? ` (line ${where})` : ''}`);
  }
  throw new UserError(lines);
}

