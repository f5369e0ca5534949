// The only code that writes a deployment to disk. Writes are all or nothing (every file staged
// beside its target, then renamed into place) and never clobber a file the user edited: the manifest remembers the sha256 of
// what dify-deploy last wrote at each path, and a file that no longer matches it (or that exists
// without an entry) is left alone unless `force`.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../core/errors.js';
import { readUserText } from '../core/user-file.js';
import type { RenderedFile } from './types.js';

export const STATE_DIR = '.dify-deploy';
export const MANIFEST_PATH = `${STATE_DIR}/manifest.json`;

/** What happened to a file; when nothing was written (a dry run, a refusal), what a write would do. */
export type FileStatus = 'created' | 'changed' | 'unchanged' | 'conflict' | 'wouldCreate' | 'wouldChange';

/** A file's status when nothing is written. */
const UNWRITTEN: Partial<Record<FileStatus, FileStatus>> = { created: 'wouldCreate', changed: 'wouldChange' };

export interface FileOutcome {
  path: string;
  status: FileStatus;
  /** For a conflict: why the file is kept. */
  reason?: string;
}

export interface WriteReport {
  outDir: string;
  files: FileOutcome[];
  /** Files that differ from what dify-deploy last wrote (user edits); nothing was written. */
  conflicts: FileOutcome[];
  written: boolean;
  dryRun: boolean;
}

export interface Manifest {
  /** sha256 of what dify-deploy last wrote at each path. */
  files: Record<string, string>;
  /** The last render: the renderer's fingerprint and every path it produced. */
  render?: { renderer: string; files: string[] };
}

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function fsError(path: string, e: unknown, doing: string): UserError {
  const code = (e as NodeJS.ErrnoException).code ?? 'error';
  const hint =
    code === 'EACCES' || code === 'EPERM'
      ? 'check the permissions of the output directory'
      : code === 'ENOTDIR' || code === 'EEXIST'
        ? 'a file stands where a directory is needed; choose another --out'
        : code === 'EISDIR'
          ? 'a directory stands where a file is needed; move it away'
          : 'check the path';
  return new UserError([`${path}: cannot ${doing} (${code}); ${hint}`]);
}

/** The current text of a file under `outDir`, undefined when absent; a directory or special file in its place is a user error. */
function readIfPresent(outDir: string, path: string): string | undefined {
  return readUserText(join(outDir, path), { what: 'file dify-deploy writes', hint: 'move it away or choose another --out', within: outDir, optional: true });
}

export function readManifest(outDir: string): Manifest {
  const text = readIfPresent(outDir, MANIFEST_PATH);
  if (text === undefined) return { files: {} };
  try {
    const data = JSON.parse(text) as Manifest;
    if (data && typeof data.files === 'object' && data.files !== null) return data;
  } catch {
    // fall through: a damaged manifest protects nothing, so every existing file counts as user-owned
  }
  return { files: {} };
}

/**
 * The output directory: absent (it will be created) or a directory. Anything else — a file, a
 * device, a path under a special filesystem such as /proc — is bad input, reported before
 * anything is read or written.
 */
export function checkOutDir(outDir: string): void {
  let st;
  try {
    st = statSync(outDir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new UserError([`${outDir}: is not a directory (a file stands in its path); choose another --out`]);
    if (code !== 'ENOENT') throw fsError(outDir, e, 'read');
    return;
  }
  if (!st.isDirectory()) throw new UserError([`${outDir}: is not a directory; --out needs a directory (it is created when absent)`]);
}

/** A temporary name beside `path`, in the same directory so the final rename is atomic. */
const tempBeside = (path: string, kind: string) => join(dirname(path), `.${randomBytes(6).toString('hex')}.dify-deploy.${kind}`);

/**
 * Creates `dir` and its missing parents one level at a time (never a recursive mkdir, which
 * spins forever on procfs), recording each directory it created.
 */
function makeDirs(dir: string, created: string[]): void {
  const missing: string[] = [];
  let d = dir;
  for (;;) {
    let st;
    try {
      st = statSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(d, e, 'create the directory');
      missing.unshift(d);
      const parent = dirname(d);
      if (parent === d) throw fsError(d, e, 'create the directory');
      d = parent;
      continue;
    }
    if (!st.isDirectory()) throw new UserError([`${d}: is not a directory, but dify-deploy needs one there; move it away or choose another --out`]);
    break;
  }
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      throw fsError(m, e, 'create the directory');
    }
    created.push(m);
  }
}

/**
 * All or nothing: every file is first written in full to a temporary name beside its target
 * (directories created as needed); only when all are staged are they renamed into place. A
 * failure on the way removes what was staged and created, and a failed rename puts back what
 * the earlier renames replaced, so the directory is left as it was.
 */
