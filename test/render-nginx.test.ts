// The rendered nginx config run by real nginx on loopback, its upstreams pointed at stub servers
// (RenderContext.upstreamHosts: the only difference from what ships): every route reaches the
// right upstream, SSE streams event by event, the body limit admits the largest upload and
// rejects more, and `nginx -t` accepts each TLS mode.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRelease, releaseVersions } from '../src/core/data.js';
import type { Route } from '../src/core/data.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import type { SpecInput } from '../src/core/spec.js';
import { renderFiles } from '../src/render/index.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { freePort } from './helpers/free-port.js';
import { withStateChoices } from './helpers/state-choices.js';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find(existsSync);
const MIME_TYPES = '/etc/nginx/mime.types';
if (!NGINX && process.env.CI === 'true') throw new Error('nginx is required under CI (Debian package nginx-light; .ci/run installs it)');
const maybe = NGINX ? describe : describe.skip;

/** Writes the nginx files of a render into a prefix directory, as mounted in the container. */
/** Compose service names do not resolve here: nginx -t needs resolvable upstreams. */
const LOOPBACK_UPSTREAMS = { api: '127.0.0.1:15001', web: '127.0.0.1:13000', plugin_daemon: '127.0.0.1:15002', api_websocket: '127.0.0.1:15003' };

function nginxPrefix(input: SpecInput, upstreamHosts: Record<string, string> = LOOPBACK_UPSTREAMS): { dir: string; files: ReturnType<typeof renderFiles>['files'] } {
  const spec = parseSpecData(withStateChoices(input, input.targets?.includes('helm') ? 'helm' : 'compose'), 'test');
  const { files } = renderFiles(spec, 'compose', resolveSecrets({}), { upstreamHosts });
  const dir = mkdtempSync(join(tmpdir(), 'dify-nginx-'));
  for (const f of files.filter((x) => x.path.startsWith('nginx/'))) {
    const target = join(dir, f.path.slice('nginx/'.length));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.content);
  }
  copyFileSync(MIME_TYPES, join(dir, 'mime.types'));
  return { dir, files };
}

const nginxTest = (dir: string) =>
  execFileSync(NGINX!, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf'), '-g', `pid ${join(dir, 'nginx.pid')};`], { stdio: 'pipe' });

function stub(name: Route['upstream']): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url?.includes('/stream')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      setTimeout(() => res.end('data: last\n\n'), 1500);
      return;
    }
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ upstream: name, url: req.url, hookUrl: req.headers['dify-hook-url'] ?? null, bytes }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function call(port: number, path: string, opts: { method?: string; body?: Buffer; contentLength?: number } = {}) {
  return new Promise<{ status: number; body: string; firstChunkMs: number; endMs: number }>((resolve, reject) => {
    const start = Date.now();
    let firstChunkMs = -1;
    const headers: Record<string, string | number> = {};
    if (opts.body) headers['content-length'] = opts.contentLength ?? opts.body.length;
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        if (firstChunkMs < 0) firstChunkMs = Date.now() - start;
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode!, body, firstChunkMs, endMs: Date.now() - start }));
    });
    req.on('error', reject);
    if (opts.body) req.end(opts.body);
    else req.end();
  });
}

maybe.each(releaseVersions())('real nginx, Dify %s', (version) => {
  const release = loadRelease(version);
  const stubs: Partial<Record<Route['upstream'], Server>> = {};
  let nginx: ChildProcess;
  let port: number;
  let bodyLimitMB: number;
  let largestUploadMB: number;
  const hosts = () => Object.fromEntries(Object.entries(stubs).map(([u, s]) => [u, `127.0.0.1:${(s!.address() as AddressInfo).port}`]));

  beforeAll(async () => {
    for (const u of ['api', 'web', 'plugin_daemon', 'api_websocket'] as const) stubs[u] = await stub(u);
    const upstreamHosts = hosts();
    port = await freePort();
    const { dir, files } = nginxPrefix({ tier: '100qps', release: version, domain: { httpPort: port } }, upstreamHosts);
    const conf = files.find((f) => f.path === 'nginx/nginx.conf')!.content;
    bodyLimitMB = Number(/client_max_body_size (\d+)m;/.exec(conf)![1]);
    const env = files.find((f) => f.path === '.env')!.content;
    largestUploadMB = Math.max(...[...env.matchAll(/^UPLOAD_\w+_LIMIT=(\d+)$/gm)].map((m) => Number(m[1])));
    nginx = spawn(NGINX!, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      try {
        await call(port, '/');
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error('nginx did not start');
  });

  afterAll(async () => {
    nginx?.kill('SIGQUIT');
    await Promise.all(Object.values(stubs).map((s) => new Promise((r) => s!.close(r))));
  });

  it('each route of the release reaches its upstream', async () => {
    const collaboration = version !== '1.13.3';
    for (const route of release.routes) {
      if (route.upstream === 'api_websocket' && !collaboration) continue;
      const path = route.path.endsWith('/') ? `${route.path}probe` : `${route.path}/probe`;
      const res = await call(port, path);
      expect(res.status, path).toBe(200);
      const body = JSON.parse(res.body);
      expect(body.upstream, path).toBe(route.upstream);
      expect(body.url).toBe(path);
      if (route.hookHeader) expect(body.hookUrl).toBe(`http://127.0.0.1:${port}${path}`);
    }
  });

  it('logs each request as one JSON line with the upstream and its timings', async () => {
    // The shipped config logs to the image's path; a unique URI finds this request's line.
    const uri = `/v1/json-log-probe-${process.pid}-${Date.now()}`;
    expect((await call(port, uri)).status).toBe(200);
    let line: string | undefined;
    for (let i = 0; i < 50 && !line; i++) {
      line = readFileSync('/var/log/nginx/access.log', 'utf8').split('\n').find((l) => l.includes(uri));
      if (!line) await new Promise((r) => setTimeout(r, 50));
    }
    const entry = JSON.parse(line!);
    expect(entry).toMatchObject({ method: 'GET', uri, status: 200, upstream_status: '200', upstream: hosts().api });
    for (const t of ['request_time', 'upstream_connect_time', 'upstream_header_time', 'upstream_response_time']) expect(Number(entry[t])).toBeGreaterThanOrEqual(0);
  });

  it('an SSE stream arrives event by event (proxy buffering off)', async () => {
    const res = await call(port, '/v1/chat-messages/stream');
    expect(res.body).toContain('data: first');
    expect(res.body).toContain('data: last');
    expect(res.endMs).toBeGreaterThanOrEqual(1400);
    expect(res.firstChunkMs).toBeLessThan(res.endMs - 1000);
  });

  it('the largest upload Dify allows passes; a body over the limit is rejected with 413', async () => {
    const allowed = Buffer.alloc(largestUploadMB * 1024 * 1024, 97);
    const ok = await call(port, '/console/api/files/upload', { method: 'POST', body: allowed });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).bytes).toBe(allowed.length);
    const over = await call(port, '/console/api/files/upload', { method: 'POST', body: Buffer.alloc(16), contentLength: bodyLimitMB * 1024 * 1024 + 1 }).catch(
      (e: Error) => ({ status: -1, body: e.message }),
    );
    expect(over.status).toBe(413);
  });
});

