// Upstream's compose file passes some .env variables to a service under another name
// (api SENTRY_DSN ← API_SENTRY_DSN, api AGENT_BACKEND_API_TOKEN ← DIFY_AGENT_API_TOKEN, …).
// Every such mapping is read from upstream's docker-compose.yaml per release by the product's one
// derivation (src/core/releases/derive.ts serviceRenames), which is itself checked against what
// compose makes of the file (every variable set to a marker, interpolated by the test's own
// compose helper). Then, wherever our .env sets the upstream side, the service must see that
// value under the name it reads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { STORAGE_BACKENDS } from '../src/backends/storage.js';
import { releaseVersions } from '../src/core/data.js';
import { serviceRenames } from '../src/core/releases/derive.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import type { SpecInput } from '../src/core/spec.js';
import { renderFiles } from '../src/render/index.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { effectiveEnv, type ComposeService } from './helpers/compose-env.js';
import { describeUpstream, UPSTREAM, UPSTREAM_REQUIRED } from './helpers/upstream.js';

const upstreamCompose = (release: string) => readFileSync(join(UPSTREAM, `dify-${release}`, 'docker', 'docker-compose.yaml'), 'utf8');
const upstreamServices = (release: string) =>
  (parseYaml(upstreamCompose(release), { merge: true, maxAliasCount: -1 }) as { services: Record<string, ComposeService> }).services;

/** Every service of upstream's compose file, not only Dify's own: a bundled store's renames count too. */
function upstreamMappings(release: string): Record<string, Record<string, string>> {
  const services = upstreamServices(release);
  return serviceRenames(services, Object.keys(services));
}

/**
 * What compose itself passes under another name: every variable the file references set to a
 * marker `@NAME@`; a container variable that comes out as exactly another variable's marker is a rename.
 */
function composeRenames(release: string): Record<string, Record<string, string>> {
  const names = new Set([...upstreamCompose(release).matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]));
  const probe = [...names].map((n) => `${n}=@${n}@`).join('\n');
  const out: Record<string, Record<string, string>> = {};
  for (const [name, svc] of Object.entries(upstreamServices(release))) {
    for (const [container, value] of Object.entries(effectiveEnv({ environment: svc.environment }, probe))) {
      const m = /^@([A-Z_][A-Z0-9_]*)@$/.exec(value);
      if (m && m[1] !== container) (out[name] ??= {})[container] = m[1];
    }
  }
  return out;
}

const storage = (id: string, requires: readonly string[]) =>
  ({ type: id, ...Object.fromEntries(requires.map((f) => [f, f === 'endpoint' || f === 'accountUrl' ? 'https://store.example.com' : `the-${f}`])), accessKey: 'AKIAEXAMPLEKEY', secretKey: 'example-secret-key-0123', serviceAccountJsonBase64: 'eyJ0eXBlIjoic2VydmljZV9hY2NvdW50In0=' }) as SpecInput['storage'];

const specs: { name: string; input: SpecInput }[] = [
  { name: 'defaults', input: { tier: '10qps' } },
  { name: 'sentry', input: { tier: '50qps', observability: { sentryDsn: 'https://key@sentry.example.com/1' } } },
  ...STORAGE_BACKENDS.filter((s) => s.id !== 'local').map((s) => ({ name: `storage ${s.id}`, input: { tier: '10qps', storage: storage(s.id, s.requires) } as SpecInput })),
];

describeUpstream('the release derivation reads every rename compose makes', () => {
  it.each(releaseVersions())('%s', (release) => {
    expect(upstreamMappings(release)).toEqual(composeRenames(release));
  });
});

describeUpstream('service-specific variables reach each service under the name it reads', () => {
  for (const release of releaseVersions()) {
    const mappings = UPSTREAM_REQUIRED ? upstreamMappings(release) : {};
    it.each(specs)(`${release} $name`, ({ input }) => {
      const spec = parseSpecData({ ...input, release }, 'test');
      const { files } = renderFiles(spec, 'compose', resolveSecrets({}));
      const dotenvText = files.find((f) => f.path === '.env')!.content;
      const dotenv = Object.fromEntries(dotenvText.split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      const services = (parseYaml(files.find((f) => f.path === 'docker-compose.yaml')!.content) as { services: Record<string, ComposeService> }).services;
      const missing: string[] = [];
      for (const [service, map] of Object.entries(mappings)) {
        if (!services[service]) continue;
        const env = effectiveEnv(services[service], dotenvText);
        for (const [container, envName] of Object.entries(map))
          if ((dotenv[envName] ?? '') !== '' && env[container] !== effectiveEnv({ env_file: ['./.env'] }, dotenvText)[envName]) missing.push(`${service} ${container} ← ${envName}`);
      }
      expect(missing).toEqual([]);
    });
  }
});