function commitFiles(writes: { path: string; content: string; mode: number }[]): void {
  const created: string[] = [];
  const staged: { tmp: string; path: string; backup?: string }[] = [];
  const undo = () => {
    for (const s of staged) rmSync(s.tmp, { force: true });
    for (const d of [...created].reverse()) rmSync(d, { recursive: true, force: true });
  };
  try {
    for (const w of writes) {
      makeDirs(dirname(w.path), created);
      const tmp = tempBeside(w.path, 'tmp');
      staged.push({ tmp, path: w.path });
      try {
        // Created with its final mode so a secret is never readable by others, even briefly.
        writeFileSync(tmp, w.content, { mode: w.mode, flag: 'wx' });
        chmodSync(tmp, w.mode);
      } catch (e) {
        throw fsError(w.path, e, 'write');
      }
    }
  } catch (e) {
    undo();
    throw e;
  }
  const done: typeof staged = [];
  try {
    for (const s of staged) {
      if (existsSync(s.path)) {
        // A hard link keeps the replaced file until every rename has succeeded.
        const backup = tempBeside(s.path, 'bak');
        linkSync(s.path, backup);
        s.backup = backup;
      }
      try {
        renameSync(s.tmp, s.path);
      } catch (e) {
        throw fsError(s.path, e, 'write');
      }
      done.push(s);
    }
  } catch (e) {
    for (const s of done.reverse()) {
      if (s.backup) renameSync(s.backup, s.path);
      else rmSync(s.path, { force: true });
    }
    for (const s of staged) if (s.backup) rmSync(s.backup, { force: true });
    undo();
    throw e;
  }
  for (const s of staged) if (s.backup) rmSync(s.backup, { force: true });
}

/** What writing `files` would do, without touching the disk. */
export function planWrites(outDir: string, files: RenderedFile[]): FileOutcome[] {
  const manifest = readManifest(outDir);
  return files.map((f) => {
    const current = readIfPresent(outDir, f.path);
    if (current === undefined) return { path: f.path, status: 'created' };
    if (current === f.content) return { path: f.path, status: 'unchanged' };
    if (f.preservesExisting) return { path: f.path, status: 'changed' };
    const recorded = manifest.files[f.path];
    if (recorded === undefined) return { path: f.path, status: 'conflict', reason: 'exists and was not written by dify-deploy' };
    if (recorded !== sha256(current)) return { path: f.path, status: 'conflict', reason: 'edited since dify-deploy last wrote it' };
    return { path: f.path, status: 'changed' };
  });
}

/**
 * Writes `files` under `outDir`. With conflicts and no `force`, writes nothing and reports them.
 * The manifest is written last, so an interrupted run leaves files it can still recognise.
 */
export function writeFiles(outDir: string, files: RenderedFile[], opts: { force?: boolean; dryRun?: boolean; renderer?: string } = {}): WriteReport {
  checkOutDir(outDir);
  const outcomes = planWrites(outDir, files);
  const conflicts = outcomes.filter((o) => o.status === 'conflict');
  const dryRun = opts.dryRun ?? false;
  if (dryRun || (conflicts.length > 0 && !opts.force))
    return { outDir, files: outcomes.map((o) => ({ ...o, status: UNWRITTEN[o.status] ?? o.status })), conflicts, written: false, dryRun };

  const manifest = readManifest(outDir);
  const writes: { path: string; content: string; mode: number }[] = [];
  const unchanged: { path: string; mode: number }[] = [];
  for (const [i, f] of files.entries()) {
    const mode = f.mode ?? 0o644;
    if (outcomes[i].status !== 'unchanged') writes.push({ path: join(outDir, f.path), content: f.content, mode });
    else unchanged.push({ path: join(outDir, f.path), mode });
    manifest.files[f.path] = sha256(f.content);
  }
  // Code-unit order (paths are unique): localeCompare would load ICU collation, ~10 ms of every render.
  const sorted = Object.fromEntries(Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : 1)));
  const render = opts.renderer ? { renderer: opts.renderer, files: files.map((f) => f.path).sort() } : manifest.render;
  // The manifest is renamed into place last.
  writes.push({ path: join(outDir, MANIFEST_PATH), content: `${JSON.stringify({ files: sorted, ...(render ? { render } : {}) }, null, 2)}\n`, mode: 0o644 });
  commitFiles(writes);
  for (const u of unchanged) chmodSync(u.path, u.mode);
  // With force, overwritten conflicts are reported as changed: they no longer hold the user's edit.
  const final = outcomes.map((o) => (o.status === 'conflict' ? { path: o.path, status: 'changed' as const, reason: `overwritten with --force (${o.reason})` } : o));
  return { outDir, files: final, conflicts: [], written: true, dryRun };
}
