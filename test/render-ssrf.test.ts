// The SSRF proxy's private allowlist lives in the spec (as upstream's SSRF_PROXY_ALLOW_PRIVATE_IPS
// and _DOMAINS), so a re-render keeps it: rendered before the private-network deny, only for
// Dify's own containers, optionally narrowed to some ports — and accepted by a real squid.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpecData } from '../src/core/spec-parse.js';
import type { SpecInput } from '../src/core/spec.js';
import { renderFiles } from '../src/render/index.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { runCli } from './helpers/cli.js';

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
    }
  });
});