maybe('nginx -t for each TLS mode', () => {
  const certFor = (dir: string, cert: string, key: string) => {
    mkdirSync(dirname(join(dir, cert)), { recursive: true });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=dify.example.com', '-keyout', join(dir, key), '-out', join(dir, cert)], {
      stdio: 'pipe',
    });
  };

  it.each(releaseVersions())('%s: none, own certificate, certbot', (version) => {
    const plain = nginxPrefix({ tier: '10qps', release: version, domain: { httpPort: 18080 } });
    expect(() => nginxTest(plain.dir)).not.toThrow();

    const own = nginxPrefix({ tier: '10qps', release: version, domain: { host: 'dify.example.com', tls: 'own', certFile: 'a.crt', keyFile: 'a.key', httpPort: 18080, httpsPort: 18443 } });
    certFor(own.dir, 'ssl/dify.crt', 'ssl/dify.key');
    expect(() => nginxTest(own.dir)).not.toThrow();

    const certbot = nginxPrefix({ tier: '10qps', release: version, domain: { host: 'dify.example.com', tls: 'certbot', email: 'ops@example.com', httpPort: 18080, httpsPort: 18443 } });
    certFor(certbot.dir, 'letsencrypt/live/dify.example.com/fullchain.pem', 'letsencrypt/live/dify.example.com/privkey.pem');
    expect(() => nginxTest(certbot.dir)).not.toThrow();
    const conf = certbot.files.find((f) => f.path === 'nginx/conf.d/default.conf')!.content;
    expect(conf).toContain('/.well-known/acme-challenge/');
    expect(conf).toMatch(/return 301 https:\/\/\$host:18443\$request_uri/);
    expect(conf).toMatch(/ssl_protocols TLSv1\.2 TLSv1\.3;/);
  });
});

maybe('TLS handshakes with the rendered settings (openssl s_client against real nginx)', () => {
  let nginx: ChildProcess;
  let httpsPort: number;
  /** Whether a TLS handshake with these client options completes (openssl exits 0 once it has a session). */
  const handshake = (...opts: string[]) => {
    try {
      execFileSync('openssl', ['s_client', '-connect', `127.0.0.1:${httpsPort}`, '-servername', 'dify.example.com', ...opts], { input: '', stdio: 'pipe', timeout: 10_000 });
      return true;
    } catch {
      return false;
    }
  };

  beforeAll(async () => {
    const [httpPort, tlsPort] = [await freePort(), await freePort()];
    httpsPort = tlsPort;
    const own = nginxPrefix({ tier: '10qps', domain: { host: 'dify.example.com', tls: 'own', certFile: 'a.crt', keyFile: 'a.key', httpPort, httpsPort } });
    mkdirSync(join(own.dir, 'ssl'), { recursive: true });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=dify.example.com', '-keyout', join(own.dir, 'ssl/dify.key'), '-out', join(own.dir, 'ssl/dify.crt')], { stdio: 'pipe' });
    nginx = spawn(NGINX!, ['-p', own.dir, '-c', join(own.dir, 'nginx.conf'), '-g', `daemon off; pid ${join(own.dir, 'nginx.pid')};`], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !handshake('-tls1_3'); i++) await new Promise((r) => setTimeout(r, 50));
  });

  afterAll(() => {
    nginx?.kill('SIGQUIT');
  });

  it('admits TLS 1.3 and TLS 1.2 with ECDHE; refuses RSA key exchange, CBC-only clients and TLS 1.1', () => {
    expect(handshake('-tls1_3')).toBe(true);
    expect(handshake('-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256')).toBe(true);
    expect(handshake('-tls1_2', '-cipher', 'ECDHE-RSA-CHACHA20-POLY1305')).toBe(true);
    // No forward secrecy: the RSA key exchange suites nginx's default list (HIGH:!aNULL:!MD5) would take.
    expect(handshake('-tls1_2', '-cipher', 'AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-SHA256:AES128-SHA')).toBe(false);
    expect(handshake('-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA384')).toBe(false);
    expect(handshake('-tls1_1')).toBe(false);
  });
});
