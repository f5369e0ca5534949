// The only code that writes a deployment to disk. Writes are all or nothing (every file staged
// beside its target, then renamed into place) and never clobber a file the user edited: the manifest remembers the sha256 of
// what dify-deploy last wrote at each path, and a file that no longer matches it (or that exists
// without an entry) is left alone unless `force`.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, linkSync, readFileSync, fsyncSync, mkdirSync, openSync, readdirSync, realpathSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { UserError } from '../io/errors.js';
import { readUserText } from '../io/user-file.js';
import type { RenderedFile } from './types.js';

export const STATE_DIR = '.dify-deploy';
export const MANIFEST_PATH = `${STATE_DIR}/manifest.json`;
/** Where --force keeps the user's version of each file it overwrites, one folder per run. */
export const REPLACED_DIR = `${STATE_DIR}/replaced`;

/** What happened to a file; when nothing was written (a dry run, a refusal), what a write would do. */
export type FileStatus = 'created' | 'changed' | 'unchanged' | 'conflict' | 'wouldCreate' | 'wouldChange';

/** A file's status when nothing is written. */
const UNWRITTEN: Partial<Record<FileStatus, FileStatus>> = { created: 'wouldCreate', changed: 'wouldChange' };

export interface FileOutcome {
  path: string;
  status: FileStatus;
  /** For a conflict: why the file is kept. */
  reason?: string;
  /** Overwritten with --force: where the user's version was kept (relative to the output directory). */
  keptAs?: string;
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
/** What tempBeside makes: a leftover of an interrupted run when no journal names it. */
const LEFTOVER = /^\.[0-9a-f]{12}\.dify-deploy\.(tmp|bak)$/;

/** Held while a run reads and writes an output directory: the pid of the holder. */
export const LOCK_PATH = `${STATE_DIR}/lock`;
/** Written once every file is staged, removed once all are in place: a crash in between is finished by the next run. */
export const JOURNAL_PATH = `${STATE_DIR}/commit.json`;

interface JournalEntry {
  /** Paths relative to the output directory. */
  path: string;
  tmp: string;
  backup?: string;
}

/** `dir` (existing) is `outDir` or inside it once symbolic links are followed: dify-deploy never writes through a link out of --out. */
function ensureInside(dir: string, outDir: string): void {
  const real = realpathSync(dir);
  const root = realpathSync(outDir);
  if (real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep))
    throw new UserError([`${dir}: is a symbolic link leading outside ${outDir}; dify-deploy writes only inside --out — replace the link with a directory`]);
}

/**
 * Creates `dir` and its missing parents one level at a time (never a recursive mkdir, which
 * spins forever on procfs), recording each directory it created. An existing directory inside
 * `outDir` must really be inside it (no directory symlink out).
 */
function makeDirs(dir: string, created: string[], outDir: string): void {
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
    const [rd, ro] = [resolve(d), resolve(outDir)];
    if (rd === ro || rd.startsWith(ro.endsWith(sep) ? ro : ro + sep)) ensureInside(d, outDir);
    break;
  }
  for (const m of missing) {
    try {
      // 0755 whatever the umask allows beyond it: a umask of 000 must not make the output world-writable.
      mkdirSync(m, 0o755);
      chmodSync(m, 0o755);
    } catch (e) {
      throw fsError(m, e, 'create the directory');
    }
    created.push(m);
  }
}

/** Writes a file in full and flushes it to disk before it may be renamed into place. */
function writeDurably(path: string, content: string | Buffer, mode: number): void {
  const fd = openSync(path, 'wx', mode);
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // Created with its final mode so a secret is never readable by others, even briefly.
  chmodSync(path, mode);
}

/** Flushes a directory's entries (a rename) to disk; some filesystems cannot, which loses nothing here. */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not supported (e.g. some network filesystems)
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How long a run waits for another one writing the same directory. */
const LOCK_WAIT_MS = 60_000;

/**
 * Creates the lock holding this process's pid, or returns false when it exists. The pid is written
 * before the lock appears (a hard link of a written file): a lock created empty and written after
 * was read as "" by a waiting run, taken for a dead holder's and removed, and two runs wrote at once.
 */
