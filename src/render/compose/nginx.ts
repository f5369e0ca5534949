// The nginx config, rendered final (no envsubst at start-up): what the tests run is what ships.
// nginx/nginx.conf (workers, body limit, upstreams), nginx/proxy.conf (SSE-safe proxying) and
// nginx/conf.d/default.conf (the release's routes and the TLS mode).
import type { Route } from '../../core/data.js';
import { RUN_BOUND_VARIABLES } from '../../core/sizing/api.js';
import { renderTemplate } from '../template.js';
import type { RenderContext, RenderedFile } from '../types.js';
import type { ComposeModel } from './model.js';

/** Where each route target listens inside the compose network. */
const UPSTREAM_SERVERS: Record<Route['upstream'], string> = {
  api: 'api:5001',
  web: 'web:3000',
  plugin_daemon: 'plugin_daemon:5002',
  api_websocket: 'api_websocket:5001',
};

const upstreamName = (u: Route['upstream']) => `dify_${u}`;

/** Certificate paths relative to nginx's config directory (/etc/nginx in the container). */
export function certificatePaths(ctx: RenderContext): { cert: string; key: string } | undefined {
  const d = ctx.spec.domain;
  if (d.tls === 'own') return { cert: 'ssl/dify.crt', key: 'ssl/dify.key' };
  if (d.tls === 'certbot') return { cert: `letsencrypt/live/${d.host}/fullchain.pem`, key: `letsencrypt/live/${d.host}/privkey.pem` };
  return undefined;
}

export function renderNginx(ctx: RenderContext, model: ComposeModel): RenderedFile[] {
  const { spec, plan, release } = ctx;
  const nginx = plan.components.find((c) => c.name === 'nginx')!;
  const api = plan.components.find((c) => c.name === 'api')!;
  const deployed = new Set<string>(plan.components.map((c) => c.name));
  const routes = release.routes.filter((r) => deployed.has(r.upstream));
  const used = [...new Set(routes.map((r) => r.upstream))];
  const upstreams = used.map((u) => ({ name: upstreamName(u), server: ctx.upstreamHosts?.[u] ?? UPSTREAM_SERVERS[u] }));
  const settings = nginx.settings ?? {};
  const d = spec.domain;
  const certs = certificatePaths(ctx);
  const largestUploadMB = Math.max(...model.env.flatMap((s) => s.vars).filter((v) => /^UPLOAD_.*_LIMIT$/.test(v.name)).map((v) => Number(v.value)));

  const nginxConf = renderTemplate('nginx/nginx.conf.hbs', {
    release: release.version,
    tier: plan.tier,
    workerProcesses: Number(nginx.env.NGINX_WORKER_PROCESSES ?? 1),
    workerConnections: settings.worker_connections ?? 1024,
    rlimitNofile: settings.worker_rlimit_nofile ?? 2048,
    upstreamKeepaliveTimeout: settings.upstream_keepalive_timeout,
    bodyLimitMB: model.bodyLimitMB,
    largestUploadMB,
    upstreams,
    jsonLog: spec.observability.nginxJsonLog,
  });
  const proxyConf = renderTemplate('nginx/proxy.conf.hbs', {
    readTimeout: nginx.env.NGINX_PROXY_READ_TIMEOUT ?? '3600s',
    runBound: Math.max(...RUN_BOUND_VARIABLES.map((v) => Number(api.env[v] ?? release.upstreamDefaults[v]))),
  });
  const defaultConf = renderTemplate('nginx/default.conf.hbs', {
    release: release.version,
    tlsMode: d.tls,
    tls: certs !== undefined,
    certbot: d.tls === 'certbot',
    serverName: d.host === 'localhost' ? '_' : d.host,
    httpPort: d.httpPort,
    httpsPort: d.httpsPort,
    httpsSuffix: d.httpsPort === 443 ? '' : `:${d.httpsPort}`,
    certPath: certs?.cert,
    keyPath: certs?.key,
    routes: routes.map((r) => ({ ...r, upstream: upstreamName(r.upstream) })),
  });
  return [
    { path: 'nginx/nginx.conf', content: nginxConf, mode: 0o644 },
    { path: 'nginx/proxy.conf', content: proxyConf, mode: 0o644 },
    { path: 'nginx/conf.d/default.conf', content: defaultConf, mode: 0o644 },
  ];
}
