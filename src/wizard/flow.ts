// The wizard's questions, in order. Choices come from the release table, the tiers and the
// backend lists in src/backends: a new release, tier or backend shows up here by itself.
// Pressing Enter throughout gives a working single-host deployment.
import { defaultReleaseVersion, loadAllTiers, loadRelease, releaseVersions, type Release, type Tier, type TierComponent } from '../core/data.js';
import { planFor } from '../core/resolve.js';
import { ONE_HOST_MAX_CPUS } from '../core/sizing/host.js';
import { REDIS_DEFAULT_MAXCLIENTS } from '../core/redis.js';
import { usableRedisTopologies } from '../core/topology.js';
import { DEFAULT_RESERVED_CONNECTIONS, domainSchema, TARGETS, type Spec, type Target } from '../core/spec.js';
import { parseSpecData } from '../core/spec-parse.js';
import { factApplies, secretData, secretProblem } from '../core/secret-data.js';
import { CREDENTIAL_FIELDS } from '../render/spec-credentials.js';
import { canBundle, canUseExternal } from '../core/target-support.js';
import { STORAGE_BACKENDS, type StorageBackend } from '../backends/storage.js';
import { VECTOR_STORES, type VectorStoreBackend } from '../backends/vector-stores.js';
import type { Choice, Prompts } from './prompts.js';
import { Session, type GivenAnswers } from './session.js';

const CUSTOM_TIER = 'custom';

/** How each backend field is asked; secrets are masked and never shown back. */
const FIELD_LABELS: Record<string, { label: string; secret?: boolean }> = {
  url: { label: 'URL' },
  host: { label: 'host' },
  port: { label: 'port' },
  user: { label: 'user' },
  password: { label: 'password', secret: true },
  apiKey: { label: 'API key', secret: true },
  database: { label: 'database name' },
  bucket: { label: 'bucket' },
  endpoint: { label: 'endpoint URL' },
  region: { label: 'region' },
  accessKey: { label: 'access key ID' },
  secretKey: { label: 'secret key', secret: true },
  accountName: { label: 'account name' },
  accountUrl: { label: 'account URL' },
  serviceAccountJsonBase64: { label: 'service account JSON (base64)', secret: true },
};

/** Well-known server ports, offered as defaults for external servers. */
const DEFAULT_PORTS = { postgresql: 5432, mysql: 3306, redis: 6379 } as const;

const instance = (c: TierComponent) => `${c.replicas} × ${c.cpu}C${c.memoryGiB}G`;

function tierChoice(t: Tier, release: Release): Choice<string> {
  const spec = parseSpecData({ tier: t.name, release: release.version }, 'tier');
  const plan = planFor(spec, 'compose', release);
  const host = plan.host.required;
  const db = plan.database.hostSize!;
  return {
    value: t.name,
    name: `${t.name.padEnd(8)} ${t.qps} QPS at the peak minute`,
    description: `api ${instance(t.components.api)}, plugin daemon ${instance(t.components.plugin_daemon)}, DB host ${db.cpus}C${db.memoryGiB}G (bundled, as planned); one host needs ≈${host.cpus} vCPU / ${host.memoryGiB} GiB${host.cpus > ONE_HOST_MAX_CPUS ? ', more than one machine' : ''} (${t.source.kind} numbers)`,
  };
}

/**
 * The rule render and validate apply to a credential the spec gives (releases/secrets.json, the
 * secret its store entry feeds), checked as it is typed: a weak one is refused at its question,
 * not after the last one.
 */
function credentialProblem(path: string, release: Release): ((text: string) => string | undefined) | undefined {
  const store = CREDENTIAL_FIELDS.find((f) => f.path === path && f.part === 'value')?.store;
  const fact = store === undefined ? undefined : secretData().secrets.find((f) => f.var === store && factApplies(f, release.version, f.component, {}));
  if (!fact) return undefined;
  return (text) => {
    const problem = secretProblem(fact, release.version, { [fact.var]: text });
    return problem && `${fact.why} ${problem}`;
  };
}

