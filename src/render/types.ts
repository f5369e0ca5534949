// What every renderer returns: files in memory. Only the writer touches the disk.
import type { Release } from '../core/data.js';
import type { Plan } from '../core/sizing.js';
import type { Spec } from '../core/spec.js';

export interface RenderedFile {
  /** Relative to the output directory, with forward slashes. */
  path: string;
  content: string;
  /** File mode; secrets-bearing files (.env, values.yaml) are 0o600. */
  mode?: number;
}

export interface RenderContext {
  spec: Spec;
  plan: Plan;
  release: Release;
  /** Generated once and kept across re-renders (see secrets.ts). */
  secrets: Record<string, string>;
}
