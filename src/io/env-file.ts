// The one reader and the one writer of the env files dify-deploy owns (.env, .dify-deploy/secrets.env)
// and reads (a user's .env, env_file entries).
//
// Reader: Docker Compose's .env grammar (compose-go dotenv/parser.go, what `docker compose` runs to
// read the project .env and every env_file), plus the line each key is set on; checked against an
// oracle written apart (test/helpers/compose-dotenv.ts). Not dotenv's: dotenv cuts an unquoted value
// at any `#` and keeps `\"`, `\$`, `\\` as they are, so a password like `Kx9#mQ2…` would read
// as `Kx9` here while every container gets the whole of it.
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

/** compose-go's isSpace: whitespace that does not end a line. */
const SPACE = /[\t\v\f\r \u0085\u00a0]/;
/** Go's unicode.IsSpace (JavaScript's \s less U+FEFF, plus U+0085). */
const UNICODE_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
/** A variable name's characters (letters and digits of any script), up to what ends it. */
const KEY_END = /[^\p{L}\p{N}_.\-[\]\t\v\f\r \u0085\u00a0]/gu;
/** The escapes compose expands inside double quotes, before interpolation. */
const DOUBLE_QUOTE_ESCAPES = /\\(?:[abcfnrtv$"\\]|0\d{0,3})/g;
const ESCAPED: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '"': '"', '\\': '\\', $: '$$' };

function trimEndUnicode(text: string): string {
  let end = text.length;
  while (end > 0 && UNICODE_SPACE.test(text[end - 1])) end--;
  return text.slice(0, end);
}

/** `\$` stays a literal `$` through interpolation as `$$`; `\0ooo` is an octal byte; an escape Go rejects stays as written. */
function expandEscapes(value: string): string {
  return value.replace(DOUBLE_QUOTE_ESCAPES, (match) => {
    if (match[1] !== '0') return ESCAPED[match[1]] ?? match;
    const code = /^\\0([0-7]{3})$/.test(match) ? parseInt(match.slice(2), 8) : 256;
    return code < 256 ? String.fromCharCode(code) : match;
  });
}

export function parseEnvText(text: string, file: string): EnvFile {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  // Plain objects slow down several-fold past some thousand keys; null-prototype ones do not.
  const values: Record<string, string> = Object.create(null);
  const lines: Record<string, number> = Object.create(null);
  const literal: Record<string, boolean> = Object.create(null);
  // Positions only move forward: count newlines up to each statement instead of searching from the start.
  let line = 1;
  let counted = 0;
  const lineAt = (at: number) => {
    for (let nl = src.indexOf('\n', counted); nl !== -1 && nl < at; nl = src.indexOf('\n', nl + 1)) {
      line++;
      counted = nl + 1;
    }
    counted = Math.max(counted, at);
    return line;
  };
  const refused = (at: number, problem: string) =>
    new UserError([`${file}:${lineAt(at)}: ${problem}; docker compose refuses to read this file — fix the line (NAME=value, one per line)`]);
  let i = 0;
  while (i < src.length) {
    // The statement's start: past whitespace and `#` comment lines.
    if (UNICODE_SPACE.test(src[i])) {
      i++;
      continue;
    }
    if (src[i] === '#') {
      const nl = src.indexOf('\n', i);
      i = nl < 0 ? src.length : nl;
      continue;
    }
    const start = i;
    if (/^export[\t\n\f\r ]/.test(src.slice(i, i + 7))) for (i += 6; i < src.length && SPACE.test(src[i]); ) i++;
    KEY_END.lastIndex = i;
    const end = KEY_END.exec(src)?.index ?? src.length;
    const stop = src[end];
    if (stop !== undefined && stop !== '=' && stop !== ':' && stop !== '\n')
      throw refused(start, `unexpected character ${JSON.stringify(String.fromCodePoint(src.codePointAt(end)!))} in a variable name`);
    // A name with no `=` before the end of the file: compose reads that text as the value of the empty name.
    const key = stop === undefined ? '' : trimEndUnicode(src.slice(i, end));
    if (key.includes(' ')) throw refused(start, `a variable name cannot contain a space`);
    if (stop !== undefined) i = end + 1;
    // `NAME` alone takes the value from the shell, which validate does not judge.
    if (stop === '\n') continue;
    while (i < src.length && SPACE.test(src[i])) i++;
    const quote = src[i];
    let value: string;
    if (quote === '"' || quote === "'") {
      // Up to the first quote not preceded by a backslash; `\<quote>` is the quote, any other backslash stays.
      let chars = '';
      let j = i + 1;
      for (; j < src.length && src[j] !== quote; j++) {
        if (src[j] === '\\' && j + 1 < src.length) {
          j++;
          if (src[j] !== quote) chars += '\\';
        }
        chars += src[j];
      }
      if (j >= src.length) throw refused(start, `the quoted value of ${key} is never closed`);
      value = quote === '"' ? expandEscapes(chars) : chars;
      i = j + 1;
    } else {
      const nl = src.indexOf('\n', i);
      const rest = nl < 0 ? src.slice(i) : src.slice(i, nl);
      const comment = rest.indexOf(' #');
      value = trimEndUnicode(comment < 0 ? rest : rest.slice(0, comment));
      i = nl < 0 ? src.length : nl + 1;
    }
    values[key] = value;
    lines[key] = lineAt(start);
    literal[key] = quote === "'";
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
