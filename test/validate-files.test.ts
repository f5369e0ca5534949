// readTextFile reads a file as UTF-8 in one call: each kind of bad input still gets its own
// message (a directory, a missing file, binary bytes, bad UTF-8), and text that merely holds
// U+FFFD or a byte-order mark is read as it is.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/io/errors.js';
import { readTextFile } from '../src/io/files.js';

const dir = mkdtempSync(join(tmpdir(), 'dd-files-'));
let n = 0;
const place = (content: string | Uint8Array) => {
  const file = join(dir, `f${n++}`);
  writeFileSync(file, content);
  return file;
};
const message = (path: string) => {
  try {
    readTextFile(path, '.env file', 'pass it with --env');
    return undefined;
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return e.lines.join('\n');
  }
};

describe('readTextFile', () => {
  it('names each kind of bad input', () => {
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    expect(message(sub)).toBe(`${sub}: is a directory, expected the .env file; pass it with --env`);
    expect(message(join(dir, 'missing'))).toBe(`${join(dir, 'missing')}: file not found (the .env file); pass it with --env`);
    const binary = place(Uint8Array.from([0x41, 0x3d, 0x00, 0x31]));
    expect(message(binary)).toBe(`${binary}: is a binary file, not a .env file; pass it with --env`);
    const latin1 = place(Uint8Array.from([0x41, 0x3d, 0xe9, 0x0a]));
    expect(message(latin1)).toBe(`${latin1}: is not UTF-8 text; save the .env file as UTF-8`);
  });

  it('reads text holding U+FFFD or a BOM as it is', () => {
    for (const text of ['A=\uFFFD\n', '\uFEFFA=1\n', 'A=é ✓ 𝄞\n', '']) expect(readTextFile(place(text), 'x', 'y')).toBe(text);
  });

  it('property: any bytes give their UTF-8 text, or the binary or not-UTF-8 message the bytes call for', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }).map((s) => new TextEncoder().encode(s))), (bytes) => {
        const file = place(bytes);
        const buf = Buffer.from(bytes);
        const text = buf.toString('utf8');
        const expected = buf.includes(0) ? 'binary' : Buffer.from(text, 'utf8').equals(buf) ? 'text' : 'not utf-8';
        const got = message(file);
        if (expected === 'text') expect(got).toBeUndefined();
        else expect(got).toContain(expected === 'binary' ? 'is a binary file' : 'is not UTF-8 text');
      }),
      { numRuns: 300 },
    );
  });
});
