// The generated backup and restore scripts, run for real against PostgreSQL: dump both
// databases and the storage, lose everything, restore, and run the drill into scratch DBs.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRelease, releaseVersions } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { specSchema } from '../src/core/spec.js';
import { NEWEST_POSTGRES_MAJOR, renderBackupCronJob, renderBackupScripts, renderRunbook, backupComposeService, vectorStoreRecovery } from '../src/render/recovery.js';
import { renderHelm } from '../src/render/helm.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { chartDir, helmBinary, runHelm } from './helpers/helm.js';
import { parseManifests } from './helpers/k8s.js';
import { UPSTREAM_REQUIRED } from './helpers/upstream.js';
import { parseAllDocuments } from 'yaml';
import { requirePostgres, startPostgres, type PgServer } from './helpers/postgres.js';

const spec = specSchema.parse({ tier: '10qps', recovery: { rpoMinutes: 60, retentionDays: 3 } });
const release = loadRelease(spec.release);
const ctx = { spec, release, plan: planFor(spec, 'compose'), secrets: {} };

describe('the backup client is never older than the PostgreSQL server', () => {
  const image = (database: Record<string, unknown>, target: 'compose' | 'helm') => {
    const sp = specSchema.parse({ tier: '10qps', database, targets: [target], storage: target === 'helm' ? { type: 's3', bucket: 'b', region: 'r', useIam: true } : {} });
    const c = { spec: sp, release, plan: planFor(sp, target), secrets: { DB_PASSWORD: 'x' } };
    if (target === 'compose') return backupComposeService(c).image;
    const cron = parseAllDocuments(renderBackupCronJob(c).content).map((d) => d.toJSON()).find((d) => d.kind === 'CronJob');
    return cron.spec.jobTemplate.spec.template.spec.containers[0].image;
  };
  it.each(['compose', 'helm'] as const)('%s: external server version → that major\'s client; unknown → the newest; bundled → the server\'s own image', (target) => {
    const external = { mode: 'external', host: 'pg.internal', password: 'pw-0123456789', maxConnections: 500 };
    expect(image({ ...external, serverVersion: 17 }, target)).toBe('postgres:17-alpine');
    expect(image({ ...external, serverVersion: 16 }, target)).toBe('postgres:16-alpine');
    expect(image(external, target)).toBe(`postgres:${NEWEST_POSTGRES_MAJOR}-alpine`);
    expect(image({}, target)).toBe(release.images.postgres);
  });
});

describe('recovery files', () => {
  it('schedule and retention come from the spec, in every file that needs them', () => {
    const [backup] = renderBackupScripts(ctx);
    expect(backup.content).toContain('Scheduled "0 * * * *"');
    expect(backup.content).toContain('default_retention=3');
    const service = backupComposeService(ctx) as { entrypoint: string[]; environment: Record<string, string> };
    expect(service.entrypoint.join(' ')).toContain('0 * * * * /bin/sh /backup/backup.sh');
    expect(service.environment.BACKUP_RETENTION_DAYS).toBe('3');
    const runbook = renderRunbook(ctx, ['compose', 'helm']).content;
    expect(runbook).toMatch(/RPO \(data you may lose\) \| 60 min/);
    expect(runbook).toContain('docker compose exec backup sh /backup/restore.sh STAMP');
    expect(runbook).toContain('cronjob/dify-backup');
    const docs = parseAllDocuments(renderBackupCronJob(ctx).content).map((d) => d.toJS());
    const cron = docs.find((d) => d.kind === 'CronJob');
    expect(cron.spec.schedule).toBe('0 * * * *');
    expect(cron.spec.jobTemplate.spec.template.spec.containers[0].command.join(' ')).toContain('sh /backup/backup.sh');
  });
});

