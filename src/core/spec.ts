// The deployment spec (`dify-deploy.yaml`): the one input every command reads.
// Objects are strict so a misspelt key is an error, never a silent default.
import { COMPONENT_NAMES } from '../dify/components.js';
import { z } from 'zod';
import { VECTOR_STORE_IDS } from '../backends/vector-stores.js';
import { STORAGE_IDS } from '../backends/storage.js';

const port = z
  .number({ invalid_type_error: 'expected an integer 1–65535' })
  .int('expected an integer 1–65535')
  .min(1, 'expected an integer 1–65535')
  .max(65535, 'expected an integer 1–65535');
const hostname = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'expected a hostname or IP address (letters, digits, dots, dashes)');
const hostPort = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'expected host:port');
const positive = z.number({ invalid_type_error: 'expected a number' }).positive('expected a number > 0').finite('expected a finite number');
const count = z.number({ invalid_type_error: 'expected an integer' }).int('expected an integer').min(0, 'expected an integer ≥ 0');

export const hostSizeSchema = z
  .object({
    cpus: positive.describe('vCPUs'),
    memoryGiB: positive.describe('GiB of RAM'),
  })
  .strict();

/** PostgreSQL's superuser_reserved_connections default. */
export const DEFAULT_RESERVED_CONNECTIONS = 3;

export const databaseSchema = z
  .object({
    engine: z.enum(['postgresql', 'mysql']).default('postgresql'),
    mode: z.enum(['bundled', 'external']).default('bundled'),
    host: hostname.optional(),
    port: port.optional(),
    user: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    database: z.string().min(1).default('dify'),
    pluginDatabase: z.string().min(1).default('dify_plugin'),
    /** External servers: the server's max_connections. Bundled: computed unless overridden. */
    maxConnections: z.number().int().min(10).optional(),
    /** superuser_reserved_connections (+ PG16 reserved_connections) on the server. */
    reservedConnections: count.default(DEFAULT_RESERVED_CONNECTIONS),
    sslMode: z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']).optional(),
    /** External PostgreSQL: the server's major version (SHOW server_version;), so backups use a pg_dump at least as new. */
    serverVersion: z.number().int('expected a major version like 16').min(9).max(99).optional(),
    /** Size of the machine a bundled database runs on (PGTune input). */
    hostSize: hostSizeSchema.optional(),
    /** PgBouncer (transaction mode) in front of PostgreSQL; default: on once the direct budget passes 500 connections. */
    pooler: z.enum(['none', 'pgbouncer']).optional(),
    /** DB time one request spends in transactions (ms): sizes the pooler's server pools. */
    dbTimePerRequestMs: positive.default(100),
  })
  .strict()
  .superRefine((db, ctx) => {
    if (db.pooler === 'pgbouncer' && db.engine !== 'postgresql')
      ctx.addIssue({ code: 'custom', path: ['pooler'], message: 'PgBouncer pools PostgreSQL only; use pooler: none with MySQL' });
    if (db.mode === 'external') {
      if (!db.host) ctx.addIssue({ code: 'custom', path: ['host'], message: 'required for an external database' });
      if (db.maxConnections === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['maxConnections'],
          message: "required for an external database: its max_connections (SHOW max_connections;) so the budget can be checked",
        });
    }
  });

/** Where the event bus (API ↔ worker run events, Dify ≥ 1.13) lives; `auto` = a Redis of its own from 500 QPS. */
export const eventBusSchema = z
  .object({
    mode: z.enum(['auto', 'shared', 'bundled', 'external']).default('auto'),
    /** external: EVENT_BUS_REDIS_URL (redis:// or rediss://; for a cluster, any node). */
    url: z.string().regex(/^rediss?:\/\/\S+$/, 'expected a redis:// or rediss:// URL').optional(),
    channelType: z.enum(['pubsub', 'sharded', 'streams']).optional(),
    useClusters: z.boolean().default(false),
    /** external: the server's maxclients (CONFIG GET maxclients). */
    maxClients: z.number().int().min(1).optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (e.mode === 'external' && !e.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'required for an external event bus (EVENT_BUS_REDIS_URL)' });
    if (e.mode !== 'external' && e.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'only for mode: external' });
    if (e.mode !== 'external' && e.useClusters)
      ctx.addIssue({ code: 'custom', path: ['useClusters'], message: 'a Redis Cluster event bus is an external one: set mode: external and its url' });
  });

