// The component table (src/dify/components.ts) against upstream's own files: every Dify service of
// every release's docker-compose.yaml is the component the table says, whether its image is pinned
// by tag or by digest, and every chart key the table names is a block of the vendored chart's values.
import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parse } from 'yaml';
import { releaseVersions, loadRelease } from '../src/core/data.js';
import { CHART_COMPONENTS, COMPONENT_NAMES, componentsWhere } from '../src/dify/components.js';
import { loadDeployment } from '../src/validate/load.js';
import { UPSTREAM, describeUpstream, testUpstream } from './helpers/upstream.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** Upstream's compose with every image pinned by digest instead of its tag, and every service renamed (so only the image tells). */
function byDigest(text: string): string {
  return text.replace(/^(\s+image:\s*)([^\s:@]+(?:\/[^\s:@]+)*):[^\s]+$/gm, `$1$2@${DIGEST}`).replace(/^ {2}([a-z_]+):$/gm, '  my_$1:');
}

describeUpstream('the component table against upstream', () => {
  testUpstream.each(releaseVersions())('Dify %s: services are recognised by image, by tag and by digest alike', (version) => {
    const docker = join(UPSTREAM, `dify-${version}`, 'docker');
    const compose = readFileSync(join(docker, 'docker-compose.yaml'), 'utf8');
    const pinned = byDigest(compose);
    expect(pinned).toContain(`dify-api@${DIGEST}`);
    const componentsOf = (text: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'dd-components-'));
      writeFileSync(join(dir, 'docker-compose.yaml'), text);
      writeFileSync(join(dir, '.env'), readFileSync(join(docker, '.env.example'), 'utf8'));
      return Object.fromEntries(loadDeployment({ dir }).deployment.services.map((s) => [s.name, s.component]));
    };
    const byTag = componentsOf(compose);
    const renamed = Object.fromEntries(Object.entries(componentsOf(pinned)).map(([name, c]) => [name.replace(/^my_/, ''), c]));
    expect(renamed).toEqual(byTag);
    // Upstream names its services after the components it runs: api, worker, worker_beat, web, plugin_daemon, sandbox, …
    for (const name of Object.keys(parse(compose).services)) if ((COMPONENT_NAMES as readonly string[]).includes(name)) expect(byTag[name], name).toBe(name);
    // The standard services are upstream's services outside any profile.
    const services = parse(compose).services as Record<string, { profiles?: string[] }>;
    for (const c of componentsWhere((x) => x.upstreamStandard)) expect(services[c === 'nginx' ? 'nginx' : c]?.profiles, c).toBeUndefined();
  });

  testUpstream.each(releaseVersions())('Dify %s: every chart key of a deployed component is a block of the chart', (version) => {
    const release = loadRelease(version);
    const values = parse(readFileSync(join(UPSTREAM, `dify-helm-${release.helm.version}`, 'chart', 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const optional = new Set(['worker_runs', 'api_websocket', 'agent_backend', 'local_sandbox']);
    for (const c of COMPONENT_NAMES) if (!optional.has(c)) expect(values, CHART_COMPONENTS[c].key).toHaveProperty(CHART_COMPONENTS[c].key);
  });
});
