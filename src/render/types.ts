// What every renderer returns: files in memory. Only the writer touches the disk.
import type { Release, Route } from '../core/data.js';
import type { Plan } from '../core/sizing.js';
import type { Spec } from '../core/spec.js';

export interface RenderedFile {
  /** Relative to the output directory, with forward slashes. */
  path: string;
  content: string;
  /** File mode; secrets-bearing files (.env, values.yaml) are 0o600. */
  mode?: number;
  /**
   * The content keeps every entry the file on disk holds (the secrets store, which operators
   * may edit): writing it loses no edit, so it is never a conflict.
   */
  preservesExisting?: boolean;
}

export interface RenderContext {
  spec: Spec;
  plan: Plan;
  release: Release;
  /** Generated once and kept across re-renders (see secrets.ts). */
  secrets: Record<string, string>;
  /**
   * Tests only: host:port to proxy each nginx upstream to (stub servers), instead of the compose
   * service names. Everything else in the rendered nginx config stays what ships.
   */
  upstreamHosts?: Partial<Record<Route['upstream'], string>>;
}