export const redisSchema = z
  .object({
    mode: z.enum(['bundled', 'external']).default('bundled'),
    topology: z.enum(['standalone', 'sentinel', 'cluster']).default('standalone'),
    host: hostname.optional(),
    port: port.optional(),
    username: z.string().optional(),
    password: z.string().min(1).optional(),
    db: count.default(0),
    useSsl: z.boolean().default(false),
    sentinels: z.array(hostPort).optional(),
    sentinelMasterName: z.string().min(1).optional(),
    sentinelPassword: z.string().optional(),
    clusterNodes: z.array(hostPort).optional(),
    /** external: the server's maxclients (CONFIG GET maxclients); else Redis' default 10000 is assumed. */
    maxClients: z.number().int().min(1).optional(),
    eventBus: eventBusSchema.default({}),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.mode === 'bundled' && r.topology !== 'standalone')
      ctx.addIssue({ code: 'custom', path: ['topology'], message: 'the bundled Redis is standalone; use mode: external for sentinel or cluster' });
    if (r.mode === 'external' && r.topology === 'standalone' && !r.host)
      ctx.addIssue({ code: 'custom', path: ['host'], message: 'required for an external standalone Redis' });
    if (r.topology === 'sentinel') {
      if (!r.sentinels?.length) ctx.addIssue({ code: 'custom', path: ['sentinels'], message: 'list the sentinels as host:port' });
      if (!r.sentinelMasterName) ctx.addIssue({ code: 'custom', path: ['sentinelMasterName'], message: 'required for sentinel' });
    }
    if (r.topology === 'cluster' && !r.clusterNodes?.length)
      ctx.addIssue({ code: 'custom', path: ['clusterNodes'], message: 'list the cluster nodes as host:port' });
  });

export const vectorStoreSchema = z
  .object({
    type: z.enum(VECTOR_STORE_IDS).default('weaviate'),
    mode: z.enum(['bundled', 'external']).default('bundled'),
    url: z.string().url().optional(),
    host: hostname.optional(),
    port: port.optional(),
    user: z.string().optional(),
    password: z.string().optional(),
    apiKey: z.string().optional(),
    database: z.string().optional(),
  })
  .strict();

export const storageSchema = z
  .object({
    type: z.enum(STORAGE_IDS).default('local'),
    bucket: z.string().min(1).optional(),
    pluginBucket: z.string().min(1).optional(),
    endpoint: z.string().url().optional(),
    region: z.string().optional(),
    accessKey: z.string().optional(),
    secretKey: z.string().optional(),
    accountName: z.string().optional(),
    accountUrl: z.string().url().optional(),
    serviceAccountJsonBase64: z.string().optional(),
    pathStyle: z.boolean().optional(),
    useIam: z.boolean().optional(),
  })
  .strict();

export const domainSchema = z
  .object({
    host: hostname.default('localhost'),
    tls: z.enum(['none', 'certbot', 'own']).default('none'),
    email: z.string().email().optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    httpPort: port.default(80),
    httpsPort: port.default(443),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.tls === 'certbot' && !d.email)
      ctx.addIssue({ code: 'custom', path: ['email'], message: "required with tls: certbot (Let's Encrypt account e-mail)" });
    if (d.tls === 'certbot' && (d.host === 'localhost' || /^[\d.]+$/.test(d.host)))
      ctx.addIssue({ code: 'custom', path: ['host'], message: 'certbot needs a public DNS name, not localhost or an IP' });
  });

