// The package's generated CommonJS files — precompiled templates (generated/templates.cjs) and
// Ajv validators (generated/dify-helm-*/values-validator.cjs, schemas/compose-spec-validator.cjs)
// — are loaded through here, so the launcher can compile them through its V8 code cache as it
// does the bundle (bin/code-cache.cjs): together ≈ 0.9 MB of source a run would compile again.
// Without the launcher (tests, dist/ imported as a library) it is Node's require.
import { createRequire } from 'node:module';

type Loader = (file: string) => unknown;

let load: Loader | undefined;

/** Loads generated files with `loader` from now on (the launcher's code-cache loader). */
export function loadGeneratedWith(loader: Loader): void {
  load = loader;
}

/** The exports of the generated CommonJS file at the absolute path `file`. */
export function requireGenerated(file: string): unknown {
  load ??= createRequire(import.meta.url);
  return load(file);
}