/** Asks the backend's fields under `prefix` (e.g. `vectorStore`), each with its label; `optional` ones take Enter for none. */
async function backendFields(session: Session, release: Release, prefix: string, label: string, fields: readonly string[], optional = false): Promise<void> {
  for (const field of fields) {
    const how = FIELD_LABELS[field] ?? { label: field };
    const path = `${prefix}.${field}`;
    await session.field(path, `${label} ${how.label}${optional ? ' (Enter: none)' : ''}:`, { required: !optional, secret: how.secret, problem: credentialProblem(path, release) });
  }
}

async function askLoad(session: Session, release: Release): Promise<void> {
  const tiers = loadAllTiers();
  if (session.givenValue('qps') !== undefined && session.givenValue('tier') === undefined) {
    await session.field('latencySeconds', 'Mean time a request spends in Dify, in seconds (Enter: per app kind from costs/compute.json):');
    return;
  }
  const choices = [
    ...tiers.map((t) => tierChoice(t, release)),
    { value: CUSTOM_TIER, name: 'custom   your own QPS and latency', description: 'sized from the smallest tier that covers it' },
  ];
  // An earlier custom load (qps without a tier) is offered again as custom.
  const earlierCustom = session.value('qps') !== undefined && session.value('tier') === undefined;
  const tier = await session.pick('tier', 'Traffic tier:', choices, earlierCustom ? CUSTOM_TIER : tiers[0].name);
  if (tier !== CUSTOM_TIER) {
    session.set('qps', undefined);
    return;
  }
  session.set('tier', undefined);
  await session.field('qps', 'Requests per second at peak:', { required: true });
  await session.field('latencySeconds', 'Mean time a request spends in Dify, in seconds (Enter: per app kind from costs/compute.json):');
}

async function askDatabase(session: Session, release: Release): Promise<void> {
  const mode = await session.pick('database.mode', 'Database:', [
    { value: 'bundled', name: 'bundled: runs inside the deployment, sized and tuned for the tier' },
    { value: 'external', name: 'external: a server you run (RDS, Cloud SQL, your own)' },
  ]);
  const engine = await session.pick('database.engine', 'Database engine:', [
    { value: 'postgresql', name: 'PostgreSQL' },
    { value: 'mysql', name: 'MySQL' },
  ]);
  if (mode === 'bundled') {
    // The largest any target needs: under Helm the connections are counted at HPA maxReplicas.
    const spec = session.spec();
    const sizes = spec.targets.map((t) => planFor(spec, t).database.hostSize!);
    await session.field('database.hostSize.cpus', 'Database host vCPUs:', { default: Math.max(...sizes.map((h) => h.cpus)) });
    await session.field('database.hostSize.memoryGiB', 'Database host memory in GiB (PGTune input):', { default: Math.max(...sizes.map((h) => h.memoryGiB)) });
    return;
  }
  await session.field('database.host', 'Database host:', { required: true });
  await session.field('database.port', 'Database port:', { default: DEFAULT_PORTS[engine] });
  await session.field('database.user', 'Database user:', { required: true });
  await session.field('database.password', 'Database password:', { required: true, secret: true, problem: credentialProblem('database.password', release) });
  await session.field('database.database', 'Dify database name:', { default: 'dify' });
  await session.field('database.pluginDatabase', 'Plugin daemon database name:', { default: 'dify_plugin' });
  if (engine === 'postgresql')
    await session.pick(
      'database.sslMode',
      'TLS to the server (libpq sslmode; RDS PostgreSQL 15+ and most managed servers refuse plain connections):',
      ['require', 'verify-full', 'verify-ca', 'prefer', 'disable'].map((m) => ({ value: m as 'require', name: m })),
      'require',
    );
  await session.field('database.maxConnections', `The server's max_connections (${engine === 'postgresql' ? 'SHOW max_connections;' : "SHOW VARIABLES LIKE 'max_connections';"}):`, {
    required: true,
  });
  // Managed servers keep more for themselves than PostgreSQL's 3 (RDS: rdsadmin), out of the same max_connections.
  await session.field(
    'database.reservedConnections',
    `Connections reserved for the server's own admins (${engine === 'postgresql' ? 'SHOW superuser_reserved_connections; plus reserved_connections on PostgreSQL 16+' : 'admin connections your service keeps'}):`,
    { default: DEFAULT_RESERVED_CONNECTIONS },
  );
}

