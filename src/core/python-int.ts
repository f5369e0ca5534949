// Dify's settings are pydantic int fields and gunicorn/celery options parsed with Python's int():
// a value int() rejects stops the container, so validate must not read it as some other number
// (JavaScript's Number takes '1e9', '0x10', '1.5'; parseInt takes '1e9' as 1).

/** The whitespace int() strips: JavaScript's \s without U+FEFF, with U+0085 (checked against CPython 3). */
const SPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*';
/** int(str) in base 10: surrounding whitespace, an optional sign, ASCII digits with single underscores between them. */
const PYTHON_INT = new RegExp(`^${SPACE}([+-]?\\d+(?:_\\d+)*)${SPACE}$`);

/** The integer Python's int() reads from `text`, or undefined when int() raises ValueError. */
export function pythonInt(text: string): number | undefined {
  const m = PYTHON_INT.exec(text);
  return m ? Number(m[1].replace(/_/g, '')) : undefined;
}

/**
 * A variable's integer as its consumer reads it: unset or empty gives `fallback` (the compose
 * `${VAR:-default}` and the entrypoint's own default); a value int() rejects also gives
 * `fallback` here — the `integer-variable` rule reports it with its file and line.
 */
export function intVariable(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return pythonInt(raw) ?? fallback;
}
