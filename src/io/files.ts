// Reading input files for validate: through the one gate (io/user-file.ts); every failure becomes
// one UserError (exit 2) naming the file.
import { lstatSync, statSync } from 'node:fs';
import { readUserText } from './user-file.js';

/**
 * Reads a text file; `hint` says how to point validate at the right file. `within`: the directory
 * the file was found in (it may not lead outside it); absent for a path named on the command line.
 */
export function readTextFile(path: string, what: string, hint: string, within?: string): string {
  return readUserText(path, { what, hint, within });
}

/**
 * An entry that is there and not a directory: a symlink, FIFO or device counts, so reading it
 * says what is wrong with it instead of validate silently passing it by.
 */
export function isFile(path: string): boolean {
  try {
    lstatSync(path);
  } catch {
    return false;
  }
  try {
    return !statSync(path).isDirectory();
  } catch {
    return true;
  }
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
