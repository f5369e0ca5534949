// Where the unmodified upstream fixtures are: ../shared/upstream beside the repository, or the
// folder DIFY_DEPLOY_UPSTREAM names. No vitest import: test/global-setup.ts reads this too.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const UPSTREAM = `${resolve(process.env.DIFY_DEPLOY_UPSTREAM ?? fileURLToPath(new URL('../../../shared/upstream/', import.meta.url)))}/`;

/** The fixtures are there, or CI requires them (a missing one then fails the test). */
export const UPSTREAM_REQUIRED = existsSync(UPSTREAM) || process.env.CI === 'true';