async function askRedis(session: Session, release: Release): Promise<void> {
  const mode = await session.pick('redis.mode', 'Redis:', [
    { value: 'bundled', name: 'bundled: a standalone Redis inside the deployment' },
    { value: 'external', name: 'external: a Redis you run' },
  ]);
  if (mode === 'bundled') return;
  const topology = await session.pick(
    'redis.topology',
    'Redis topology:',
    // Redis Cluster is not offered: the plugin daemon and the Celery broker cannot use it.
    usableRedisTopologies(release).map((t) => ({ value: t as 'standalone' | 'sentinel', name: t })),
  );
  if (topology === 'standalone') {
    await session.field('redis.host', 'Redis host:', { required: true });
    await session.field('redis.port', 'Redis port:', { default: DEFAULT_PORTS.redis });
    await session.field('redis.username', 'Redis username (Enter: none):');
  } else if (topology === 'sentinel') {
    await session.field('redis.sentinels', 'Sentinels, as host:port separated by commas:', { required: true });
    await session.field('redis.sentinelMasterName', 'Sentinel master name:', { required: true });
    await session.field('redis.sentinelPassword', 'Sentinel password (Enter: none):', { secret: true });
    // The agent backend takes a plain redis:// URL and cannot follow Sentinel.
    if (release.agentBackend) await session.field('redis.host', 'Redis master endpoint for the agent backend (a proxy or primary endpoint):', { required: true });
  }
  await session.field('redis.password', 'Redis password (Enter: none):', { secret: true, problem: credentialProblem('redis.password', release) });
  await session.field('redis.db', 'Redis database number:', { default: 0 });
  await session.yesNo('redis.useSsl', 'Connect to Redis over TLS?', false);
  await session.field('redis.maxClients', `The server's maxclients (CONFIG GET maxclients; managed Redis often sets fewer than ${REDIS_DEFAULT_MAXCLIENTS}):`, { default: REDIS_DEFAULT_MAXCLIENTS });
}

async function askVectorStore(session: Session, release: Release, targets: Target[]): Promise<void> {
  // Only what every chosen target can render (src/core/target-support.ts).
  const bundles = (v: VectorStoreBackend) => targets.every((t) => canBundle(v, t, release));
  const external = (v: VectorStoreBackend) => targets.every((t) => canUseExternal(v, t));
  const available = (VECTOR_STORES as readonly VectorStoreBackend[]).filter((v) => release.vectorStores.supported.includes(v.id) && (bundles(v) || external(v)));
  const type = await session.pick(
    'vectorStore.type',
    'Vector store:',
    available.map((v) => ({ value: v.id, name: v.label, description: bundles(v) ? 'can run bundled' : 'external only' })),
  );
  const backend = available.find((v) => v.id === type)!;
  const mode = await session.pick('vectorStore.mode', `${backend.label}:`, [
    ...(bundles(backend) ? [{ value: 'bundled' as const, name: 'bundled: runs inside the deployment' }] : []),
    ...(external(backend) ? [{ value: 'external' as const, name: 'external: an instance you run' }] : []),
  ]);
  if (mode === 'external') {
    await backendFields(session, release, 'vectorStore', backend.label, backend.externalRequires);
    await backendFields(session, release, 'vectorStore', backend.label, backend.externalOptional ?? [], true);
  }
}

