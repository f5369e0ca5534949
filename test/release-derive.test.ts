// The shipped release data is the derivation's output: each shipped release's derived file equals
// what src/releases/derive.ts reads from the unmodified upstream docker/ folder (no second copy of
// the logic: scripts/releases.mjs writes them with the same function).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveRelease, locateReleaseFiles } from '../src/core/releases/derive.js';
import { SHIPPED_DERIVED_DIR } from '../src/core/releases/store.js';
import { loadRelease } from '../src/core/data.js';
import { UPSTREAM, UPSTREAM_REQUIRED } from './helpers/upstream-path.js';

const shipped = (JSON.parse(readFileSync(join(SHIPPED_DERIVED_DIR, '..', 'index.json'), 'utf8')) as { releases: string[] }).releases;

describe.runIf(UPSTREAM_REQUIRED)('shipped release data = the derivation of the upstream files', () => {
  it('ships the four fixture releases', () => expect(shipped).toEqual(['1.13.3', '1.14.2', '1.15.0', '1.16.1']));
  for (const version of shipped)
    it(`Dify ${version}`, () => {
      const stored = JSON.parse(readFileSync(join(SHIPPED_DERIVED_DIR, `${version}.json`), 'utf8'));
      expect(stored.release).toEqual(deriveRelease(locateReleaseFiles(join(UPSTREAM, `dify-${version}`))));
    });

  // Read apart from the derivation: facts of the 1.16.1 files checked by hand (line numbers, images, profiles).
  it('reads 1.16.1 as its files say', () => {
    const d = deriveRelease(locateReleaseFiles(join(UPSTREAM, 'dify-1.16.1', 'docker')));
    expect(d.version).toBe('1.16.1');
    expect(d.images.pluginDaemon).toBe('langgenius/dify-plugin-daemon:0.6.3-local');
    expect(d.pluginDaemonVersion).toBe('0.6.3');
    expect(d.collaboration).toEqual({ service: 'api_websocket', profile: 'collaboration', defaultEnabled: true });
    expect(d.envDefaults.EDITION).toEqual({ value: 'SELF_HOSTED', source: 'dify-1.16.1/docker/envs/core-services/shared.env.example:104' });
    expect(d.routes.find((r) => r.path === '/socket.io/')).toEqual({ path: '/socket.io/', upstream: 'api_websocket', websocket: true });
    expect(d.services).toContain('agent_ssrf_proxy');
    expect(d.services).not.toContain('db_postgres');
    expect(d.defaultQueues).toBeUndefined(); // the fixture is the docker/ folder only
  });
});

describe('a shipped release is its derived data with its curated facts', () => {
  it('keeps the curated facts and says nothing is assumed', () => {
    const r = loadRelease('1.16.1');
    expect(r.origin?.kind).toBe('shipped');
    expect(r.assumed).toEqual([]);
    expect(r.images.pgbouncer).toMatch(/^edoburu\/pgbouncer:/);
    expect(r.upstreamDefaults.DB_MAX_OPEN_CONNS).toBe('30');
    expect(r.serviceEnv.worker_runs).toEqual(r.serviceEnv.worker);
  });
});

describe('the services the compose renderer writes itself', () => {
  it('are the services src/render/compose/services.ts defines (a service missing there would be passed through unsized)', async () => {
    const { COMPOSE_RENDERED_SERVICES } = await import('../src/core/target-support.js');
    const { composeServiceDefinitions } = await import('../src/render/compose/services.js');
    const { services } = composeServiceDefinitions({
      images: {}, dbService: 'db_postgres', redisBundled: true, agentBackend: true, pluginDebugPort: true, reservedConnections: 3, tls: false, tlsOwn: false,
      tlsCertbot: false, httpPort: 80, httpsPort: 443, pooler: true, poolerPort: 6432, poolerStartScript: '', poolerConfigPath: '/p',
    });
    expect(Object.keys(services).sort()).toEqual([...COMPOSE_RENDERED_SERVICES].sort());
  });
});
