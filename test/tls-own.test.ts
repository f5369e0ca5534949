// tls: own: the certificate and key are files the spec names. Without them there is nothing to
// mount, and the empty path once became `./:/etc/nginx/ssl/dify.crt` (the project folder, .env
// and all, inside nginx). The class: no bind mount of the project folder passes validate, and
// import traces an HTTPS deployment's certificate back to the host files it mounts.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { describeUpstream } from './helpers/upstream.js';
import { userDeployment } from './helpers/user-deployments.js';

const specDir = (text: string) => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-tls-'));
  writeFileSync(join(dir, 'dify-deploy.yaml'), text);
  return dir;
};

describe('tls: own', () => {
  it('without certFile/keyFile: render names both fields, exits 2 and writes nothing', async () => {
    const dir = specDir('tier: 10qps\ndomain:\n  host: dify.example.com\n  tls: own\n');
    const r = await runCli(['render', '--config', join(dir, 'dify-deploy.yaml'), '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/domain\.certFile.*required with tls: own/);
    expect(r.stderr).toMatch(/domain\.keyFile.*required with tls: own/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('Helm alone needs no files (the certificate is a Kubernetes TLS Secret)', async () => {
    const dir = specDir('tier: 10qps\ntargets: [helm]\nstorage:\n  type: s3\n  bucket: b\n  region: r\n  useIam: true\ndomain:\n  host: dify.example.com\n  tls: own\n');
    const r = await runCli(['plan', '--config', join(dir, 'dify-deploy.yaml'), '--json']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('validate: any bind mount of the project folder (or above it) is an error', async () => {
    const dir = specDir('tier: 10qps\ndomain:\n  host: dify.example.com\n  tls: own\n  certFile: c.pem\n  keyFile: k.pem\n');
    expect((await runCli(['render', '--config', join(dir, 'dify-deploy.yaml'), '--out', join(dir, 'out')])).code).toBe(0);
    const compose = join(dir, 'out', 'docker-compose.yaml');
    const clean = await runCli(['validate', join(dir, 'out'), '--format', 'json']);
    const mountFindings = (stdout: string) => JSON.parse(stdout).diagnostics.filter((d: { message: string }) => /the project folder/.test(d.message));
    expect(mountFindings(clean.stdout)).toEqual([]);
    const doc = parse(readFileSync(compose, 'utf8'));
    for (const source of ['./', '.', '..', '../..', dir.replace(/\/?$/, '/out')]) {
      doc.services.nginx.volumes = [`${source}:/etc/nginx/ssl/dify.crt:ro`, { type: 'bind', source, target: '/x' }];
      writeFileSync(compose, stringify(doc));
      const r = await runCli(['validate', join(dir, 'out'), '--format', 'json']);
      expect(r.code).toBe(1);
      expect(mountFindings(r.stdout)).toHaveLength(2);
    }
  });
});

describeUpstream('import of an HTTPS deployment', () => {
  it('takes the certificate and key nginx mounts, as absolute host paths, and its render mounts them', async () => {
    const src = userDeployment('1.16.1', ['domain']);
    const out = `${src}-adopted`;
    const r = await runCli(['import', src, '--out', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const spec = parse(readFileSync(join(out, 'dify-deploy.yaml'), 'utf8'));
    expect(spec.domain).toMatchObject({ tls: 'own', certFile: join(src, 'nginx', 'ssl', 'dify.crt'), keyFile: join(src, 'nginx', 'ssl', 'dify.key') });
    const rendered = await runCli(['render', '--config', join(out, 'dify-deploy.yaml'), '--out', out]);
    expect(rendered.code, rendered.stdout + rendered.stderr).toBe(0);
    const compose = parse(readFileSync(join(out, 'docker-compose.yaml'), 'utf8'));
    expect(compose.services.nginx.volumes).toContain(`${join(src, 'nginx', 'ssl', 'dify.crt')}:/etc/nginx/ssl/dify.crt:ro`);
  });

  it('follows a renamed certificate and a moved mount', async () => {
    const src = userDeployment('1.16.1', ['domain']);
    writeFileSync(join(src, '.env'), `${readFileSync(join(src, '.env'), 'utf8')}\nNGINX_SSL_CERT_FILENAME=fullchain.pem\nNGINX_SSL_CERT_KEY_FILENAME=privkey.pem\n`);
    const file = join(src, 'docker-compose.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('./nginx/ssl:/etc/ssl', '/srv/tls:/etc/ssl'));
    const r = await runCli(['import', src, '--out', `${src}-adopted`]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(parse(readFileSync(join(`${src}-adopted`, 'dify-deploy.yaml'), 'utf8')).domain).toMatchObject({ certFile: '/srv/tls/fullchain.pem', keyFile: '/srv/tls/privkey.pem' });
  });
});