const componentOverrideSchema = z
  .object({
    replicas: count.optional(),
    processesPerReplica: z.number().int().min(1).optional(),
    connectionsPerProcess: z.number().int().min(1).optional(),
    poolSize: z.number().int().min(1).optional(),
    maxOverflow: count.optional(),
    cpu: positive.optional(),
    memoryGiB: positive.optional(),
    env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an UPPER_SNAKE_CASE variable name'), z.string()).optional(),
  })
  .strict();
export type ComponentOverride = z.infer<typeof componentOverrideSchema>;

// Dify's components and their facts: src/dify/components.ts.
export { COMPONENT_NAMES, type ComponentName } from '../dify/components.js';

export const overridesSchema = z
  .object({
    components: z.object(Object.fromEntries(COMPONENT_NAMES.map((n) => [n, componentOverrideSchema.optional()]))).strict().optional(),
    database: z
      .object({ maxConnections: z.number().int().min(10).optional(), adminHeadroom: count.optional() })
      .strict()
      .optional(),
    /** Extra variables for .env / extraEnv (the whole deployment). */
    env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an UPPER_SNAKE_CASE variable name'), z.string()).optional(),
  })
  .strict();

export const availabilitySchema = z
  .object({
    /** ≥ 2 replicas of api, web, worker and plugin daemon. Default: the tier's `highAvailability`. */
    ha: z.boolean().optional(),
  })
  .strict();

export const recoverySchema = z
  .object({
    /** Recovery point objective: the most data (minutes of writes) a restore may lose. */
    rpoMinutes: z.number().int().min(1).default(1440),
    /** Recovery time objective: how long a full restore may take. */
    rtoMinutes: z.number().int().min(1).default(240),
    /** How many days of backups to keep. */
    retentionDays: z.number().int().min(1).default(7),
  })
  .strict();

export const WORKFLOW_LOG_STORAGES = ['rdbms', 'hybrid', 'logstore'] as const;