async function askStorage(session: Session, release: Release, targets: Target[]): Promise<void> {
  // On Kubernetes pods run on several nodes: only a store they all reach will do.
  const severalHosts = targets.includes('helm');
  const available = (STORAGE_BACKENDS as readonly StorageBackend[]).filter((s) => release.storageTypes.includes(s.difyType) && (s.shared || !severalHosts));
  const type = await session.pick(
    'storage.type',
    'File storage (uploads, plugin packages):',
    available.map((s) => ({ value: s.id, name: s.label, description: s.shared ? 'shared by every host' : 'one host only' })),
  );
  const backend = available.find((s) => s.id === type)!;
  await backendFields(session, release, 'storage', backend.label, backend.requires);
  if (backend.iam) {
    // S3-compatible stores (MinIO, Ceph, R2…) are S3 at another endpoint, usually with path-style URLs.
    await session.field('storage.endpoint', `${backend.label} endpoint URL (Enter: AWS itself; MinIO or another S3-compatible store: its URL):`);
    if (session.value('storage.endpoint')) await session.yesNo('storage.pathStyle', 'Path-style bucket URLs (MinIO and most S3-compatible stores need them)?', true);
    if (await session.yesNo('storage.useIam', "Authenticate with the machine's IAM role (instance profile, IRSA) instead of keys?", false)) return;
  }
  await backendFields(session, release, 'storage', backend.label, backend.credentials);
}

/**
 * Where the workflow logs go, asked only when the storage model says PostgreSQL cannot carry them
 * at the default retention (docs/state-sizing.md): Enter keeps them in PostgreSQL for the days it carries.
 */
async function askWorkflowLogs(session: Session, targets: Target[]): Promise<void> {
  const storage = planFor(session.spec(), targets[0]).storage;
  if (storage.workflowLogs.carried) return;
  const days = Math.max(1, storage.maxRetentionDaysInDatabase ?? 1);
  const where = await session.pick(
    'observability.workflowLogs.storage',
    `Workflow logs (${storage.rdbmsLogGiB !== null ? `${storage.rdbmsLogGiB} GiB` : 'an unbounded size'} in PostgreSQL at ${storage.retentionDays} days is more than it carries):`,
    [
      { value: 'rdbms', name: `PostgreSQL, kept ${days} days`, description: 'the retention the database carries' },
      { value: 'logstore', name: 'Alibaba Cloud SLS (logstore)', description: 'runs and node executions leave PostgreSQL' },
    ],
    'rdbms',
  );
  if (where === 'logstore') {
    await session.field('observability.workflowLogs.slsProject', 'SLS project:', { required: true });
    await session.field('observability.workflowLogs.slsEndpoint', 'SLS endpoint (e.g. cn-hangzhou.log.aliyuncs.com):', { required: true });
    await session.field('observability.workflowLogs.slsRegion', 'SLS region (e.g. cn-hangzhou):', { required: true });
    return;
  }
  await session.field('observability.workflowLogs.retentionDays', 'Days of workflow logs to keep:', { default: days });
  if (!planFor(session.spec(), targets[0]).storage.workflowLogs.carried)
    await session.yesNo('observability.workflowLogs.acceptLargeDatabase', 'That is more than the database carries; keep them in PostgreSQL anyway?', true);
}

/** An event bus of its own where its PUBLISH rate needs one the deployment cannot bundle (Helm from 500 QPS, a sharded cluster beyond one Redis). */
async function askEventBus(session: Session, targets: Target[]): Promise<void> {
  const plans = targets.map((t) => planFor(session.spec(), t));
  if (!plans.some((p) => p.problems.some((x) => x.startsWith('redis.eventBus')))) return;
  const load = plans[0].redis.eventBus.load;
  session.set('redis.eventBus.mode', 'external');
  await session.field('redis.eventBus.url', `Event bus Redis URL (${load?.eventsPerSecond ?? '?'} PUBLISH/s at the peak${load?.needsCluster ? `: a Redis Cluster of ≥ ${load.shards} shards, any node` : ''}):`, { required: true });
  if (load?.needsCluster) {
    session.set('redis.eventBus.useClusters', true);
    session.set('redis.eventBus.channelType', 'sharded');
  }
  // Offer at least the connections the deployment opens to the bus (Redis' default 10000 may be fewer).
  const needed = Math.max(0, ...targets.map((t) => planFor(session.spec(), t).redis.eventBus.required ?? 0));
  await session.field('redis.eventBus.maxClients', `Event bus's maxclients (CONFIG GET maxclients; the deployment opens ${needed}):`, { default: Math.max(REDIS_DEFAULT_MAXCLIENTS, needed) });
}

