#!/usr/bin/env node
// Updates `serviceEnv` in releases/<version>.json from upstream's docker/docker-compose.yaml:
// for each Dify service, every container variable upstream reads from a differently named .env
// variable (`SENTRY_DSN: ${API_SENTRY_DSN:-}`). Entries already in the table stay; missing ones
// are added. Rerun when a release is added:
//   node scripts/service-env.mjs [UPSTREAM_DIR]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const upstream = process.argv[2] ?? join(root, '..', 'shared', 'upstream');
/** The services dify-deploy renders from the release table (src/core/spec.ts COMPONENT_NAMES, nginx aside). */
const DIFY_SERVICES = ['api', 'api_websocket', 'worker', 'worker_beat', 'web', 'plugin_daemon', 'sandbox', 'agent_backend', 'local_sandbox'];

/** Per service (default: Dify's own): container variable ← the differently named .env variable it reads. */
export function upstreamServiceEnv(composeText, services = DIFY_SERVICES) {
  const doc = parse(composeText);
  const out = {};
  for (const name of services ?? Object.keys(doc.services ?? {})) {
    const svc = doc.services?.[name];
    if (!svc) continue;
    const env = Array.isArray(svc.environment)
      ? Object.fromEntries(svc.environment.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]))
      : (svc.environment ?? {});
    for (const [container, value] of Object.entries(env)) {
      // Only a plain reference: `${VAR}`, `${VAR:-default}`, `${VAR:?err}` (a nested default is the same name first).
      const m = /^\$\{([A-Z_][A-Z0-9_]*)(?::?[-?][^${}]*)?\}$/.exec(String(value));
      if (m && m[1] !== container) (out[name] ??= {})[container] = m[1];
    }
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { releases } = JSON.parse(readFileSync(join(root, 'releases', 'index.json'), 'utf8'));
  for (const version of releases) {
    const path = join(root, 'releases', `${version}.json`);
    const release = JSON.parse(readFileSync(path, 'utf8'));
    const found = upstreamServiceEnv(readFileSync(join(upstream, `dify-${version}`, 'docker', 'docker-compose.yaml'), 'utf8'));
    for (const [service, map] of Object.entries(found)) release.serviceEnv[service] = { ...release.serviceEnv[service], ...Object.fromEntries(Object.entries(map).filter(([k]) => !(k in (release.serviceEnv[service] ?? {})))) };
    writeFileSync(path, `${JSON.stringify(release, null, 2)}\n`);
    console.log(`releases/${version}.json: serviceEnv for ${Object.keys(release.serviceEnv).length} services`);
  }
}
