// Reading a .env file (the one reader, in io/env-file.ts) and Compose-style interpolation.

import { UserError } from '../io/errors.js';

export { parseEnvText, type EnvFile } from '../io/env-file.js';

/** How deep `${A:-${B:-…}}` defaults may nest (documented in docs/untrusted-input.md); real files use two or three. */
export const MAX_INTERPOLATION_DEPTH = 32;

/**
 * Compose-style interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err},
 * ${VAR?err}, ${VAR:+alt}, $VAR and $$. Unset variables become "" like Compose does.
 * `where` (file:line) names the value when its defaults nest deeper than MAX_INTERPOLATION_DEPTH.
 * `required` collects the names of `${VAR:?err}` / `${VAR?err}` whose VAR Compose would refuse.
 */
export function interpolate(value: string, vars: Record<string, string | undefined>, where?: string, nesting = 0, required?: string[]): string {
  if (nesting > MAX_INTERPOLATION_DEPTH)
    throw new UserError([`${where ?? 'a compose or .env value'}: \${…} defaults nest more than ${MAX_INTERPOLATION_DEPTH} deep; write the value out`]);
  let out = '';
  let i = 0;
  while (i < value.length) {
    // The text up to the next `$` as one piece (most values hold none).
    const dollar = value.indexOf('$', i);
    if (dollar !== i) {
      out += dollar < 0 ? value.slice(i) : value.slice(i, dollar);
      if (dollar < 0) break;
      i = dollar;
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
      out += expand(value.slice(i + 2, j - 1), vars, where, nesting, required);
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

function expand(body: string, vars: Record<string, string | undefined>, where: string | undefined, nesting: number, required?: string[]): string {
  // No `[\s\S]*` capture over the body: on a long one the regular expression's backtracking overflows.
  const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(body)?.[0];
  if (!name) return '';
  const op = /^:?[-?+]/.exec(body.slice(name.length, name.length + 2))?.[0];
  if (!op && body.length > name.length) return '';
  const rest = op ? body.slice(name.length + op.length) : '';
  const v = vars[name];
  const unsetOrEmpty = v === undefined || (op?.startsWith(':') && v === '');
  switch (op) {
    case ':-':
    case '-':
      return unsetOrEmpty ? interpolate(rest, vars, where, nesting + 1, required) : v!;
    case ':+':
    case '+':
      return unsetOrEmpty ? '' : interpolate(rest, vars, where, nesting + 1, required);
    case ':?':
    case '?':
      // Compose stops with "required variable … is missing a value".
      if (unsetOrEmpty) required?.push(name);
      return v ?? '';
    default:
      return v ?? '';
  }
}
