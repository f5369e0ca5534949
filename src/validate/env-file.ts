// Reading a .env file the way dotenv does, plus where each variable is set: dotenv gives
// the values, a scan with the same line grammar gives each key's line for diagnostics.
import { parse } from 'dotenv';

export interface EnvFile {
  file: string;
  values: Record<string, string>;
  /** 1-based line of the assignment that wins (the last one, as in dotenv). */
  lines: Record<string, number>;
}

/** dotenv's own line grammar (lib/main.js), used only to locate keys. */
const ASSIGNMENT = /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;

function normalise(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

export function parseEnvText(text: string, file: string): EnvFile {
  const src = normalise(text);
  const values = parse(src);
  const lines: Record<string, number> = {};
  const lineStarts: number[] = [0];
  for (let i = 0; i < src.length; i++) if (src[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  for (const m of src.matchAll(ASSIGNMENT)) {
    // The match may start with blank lines (\s* spans newlines): the key's line is its first non-space character.
    const lead = m[0].search(/\S/);
    lines[m[1]] = lineOf((m.index ?? 0) + Math.max(lead, 0));
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
