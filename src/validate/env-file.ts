// Reading a .env file the way dotenv does, plus where each variable is set: one pass with
// dotenv's own line grammar and value rules (lib/main.js `parse`, property-tested against it
// in test/validate-env.test.ts), so a 100k-line file is read once, not parsed and then scanned.

export interface EnvFile {
  file: string;
  /** Null-prototype records: a key like `__proto__` or `constructor` is a variable like any other. */
  values: Record<string, string>;
  /** 1-based line of the assignment that wins (the last one, as in dotenv). */
  lines: Record<string, number>;
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
  }
  return { file, values, lines };
}

/**
 * Compose-style interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err},
 * ${VAR?err}, ${VAR:+alt}, $VAR and $$. Unset variables become "" like Compose does.
 */
export function interpolate(value: string, vars: Record<string, string | undefined>): string {
  let out = '';
  let i = 0;
  while (i < value.length) {
    const ch = value[i];
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const next = value[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      // Find the matching brace: defaults may themselves hold ${...}.
      let depth = 1;
      let j = i + 2;
      for (; j < value.length && depth > 0; j++) {
        if (value[j] === '{') depth++;
        else if (value[j] === '}') depth--;
      }
      if (depth > 0) {
        out += value.slice(i);
        break;
      }
      out += expand(value.slice(i + 2, j - 1), vars);
      i = j;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(value.slice(i + 1));
      if (m) {
        out += vars[m[0]] ?? '';
        i += 1 + m[0].length;
      } else {
        out += '$';
        i++;
      }
    }
  }
  return out;
}

function expand(body: string, vars: Record<string, string | undefined>): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
  if (!m) return '';
  const [, name, op, rest = ''] = m;
  const v = vars[name];
  const unsetOrEmpty = v === undefined || (op?.startsWith(':') && v === '');
  switch (op) {
    case ':-':
    case '-':
      return unsetOrEmpty ? interpolate(rest, vars) : v!;
    case ':+':
    case '+':
      return unsetOrEmpty ? '' : interpolate(rest, vars);
    default:
      return v ?? '';
  }
}
