// docker-compose.yaml: upstream's service definitions (services.ts and the vector store's parts
// from model.ts) narrowed to this deployment, with the plan's replicas, resource limits
// and per-service sized variables. No database, Redis or vector-store port is published.
import { stringifyYaml } from '../../io/yaml-doc.js';
import { backupComposeService } from '../recovery.js';
import { composeServiceDefinitions } from './services.js';
import type { RenderContext, RenderedFile } from '../types.js';
import type { RedisServerSettings } from '../../core/redis.js';
import { directDatabaseAddress, POOLER_SERVICE, type ComposeModel } from './model.js';
import { PGBOUNCER_PORT } from '../../core/pooler.js';
import { PGBOUNCER_CONFIG_PATH, pgbouncerStartScript } from '../pgbouncer.js';
import { componentsWhere } from '../../dify/components.js';
import { databaseTlsEnv, THROUGH_POOLER } from '../database-tls.js';
import { unmodelledServices } from '../../core/target-support.js';

type Service = Record<string, unknown> & { environment?: Record<string, string>; networks?: string[] };

/** Compose memory units: the plan's Kubernetes-style "8Gi" / "512Mi" as "8g" / "512m". */
const composeMemory = (m: string) => m.replace(/Gi$/, 'g').replace(/Mi$/, 'm');

/** The services this deployment runs, in start order. */
export function composeServiceNames(ctx: RenderContext, model: ComposeModel): string[] {
  const { spec, plan } = ctx;
  const names = ['init_permissions'];
  if (spec.database.mode === 'bundled') names.push(spec.database.engine === 'postgresql' ? 'db_postgres' : 'db_mysql');
  if (spec.redis.mode === 'bundled') names.push('redis');
  if (plan.redis.eventBus.server) names.push('redis_event_bus');
  if (plan.database.pooler) names.push(POOLER_SERVICE);
  names.push(...Object.keys(model.vectorStore.services));
  names.push('ssrf_proxy', 'migrate');
  for (const c of plan.components) if (c.name !== 'nginx') names.push(c.name);
  if (plan.components.some((c) => c.name === 'local_sandbox')) names.push('agent_ssrf_proxy');
  names.push(...unmodelledServices(ctx.release));
  names.push('nginx');
  if (spec.domain.tls === 'certbot') names.push('certbot');
  names.push('backup');
  return names;
}

/** A host path as a bind-mount source: compose reads a bare relative name as a named volume. */
function bindSource(p: string): string {
  return p.startsWith('/') || p.startsWith('./') || p.startsWith('../') || p.startsWith('~') ? p : `./${p}`;
}

/** Redis needs maxclients + 32 file descriptors (redis.conf, maxclients): the container's limit must allow them. */
function withFileLimit(server: RedisServerSettings | undefined) {
  return server && { ...server, nofile: server.maxclients + 1024 };
}

function resources(cpu: number, memory: string, reserve?: { cpu: number; memory: string }) {
  return {
    resources: {
      limits: { cpus: String(cpu), memory: composeMemory(memory) },
      ...(reserve ? { reservations: { cpus: String(reserve.cpu), memory: composeMemory(reserve.memory) } } : {}),
    },
  };
}

/** Services that must not start before the schema is migrated. */
const MIGRATED_FIRST = new Set<string>(componentsWhere((c) => c.migratedFirst));

/** The services that open connections to the metadata database. */
const DATABASE_CLIENTS = new Set([...THROUGH_POOLER, 'migrate', 'backup']);

/**
 * Per service, what a transaction pooler changes: the plugin daemon turns GORM's prepared
 * statements off (DB_TYPE=pgbouncer, dify-plugin-daemon PR #529); migrations (Alembic's DDL and
 * locks) and pg_dump must hold one server session, so they go straight to PostgreSQL.
 */
function poolerEnv(ctx: RenderContext, service: string): Record<string, string> {
  if (service === 'plugin_daemon') return { DB_TYPE: 'pgbouncer' };
  if (service === 'migrate' || service === 'backup') return directDatabaseAddress(ctx);
  return {};
}

/**
 * The one-shot `migrate` service: the api image in Dify's MODE=migration, which runs
 * `flask upgrade-db` once and exits. Every long-running container has MIGRATION_ENABLED=false.
 */
function migrateService(api: Service): Service {
  // A deep copy: shared objects would come out as YAML anchors and aliases.
  const { healthcheck: _healthcheck, volumes: _volumes, ...rest } = structuredClone(api);
  const dependsOn = Object.fromEntries(Object.entries((rest.depends_on ?? {}) as Record<string, unknown>).filter(([name]) => name !== 'agent_backend'));
  return { ...rest, restart: 'no', environment: { MODE: 'migration', MIGRATION_ENABLED: 'true' }, depends_on: dependsOn };
}

/**
 * A service of a newer release that dify-deploy has no model of: upstream's definition, reading
 * the one .env (upstream's envs/*.env files are not rendered), depending only on services that run.
 */
function passThroughService(definition: unknown, running: ReadonlySet<string>, networks: ReadonlySet<string>): Service {
  const svc = structuredClone(definition) as Service;
  svc.env_file = ['./.env'];
  if (svc.depends_on && !Array.isArray(svc.depends_on))
    svc.depends_on = Object.fromEntries(Object.entries(svc.depends_on as Record<string, unknown>).filter(([n]) => running.has(n)));
  if (Array.isArray(svc.networks)) svc.networks = svc.networks.filter((n) => n === 'default' || networks.has(n));
  return svc;
}

