// Issue 24 (Low): upstream's compose file and the chart ship nginx and squid at :latest. Every image
// our compose files and Helm values name carries a tag other than latest, for every release × target.
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { releaseVersions } from '../src/core/data.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import { renderFiles } from '../src/render/index.js';
import { resolveSecrets } from '../src/render/secrets.js';

/** The tag of an image reference (none: latest, as Docker reads it); a digest counts as pinned. */
function tagOf(ref: string): string {
  if (ref.includes('@sha256:')) return 'digest';
  const name = ref.slice(ref.lastIndexOf('/') + 1);
  return name.includes(':') ? name.slice(name.indexOf(':') + 1) : 'latest';
}

describe.each(releaseVersions())('Dify %s: no image at latest', (release) => {
  const spec = parseSpecData({ tier: '10qps', release, targets: ['compose', 'helm'], storage: { type: 's3', bucket: 'dify-files', region: 'us-east-1', useIam: true } }, 'test');
  const file = (target: 'compose' | 'helm', path: string) => renderFiles(spec, target, resolveSecrets({})).files.find((f) => f.path === path)!.content;

  it('compose: every service names a tag, nginx and squid among them', () => {
    const services = Object.values((parseYaml(file('compose', 'docker-compose.yaml')) as { services: Record<string, { image?: string }> }).services);
    const images = services.flatMap((s) => (s.image ? [s.image] : []));
    expect(images.filter((i) => tagOf(i) === 'latest')).toEqual([]);
    expect(images.some((i) => i.startsWith('nginx:'))).toBe(true);
    expect(images.some((i) => i.startsWith('ubuntu/squid:'))).toBe(true);
  });

  it("Helm: the chart's proxy and SSRF proxy (latest in the chart's values) get a tag", () => {
    const values = parseYaml(file('helm', 'helm/values.yaml')) as { image: Record<string, { repository: string; tag: string }> };
    for (const key of ['proxy', 'ssrfProxy']) expect(values.image[key].tag, key).not.toBe('latest');
    expect(values.image.proxy.repository).toBe('nginx');
    expect(values.image.ssrfProxy.repository).toBe('ubuntu/squid');
  });
});
