// Dify's settings are pydantic int fields and gunicorn/celery options parsed with Python's int():
// a value int() rejects stops the container, so validate and import must not read it as some other
// number (JavaScript's Number takes '1e9', '0x10', '1.5'; parseInt takes '1e9' as 1), and must read
// every form int() takes.

/**
 * The whitespace int() strips: JavaScript's \s without U+FEFF, with U+0085 (checked against CPython 3).
 * ASCII separators U+001C–U+001F are str.isspace() but int() keeps them (CPython maps only non-ASCII
 * spaces to ' ' before stripping ASCII ones), so they are not here.
 */
const SPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*';
/**
 * int(str) in base 10 (docs.python.org, int() and "Numeric Types"): surrounding whitespace, an
 * optional sign, digits — 0 to 9 or any Unicode equivalent (code points with the Nd property) —
 * with single underscores between them.
 */
const PYTHON_INT = new RegExp(`^${SPACE}([+-]?\\p{Nd}+(?:_\\p{Nd}+)*)${SPACE}$`, 'u');
const ND = /\p{Nd}/u;

/** A decimal digit's value: Unicode encodes each script's digits as runs of ten from 0 to 9. */
function digitValue(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x80) return ch;
  let start = cp;
  while (ND.test(String.fromCodePoint(start - 1))) start--;
  return String((cp - start) % 10);
}

/** The integer Python's int() reads from `text`, or undefined when int() raises ValueError (or there is no text). */
export function pythonInt(text: string | undefined): number | undefined {
  const m = text === undefined ? null : PYTHON_INT.exec(text);
  return m ? Number(Array.from(m[1].replace(/_/g, ''), digitValue).join('')) : undefined;
}

/**
 * A variable's integer as its consumer reads it: unset or empty gives `fallback` (the compose
 * `${VAR:-default}` and the entrypoint's own default); a value int() rejects gives `invalid`:
 * `fallback` for validate (the `integer-variable` rule reports it with its file and line), NaN for
 * the sizing (the plan's number check then refuses it).
 */
export function intVariable(env: Record<string, string | undefined>, name: string, fallback: number, invalid = fallback): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return pythonInt(raw) ?? invalid;
}