function createLock(path: string): boolean {
  const staged = `${path}.${process.pid}.new`;
  writeFileSync(staged, `${process.pid}\n`, { mode: 0o600 });
  try {
    linkSync(staged, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw fsError(path, e, 'lock');
  } finally {
    rmSync(staged, { force: true });
  }
  // A filesystem without hard links: created exclusively, then written.
  try {
    writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fsError(path, e, 'lock');
  }
}

const lockHolder = (path: string, outDir: string) =>
  Number(readUserText(path, { what: 'lock', hint: `delete ${path} if no dify-deploy runs`, within: outDir, optional: true })?.trim());

/**
 * Takes the output directory's lock, waiting for a run that holds it. A lock whose process is gone
 * is taken over by one waiter only: it is moved aside (a rename succeeds once), and a live lock
 * moved by mistake (another waiter took the stale one over first) is put back. Returns the release.
 */
export function lockOutDir(outDir: string): () => void {
  const created: string[] = [];
  makeDirs(join(outDir, STATE_DIR), created, outDir);
  // What the lock alone created goes again with it, so a run that writes nothing leaves nothing.
  const unlock = () => {
    rmSync(path, { force: true });
    for (const d of created.reverse()) if (readdirSync(d).length === 0) rmdirSync(d);
  };
  const path = join(outDir, LOCK_PATH);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    if (createLock(path)) return unlock;
    const holder = lockHolder(path, outDir);
    if (!alive(holder)) {
      const aside = `${path}.${process.pid}.stale`;
      try {
        renameSync(path, aside);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(path, e, 'lock');
        continue;
      }
      const moved = lockHolder(aside, outDir);
      if (moved !== holder && alive(moved)) {
        try {
          linkSync(aside, path);
        } catch {
          // another run holds it now; the one moved aside still writes, as it would have
        }
      }
      rmSync(aside, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new UserError([`${outDir}: another dify-deploy (pid ${holder}) is writing here; wait for it to finish, or delete ${path} if no such process runs`]);
    sleep(50);
  }
}

/**
 * Finishes what an interrupted run left (call with the lock held): a journal means every file
 * was staged, so the renames are completed; staged or backup files no journal names are removed
 * from the directories `paths` live in.
 */
export function recoverInterrupted(outDir: string, paths: string[]): void {
  const journalPath = join(outDir, JOURNAL_PATH);
  const text = readUserText(journalPath, { what: 'commit journal', hint: `delete ${journalPath}`, within: outDir, optional: true });
  if (text !== undefined) {
    let entries: JournalEntry[] = [];
    try {
      entries = JSON.parse(text) as JournalEntry[];
    } catch {
      // A journal is renamed into place whole: a damaged one was never complete, so nothing was renamed yet.
    }
    for (const e of Array.isArray(entries) ? entries : []) {
      if (typeof e?.path !== 'string' || typeof e.tmp !== 'string') continue;
      const tmp = join(outDir, e.tmp);
      if (existsSync(tmp)) renameSync(tmp, join(outDir, e.path));
    }
    for (const e of entries) if (typeof e?.backup === 'string') rmSync(join(outDir, e.backup), { force: true });
    rmSync(journalPath, { force: true });
  }
  const dirs = new Set([join(outDir, STATE_DIR), ...paths.map((p) => dirname(join(outDir, p)))]);
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) if (LEFTOVER.test(name)) rmSync(join(dir, name), { force: true });
  }
}

/**
 * All or nothing, even across a crash: every file is first written in full and flushed to a
 * temporary name beside its target (directories created as needed); when all are staged, a
 * journal naming them is put in place, then each target is moved aside and its new version
 * renamed in, then the journal is removed. A failure before the journal removes what was staged
 * and created; a failed rename puts back what the earlier renames replaced; a crash after the
 * journal is finished by the next run (recoverInterrupted). No hard links: the old version is
 * kept by a rename in the same directory.
 */
