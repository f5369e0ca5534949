// Docker Compose's .env parser, written apart from src/ from compose-go's documented behaviour
// (compose-spec/compose-go dotenv/parser.go, the parser `docker compose` runs, and the
// "Interpolation" and ".env file syntax" pages of docs.docker.com), as the oracle the env writer
// is checked against:
// - blank lines and lines starting with `#` are skipped; `export ` before a key is dropped;
//   `KEY=value` or `KEY: value`; a key alone on a line inherits from the environment (none here);
// - unquoted: up to the end of the line, cut at ` #` (a `#` after a space starts a comment),
//   trailing whitespace trimmed, then `${}` interpolation (`$$` is a literal `$`);
// - single quotes: literal, no interpolation; `\'` is an escaped quote (read as `'`), any other
//   backslash stays as it is; may span lines;
// - double quotes: `\"` is an escaped quote; then the escapes \a \b \f \n \r \t \v \\ \" \$ and
//   \0ooo are expanded (any other backslash stays), then `${}` interpolation; may span lines;
// - text after a closing quote up to a `#` comment or the next statement is not part of the value.
import { interpolate } from './compose-interpolate.js';

const isSpace = (c: string) => c === '\t' || c === '\v' || c === '\f' || c === '\r' || c === ' ' || c === '\u0085' || c === '\u00a0';
const isUnicodeSpace = (c: string) => /\s/u.test(c) || c === '\u0085';

export function parseComposeEnv(input: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  let src = input.replace(/^\uFEFF/, '');
  for (;;) {
    // statement start: skip whitespace and comment lines
    for (;;) {
      let i = 0;
      while (i < src.length && isUnicodeSpace(src[i])) i++;
      src = src.slice(i);
      if (src === '' || src[0] !== '#') break;
      const nl = src.indexOf('\n');
      src = nl < 0 ? '' : src.slice(nl);
    }
    if (src === '') return out;
    if (/^export\s+/.test(src)) src = src.slice('export'.length).replace(/^[\t\v\f\r \u0085\u00a0]+/, '');
    let end = -1;
    for (let i = 0; i < src.length; i++) {
      const c = src[i];
      if (isSpace(c)) continue;
      if (c === '=' || c === ':' || c === '\n') {
        end = i;
        break;
      }
      if (!/[\p{L}\p{N}_.\-[\]]/u.test(c)) throw new Error(`unexpected character ${JSON.stringify(c)} in variable name`);
    }
    if (end < 0) throw new Error('no = after a variable name');
    const key = src.slice(0, end).replace(/\s+$/u, '');
    if (key.includes(' ')) throw new Error('key cannot contain a space');
    const inherited = src[end] === '\n';
    src = src.slice(end + 1);
    if (inherited) continue;
    let i = 0;
    while (i < src.length && isSpace(src[i]) && src[i] !== '\n') i++;
    src = src.slice(i);
    const quote = src[0] === "'" || src[0] === '"' ? src[0] : undefined;
    if (!quote) {
      const nl = src.indexOf('\n');
      let value = nl < 0 ? src : src.slice(0, nl);
      src = nl < 0 ? '' : src.slice(nl + 1);
      const comment = value.indexOf(' #');
      if (comment >= 0) value = value.slice(0, comment);
      value = value.replace(/[\s\u0085]+$/u, '');
      out[key] = expand(value, out);
      continue;
    }
    let chars = '';
    let escaped = false;
    let closed = -1;
    for (let j = 1; j < src.length; j++) {
      const c = src[j];
      if (c !== quote) {
        if (!escaped && c === '\\') {
          escaped = true;
          continue;
        }
        if (escaped) chars += '\\';
        escaped = false;
        chars += c;
        continue;
      }
      if (escaped) {
        escaped = false;
        chars += c;
        continue;
      }
      closed = j;
      break;
    }
    if (closed < 0) throw new Error(`unterminated quoted value for ${key}`);
    out[key] = quote === '"' ? expand(unescape(chars), out) : chars;
    src = src.slice(closed + 1);
  }
}

function expand(value: string, env: Record<string, string>): string {
  const r = interpolate(value, { ...env });
  if (r.invalid.length) throw new Error(`invalid interpolation ${r.invalid[0]}`);
  return r.value;
}

const SIMPLE: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '"': '"', '\\': '\\' };

function unescape(text: string): string {
  return text.replace(/\\(?:([abcfnrtv$"\\])|0(\d{0,3}))/g, (match, simple: string | undefined, octal: string | undefined) => {
    if (simple === '$') return '$$';
    if (simple !== undefined) return SIMPLE[simple] ?? match; // \c is no escape
    if (octal!.length === 3 && /^[0-7]{3}$/.test(octal!) && parseInt(octal!, 8) <= 255) return String.fromCodePoint(parseInt(octal!, 8));
    return match; // Go cannot unquote it: compose keeps the text as written
  });
}
