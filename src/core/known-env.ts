// The environment variables a Dify release documents for docker compose: the derived release
// data's knownEnv (src/releases/derive.ts: upstream's .env.example, envs/** and compose template).
// The renderer and `validate` both read it.
import { derivedRelease } from '../releases/store.js';

const cache = new Map<string, ReadonlySet<string>>();

export function knownEnvVariables(version: string): ReadonlySet<string> {
  let known = cache.get(version);
  if (!known) {
    known = new Set(derivedRelease(version).knownEnv.variables);
    cache.set(version, known);
  }
  return known;
}