export const observabilitySchema = z
  .object({
    logFormat: z.enum(['json', 'text']).default('json'),
    /** OTLP/HTTP collector base URL, e.g. http://otel-collector:4318; enables ENABLE_OTEL. */
    otlpEndpoint: z.string().url().optional(),
    otelSamplingRate: z.number().min(0).max(1).default(0.1),
    sentryDsn: z.string().url().optional(),
    /** nginx access log as JSON with upstream timings. */
    nginxJsonLog: z.boolean().default(true),
    workflowLogs: z
      .object({
        /** Default: rdbms while the storage model says the database carries the logs, else logstore (docs/state-sizing.md). */
        storage: z.enum(WORKFLOW_LOG_STORAGES).optional(),
        /** Keep the logs in PostgreSQL above the size the model says it carries, knowingly (disk, clean-up and restore time are on you); without storage it means rdbms. */
        acceptLargeDatabase: z.boolean().default(false),
        /** rdbms/hybrid: delete workflow logs older than this many days (0 = keep forever). */
        retentionDays: count.default(30),
        /** logstore: Alibaba Cloud SLS project settings. */
        slsProject: z.string().optional(),
        slsEndpoint: z.string().optional(),
        slsRegion: z.string().optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

/** Settings only the Helm target reads. */
export const helmSpecSchema = z
  .object({
    /** The cluster's IngressClass (e.g. nginx); empty = the cluster default. */
    ingressClassName: z.string().min(1).optional(),
    /**
     * A Kubernetes Secret (same namespace) holding the deployment's secrets under their .env
     * names: values.yaml then carries none and every process reads them through secretKeyRef.
     */
    existingSecret: z
      .string()
      .max(253)
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected a Kubernetes Secret name (lower-case letters, digits, "-" and ".")')
      .optional(),
    /**
     * helm/extra/network-policy.yaml: the sandbox reaches only the SSRF proxy and DNS, the bundled
     * data services only the Dify pods that use them (docs/helm-isolation.md: why on by default).
     */
    networkPolicy: z.boolean().default(true),
  })
  .strict();

/** A CIDR shorter than /8 (IPv4) or /16 (IPv6): 0.0.0.0/0 or ::/0 would open the SSRF proxy to everything. */
const tooWide = (network: string) => {
  const [address, prefix] = network.split('/');
  return prefix !== undefined && Number(prefix) < (address.includes(':') ? 16 : 8);
};
/** Whether a network holds a cloud metadata address: link-local 169.254/16 (AWS, GCP, Azure IMDS), AWS's fd00:ec2::254, Azure's WireServer. */
const metadataEndpoint = (network: string) => {
  const [address, prefix = address.includes(':') ? '128' : '32'] = network.split('/');
  if (address.includes(':')) return /^fd00:ec2:/i.test(address) || /^fe80:/i.test(address);
  const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const bits = Math.min(Number(prefix), 32);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const base = (toInt(address) & mask) >>> 0;
  const holds = (ip: string) => ((toInt(ip) & mask) >>> 0) === base;
  return holds('169.254.169.254') || holds('168.63.129.16');
};

/**
 * Private destinations the SSRF proxy lets Dify reach (everything private is refused otherwise),
 * as upstream's SSRF_PROXY_ALLOW_PRIVATE_IPS / _DOMAINS do; `ports` narrows those to some ports.
 */
export const ssrfProxySchema = z
  .object({
    allowPrivate: z
      .object({
        domains: z.array(z.string().regex(/^\.?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/, 'expected a host name, or .domain for it and every subdomain')).default([]),
        networks: z
          .array(
            z
              .string()
              .regex(/^([0-9]{1,3}(\.[0-9]{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)(\/[0-9]{1,3})?$/, 'expected an IP address or CIDR, e.g. 10.1.2.0/24')
              .refine((n) => !tooWide(n), 'allows far more than a private network (a prefix shorter than /8, or /16 for IPv6); name the network Dify needs, e.g. 10.1.2.0/24')
              .refine((n) => !metadataEndpoint(n), 'covers a cloud metadata endpoint (169.254.0.0/16, fd00:ec2::254, Azure 168.63.129.16): any workflow could read the node\'s credentials; name the network Dify needs'),
          )
          .default([]),
        ports: z.array(z.union([port, z.string().regex(/^\d{1,5}-\d{1,5}$/, 'expected a port or a range like 8000-8999')])).default([]),
      })
      .strict()
      .default({}),
  })
  .strict();

/** App kinds by where Dify runs them (see releases/*.json `execution`). */
export const APP_KINDS = ['chat', 'completion', 'agent', 'chatflow', 'workflowStreaming', 'workflowBlocking'] as const;
export type AppKind = (typeof APP_KINDS)[number];

/** The kinds whose runs are graphs of nodes (workflow_runs rows). */
export const GRAPH_APP_KINDS = ['chatflow', 'workflowStreaming', 'workflowBlocking'] as const satisfies readonly AppKind[];
export type GraphAppKind = (typeof GRAPH_APP_KINDS)[number];

const share = z.number({ invalid_type_error: 'expected a share between 0 and 1' }).min(0, 'expected a share ≥ 0').max(1, 'expected a share ≤ 1');
const nonNegative = z.number({ invalid_type_error: 'expected a number' }).min(0, 'expected a number ≥ 0');
const perKind = (v: z.ZodNumber) => z.object(Object.fromEntries(APP_KINDS.map((k) => [k, v.optional()])) as Record<AppKind, z.ZodOptional<z.ZodNumber>>).strict();
const partialOf = (keys: readonly string[], v: z.ZodNumber) => z.object(Object.fromEntries(keys.map((k) => [k, v.optional()]))).strict();

/** costs/compute.json's shape, every value optional (the table's default stays where none is given). */
const computeCostsSchema = z
  .object({
    cpuSeconds: z
      .object({ execute: perKind(nonNegative).optional(), relay: perKind(nonNegative).optional(), plugin: perKind(nonNegative).optional(), sandboxExecution: nonNegative.optional(), nginxRequest: nonNegative.optional() })
      .strict()
      .optional(),
    memoryGiB: z
      .object({
        base: partialOf(['apiProcess', 'celeryWorker', 'pluginDaemon', 'sandbox', 'nginxProcess'], nonNegative).optional(),
        perInFlight: partialOf(['apiRequest', 'workerRun', 'pluginRequest', 'sandboxExecution', 'nginxConnection'], nonNegative).optional(),
        headroom: nonNegative.optional(),
      })
      .strict()
      .optional(),
    prices: partialOf(['vcpuMonth', 'gibMonth'], nonNegative).optional(),
  })
  .strict();

const positivePerKind = (kinds: readonly AppKind[]) => z.object(Object.fromEntries(kinds.map((k) => [k, positive.optional()])) as Record<AppKind, z.ZodOptional<typeof positive>>).strict();

/** workload.state: the values of costs/state.json a deployment measured (every key optional). */
export const stateCostsSchema = z
  .object({
    // ≥ 0: `dify-deploy measure` writes what it counted, and a kind may have run no nodes.
    nodeExecutionsPerRun: z.object(Object.fromEntries(GRAPH_APP_KINDS.map((k) => [k, nonNegative.optional()])) as Record<GraphAppKind, z.ZodOptional<typeof nonNegative>>).strict().optional(),
    bytesPerRun: nonNegative.optional(),
    bytesPerNodeExecution: nonNegative.optional(),
    bytesPerMessage: positive.optional(),
    baseDatabaseGiB: positive.optional(),
    dailyAverageShare: share.optional(),
    walBytesPerByte: positive.optional(),
    rdbmsMaxLogGiB: positive.optional(),
    cleanupSecondsPerBatch: positive.optional(),
    logicalRestoreMBps: positive.optional(),
    physicalRestoreMBps: positive.optional(),
    statementsPerRequest: positivePerKind(APP_KINDS).optional(),
    cpuMsPerStatement: positive.optional(),
    streamedChunksPerRun: positivePerKind(['chatflow', 'workflowStreaming']).optional(),
    bytesPerEvent: positive.optional(),
    redisOpsPerSecondPerThread: positive.optional(),
    pgbouncerStatementsPerSecondPerCore: positive.optional(),
  })
  .strict();

export const workloadSchema = z
  .object({
    /** Share of requests per app kind; given keys must sum to 1, missing ones are 0. Default: tiers/README. */
    mix: z
      .object(Object.fromEntries(APP_KINDS.map((k) => [k, share.optional()])) as Record<AppKind, z.ZodOptional<typeof share>>)
      .strict()
      .superRefine((m, ctx) => {
        const sum = Object.values(m).reduce((n: number, v) => n + (v ?? 0), 0);
        if (Math.abs(sum - 1) > 1e-6)
          ctx.addIssue({ code: 'custom', message: `the shares sum to ${Math.round(sum * 1000) / 1000}; they must sum to 1 (e.g. chatflow: 0.6, chat: 0.4)` });
      })
      .optional(),
    /** Mean seconds a request of each kind spends in Dify; missing kinds take latencySeconds. */
    latencySeconds: z.object(Object.fromEntries(APP_KINDS.map((k) => [k, positive.optional()])) as Record<AppKind, z.ZodOptional<typeof positive>>).strict().optional(),
    /** Code nodes, which size the sandbox: the share of graph runs (chatflow, workflows) with any, and their sandbox seconds per run. */
    codeNodes: z.object({ share: share.optional(), seconds: positive.optional() }).strict().optional(),
    /** Coefficient of variation (std ÷ mean) of each kind's time in Dify; default 1 (costs/compute.json). */
    latencyCv: perKind(nonNegative).optional(),
    /** Partial override of costs/compute.json (CPU-seconds, memory, prices): see docs/sizing-model.md. */
    costs: computeCostsSchema.optional(),
    /** CPU a component may use at the peak, as a share of its cores (default 0.65). */
    targetUtilization: z.number().gt(0, 'expected a share above 0').max(0.95, 'expected a share ≤ 0.95').optional(),
    /** Measured values replacing costs/state.json's (a partial override; see docs/state-sizing.md). */
    state: stateCostsSchema.optional(),
    /** Provenance of numbers `dify-deploy measure --write` took from a running Dify (informational; never a credential). */
    measured: z
      .object({
        measuredAt: z.string().min(1),
        since: z.string().min(1).optional(),
        windowDays: positive.optional(),
        /** host:port/database, no user or password. */
        source: z.string().min(1).optional(),
        /** The workload keys the measurement wrote (e.g. mix, latencySeconds.chat). */
        fields: z.array(z.string().min(1)).optional(),
        meanQps: nonNegative.optional(),
        peakMinuteQps: nonNegative.optional(),
        p99MinuteQps: nonNegative.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** What every queue (API greenlets, run slots, PgBouncer pools, sandbox workers) meets at the peak. */
export const serviceLevelSchema = z
  .object({
    /** Largest share of requests that may wait for a slot at all. */
    maxWaitProbability: z.number().gt(0, 'expected a share above 0').lt(1, 'expected a share below 1').default(0.01),
    /** Largest 99th-percentile wait for a slot, in seconds. */
    p99WaitSeconds: z.number().min(0).default(0.5),
  })
  .strict();

export const TARGETS = ['compose', 'helm'] as const;
export type Target = (typeof TARGETS)[number];

export const specSchema = z
  .object({
    release: z.string().regex(/^\d+\.\d+\.\d+$/, 'expected a Dify release like 1.16.1').optional(),
    tier: z.string().optional(),
    // Bounds far above any Dify deployment that keep the queueing searches (O(servers)) short on bad input.
    qps: positive.max(100_000, 'expected at most 100000 QPS (the peak-minute rate); size larger fleets as several deployments').optional(),
    latencySeconds: positive.max(3600, 'expected at most 3600 s (Dify stops a run at APP_MAX_EXECUTION_TIME)').optional(),
    /** qps is the peak-minute arrival rate; give a mean and this multiplier to turn it into the peak (default 1). */
    burstFactor: z.number().min(1, 'expected a multiplier ≥ 1').optional(),
    serviceLevel: serviceLevelSchema.default({}),
    workload: workloadSchema.default({}),
    targets: z.array(z.enum(TARGETS)).min(1).default(['compose']),
    collaboration: z.boolean().optional(),
    database: databaseSchema.default({}),
    redis: redisSchema.default({}),
    vectorStore: vectorStoreSchema.default({}),
    storage: storageSchema.default({}),
    domain: domainSchema.default({}),
    host: hostSizeSchema.optional(),
    availability: availabilitySchema.default({}),
    recovery: recoverySchema.default({}),
    observability: observabilitySchema.default({}),
    ssrfProxy: ssrfProxySchema.default({}),
    helm: helmSpecSchema.optional(),
    overrides: overridesSchema.default({}),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.tier === undefined && s.qps === undefined)
      ctx.addIssue({ code: 'custom', path: ['tier'], message: 'give a tier (see `dify-deploy tiers`) or a custom qps' });
    // Compose bind-mounts these two files into nginx: without them there is nothing to mount.
    if (s.domain.tls === 'own' && s.targets.includes('compose'))
      for (const key of ['certFile', 'keyFile'] as const)
        if (!s.domain[key])
          ctx.addIssue({
            code: 'custom',
            path: ['domain', key],
            message: `required with tls: own for the compose target: the ${key === 'certFile' ? 'certificate (PEM, full chain)' : 'private key (PEM)'} file nginx serves, e.g. ${key === 'certFile' ? './certs/fullchain.pem' : './certs/privkey.pem'}`,
          });
  });

export type Spec = z.infer<typeof specSchema>;
export type SpecInput = z.input<typeof specSchema>;
export type DatabaseSpec = Spec['database'];
export type HostSize = z.infer<typeof hostSizeSchema>;