function commitFiles(outDir: string, writes: { path: string; content: string | Buffer; mode: number }[]): void {
  const created: string[] = [];
  const staged: { tmp: string; path: string; backup?: string }[] = [];
  const undo = () => {
    for (const s of staged) rmSync(s.tmp, { force: true });
    for (const d of [...created].reverse()) rmSync(d, { recursive: true, force: true });
  };
  try {
    for (const w of writes) {
      makeDirs(dirname(w.path), created, outDir);
      const tmp = tempBeside(w.path, 'tmp');
      staged.push({ tmp, path: w.path });
      try {
        writeDurably(tmp, w.content, w.mode);
      } catch (e) {
        throw fsError(w.path, e, 'write');
      }
    }
    for (const s of staged) if (existsSync(s.path)) s.backup = tempBeside(s.path, 'bak');
    const rel = (p: string) => relative(outDir, p);
    const journal = join(outDir, JOURNAL_PATH);
    const journalTmp = tempBeside(journal, 'tmp');
    writeDurably(journalTmp, JSON.stringify(staged.map((s): JournalEntry => ({ path: rel(s.path), tmp: rel(s.tmp), ...(s.backup ? { backup: rel(s.backup) } : {}) }))), 0o600);
    renameSync(journalTmp, journal);
    syncDir(dirname(journal));
  } catch (e) {
    undo();
    throw e;
  }
  const done: typeof staged = [];
  try {
    for (const s of staged) {
      try {
        if (s.backup) renameSync(s.path, s.backup);
        renameSync(s.tmp, s.path);
      } catch (e) {
        if (s.backup && !existsSync(s.path) && existsSync(s.backup)) renameSync(s.backup, s.path);
        throw fsError(s.path, e, 'write');
      }
      done.push(s);
    }
  } catch (e) {
    for (const s of done.reverse()) {
      if (s.backup) renameSync(s.backup, s.path);
      else rmSync(s.path, { force: true });
    }
    undo();
    rmSync(join(outDir, JOURNAL_PATH), { force: true });
    throw e;
  }
  for (const d of new Set(staged.map((s) => dirname(s.path)))) syncDir(d);
  rmSync(join(outDir, JOURNAL_PATH), { force: true });
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
  if (opts.dryRun) return unwritten(outDir, planWrites(outDir, files), true);
  // One run at a time per directory: it reads the manifest and files, then replaces them.
  const unlock = lockOutDir(outDir);
  try {
    recoverInterrupted(outDir, [...Object.keys(readManifest(outDir).files), ...files.map((f) => f.path)]);
    return writeLocked(outDir, files, opts);
  } finally {
    unlock();
  }
}

function unwritten(outDir: string, outcomes: FileOutcome[], dryRun: boolean): WriteReport {
  const conflicts = outcomes.filter((o) => o.status === 'conflict');
  return { outDir, files: outcomes.map((o) => ({ ...o, status: UNWRITTEN[o.status] ?? o.status })), conflicts, written: false, dryRun };
}

function writeLocked(outDir: string, files: RenderedFile[], opts: { force?: boolean; renderer?: string }): WriteReport {
  const outcomes = planWrites(outDir, files);
  const dryRun = false;
  if (outcomes.some((o) => o.status === 'conflict') && !opts.force) return unwritten(outDir, outcomes, false);

  const manifest = readManifest(outDir);
  const writes: { path: string; content: string | Buffer; mode: number }[] = [];
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
  // --force keeps the user's version of each file it overwrites, in the same all-or-nothing step; 0600,
  // since an edited .env or values file holds secrets.
  const keptDir = `${REPLACED_DIR}/${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const kept = new Map(outcomes.filter((o) => o.status === 'conflict').map((o) => [o.path, `${keptDir}/${o.path}`]));
  for (const [path, copy] of kept) writes.push({ path: join(outDir, copy), content: readFileSync(join(outDir, path)), mode: 0o600 });
  writes.push({ path: join(outDir, MANIFEST_PATH), content: `${JSON.stringify({ files: sorted, ...(render ? { render } : {}) }, null, 2)}\n`, mode: 0o644 });
  commitFiles(outDir, writes);
  for (const u of unchanged) chmodSync(u.path, u.mode);
  // With force, overwritten conflicts are reported as changed, with where the user's version now is.
  const final = outcomes.map((o) => (o.status === 'conflict' ? { path: o.path, status: 'changed' as const, reason: `overwritten with --force (${o.reason}); your version kept as ${kept.get(o.path)}`, keptAs: kept.get(o.path) } : o));
  return { outDir, files: final, conflicts: [], written: true, dryRun };
}
