// Curated facts that span releases: the variables upstream renamed (releases/renames.json), each
// with the first release that reads only the new name and a source.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';
import { compareVersions } from './store.js';

export interface Rename {
  from: string;
  to: string;
  /** The first release that reads only the new name. */
  since: string;
  source: string;
}

const RENAMES_FILE = join(PACKAGE_ROOT, 'releases', 'renames.json');
let cached: Rename[] | undefined;

export function renames(): Rename[] {
  cached ??= (JSON.parse(readFileSync(RENAMES_FILE, 'utf8')) as { renames: Rename[] }).renames;
  return cached;
}

/** The names a release reads instead of older ones: old → new, for every rename in effect at `version`. */
export function renamesInEffect(version: string): Map<string, Rename> {
  return new Map(renames().filter((r) => compareVersions(r.since, version) <= 0).map((r) => [r.from, r]));
}
