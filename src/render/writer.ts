// The only code that writes a deployment to disk. Writes are atomic (temp file + rename in the
// same directory) and never clobber a file the user edited: the manifest remembers the sha256 of
// what dify-deploy last wrote at each path, and a file that no longer matches it (or that exists
// without an entry) is left alone unless `force`.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../core/errors.js';
import type { RenderedFile } from './types.js';

export const STATE_DIR = '.dify-deploy';
export const MANIFEST_PATH = `${STATE_DIR}/manifest.json`;

export type FileStatus = 'created' | 'changed' | 'unchanged' | 'conflict';

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

/** The current text of a file, undefined when absent; a directory in its place is a user error. */
function readIfPresent(path: string): string | undefined {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsError(path, e, 'read');
  }
  if (st.isDirectory()) throw new UserError([`${path}: is a directory where dify-deploy writes a file; move it away or choose another --out`]);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw fsError(path, e, 'read');
  }
}

export function readManifest(outDir: string): Manifest {
  const path = join(outDir, MANIFEST_PATH);
  const text = readIfPresent(path);
  if (text === undefined) return { files: {} };
  try {
    const data = JSON.parse(text) as Manifest;
    if (data && typeof data.files === 'object' && data.files !== null) return data;
  } catch {
    // fall through: a damaged manifest protects nothing, so every existing file counts as user-owned
  }
  return { files: {} };
}

function atomicWrite(path: string, content: string, mode: number): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    throw fsError(dirname(path), e, 'create the directory');
  }
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.dify-deploy.tmp`);
  try {
    // Created with its final mode so a secret is never readable by others, even briefly.
    writeFileSync(tmp, content, { mode });
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw fsError(path, e, 'write');
  }
}

/** What writing `files` would do, without touching the disk. */
export function planWrites(outDir: string, files: RenderedFile[]): FileOutcome[] {
  const manifest = readManifest(outDir);
  return files.map((f) => {
    const current = readIfPresent(join(outDir, f.path));
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
  try {
    if (statSync(outDir).isFile()) throw new UserError([`${outDir}: is a file; --out needs a directory`]);
  } catch (e) {
    if (e instanceof UserError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(outDir, e, 'read');
  }
  const outcomes = planWrites(outDir, files);
  const conflicts = outcomes.filter((o) => o.status === 'conflict');
  const dryRun = opts.dryRun ?? false;
  if (dryRun || (conflicts.length > 0 && !opts.force)) return { outDir, files: outcomes, conflicts, written: false, dryRun };

  const manifest = readManifest(outDir);
  for (const f of files) {
    const outcome = outcomes.find((o) => o.path === f.path)!;
    const mode = f.mode ?? 0o644;
    if (outcome.status !== 'unchanged') atomicWrite(join(outDir, f.path), f.content, mode);
    else chmodSync(join(outDir, f.path), mode);
    manifest.files[f.path] = sha256(f.content);
  }
  const sorted = Object.fromEntries(Object.entries(manifest.files).sort(([a], [b]) => a.localeCompare(b)));
  const render = opts.renderer ? { renderer: opts.renderer, files: files.map((f) => f.path).sort() } : manifest.render;
  atomicWrite(join(outDir, MANIFEST_PATH), `${JSON.stringify({ files: sorted, ...(render ? { render } : {}) }, null, 2)}\n`, 0o644);
  // With force, overwritten conflicts are reported as changed: they no longer hold the user's edit.
  const final = outcomes.map((o) => (o.status === 'conflict' ? { path: o.path, status: 'changed' as const, reason: `overwritten with --force (${o.reason})` } : o));
  return { outDir, files: final, conflicts: [], written: true, dryRun };
}
