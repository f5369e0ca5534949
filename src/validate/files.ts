// Reading input files for validate: every failure becomes one UserError (exit 2) naming the file.
import { readFileSync, statSync } from 'node:fs';
import { UserError } from '../core/errors.js';

/** Reads a text file; `hint` says how to point validate at the right file. */
export function readTextFile(path: string, what: string, hint: string): string {
  let buf: Buffer;
  try {
    if (statSync(path).isDirectory()) throw new UserError([`${path}: is a directory, expected the ${what}; ${hint}`]);
    buf = readFileSync(path);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError([
      code === 'ENOENT' ? `${path}: file not found (the ${what}); ${hint}` : `${path}: cannot read the ${what} (${code ?? 'error'}); check the path and its permissions`,
    ]);
  }
  if (buf.includes(0)) throw new UserError([`${path}: is a binary file, not a ${what}; ${hint}`]);
  const text = buf.toString('utf8');
  if (text.includes('\uFFFD') && !Buffer.from(text, 'utf8').equals(buf))
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
