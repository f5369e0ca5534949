// The SSRF proxy's private allowlist lives in the spec (as upstream's SSRF_PROXY_ALLOW_PRIVATE_IPS
// and _DOMAINS), so a re-render keeps it: rendered before the private-network deny, only for
// Dify's own containers, optionally narrowed to some ports — and accepted by a real squid.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpecData } from '../src/core/spec-parse.js';
import type { SpecInput } from '../src/core/spec.js';
import { renderFiles } from '../src/render/index.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { runCli } from './helpers/cli.js';
import { loadRelease } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { renderHelm } from '../src/render/helm.js';
import { chartDir, helmBinary, runHelm } from './helpers/helm.js';
import { parseManifests } from './helpers/k8s.js';
import { UPSTREAM_REQUIRED } from './helpers/upstream.js';

const squidConf = (input: SpecInput) => {
  const spec = parseSpecData(input, 'test');
  return renderFiles(spec, 'compose', resolveSecrets({}, spec)).files.find((f) => f.path === 'ssrf_proxy/squid.conf')!.content;
};
const accessLines = (conf: string) => conf.split('\n').filter((l) => l.startsWith('http_access'));
const squid = ['/usr/sbin/squid', '/usr/bin/squid'].find((p) => spawnSync(p, ['-v']).status === 0);

describe('ssrfProxy.allowPrivate', () => {
  const allowPrivate = { domains: ['.corp.example.com', 'vault.internal'], networks: ['10.20.0.0/16', '192.168.7.12', 'fd00:1::/64'], ports: [443, '8000-8999'] };

  it('renders each list before the private-network deny, for Dify clients only, narrowed to the ports', () => {
    const conf = squidConf({ tier: '10qps', ssrfProxy: { allowPrivate } });
    expect(conf).toContain('acl dify_allowed_private_networks dst 10.20.0.0/16 192.168.7.12 fd00:1::/64');
    expect(conf).toContain('acl dify_allowed_private_domains dstdomain .corp.example.com vault.internal');
    expect(conf).toContain('acl dify_allowed_private_ports port 443 8000-8999');
    const lines = accessLines(conf);
    const deny = lines.indexOf('http_access deny to_private_networks');
    for (const acl of ['dify_allowed_private_networks', 'dify_allowed_private_domains']) {
      const i = lines.indexOf(`http_access allow client_localnet ${acl} dify_allowed_private_ports`);
      expect(i, acl).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(deny);
    }
    expect(conf).not.toMatch(/--force/);
  });

  it('without an allowlist nothing private is allowed', () => {
    const conf = squidConf({ tier: '10qps' });
    expect(conf).not.toContain('dify_allowed_private');
    expect(accessLines(conf).indexOf('http_access deny to_private_networks')).toBeLessThan(accessLines(conf).indexOf('http_access allow client_localnet'));
  });

  it.each([
    ['networks', ['10.0.0.0/8; http_access allow all']],
    ['domains', ['evil.com http_access allow all']],
    ['ports', ['22,23']],
  ])('a bad %s entry is a spec error naming the field and line', async (field, values) => {
    const file = join(mkdtempSync(join(tmpdir(), 'dd-ssrf-')), 'dify-deploy.yaml');
    writeFileSync(file, `tier: 10qps\nssrfProxy:\n  allowPrivate:\n    ${field}: ${JSON.stringify(values)}\n`);
    const r = await runCli(['plan', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`ssrfProxy\\.allowPrivate\\.${field}\\.0: expected .*\\(line 4\\)`));
  });

  // A real squid parses the rendered config (installed by .ci/run; required under CI).
  const withSquid = squid || process.env.CI === 'true' ? it : it.skip;
  withSquid('squid -k parse accepts the config with and without an allowlist', () => {
    for (const input of [{ tier: '10qps' }, { tier: '10qps', ssrfProxy: { allowPrivate } }] as SpecInput[]) {
      const dir = mkdtempSync(join(tmpdir(), 'dd-squid-'));
      writeFileSync(join(dir, 'squid.conf'), squidConf(input));
      const r = spawnSync(squid ?? 'squid', ['-k', 'parse', '-f', join(dir, 'squid.conf')], { encoding: 'utf8' });
      expect(r.error).toBeUndefined();
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/FATAL|ERROR/);
      // Issue 26 item 15: squid printed "'0.0.0.0/8' is a subnetwork of '0.0.0.0/0'" on every start (::ffff:0:0/96 is all of IPv4 to it).
      expect(r.stderr).not.toMatch(/WARNING/);
    }
  });
});

