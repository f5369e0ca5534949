// Paths to the unmodified upstream fixtures: ../shared/upstream beside the repository, or the
// folder DIFY_DEPLOY_UPSTREAM names. Tests that need them skip outside CI when they are missing
// (test/global-setup.ts says so once) and fail under CI=true.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'dotenv';
import { describe, test } from 'vitest';
import { secretData } from '../../src/core/secret-data.js';
import { UPSTREAM, UPSTREAM_REQUIRED } from './upstream-path.js';

export { UPSTREAM, UPSTREAM_REQUIRED };

/** `describe` and `test` for tests that read the upstream fixtures. */
export const describeUpstream = UPSTREAM_REQUIRED ? describe : describe.skip;
export const testUpstream = UPSTREAM_REQUIRED ? test : test.skip;

export function upstreamEnvExample(release: string): Record<string, string> {
  return parse(readFileSync(`${UPSTREAM}dify-${release}/docker/.env.example`, 'utf8'));
}

/**
 * The upstream file with every published default secret replaced by a strong value. The
 * replacement is a function of the old value, so variables that shared a default (and must
 * agree, like CODE_EXECUTION_API_KEY and SANDBOX_API_KEY) still agree, inside URLs too.
 */
export function hardened(text: string, extra: Record<string, string> = {}): string {
  const strong = (old: string) => `s${createHash('sha256').update(old).digest('base64url')}`;
  const defaults = [...secretData().knownDefaults].sort((a, b) => b.length - a.length);
  let out = text
    .split('\n')
    .map((line) => {
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
      if (!m) return line;
      const [, key, value] = m;
      if (key in extra) return `${key}=${extra[key]}`;
      if (defaults.includes(value)) return `${key}=${strong(value)}`;
      if (key === 'CELERY_BROKER_URL') return `${key}=${defaults.reduce((v, d) => v.replace(`:${d}@`, `:${strong(d)}@`), value)}`;
      return line;
    })
    .join('\n');
  for (const [k, v] of Object.entries(extra)) if (!new RegExp(`^${k}=`, 'm').test(out)) out += `\n${k}=${v}\n`;
  return out;
}

