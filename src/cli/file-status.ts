// How a write report's files read in the terminal, for every command that writes a deployment:
// what was written, or — a dry run, a refusal — what a write would do.
import type { Colors } from './io.js';
import type { FileOutcome, FileStatus } from '../render/writer.js';

const LABELS: Record<FileStatus, [text: string, colour?: 'green' | 'yellow' | 'red']> = {
  created: ['create', 'green'],
  changed: ['update', 'yellow'],
  unchanged: ['same'],
  conflict: ['KEEP', 'red'],
  wouldCreate: ['would create', 'green'],
  wouldChange: ['would update', 'yellow'],
};
const WIDTH = Math.max(...Object.values(LABELS).map(([t]) => t.length));

/** One line per file: `  would create  docker-compose.yaml`. */
export function fileLines(files: readonly FileOutcome[], c: Colors): string[] {
  return files.map((f) => {
    const [text, colour] = LABELS[f.status];
    const label = text.padEnd(WIDTH);
    return `  ${colour ? c[colour](label) : label}  ${f.path}${f.reason ? `  (${f.reason})` : ''}`;
  });
}

/** `3 created, 1 updated, 2 unchanged`, or when nothing was written `would create 3, update 1, leave 2 unchanged`. */
export function fileTally(files: readonly FileOutcome[], written: boolean): string {
  const count = (...s: FileStatus[]) => files.filter((f) => s.includes(f.status)).length;
  return written
    ? `${count('created')} created, ${count('changed')} updated, ${count('unchanged')} unchanged`
    : `would create ${count('wouldCreate')}, update ${count('wouldChange')}, leave ${count('unchanged')} unchanged`;
}
