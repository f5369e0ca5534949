#!/usr/bin/env node
// Rebuilds releases/derived/<version>.json, the derived half of each shipped release, with the
// product's own derivation (src/core/releases/derive.ts, built to dist/) from the unmodified upstream
// copies — the same code `dify-deploy release add` runs on a user's checkout.
// test/release-derive.test.ts fails when a shipped file differs from what this writes.
//   npm run build && node scripts/releases.mjs [UPSTREAM_DIR]
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deriveRelease, locateReleaseFiles } from '../dist/core/releases/derive.js';
import { shippedReleaseFile } from '../dist/core/releases/add.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const upstream = process.argv[2] ?? join(root, '..', 'shared', 'upstream');
const { releases } = JSON.parse(readFileSync(join(root, 'releases', 'index.json'), 'utf8'));
mkdirSync(join(root, 'releases', 'derived'), { recursive: true });
for (const version of releases) {
  const release = deriveRelease(locateReleaseFiles(join(upstream, `dify-${version}`)));
  writeFileSync(join(root, 'releases', 'derived', `${version}.json`), shippedReleaseFile(release));
  console.log(`releases/derived/${version}.json: ${release.knownEnv.variables.length} variables, ${release.services.length} services`);
}
