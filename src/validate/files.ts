// Reading input files for validate: every failure becomes one UserError (exit 2) naming the file.
import { readFileSync, statSync } from 'node:fs';
import { UserError } from '../core/errors.js';

/**
 * Reads a text file; `hint` says how to point validate at the right file. Read as UTF-8 in one
 * call (no stat, no Buffer to decode after): a NUL byte decodes to U+0000 and nothing else does,
 * and only a file holding U+FFFD is read again as bytes to tell bad UTF-8 from the character.
 */
export function readTextFile(path: string, what: string, hint: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError([
      code === 'EISDIR'
        ? `${path}: is a directory, expected the ${what}; ${hint}`
        : code === 'ENOENT'
          ? `${path}: file not found (the ${what}); ${hint}`
          : `${path}: cannot read the ${what} (${code ?? 'error'}); check the path and its permissions`,
    ]);
  }
  if (text.includes('\0')) throw new UserError([`${path}: is a binary file, not a ${what}; ${hint}`]);
  if (text.includes('\uFFFD') && !readFileSync(path).equals(Buffer.from(text, 'utf8')))
    throw new UserError([`${path}: is not UTF-8 text; save the ${what} as UTF-8`]);
  return text;
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
