// The Dify services and the bundled middleware as compose data, after upstream's
// docker-compose-template.yaml (healthchecks, depends_on, networks, volumes). compose-file.ts
// keeps only the services this deployment runs, then adds replicas, resource limits and each
// service's sized variables. Secrets and shared settings come from .env: `env_file` for the Dify
// services; where a container names a variable differently, compose-file.ts adds a `${VAR?…}`
// reference from the release table's serviceEnv (upstream's own renames), or a service here has
// a `required` reference. Built as objects, not a text template parsed back (issue 25): every
// call returns fresh objects, since a shared one would be written as a YAML anchor and alias.
import type { RedisServerSettings } from '../../core/redis.js';

/** A compose reference to a .env variable that must be set: compose refuses to start without it. */
export const required = (name: string) => `\${${name}?set ${name} in .env}`;

type Service = Record<string, unknown>;
type RedisServer = RedisServerSettings & { nofile: number };

export interface ComposeServiceChoices {
  images: Record<string, string | undefined>;
  /** The bundled metadata database's service, '' when the database is external. */
  dbService: string;
  redisBundled: boolean;
  redisServer?: RedisServer;
  eventBusServer?: RedisServer;
  agentBackend: boolean;
  pluginDebugPort: boolean;
  reservedConnections: number;
  tls: boolean;
  tlsOwn: boolean;
  tlsCertbot: boolean;
  certMount?: string;
  keyMount?: string;
  httpPort: number;
  httpsPort: number;
  pooler: boolean;
  poolerPort: number;
  /** Already escaped for compose's interpolation (`$$`). */
  poolerStartScript: string;
  poolerNofile?: number;
  poolerConfigPath: string;
}

const started = { condition: 'service_started' };
const healthy = { condition: 'service_healthy' };
const completed = { condition: 'service_completed_successfully' };
const STORAGE_VOLUME = './volumes/app/storage:/app/api/storage';

/** depends_on entries in order, leaving out the ones whose condition is off. */
function dependsOn(entries: [string | false | undefined, object][]): Record<string, object> {
  return Object.fromEntries(entries.filter(([name]) => name).map(([name, condition]) => [name, { ...condition }]));
}

function redisCommand(passwordVar: string, extra: string, server: RedisServer | undefined): string {
  const io = server?.ioThreads ? ` --io-threads ${server.ioThreads} --io-threads-do-reads yes` : '';
  const sized = server ? ` --maxclients ${server.maxclients} --maxmemory ${server.maxmemory} --maxmemory-policy ${server.maxmemoryPolicy}${io}` : '';
  return `redis-server --requirepass ${required(passwordVar)}${extra}${sized}`;
}

function apiImageService(c: ComposeServiceChoices, mode: string, needs: [string | false | undefined, object][]): Service {
  return { image: c.images.api, restart: 'always', env_file: ['./.env'], environment: { MODE: mode }, depends_on: dependsOn(needs) };
}

