// The one reader and the one writer of the env files dify-deploy owns (.env, .dify-deploy/secrets.env)
// and reads (a user's .env, env_file entries).
//
// Reader: dotenv's line grammar and value rules (lib/main.js `parse`, property-tested against it
// in test/validate-env.test.ts), plus the line each key is set on.
//
// Writer: a value is written so that Docker Compose's .env parser (compose-go dotenv/parser.go)
// and dotenv read back the same string, byte for byte. The two dialects share only this:
// - plain (unquoted): no `#`, `$` or line break, no whitespace or quote at either end (compose cuts
//   at ` #`, dotenv at `#`; compose interpolates `$`; each trims its own set of spaces);
// - single quotes: literal in both, so anything but `'` itself, a carriage return (dotenv turns CR
//   into LF before parsing) and a trailing backslash (compose reads `\'` as an escaped quote);
// - double quotes: both expand `\n` and `\r` (used for line breaks), but compose also unescapes
//   `\\ \" \$ \a \b \f \t \v \0…` and interpolates `$`, which dotenv does not; so no `"`, no `$` and
//   no backslash before a character either of them would unescape.
// A value none of these carries (both quote kinds; `'` with `$`; NUL, which no environment holds;
// text that is not Unicode) is refused with a message naming the variable, never its value.
import { UserError } from './errors.js';

export interface EnvFile {
  file: string;
  /** Null-prototype records: a key like `__proto__` or `constructor` is a variable like any other. */
  values: Record<string, string>;
  /** 1-based line of the assignment that wins (the last one, as in dotenv). */
  lines: Record<string, number>;
  /** Variables whose winning value is single-quoted: Docker Compose takes it literally (no `${}` interpolation). */
  literal: Record<string, boolean>;
}

/** dotenv's LINE regular expression. */
const ASSIGNMENT = /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;

function normalise(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

/** dotenv's value rules: trimmed, surrounding quotes removed, \\n and \\r expanded in double quotes. */
function dotenvValue(raw: string | undefined): string {
  let value = (raw || '').trim();
  const maybeQuote = value[0];
  value = value.replace(/^(['"`])([\s\S]*)\1$/gm, '$2');
  if (maybeQuote === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
  return value;
}

export function parseEnvText(text: string, file: string): EnvFile {
  const src = normalise(text);
  // Plain objects slow down several-fold past some thousand keys; null-prototype ones do not.
  const values: Record<string, string> = Object.create(null);
  const lines: Record<string, number> = Object.create(null);
  const literal: Record<string, boolean> = Object.create(null);
  // Matches come in order: count newlines up to each one instead of searching from the start.
  let line = 1;
  let counted = 0;
  for (const m of src.matchAll(ASSIGNMENT)) {
    // The match may start with blank lines (\s* spans newlines): the key's line is its first non-space character.
    const at = m.index + Math.max(m[0].search(/\S/), 0);
    for (let nl = src.indexOf('\n', counted); nl !== -1 && nl < at; nl = src.indexOf('\n', nl + 1)) {
      line++;
      counted = nl + 1;
    }
    values[m[1]] = dotenvValue(m[2]);
    lines[m[1]] = line;
    literal[m[1]] = (m[2] ?? '').trimStart().startsWith("'");
  }
  return { file, values, lines, literal };
}

const PLAIN = /^[A-Za-z0-9_\-.,:/@+=%{}*!?~^;&()<>|[\]]*$/;
/** A backslash compose or dotenv would read as the start of an escape inside double quotes (or one at the end, before the closing quote). */
const DOUBLE_QUOTE_ESCAPE = /\\(?:[abcfnrtv$"\\0\n\r]|$)/;

/** Why `value` cannot be written to an env file, or undefined when it can. */
export function envValueProblem(value: string): string | undefined {
  if (value.includes('\0')) return 'holds a NUL character, which no environment variable can carry';
  if (Buffer.from(value, 'utf8').toString('utf8') !== value) return 'is not valid Unicode text (a lone surrogate)';
  if (plain(value) || singleQuotable(value) || doubleQuotable(value)) return undefined;
  if (value.includes("'") && value.includes('"')) return `holds both ' and ", which no quoting of a .env value carries alike for Docker Compose and dotenv`;
  if (value.includes("'") && value.includes('$')) return `holds ' and $, which no quoting of a .env value carries alike for Docker Compose and dotenv`;
  return `holds ' (or a carriage return) next to a backslash sequence that Docker Compose and dotenv unescape differently`;
}

/**
 * Unquoted beyond the safe set: starts and ends with a visible ASCII character other than a quote
 * (the two parsers trim different whitespace), and holds no `#`, `$` or line break (dotenv's
 * regular expressions also break lines at U+2028, U+2029).
 */
const plain = (value: string) => PLAIN.test(value) || (/^[!%&(-~][^#$\r\n\u0085\u2028\u2029]*$/.test(value) && /[!-~]$/.test(value) && !value.startsWith('`'));
const singleQuotable = (value: string) => !/['\r]/.test(value) && !value.endsWith('\\');
const doubleQuotable = (value: string) => !/["$]/.test(value) && !DOUBLE_QUOTE_ESCAPE.test(value);

/**
 * `value` as written after `NAME=` in an env file: read back unchanged by Docker Compose and by
 * dotenv. A value neither can carry alike is a UserError naming `name` (the value is never shown).
 */
export function envValue(value: string, name: string): string {
  if (plain(value)) return value;
  const problem = envValueProblem(value);
  if (problem) throw new UserError([`${name}: its value ${problem}; change the value (dify-deploy writes it to a .env file)`]);
  // A line break is written as \n where it can be, so no line of the file reads as an assignment of its own.
  if (singleQuotable(value) && !(/[\n\r]/.test(value) && doubleQuotable(value))) return `'${value}'`;
  return `"${value.replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

/** A whole env file: the header comment lines, then `NAME=value` for each entry in order. */
export function envFileText(header: string[], entries: [string, string][]): string {
  return [...header.map((h) => `# ${h}`), ...entries.map(([k, v]) => `${k}=${envValue(v, k)}`)].join('\n') + '\n';
}