// Helm: the chart's ssrfProxy is off by default, and on, its squid.conf allows no client but
// localhost unless a conf.d file does (dify-helm config.tpl). Real helm template renders the chart;
// our policy ConfigMap (helm/extra/) is mounted where the chart's include reads it.
describe('ssrfProxy.allowPrivate on Helm', () => {
  const helm = helmBinary();
  const allowPrivate = { domains: ['.corp.example.com'], networks: ['10.20.0.0/16'], ports: [443] };
  const render = async (input: SpecInput) => {
    const spec = parseSpecData({ tier: '10qps', targets: ['helm'], storage: { type: 's3', bucket: 'b', region: 'r', useIam: true }, ...input }, 'test');
    const release = loadRelease(spec.release);
    const files = renderHelm({ spec, release, plan: planFor(spec, 'helm', release), secrets: resolveSecrets({}, spec) });
    const dir = mkdtempSync(join(tmpdir(), 'dd-ssrf-helm-'));
    writeFileSync(join(dir, 'values.yaml'), files.find((f) => f.path === 'helm/values.yaml')!.content);
    const r = await runHelm(['template', 'dify', chartDir(release.helm.version), '--namespace', 'dify', '-f', join(dir, 'values.yaml')]);
    expect(r.code, r.stderr).toBe(0);
    const extras = files.filter((f) => f.path.startsWith('helm/extra/')).flatMap((f) => parseManifests(f.content));
    return { dir, objects: parseManifests(r.stdout), extras };
  };

  it.skipIf(!helm || !UPSTREAM_REQUIRED)('the proxy is on, Dify points at it, and the policy file lands where the chart\'s squid.conf includes it', async () => {
    const { dir, objects, extras } = await render({ ssrfProxy: { allowPrivate } });
    const proxy = objects.find((o) => o.kind === 'Deployment' && o.spec.template.metadata.labels?.component === 'ssrf-proxy')!;
    expect(proxy, 'the chart renders the ssrf-proxy Deployment').toBeDefined();
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === proxy.metadata.name)!;
    const apiConfig = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'dify-api')!;
    expect(apiConfig.data.SSRF_PROXY_HTTP_URL).toBe(`http://${service.metadata.name}:${service.spec.ports[0].port}`);

    // The extra volume is our ConfigMap; its one key is mounted as a .conf file under /etc/squid/conf.d/.
    const pod = proxy.spec.template.spec;
    const mount = pod.containers[0].volumeMounts.find((m: { mountPath: string }) => m.mountPath.startsWith('/etc/squid/conf.d/'));
    expect(mount.mountPath).toMatch(/\.conf$/);
    const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
    const policy = extras.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap.name);
    expect(policy, 'helm/extra/ holds the ConfigMap the proxy mounts').toBeDefined();
    const policyText: string = policy!.data[mount.subPath];
    expect(policyText).toContain('acl dify_allowed_private_networks dst 10.20.0.0/16');

    // The chart's squid.conf with its include pointed at our file: the allowlist comes before the private deny,
    // and both before the chart's final deny all.
    const chartConf: string = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === proxy.metadata.name)!.data['squid.conf'];
    const include = 'include /etc/squid/conf.d/*.conf';
    expect(chartConf).toContain(include);
    const combined = chartConf.replace(include, policyText);
    const access = accessLines(combined);
    const allowed = access.indexOf('http_access allow client_localnet dify_allowed_private_networks dify_allowed_private_ports');
    const privateDeny = access.indexOf('http_access deny to_private_networks');
    const denyAll = access.indexOf('http_access deny all');
    expect(allowed).toBeGreaterThanOrEqual(0);
    expect(allowed).toBeLessThan(privateDeny);
    expect(privateDeny).toBeLessThan(access.indexOf('http_access allow client_localnet'));
    expect(access.indexOf('http_access allow client_localnet')).toBeLessThan(denyAll);

    // A real squid parses the chart's config with our file included where the pod has it.
    if (squid || process.env.CI === 'true') {
      mkdirSync(join(dir, 'conf.d'));
      writeFileSync(join(dir, 'conf.d', mount.subPath), policyText);
      writeFileSync(join(dir, 'squid.conf'), chartConf.replace(include, `include ${join(dir, 'conf.d')}/*.conf`));
      const r = spawnSync(squid ?? 'squid', ['-k', 'parse', '-f', join(dir, 'squid.conf')], { encoding: 'utf8' });
      expect(r.error).toBeUndefined();
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/FATAL|ERROR|WARNING/);
    }
  });

  it.skipIf(!helm || !UPSTREAM_REQUIRED)('without an allowlist the policy still refuses private destinations and allows Dify\'s pods out', async () => {
    const { extras } = await render({});
    const text: string = Object.values(extras.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'dify-ssrf-proxy-policy')!.data)[0] as string;
    expect(text).not.toContain('dify_allowed_private');
    expect(accessLines(text)).toEqual(['http_access deny to_private_networks', 'http_access allow allowed_domains', 'http_access allow client_localnet']);
  });
});

describe('ssrfProxy.allowPrivate refuses what would open the proxy to everything or to metadata', () => {
  it.each([
    ['0.0.0.0/0', /allows far more than a private network/],
    ['::/0', /allows far more than a private network/],
    ['169.254.169.254', /cloud metadata endpoint/],
    ['169.254.0.0/16', /cloud metadata endpoint/],
    ['168.63.129.16/32', /cloud metadata endpoint/],
    ['fd00:ec2::254', /cloud metadata endpoint/],
  ])('%s is refused', (network, message) => {
    expect(() => parseSpecData({ tier: '10qps', ssrfProxy: { allowPrivate: { networks: [network] } } }, 'spec.yaml')).toThrow(message);
  });

  it('a private network of the operator is accepted; Azure WireServer and NAT64 are denied destinations', () => {
    expect(() => parseSpecData({ tier: '10qps', ssrfProxy: { allowPrivate: { networks: ['10.1.2.0/24', '192.168.0.0/16'] } } }, 'spec.yaml')).not.toThrow();
    const deny = squidConf({ tier: '10qps' }).split('\n').filter((l) => l.startsWith('acl to_private_networks')).join(' ');
    for (const net of ['168.63.129.16/32', '64:ff9b::/96', '169.254.0.0/16']) expect(deny).toContain(` ${net}`);
  });
});