export function renderComposeFile(ctx: RenderContext, model: ComposeModel): RenderedFile {
  const { spec, plan, release } = ctx;
  const plugin = plan.components.find((c) => c.name === 'plugin_daemon');
  const base = composeServiceDefinitions({
    images: release.images,
    dbService: spec.database.mode === 'bundled' ? (spec.database.engine === 'postgresql' ? 'db_postgres' : 'db_mysql') : '',
    redisBundled: spec.redis.mode === 'bundled',
    redisServer: withFileLimit(plan.redis.server),
    eventBusServer: withFileLimit(plan.redis.eventBus.server),
    agentBackend: plan.components.some((c) => c.name === 'agent_backend'),
    // One host port: published only when a single daemon runs.
    pluginDebugPort: (plugin?.replicas ?? 1) === 1,
    reservedConnections: plan.database.reserved,
    tls: spec.domain.tls !== 'none',
    tlsOwn: spec.domain.tls === 'own',
    tlsCertbot: spec.domain.tls === 'certbot',
    // The spec requires both files with tls: own for compose (spec.ts); nothing is mounted otherwise.
    ...(spec.domain.certFile && spec.domain.keyFile
      ? { certMount: `${bindSource(spec.domain.certFile)}:/etc/nginx/ssl/dify.crt:ro`, keyMount: `${bindSource(spec.domain.keyFile)}:/etc/nginx/ssl/dify.key:ro` }
      : {}),
    httpPort: spec.domain.httpPort,
    httpsPort: spec.domain.httpsPort,
    pooler: plan.database.pooler !== undefined,
    poolerPort: PGBOUNCER_PORT,
    // Compose interpolates `$`: `$$` passes one through to the shell.
    poolerStartScript: pgbouncerStartScript(plan.database.pooler?.layout).replaceAll('$', '$$$$'),
    poolerNofile: plan.database.pooler?.layout?.nofile,
    poolerConfigPath: PGBOUNCER_CONFIG_PATH,
  });
  const baseServices = base.services as Record<string, Service>;
  const all: Record<string, Service> = {
    ...baseServices,
    ...(model.vectorStore.services as Record<string, Service>),
    // The run worker is upstream's worker service with its own queue, pool and size (pinned env).
    worker_runs: { ...baseServices.worker },
    migrate: migrateService(baseServices.api),
    backup: backupComposeService(ctx) as Service,
  };
  const names = composeServiceNames(ctx, model);
  const networkNames = new Set(Object.keys({ ...base.networks, ...model.vectorStore.networks }));
  for (const name of unmodelledServices(release)) all[name] = passThroughService(release.serviceDefinitions?.[name], new Set(names), networkNames);

  const services: Record<string, Service> = {};
  for (const name of names) {
    const svc: Service = { ...all[name] };
    if (!svc.image) throw new Error(`compose service ${name}: no image for Dify ${release.version} in the release table`);
    const component = plan.components.find((c) => c.name === name);
    const env: Record<string, string> = { ...(svc.environment ?? {}) };
    for (const [container, envName] of Object.entries(model.mapped[name] ?? {})) env[container] = `\${${envName}?set ${envName} in .env}`;
    Object.assign(env, model.pinned[name] ?? {});
    if (Object.keys(env).length) svc.environment = env;
    if (plan.database.pooler) Object.assign(env, poolerEnv(ctx, name));
    if (DATABASE_CLIENTS.has(name)) Object.assign(env, databaseTlsEnv(ctx, name));
    if (plan.database.pooler && THROUGH_POOLER.includes(name))
      svc.depends_on = { ...((svc.depends_on ?? {}) as Record<string, unknown>), [POOLER_SERVICE]: { condition: 'service_healthy' } };
    if (MIGRATED_FIRST.has(name))
      svc.depends_on = { ...((svc.depends_on ?? {}) as Record<string, unknown>), migrate: { condition: 'service_completed_successfully' } };
    if (component) {
      svc.deploy = { replicas: component.replicas, ...resources(component.cpu, component.memory, component.requests) };
    } else {
      const infra = plan.infrastructure.find((i) => i.name === name);
      if (infra) svc.deploy = resources(infra.cpu, infra.memory);
    }
    services[name] = svc;
  }
  // Only the networks the chosen services join.
  const used = new Set(Object.values(services).flatMap((s) => (Array.isArray(s.networks) ? s.networks : [])));
  const networks = Object.fromEntries(Object.entries({ ...base.networks, ...model.vectorStore.networks }).filter(([n]) => used.has(n)));
  const doc: Record<string, unknown> = { services, networks };
  if (Object.keys(model.vectorStore.volumes).length) doc.volumes = model.vectorStore.volumes;
  const header = [
    `# Dify ${release.version} — ${plan.tier}, rendered by dify-deploy from dify-deploy.yaml.`,
    '# Re-render instead of editing: `dify-deploy render` refuses to overwrite edited files without --force.',
    '# Start: docker compose up -d   (see README.md)',
  ];
  return { path: 'docker-compose.yaml', content: `${header.join('\n')}\n${stringifyYaml(doc)}`, mode: 0o644 };
}
