// Disaster recovery: the backup/restore scripts, RUNBOOK.md, the compose `backup` service
// and the Kubernetes CronJob. The schedule and retention come from plan.recovery.
import { directJobEnv } from './database-tls.js';
import { stringifyYaml } from '../io/yaml-doc.js';
import type { Target } from '../core/spec.js';
import { renderTemplate } from './template.js';
import type { RenderContext, RenderedFile } from './types.js';
import { apiPodEnv } from './helm/values.js';
import { HELM_NAMESPACE, HELM_RELEASE_NAME, selectorLabels } from './helm/names.js';
import { IMAGE_USERS, RESTRICTED_CONTAINER, restrictedPod, TMP_MOUNT, TMP_VOLUME } from './helm/pod-security.js';

/** Names the Helm target uses for its release and namespace (see helm/README.md). */
export { HELM_NAMESPACE, HELM_RELEASE_NAME };

function scriptContext(ctx: RenderContext) {
  const { spec, plan } = ctx;
  return {
    mysql: spec.database.engine === 'mysql',
    dbPort: spec.database.port ?? (spec.database.engine === 'mysql' ? 3306 : 5432),
    schedule: plan.recovery.schedule,
    rpoMinutes: plan.recovery.rpoMinutes,
    retentionDays: plan.recovery.retentionDays,
    vectorReindex: vectorStoreRecovery(ctx) === 'reindex',
    reindexCommand: VECTOR_REINDEX_COMMAND,
  };
}

/**
 * pg_dump refuses a server newer than itself, and dumps any older one (back to 9.2): for an
 * external server of unknown version the newest client is the safe choice.
 */
export const NEWEST_POSTGRES_MAJOR = 17;

/**
 * Rebuilds every high-quality knowledge base's and every app's annotation index in the
 * configured vector store from the metadata database (segments, child chunks, annotations),
 * re-embedding them with each dataset's embedding model. It skips a dataset whose
 * `datasets.index_struct` already names the configured store, so restore.sh clears that field
 * first. Source: langgenius/dify api/commands/vector.py (`@click.command("vdb-migrate")`,
 * migrate_knowledge_vector_database / migrate_annotation_vector_database).
 */
export const VECTOR_REINDEX_COMMAND = 'flask vdb-migrate';

/** The bundled pgvector store is dumped with the databases; it needs a PostgreSQL backup image. */
const pgvectorInBackup = (ctx: RenderContext) =>
  ctx.spec.vectorStore.type === 'pgvector' && ctx.spec.vectorStore.mode === 'bundled' && ctx.spec.database.engine !== 'mysql';

/**
 * How the vector store comes back after a restore: `dump` — its data is in the backup
 * (bundled pgvector); `reindex` — restore.sh marks the knowledge bases for re-indexing and
 * `flask vdb-migrate` rebuilds the store from the restored database (every other store).
 */
export function vectorStoreRecovery(ctx: RenderContext): 'dump' | 'reindex' {
  return pgvectorInBackup(ctx) ? 'dump' : 'reindex';
}

/** The major version in an image tag such as `postgres:15-alpine` or `pgvector/pgvector:pg16`. */
function tagMajor(image: string): number {
  const major = /:\D*(\d+)/.exec(image)?.[1];
  if (!major) throw new Error(`no PostgreSQL major version in the image tag ${image}`);
  return Number(major);
}

/**
 * The image the backup job runs. Bundled: the DB's own image, so client and server match.
 * External PostgreSQL: the client of the server's major version (database.serverVersion), else
 * the newest. A bundled pgvector server it also dumps may be newer (pgvector/pgvector:pg16 beside
 * postgres:15): then that major's client. backup.sh still checks every server before it dumps.
 */
export function backupImage(ctx: RenderContext): string {
  const { database: db } = ctx.spec;
  const { images } = ctx.release;
  if (db.engine === 'mysql') return images.mysql;
  const dbMajor = db.mode === 'bundled' ? tagMajor(images.postgres) : db.serverVersion ?? NEWEST_POSTGRES_MAJOR;
  const major = Math.max(dbMajor, pgvectorInBackup(ctx) ? tagMajor(images.pgvector) : 0);
  return db.mode === 'bundled' && major === dbMajor ? images.postgres : `postgres:${major}-alpine`;
}

/** The non-root user the backup image starts as (pod-security.ts). */
const backupUser = (ctx: RenderContext) =>
  ctx.spec.database.engine === 'mysql' ? IMAGE_USERS.mysql : backupImage(ctx).includes('alpine') ? IMAGE_USERS.postgresAlpine : IMAGE_USERS.postgresDebian;

/** `backup/backup.sh` and `backup/restore.sh`, shared by both targets. */
export function renderBackupScripts(ctx: RenderContext): RenderedFile[] {
  const c = scriptContext(ctx);
  return [
    { path: 'backup/backup.sh', content: renderTemplate('recovery/backup.sh.hbs', c), mode: 0o755 },
    { path: 'backup/restore.sh', content: renderTemplate('recovery/restore.sh.hbs', c), mode: 0o755 },
  ];
}