/** Every service compose-file.ts can write (COMPOSE_RENDERED_SERVICES), and the internal networks. */
export function composeServiceDefinitions(c: ComposeServiceChoices): { services: Record<string, Service>; networks: Record<string, unknown> } {
  const db = c.dbService;
  const withDb = (): Record<string, object> | undefined => (db ? { [db]: { ...healthy } } : undefined);
  const sharedNeeds = (): [string | false | undefined, object][] => [
    ['init_permissions', completed],
    [db, healthy],
    [c.redisBundled && 'redis', started],
    [c.eventBusServer && 'redis_event_bus', healthy],
    [c.agentBackend && 'agent_backend', started],
  ];
  const services: Record<string, Service> = {
    init_permissions: {
      image: c.images.busybox,
      command: [
        'sh',
        '-c',
        'FLAG_FILE="/app/api/storage/.init_permissions"\nif [ -f "$${FLAG_FILE}" ]; then\n  echo "Permissions already initialized. Exiting."\n  exit 0\nfi\nchown -R 1001:1001 /app/api/storage && touch "$${FLAG_FILE}"\n',
      ],
      volumes: [STORAGE_VOLUME],
      restart: 'no',
    },
    api: {
      ...apiImageService(c, 'api', sharedNeeds()),
      volumes: [STORAGE_VOLUME],
      healthcheck: { test: ['CMD', 'curl', '-f', 'http://localhost:5001/health'], interval: '30s', timeout: '5s', retries: 3, start_period: '30s' },
      networks: ['ssrf_proxy_network', 'default'],
    },
    api_websocket: {
      ...apiImageService(c, 'api', [[db, healthy], [c.redisBundled && 'redis', started], ['api', started]]),
      networks: ['ssrf_proxy_network', 'default'],
    },
    worker: { ...apiImageService(c, 'worker', sharedNeeds()), volumes: [STORAGE_VOLUME], networks: ['ssrf_proxy_network', 'default'] },
    worker_beat: {
      ...apiImageService(c, 'beat', [['init_permissions', completed], [db, healthy], [c.redisBundled && 'redis', started]]),
      networks: ['ssrf_proxy_network', 'default'],
    },
    web: { image: c.images.web, restart: 'always', env_file: ['./.env'] },
    sandbox: {
      image: c.images.sandbox,
      restart: 'always',
      env_file: ['./.env'],
      environment: { GIN_MODE: 'release', ENABLE_NETWORK: 'true', SANDBOX_PORT: required('SANDBOX_PORT') },
      volumes: ['./volumes/sandbox/dependencies:/dependencies', './volumes/sandbox/conf:/conf'],
      healthcheck: { test: ['CMD', 'curl', '-f', 'http://localhost:8194/health'] },
      // Only the internal network: code runs with no route out except through ssrf_proxy.
      networks: ['ssrf_proxy_network'],
    },
    plugin_daemon: {
      image: c.images.pluginDaemon,
      restart: 'always',
      env_file: ['./.env'],
      // Loopback only: plugin developers reach it through an SSH tunnel, never the open internet.
      ...(c.pluginDebugPort ? { ports: ['127.0.0.1:${EXPOSE_PLUGIN_DEBUGGING_PORT:-5003}:${PLUGIN_DEBUGGING_PORT:-5003}'] } : {}),
      volumes: ['./volumes/plugin_daemon:/app/storage'],
      ...(db ? { depends_on: withDb() } : {}),
      networks: ['ssrf_proxy_network', 'default'],
    },
    agent_backend: {
      image: c.images.agentBackend,
      restart: 'always',
      env_file: ['./.env'],
      environment: {
        DIFY_AGENT_PLUGIN_DAEMON_URL: required('PLUGIN_DAEMON_URL'),
        DIFY_AGENT_PLUGIN_DAEMON_API_KEY: required('PLUGIN_DAEMON_KEY'),
        DIFY_AGENT_INNER_API_URL: required('PLUGIN_DIFY_INNER_API_URL'),
        DIFY_AGENT_INNER_API_KEY: required('PLUGIN_DIFY_INNER_API_KEY'),
      },
      depends_on: dependsOn([[c.redisBundled && 'redis', started], ['plugin_daemon', started], ['local_sandbox', started]]),
      networks: ['default', 'agent_sandbox_network'],
    },
    local_sandbox: {
      image: c.images.localSandbox,
      restart: 'always',
      environment: { HTTP_PROXY: 'http://agent_ssrf_proxy:3128', HTTPS_PROXY: 'http://agent_ssrf_proxy:3128', NO_PROXY: 'localhost,127.0.0.1' },
      healthcheck: { test: ['CMD', 'curl', '-f', 'http://localhost:5004/healthz'], interval: '30s', timeout: '5s', retries: 3, start_period: '10s' },
      // No route to api: egress only through agent_ssrf_proxy.
      networks: ['agent_sandbox_network', 'local_sandbox_proxy_network'],
    },
    agent_ssrf_proxy: {
      image: c.images.squid,
      restart: 'always',
      volumes: ['./ssrf_proxy/squid-agent.conf:/etc/squid/squid.conf:ro'],
      networks: ['default', 'local_sandbox_proxy_network'],
    },
    ssrf_proxy: {
      image: c.images.squid,
      restart: 'always',
      volumes: ['./ssrf_proxy/squid.conf:/etc/squid/squid.conf:ro'],
      networks: ['ssrf_proxy_network', 'default'],
    },
    // PgBouncer (transaction pooling) between the Dify services and PostgreSQL: pgbouncer/pgbouncer.ini.
    // The auth file is written inside the container from .env at start, never to the host. No port
    // is published: `docker compose exec pgbouncer psql -h 127.0.0.1 -p 6432 -U … pgbouncer`.
    ...(c.pooler
      ? {
          pgbouncer: {
            image: c.images.pgbouncer,
            restart: 'always',
            environment: { PGBOUNCER_AUTH_USER: required('DB_USERNAME'), PGBOUNCER_AUTH_PASSWORD: required('DB_PASSWORD') },
            entrypoint: ['/bin/sh', '-c'],
            command: [c.poolerStartScript],
            volumes: [`./pgbouncer/pgbouncer.ini:${c.poolerConfigPath}:ro`],
            // max_client_conn + server connections per process (pgbouncer.ini); restart: always brings
            // it back, but on one host it is a single point of failure.
            ...(c.poolerNofile ? { ulimits: { nofile: c.poolerNofile } } : {}),
            ...(db ? { depends_on: withDb() } : {}),
            healthcheck: { test: ['CMD-SHELL', `pg_isready -h 127.0.0.1 -p ${c.poolerPort}`], interval: '2s', timeout: '3s', retries: 30 },
            networks: ['default'],
          },
        }
      : {}),
    db_postgres: {
      image: c.images.postgres,
      restart: 'always',
      environment: {
        POSTGRES_USER: required('DB_USERNAME'),
        POSTGRES_PASSWORD: required('DB_PASSWORD'),
        POSTGRES_DB: required('DB_DATABASE'),
        PGDATA: '/var/lib/postgresql/data/pgdata',
      },
      command: `${[
        `postgres -c 'max_connections=${required('POSTGRES_MAX_CONNECTIONS')}'`,
        ...['shared_buffers', 'work_mem', 'maintenance_work_mem', 'effective_cache_size'].map((p) => `-c '${p}=${required(`POSTGRES_${p.toUpperCase()}`)}'`),
        `-c 'superuser_reserved_connections=${c.reservedConnections}'`,
      ].join('\n         ')}\n`,
      // Parallel queries use dynamic shared memory in /dev/shm; Docker's 64 MB default makes them fail under load.
      shm_size: '1gb',
      volumes: ['./volumes/db/data:/var/lib/postgresql/data'],
      healthcheck: { test: ['CMD-SHELL', 'pg_isready -h localhost -U $${POSTGRES_USER} -d $${POSTGRES_DB}'], interval: '1s', timeout: '3s', retries: 60 },
    },
    db_mysql: {
      image: c.images.mysql,
      restart: 'always',
      environment: { MYSQL_ROOT_PASSWORD: required('DB_PASSWORD'), MYSQL_DATABASE: required('DB_DATABASE') },
      command: `--max_connections=${required('MYSQL_MAX_CONNECTIONS')} --innodb_buffer_pool_size=${required('MYSQL_INNODB_BUFFER_POOL_SIZE')} --innodb_log_file_size=128M --innodb_flush_log_at_trx_commit=2\n`,
      volumes: ['./volumes/mysql/data:/var/lib/mysql'],
      healthcheck: { test: ['CMD-SHELL', 'mysqladmin ping -u root -p$${MYSQL_ROOT_PASSWORD}'], interval: '1s', timeout: '3s', retries: 30 },
    },
    redis: {
      image: c.images.redis,
      restart: 'always',
      environment: { REDISCLI_AUTH: required('REDIS_PASSWORD') },
      volumes: ['./volumes/redis/data:/data'],
      // maxclients from the plan's Redis budget; noeviction: a full Redis refuses writes instead of evicting queued Celery tasks.
      command: redisCommand('REDIS_PASSWORD', '', c.redisServer),
      ...(c.redisServer ? { ulimits: { nofile: c.redisServer.nofile } } : {}),
      healthcheck: { test: ['CMD-SHELL', 'redis-cli ping | grep -q PONG'] },
    },
    redis_event_bus: {
      image: c.images.redis,
      restart: 'always',
      environment: { REDISCLI_AUTH: required('EVENT_BUS_REDIS_PASSWORD') },
      // The event bus (run events between api and workers): pub/sub only, so no volume.
      ...(c.eventBusServer
        ? { command: redisCommand('EVENT_BUS_REDIS_PASSWORD', ' --save "" --appendonly no', c.eventBusServer), ulimits: { nofile: c.eventBusServer.nofile } }
        : {}),
      healthcheck: { test: ['CMD-SHELL', 'redis-cli ping | grep -q PONG'] },
    },
    certbot: {
      image: c.images.certbot,
      profiles: ['certbot'],
      volumes: ['./volumes/certbot/conf:/etc/letsencrypt', './volumes/certbot/www:/var/www/html', './volumes/certbot/logs:/var/log/letsencrypt'],
    },
    nginx: {
      image: c.images.nginx,
      restart: 'always',
      volumes: [
        './nginx/nginx.conf:/etc/nginx/nginx.conf:ro',
        './nginx/proxy.conf:/etc/nginx/proxy.conf:ro',
        './nginx/conf.d:/etc/nginx/conf.d:ro',
        ...(c.tlsOwn ? [c.certMount ?? '', c.keyMount ?? ''] : []),
        ...(c.tlsCertbot ? ['./volumes/certbot/conf:/etc/nginx/letsencrypt:ro', './volumes/certbot/www:/var/www/html:ro'] : []),
      ],
      depends_on: ['api', 'web'],
      ports: [`${c.httpPort}:${c.httpPort}`, ...(c.tls ? [`${c.httpsPort}:${c.httpsPort}`] : [])],
    },
  };
  // internal: no route to the outside; sandbox code and SSRF-prone fetches go through squid.
  const internal = () => ({ driver: 'bridge', internal: true });
  return { services, networks: { ssrf_proxy_network: internal(), local_sandbox_proxy_network: internal(), agent_sandbox_network: internal() } };
}
