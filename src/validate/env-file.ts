// Reading a .env file (the one reader, in core/env-file.ts) and Compose-style interpolation.

export { parseEnvText, type EnvFile } from '../core/env-file.js';

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