export function renderRunbook(ctx: RenderContext, targets: readonly Target[]): RenderedFile {
  const { spec, plan, release } = ctx;
  return {
    path: 'RUNBOOK.md',
    content: renderTemplate('recovery/RUNBOOK.md.hbs', {
      release: release.version,
      tier: plan.tier,
      ...plan.recovery,
      compose: targets.includes('compose'),
      helm: targets.includes('helm'),
      websocket: plan.collaboration,
      externalDb: spec.database.mode === 'external',
      dbHost: spec.database.host ?? '',
      database: spec.database.database,
      pluginDatabase: spec.database.pluginDatabase,
      backupImage: backupImage(ctx),
      mysql: spec.database.engine === 'mysql',
      vectorStore: `${spec.vectorStore.type}, ${spec.vectorStore.mode}`,
      vectorStoreBundled: spec.vectorStore.mode === 'bundled',
      vectorStoreInBackup: vectorStoreRecovery(ctx) === 'dump',
      reindexCommand: VECTOR_REINDEX_COMMAND,
      apiDeployment: `${HELM_RELEASE_NAME}-api`,
      releaseName: HELM_RELEASE_NAME,
      namespace: HELM_NAMESPACE,
      chartVersion: release.helm.version,
    }),
  };
}

/** The compose `backup` service: busybox crond in the DB image, running backup.sh on schedule. */
export function backupComposeService(ctx: RenderContext): Record<string, unknown> {
  const { spec, plan } = ctx;
  const bundled = spec.database.mode === 'bundled';
  const dbService = spec.database.engine === 'mysql' ? 'db_mysql' : 'db_postgres';
  const local = spec.storage.type === 'local';
  const cron = `${plan.recovery.schedule} /bin/sh /backup/backup.sh > /proc/1/fd/1 2>&1`;
  return {
    image: backupImage(ctx),
    restart: 'always',
    entrypoint: ['sh', '-c', `echo '${cron}' > /etc/crontabs/root && exec crond -f -l 8`],
    environment: {
      DB_HOST: '${DB_HOST}',
      DB_PORT: '${DB_PORT}',
      DB_USERNAME: '${DB_USERNAME}',
      DB_PASSWORD: '${DB_PASSWORD}',
      DB_DATABASE: '${DB_DATABASE}',
      DB_PLUGIN_DATABASE: '${DB_PLUGIN_DATABASE}',
      BACKUP_DIR: '/backups',
      BACKUP_RETENTION_DAYS: String(plan.recovery.retentionDays),
      STORAGE_DIR: local ? '/storage/app' : '',
      PLUGIN_STORAGE_DIR: '/storage/plugin_daemon',
      // The bundled pgvector store is dumped with the databases (backup.sh).
      ...(pgvectorInBackup(ctx) ? { PGVECTOR_HOST: '${PGVECTOR_HOST}', PGVECTOR_PORT: '${PGVECTOR_PORT}', PGVECTOR_USER: '${PGVECTOR_USER}', PGVECTOR_PASSWORD: '${PGVECTOR_PASSWORD}', PGVECTOR_DATABASE: '${PGVECTOR_DATABASE}' } : {}),
    },
    volumes: [
      './backup:/backup:ro',
      './volumes/backups:/backups',
      ...(local ? ['./volumes/app/storage:/storage/app'] : []),
      './volumes/plugin_daemon:/storage/plugin_daemon',
    ],
    ...(bundled ? { depends_on: { [dbService]: { condition: 'service_healthy' } } } : {}),
  };
}

/**
 * helm/extra/backup-cronjob.yaml: the scripts in a ConfigMap, a PVC for the dumps and a
 * CronJob. The DB_* connection settings come from the chart's own api ConfigMap and Secret
 * (config.tpl, credentials.tpl); the plugin daemon shares the main database when the chart's
 * bundled PostgreSQL is used.
 */
export function renderBackupCronJob(ctx: RenderContext): RenderedFile {
  const name = `${HELM_RELEASE_NAME}-backup`;
  const api = `${HELM_RELEASE_NAME}-api`;
  const db = ctx.spec.database;
  const pluginDatabase = db.mode === 'external' ? db.pluginDatabase : db.database;
  const scripts = renderBackupScripts(ctx);
  const docs = [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${name}-scripts`, namespace: HELM_NAMESPACE },
      data: Object.fromEntries(scripts.map((f) => [f.path.split('/')[1], f.content])),
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: `${HELM_RELEASE_NAME}-backups`, namespace: HELM_NAMESPACE },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name, namespace: HELM_NAMESPACE },
      spec: {
        schedule: ctx.plan.recovery.schedule,
        timeZone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: 2,
            template: {
              metadata: { labels: { ...selectorLabels, component: 'backup' } },
              spec: {
                restartPolicy: 'OnFailure',
                ...restrictedPod(backupUser(ctx)),
                containers: [
                  {
                    name: 'backup',
                    image: backupImage(ctx),
                    securityContext: RESTRICTED_CONTAINER,
                    command: ['sh', '-c', 'sh /backup/backup.sh'],
                    envFrom: [{ configMapRef: { name: api } }, { secretRef: { name: api } }],
                    env: [
                      // What the api pods read (with helm.existingSecret the credentials come from the user's Secret).
                      ...directJobEnv(apiPodEnv(ctx), ctx, 'backup'),
                      { name: 'DB_PLUGIN_DATABASE', value: pluginDatabase },
                      { name: 'BACKUP_DIR', value: '/backups' },
                      { name: 'BACKUP_RETENTION_DAYS', value: String(ctx.plan.recovery.retentionDays) },
                    ],
                    volumeMounts: [
                      { name: 'scripts', mountPath: '/backup' },
                      { name: 'backups', mountPath: '/backups' },
                      TMP_MOUNT,
                    ],
                    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
                  },
                ],
                volumes: [
                  { name: 'scripts', configMap: { name: `${name}-scripts` } },
                  { name: 'backups', persistentVolumeClaim: { claimName: `${HELM_RELEASE_NAME}-backups` } },
                  TMP_VOLUME,
                ],
              },
            },
          },
        },
      },
    },
  ];
  return { path: 'helm/extra/backup-cronjob.yaml', content: docs.map(stringifyYaml).join('---\n') };
}
