// Per release: each variable's upstream default with its file and line (the derived release
// data's envDefaults, src/releases/derive.ts), and the variables upstream renamed (releases/renames.json).
// `import` compares a user's files against the defaults; `upgrade` diffs two releases with them.
import { derivedRelease } from '../core/releases/store.js';
import type { EnvDefault } from '../core/releases/derive.js';

export type { EnvDefault } from '../core/releases/derive.js';
export { renames, type Rename } from '../core/releases/curated.js';

export function envDefaults(version: string): Record<string, EnvDefault> {
  return derivedRelease(version).envDefaults;
}
