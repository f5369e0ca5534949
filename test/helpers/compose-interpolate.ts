// Docker Compose's interpolation, written from its documented grammar
// (https://docs.docker.com/reference/compose-file/interpolation/): `$$` is a literal `$`;
// `$VAR` and `${VAR}`; `${VAR:-default}` (unset or empty), `${VAR-default}` (unset);
// `${VAR:?err}` / `${VAR?err}` stop compose; `${VAR:+alt}` / `${VAR+alt}` substitute when set;
// defaults and alternatives may nest further references. An unset variable without a
// default is a warning in compose ("defaulting to a blank string"): here an unresolved reference.
export interface Interpolation {
  value: string;
  /** `${VAR?err}` whose variable is missing: compose refuses to start. */
  required: string[];
  /** References to unset variables with no default. */
  unresolved: string[];
  /** Text compose rejects ("invalid interpolation format"). */
  invalid: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function interpolate(text: string, env: Record<string, string>): Interpolation {
  const out: Interpolation = { value: '', required: [], unresolved: [], invalid: [] };
  out.value = expand(text, env, out);
  return out;
}

function expand(text: string, env: Record<string, string>, out: Interpolation): string {
  let result = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '$') {
      result += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      result += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const end = closingBrace(text, i + 2);
      if (end < 0) {
        out.invalid.push(text.slice(i));
        return result + text.slice(i);
      }
      result += braced(text.slice(i + 2, end), env, out);
      i = end + 1;
      continue;
    }
    const name = NAME.exec(text.slice(i + 1))?.[0];
    if (name) {
      result += lookup(name, env, out);
      i += 1 + name.length;
      continue;
    }
    // compose-go's template pattern has an `invalid` branch for any other `$`: compose refuses the file.
    out.invalid.push(text.slice(i, i + 2));
    result += '$';
    i++;
  }
  return result;
}

/** Index of the `}` closing a `${` whose body starts at `from`, nested `${…}` included. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '$') i++;
    else if (text[i] === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function lookup(name: string, env: Record<string, string>, out: Interpolation): string {
  if (name in env) return env[name];
  out.unresolved.push(name);
  return '';
}

function braced(body: string, env: Record<string, string>, out: Interpolation): string {
  const name = NAME.exec(body)?.[0];
  if (!name) {
    out.invalid.push(`\${${body}}`);
    return '';
  }
  const rest = body.slice(name.length);
  if (rest === '') return lookup(name, env, out);
  const op = /^(:?[-?+])/.exec(rest)?.[1];
  if (!op) {
    out.invalid.push(`\${${body}}`);
    return '';
  }
  const arg = rest.slice(op.length);
  const set = name in env;
  const nonEmpty = set && env[name] !== '';
  const present = op.startsWith(':') ? nonEmpty : set;
  switch (op.replace(':', '')) {
    case '-':
      return present ? env[name] : expand(arg, env, out);
    case '+':
      return present ? expand(arg, env, out) : '';
    default: // '?'
      if (!present) out.required.push(`${name}: ${arg}`);
      return present ? env[name] : '';
  }
}

/** Every string value in a parsed compose file (compose interpolates values, not keys). */
export function interpolateAll(value: unknown, env: Record<string, string>, path = ''): { path: string; result: Interpolation }[] {
  if (typeof value === 'string') return [{ path, result: interpolate(value, env) }];
  if (Array.isArray(value)) return value.flatMap((v, i) => interpolateAll(v, env, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => interpolateAll(v, env, path ? `${path}.${k}` : k));
  return [];
}