describe.runIf(requirePostgres())('backup and restore against a real PostgreSQL', () => {
  let pg: PgServer;
  let dir: string;
  // Scripts rendered for two specs: bundled pgvector (dumped) and the default Weaviate (re-indexed).
  const pgvectorSpec = specSchema.parse({ tier: '10qps', vectorStore: { type: 'pgvector' }, recovery: { rpoMinutes: 60, retentionDays: 3 } });
  const pgvectorCtx = { spec: pgvectorSpec, release, plan: planFor(pgvectorSpec, 'compose'), secrets: {} };
  const script = (kind: 'pgvector' | 'weaviate', name: string) => join(dir, kind, 'backup', name);
  const env = () => ({
    ...process.env,
    PATH: `${pg.binDir}:${process.env.PATH}`,
    DB_HOST: pg.host,
    DB_PORT: String(pg.port),
    DB_USERNAME: pg.superuser,
    DB_PASSWORD: '',
    BACKUP_DIR: join(dir, 'backups'),
    STORAGE_DIR: join(dir, 'storage'),
    PLUGIN_STORAGE_DIR: join(dir, 'plugins'),
    PGVECTOR_HOST: pg.host,
    PGVECTOR_PORT: String(pg.port),
    PGVECTOR_USER: pg.superuser,
    PGVECTOR_PASSWORD: '',
    PGVECTOR_DATABASE: 'dify_vectors',
  });
  const psql = (db: string, sql: string) =>
    execFileSync(pg.bin('psql'), ['-h', pg.host, '-p', String(pg.port), '-U', pg.superuser, '-d', db, '-Atc', sql], { encoding: 'utf8' }).trim();
  /** Knowledge bases whose vector index restore.sh marked for `flask vdb-migrate` (index_struct cleared). */
  const marked = (db = 'dify') => psql(db, 'SELECT indexing_technique FROM datasets WHERE index_struct IS NULL ORDER BY 1').split('\n').filter(Boolean);

  beforeAll(async () => {
    pg = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), 'dd-backup-'));
    for (const [kind, c] of [['pgvector', pgvectorCtx], ['weaviate', ctx]] as const) {
      mkdirSync(join(dir, kind, 'backup'), { recursive: true });
      for (const f of renderBackupScripts(c)) writeFileSync(join(dir, kind, f.path), f.content, { mode: f.mode });
    }
    mkdirSync(join(dir, 'storage', 'upload_files'), { recursive: true });
    writeFileSync(join(dir, 'storage', 'upload_files', 'doc.txt'), 'knowledge');
    mkdirSync(join(dir, 'plugins'), { recursive: true });
    writeFileSync(join(dir, 'plugins', 'plugin.bin'), 'plugin');
    psql('postgres', 'CREATE DATABASE dify');
    psql('postgres', 'CREATE DATABASE dify_plugin');
    psql('dify', "CREATE TABLE accounts (id int primary key, name text); INSERT INTO accounts SELECT g, 'user' || g FROM generate_series(1, 500) g");
    // Dify's datasets table, the columns restore.sh and vdb-migrate read (api/models/dataset.py): two
    // high-quality knowledge bases indexed in Weaviate, one economy (keyword index in the database).
    psql('dify', `CREATE TABLE datasets (id uuid primary key, indexing_technique varchar(255), index_struct text);
      INSERT INTO datasets VALUES
        ('00000000-0000-0000-0000-000000000001', 'high_quality', '{"type": "weaviate", "vector_store": {"class_prefix": "Vector_index_1_Node"}}'),
        ('00000000-0000-0000-0000-000000000002', 'high_quality', '{"type": "weaviate", "vector_store": {"class_prefix": "Vector_index_2_Node"}}'),
        ('00000000-0000-0000-0000-000000000003', 'economy', '{"type": "keyword_table"}')`);
    psql('dify_plugin', "CREATE TABLE plugins (id text primary key); INSERT INTO plugins VALUES ('langgenius/openai')");
    // The bundled pgvector store's database (a second server in compose; a database of this one here).
    psql('postgres', 'CREATE DATABASE dify_vectors');
    psql('dify_vectors', "CREATE TABLE embedding_doc (id int primary key, text text); INSERT INTO embedding_doc SELECT g, 'chunk' || g FROM generate_series(1, 50) g");
  });
  afterAll(() => {
    pg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('backs up, survives losing everything, restores, and passes the drill', () => {
    // An expired backup that the run must prune, and a fresh one it must keep.
    const old = join(dir, 'backups', '20000101T000000Z');
    mkdirSync(old, { recursive: true });
    const longAgo = new Date('2000-01-01T00:00:00Z');
    utimesSync(old, longAgo, longAgo);

    const out = execFileSync('sh', [script('pgvector', 'backup.sh')], { env: env(), encoding: 'utf8' });
    expect(out).toMatch(/backup \d{8}T\d{6}Z complete/);
    const stamps = readdirSync(join(dir, 'backups'));
    expect(stamps).not.toContain('20000101T000000Z');
    expect(stamps.filter((s) => s.startsWith('.partial'))).toEqual([]);
    const stamp = stamps.find((s) => s.startsWith('20'))!;
    expect(readdirSync(join(dir, 'backups', stamp)).sort()).toEqual(['PLUGIN_STORAGE_DIR.tar.gz', 'STORAGE_DIR.tar.gz', 'dify.dump', 'dify_plugin.dump', 'pgvector.dump']);

    // Disaster: both databases and the files are gone.
    psql('postgres', 'DROP DATABASE dify');
    psql('postgres', 'DROP DATABASE dify_plugin');
    psql('dify_vectors', 'DROP TABLE embedding_doc');
    rmSync(join(dir, 'storage'), { recursive: true });
    rmSync(join(dir, 'plugins'), { recursive: true });

    const restored = execFileSync('sh', [script('pgvector', 'restore.sh'), stamp], { env: env(), encoding: 'utf8' });
    expect(psql('dify', 'SELECT count(*) FROM accounts')).toBe('500');
    expect(psql('dify_plugin', 'SELECT id FROM plugins')).toBe('langgenius/openai');
    expect(psql('dify_vectors', 'SELECT count(*) FROM embedding_doc')).toBe('50');
    expect(readFileSync(join(dir, 'storage', 'upload_files', 'doc.txt'), 'utf8')).toBe('knowledge');
    expect(readFileSync(join(dir, 'plugins', 'plugin.bin'), 'utf8')).toBe('plugin');
    // The vectors came back with the dump: nothing to re-index.
    expect(marked()).toEqual([]);
    expect(restored).not.toContain('vdb-migrate');

    // Restoring twice over live databases is idempotent (--clean --if-exists).
    execFileSync('sh', [script('pgvector', 'restore.sh'), stamp], { env: env(), encoding: 'utf8' });
    expect(psql('dify', 'SELECT count(*) FROM accounts')).toBe('500');

    // The drill: the same backup into scratch databases, production untouched.
    psql('dify', 'INSERT INTO accounts VALUES (501, \'after backup\')');
    execFileSync('sh', [script('pgvector', 'restore.sh'), stamp], {
      env: { ...env(), DB_DATABASE: 'dify_drill', DB_PLUGIN_DATABASE: 'dify_plugin_drill', SOURCE_DATABASE: 'dify', SOURCE_PLUGIN_DATABASE: 'dify_plugin', STORAGE_DIR: '', PLUGIN_STORAGE_DIR: '', PGVECTOR_HOST: '' },
      encoding: 'utf8',
    });
    expect(psql('dify_drill', 'SELECT count(*) FROM accounts')).toBe('500');
    expect(psql('dify', 'SELECT count(*) FROM accounts')).toBe('501');
  });

  it('a store that is not in the backup (Weaviate): restore marks the high-quality knowledge bases for flask vdb-migrate', () => {
    const noVectors = { ...env(), PGVECTOR_HOST: '', BACKUP_DIR: join(dir, 'backups-weaviate') };
    execFileSync('sh', [script('weaviate', 'backup.sh')], { env: noVectors, encoding: 'utf8' });
    const [stamp] = readdirSync(noVectors.BACKUP_DIR);
    expect(readdirSync(join(noVectors.BACKUP_DIR, stamp))).not.toContain('pgvector.dump');
    psql('postgres', 'DROP DATABASE dify WITH (FORCE)');

    const out = execFileSync('sh', [script('weaviate', 'restore.sh'), stamp], { env: noVectors, encoding: 'utf8' });
    expect(psql('dify', 'SELECT count(*) FROM accounts')).toBe('501');
    // vdb-migrate skips a dataset whose index_struct names the configured store: both high-quality ones are cleared, economy kept.
    expect(marked()).toEqual(['high_quality', 'high_quality']);
    expect(psql('dify', "SELECT index_struct FROM datasets WHERE indexing_technique = 'economy'")).toBe('{"type": "keyword_table"}');
    expect(out).toContain('rebuild the vector store: flask vdb-migrate (RUNBOOK.md)');

    // VECTOR_REINDEX=0 (the store restored from its own snapshot): the index structs stay as backed up.
    execFileSync('sh', [script('weaviate', 'restore.sh'), stamp], { env: { ...noVectors, VECTOR_REINDEX: '0' }, encoding: 'utf8' });
    expect(marked()).toEqual([]);
  });

  it('refuses to dump with a pg_dump older than the server, naming both versions; nothing written', () => {
    // A client one major version behind the real server: the shape of "external PG 17, pg_dump 15".
    const serverMajor = Number(psql('postgres', 'SHOW server_version_num')) / 10000 | 0;
    const shim = mkdtempSync(join(tmpdir(), 'dd-oldclient-'));
    writeFileSync(join(shim, 'pg_dump'), `#!/bin/sh\necho "pg_dump (PostgreSQL) ${serverMajor - 1}.9"\n`, { mode: 0o755 });
    const backups = join(dir, 'backups-old-client');
    let stderr = '';
    try {
      execFileSync('sh', [script('pgvector', 'backup.sh')], { env: { ...env(), PATH: `${shim}:${pg.binDir}:${process.env.PATH}`, BACKUP_DIR: backups }, stdio: 'pipe' });
    } catch (e) {
      stderr = String((e as { stderr: Buffer }).stderr);
    }
    expect(stderr).toContain(`pg_dump ${serverMajor - 1} is older than the PostgreSQL ${serverMajor} server`);
    expect(stderr).toContain(`database.serverVersion: ${serverMajor}`);
    expect(() => readdirSync(backups)).toThrow();
  });

  it('checks the pgvector server too: a newer one than the client is refused before anything is written', () => {
    // The real server stands in for both; psql answers for the pgvector role as a server one major newer
    // (the shape of postgres:15 for the metadata DB beside pgvector/pgvector:pg16).
    psql('postgres', 'CREATE ROLE vector_owner LOGIN SUPERUSER');
    const serverNum = Number(psql('postgres', 'SHOW server_version_num'));
    const realPsql = execFileSync('sh', ['-c', 'command -v psql'], { env: env(), encoding: 'utf8' }).trim();
    const shim = mkdtempSync(join(tmpdir(), 'dd-newvector-'));
    writeFileSync(join(shim, 'psql'), `#!/bin/sh\ncase "$*" in *--username=vector_owner*server_version_num*) echo ${serverNum + 10000};; *) exec ${realPsql} "$@";; esac\n`, { mode: 0o755 });
    const backups = join(dir, 'backups-new-vector');
    const r = spawnSync('sh', [script('pgvector', 'backup.sh')], { env: { ...env(), PATH: `${shim}:${pg.binDir}:${process.env.PATH}`, BACKUP_DIR: backups, PGVECTOR_USER: 'vector_owner' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`older than the PostgreSQL ${Math.floor(serverNum / 10000) + 1} server (the pgvector store at ${pg.host})`);
    expect(() => readdirSync(backups)).toThrow();
  });

  it('refuses a backup that does not exist', () => {
    expect(() => execFileSync('sh', [script('weaviate', 'restore.sh'), '19990101T000000Z'], { env: env(), stdio: 'pipe' })).toThrow(/no backup/);
  });
});

describe('the vector store after a restore', () => {
  const ctxFor = (input: Record<string, unknown>, target: 'compose' | 'helm' = 'compose', version?: string) => {
    const sp = specSchema.parse({ tier: '10qps', ...input, ...(version ? { release: version } : {}) });
    const rel = loadRelease(sp.release);
    return { spec: sp, release: rel, plan: planFor(sp, target, rel), secrets: {} };
  };
  const major = (image: string) => Number(/:\D*(\d+)/.exec(image)![1]);

  it.each(releaseVersions())('%s, compose with bundled pgvector: dumped, by a client no older than the metadata DB or the pgvector server', (version) => {
    const c = ctxFor({ vectorStore: { type: 'pgvector' } }, 'compose', version);
    expect(vectorStoreRecovery(c)).toBe('dump');
    const service = backupComposeService(c) as { image: string; environment: Record<string, string> };
    expect(service.environment).toMatchObject({ PGVECTOR_HOST: '${PGVECTOR_HOST}', PGVECTOR_PASSWORD: '${PGVECTOR_PASSWORD}' });
    expect(major(service.image)).toBeGreaterThanOrEqual(Math.max(major(c.release.images.postgres), major(c.release.images.pgvector)));
    expect(service.image).toMatch(/^postgres:/);
    const runbook = renderRunbook(c, ['compose']).content;
    expect(runbook).toContain('pgvector.dump');
    expect(runbook).not.toContain('vdb-migrate');
  });

  it('bundled pgvector beside MySQL: the MySQL client image has no pg_dump, so the store is re-indexed instead', () => {
    const c = ctxFor({ database: { engine: 'mysql' }, vectorStore: { type: 'pgvector' } });
    expect(vectorStoreRecovery(c)).toBe('reindex');
    expect(backupComposeService(c).environment).not.toHaveProperty('PGVECTOR_HOST');
    const [, restore] = renderBackupScripts(c);
    expect(restore.content).toMatch(/mysql .*"\$DB_DATABASE" -e "\$mark"/);
  });

  it.each(['weaviate', 'qdrant', 'milvus', 'elasticsearch', 'opensearch', 'chroma'])('bundled %s: the runbook says it is rebuilt, and restores run flask vdb-migrate on both targets', (type) => {
    const c = ctxFor({ vectorStore: { type } });
    expect(vectorStoreRecovery(c)).toBe('reindex');
    const runbook = renderRunbook(c, ['compose', 'helm']).content;
    expect(runbook).toContain(`Not in it: the vector store (${type}, bundled)`);
    expect(runbook).toContain('docker compose exec api flask vdb-migrate');
    expect(runbook).toContain('kubectl -n dify exec deploy/dify-api -- flask vdb-migrate');
    expect(runbook).toContain('VECTOR_REINDEX=0');
    const [backup, restore] = renderBackupScripts(c);
    expect(backup.content).toContain('rebuilt from the database after a restore');
    expect(restore.content).toContain("UPDATE datasets SET index_struct = NULL WHERE indexing_technique = 'high_quality'");
  });

  const helm = helmBinary();
  it.skipIf(!helm || !UPSTREAM_REQUIRED)('helm: the runbook\'s deploy/dify-api is the chart\'s api Deployment (real helm template), running the api image', async () => {
    const c = ctxFor({ targets: ['helm'], storage: { type: 's3', bucket: 'b', region: 'r', useIam: true } }, 'helm');
    const values = renderHelm({ ...c, secrets: resolveSecrets({}, c.spec) }).find((f) => f.path === 'helm/values.yaml')!.content;
    const dir = mkdtempSync(join(tmpdir(), 'dd-runbook-helm-'));
    writeFileSync(join(dir, 'values.yaml'), values);
    const r = await runHelm(['template', 'dify', chartDir(c.release.helm.version), '--namespace', 'dify', '-f', join(dir, 'values.yaml')]);
    expect(r.code, r.stderr).toBe(0);
    const target = /exec deploy\/(\S+) -- flask vdb-migrate/.exec(renderRunbook(c, ['helm']).content)![1];
    const deployment = parseManifests(r.stdout).find((o) => o.kind === 'Deployment' && o.metadata.name === target);
    expect(deployment?.spec.template.spec.containers[0].image).toBe(c.release.images.api);
    rmSync(dir, { recursive: true, force: true });
  });
});
