// The one gate every file validate, import and render read passes through. The files may come
// from a pull request (validate in CI), so a file is read only when it is a regular file, no
// larger than MAX_INPUT_BYTES, and — when it was found inside a directory rather than named on
// the command line — really inside that directory (a committed symlink `.env -> ../.git/config`
// is refused). It is opened non-blocking and checked with fstat before any read, so a FIFO, a
// device or /dev/stdin is refused instead of hanging or reading without end.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { sep } from 'node:path';
import { UserError } from './errors.js';

/** The largest input file read (16 MiB): far above any real .env, compose file or values file. */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

export interface UserFileRead {
  /** What the file is, for messages ("compose file"). */
  what: string;
  /** How to point the command at the right file. */
  hint: string;
  /** The directory the file was found in: it must not lead outside it. Absent for a path named on the command line. */
  within?: string;
  /** An absent file reads as undefined instead of an error. */
  optional?: boolean;
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

function insideOf(path: string, within: string, o: UserFileRead): void {
  const real = realpathSync(path);
  let root: string;
  try {
    root = realpathSync(within);
  } catch {
    root = within;
  }
  if (real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep))
    throw new UserError([`${path}: is a symbolic link leading outside ${within}; only files inside the directory are read — replace the link with the ${o.what} itself, or name the file on the command line`]);
}

function readError(path: string, e: unknown, o: UserFileRead): UserError {
  const code = (e as NodeJS.ErrnoException).code;
  return new UserError([
    code === 'EISDIR'
      ? `${path}: is a directory, expected the ${o.what}; ${o.hint}`
      : code === 'ENOENT'
        ? `${path}: file not found (the ${o.what}); ${o.hint}`
        : code === 'ELOOP'
          ? `${path}: a loop of symbolic links, expected the ${o.what}; ${o.hint}`
          : `${path}: cannot read the ${o.what} (${code ?? 'error'}); check the path and its permissions`,
  ]);
}

/** The bytes of a regular file, read through the gate; undefined for an absent optional file. */
export function readUserBytes(path: string, o: UserFileRead): Buffer | undefined {
  let fd: number;
  try {
    if (o.within !== undefined) insideOf(path, o.within, o);
    fd = openSync(path, OPEN_FLAGS);
  } catch (e) {
    if (e instanceof UserError) throw e;
    if (o.optional && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw readError(path, e, o);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw readError(path, Object.assign(new Error(), { code: 'EISDIR' }), o);
    if (!st.isFile()) throw new UserError([`${path}: is not a regular file (a device, FIFO or socket), expected the ${o.what}; ${o.hint}`]);
    if (o.within !== undefined) {
      // The file opened is the one checked above, not a link swapped in between.
      const checked = statSync(realpathSync(path));
      if (checked.ino !== st.ino || checked.dev !== st.dev) throw new UserError([`${path}: changed while being read; run again`]);
    }
    const tooBig = () => new UserError([`${path}: is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB, the most dify-deploy reads of a ${o.what}; ${o.hint}`]);
    if (st.size > MAX_INPUT_BYTES) throw tooBig();
    // Read to the end, not to st.size: some regular files (procfs) report size 0.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(st.size - total + 1, 65536), MAX_INPUT_BYTES + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > MAX_INPUT_BYTES) throw tooBig();
    }
    return Buffer.concat(chunks, total);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw readError(path, e, o);
  } finally {
    closeSync(fd);
  }
}

/** A UTF-8 text file read through the gate: a NUL byte or bytes that are not UTF-8 are bad input too. */
export function readUserText(path: string, o: UserFileRead & { optional: true }): string | undefined;
export function readUserText(path: string, o: UserFileRead): string;
export function readUserText(path: string, o: UserFileRead): string | undefined {
  const bytes = readUserBytes(path, o);
  if (bytes === undefined) return undefined;
  if (bytes.includes(0)) throw new UserError([`${path}: is a binary file, not a ${o.what}; ${o.hint}`]);
  const text = bytes.toString('utf8');
  if (text.includes('\uFFFD') && !Buffer.from(text, 'utf8').equals(bytes)) throw new UserError([`${path}: is not UTF-8 text; save the ${o.what} as UTF-8`]);
  return text;
}