async function askDomain(session: Session): Promise<void> {
  await session.field('domain.host', 'Domain name (or localhost):', { default: 'localhost' });
  // Offer certbot only where the spec's own rule would accept it (a public DNS name).
  const certbotPossible = domainSchema.safeParse({ host: session.value('domain.host') ?? 'localhost', tls: 'certbot', email: 'a@example.com' }).success;
  const tls = await session.pick('domain.tls', 'HTTPS:', [
    { value: 'none', name: 'none: plain HTTP (behind your own TLS proxy, or for a trial)' },
    ...(certbotPossible ? [{ value: 'certbot' as const, name: "certbot: a Let's Encrypt certificate, renewed automatically" }] : []),
    { value: 'own', name: 'own: a certificate and key you already have' },
  ]);
  if (tls === 'certbot') await session.field('domain.email', "E-mail for Let's Encrypt:", { required: true });
  if (tls === 'own') {
    await session.field('domain.certFile', 'Certificate file (PEM, full chain):', { required: true });
    await session.field('domain.keyFile', 'Private key file (PEM):', { required: true });
  }
}

/** What only the Helm target reads: the cluster's ingress class, and a Secret of the user's instead of secrets in values.yaml. */
async function askHelm(session: Session): Promise<void> {
  await session.field('helm.ingressClassName', 'IngressClass of the cluster (kubectl get ingressclass; Enter: the cluster default):');
  await session.field('helm.existingSecret', 'Kubernetes Secret holding the secrets (Enter: none, values.yaml holds them):');
}

async function askHost(session: Session): Promise<void> {
  const needed = planFor(session.spec(), 'compose').host.required;
  await session.field('host.cpus', 'vCPUs of the machine that runs docker compose:', { default: needed.cpus });
  await session.field('host.memoryGiB', 'Its memory in GiB:', { default: needed.memoryGiB });
}

export interface WizardResult {
  /** The answers as given (no spec defaults filled in): the defaults of a second pass. */
  data: Record<string, unknown>;
  spec: Spec;
}

/**
 * Runs every question (skipping those `given` answers) and returns the spec. `previous`
 * answers, from an earlier pass, become the defaults.
 */
export async function askSpec(prompts: Prompts, given?: GivenAnswers, previous?: Record<string, unknown>): Promise<WizardResult> {
  const session = new Session(prompts, given, previous);
  const versions = [...releaseVersions()].reverse();
  const version = await session.pick(
    'release',
    'Dify release:',
    versions.map((v) => ({ value: v, name: v, description: loadRelease(v).source })),
    defaultReleaseVersion(),
  );
  const release = loadRelease(version);
  await askLoad(session, release);
  // Kubernetes first where the plan needs more than one machine.
  const oneHost = planFor(session.spec(), 'compose', release).host.required;
  const beyondOneHost = oneHost.cpus > ONE_HOST_MAX_CPUS;
  const targets = await session.pickSome(
    'targets',
    'Deploy with:',
    TARGETS.map((t) => ({
      value: t,
      name: t === 'compose' ? `docker compose (one host${beyondOneHost ? `: this load needs ≈${oneHost.cpus} vCPU, more than one machine` : ''})` : 'Helm chart dify-helm (Kubernetes)',
    })),
    [beyondOneHost ? 'helm' : 'compose'],
  );
  await askDatabase(session, release);
  await askRedis(session, release);
  await askVectorStore(session, release, targets);
  await askStorage(session, release, targets);
  await askWorkflowLogs(session, targets);
  await askEventBus(session, targets);
  await askDomain(session);
  if (targets.includes('helm')) await askHelm(session);
  if (targets.includes('compose')) await askHost(session);
  return { data: session.data, spec: session.spec() };
}
