// The generated backup and restore scripts, run for real against PostgreSQL: dump both
// databases and the storage, lose everything, restore, and run the drill into scratch DBs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRelease } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { specSchema } from '../src/core/spec.js';
import { NEWEST_POSTGRES_MAJOR, renderBackupCronJob, renderBackupScripts, renderRunbook, backupComposeService } from '../src/render/recovery.js';
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

  beforeAll(async () => {
    pg = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), 'dd-backup-'));
    for (const f of renderBackupScripts(ctx)) {
      mkdirSync(join(dir, 'backup'), { recursive: true });
      writeFileSync(join(dir, f.path), f.content, { mode: f.mode });
    }
    mkdirSync(join(dir, 'storage', 'upload_files'), { recursive: true });
    writeFileSync(join(dir, 'storage', 'upload_files', 'doc.txt'), 'knowledge');
    mkdirSync(join(dir, 'plugins'), { recursive: true });
    writeFileSync(join(dir, 'plugins', 'plugin.bin'), 'plugin');
    psql('postgres', 'CREATE DATABASE dify');
    psql('postgres', 'CREATE DATABASE dify_plugin');
    psql('dify', "CREATE TABLE accounts (id int primary key, name text); INSERT INTO accounts SELECT g, 'user' || g FROM generate_series(1, 500) g");
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

    const out = execFileSync('sh', [join(dir, 'backup/backup.sh')], { env: env(), encoding: 'utf8' });
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

    execFileSync('sh', [join(dir, 'backup/restore.sh'), stamp], { env: env(), encoding: 'utf8' });
    expect(psql('dify', 'SELECT count(*) FROM accounts')).toBe('500');
    expect(psql('dify_plugin', 'SELECT id FROM plugins')).toBe('langgenius/openai');
    expect(psql('dify_vectors', 'SELECT count(*) FROM embedding_doc')).toBe('50');
    expect(readFileSync(join(dir, 'storage', 'upload_files', 'doc.txt'), 'utf8')).toBe('knowledge');
    expect(readFileSync(join(dir, 'plugins', 'plugin.bin'), 'utf8')).toBe('plugin');

    // Restoring twice over live databases is idempotent (--clean --if-exists).
    execFileSync('sh', [join(dir, 'backup/restore.sh'), stamp], { env: env(), encoding: 'utf8' });
    expect(psql('dify', 'SELECT count(*) FROM accounts')).toBe('500');

    // The drill: the same backup into scratch databases, production untouched.
    psql('dify', 'INSERT INTO accounts VALUES (501, \'after backup\')');
    execFileSync('sh', [join(dir, 'backup/restore.sh'), stamp], {
      env: { ...env(), DB_DATABASE: 'dify_drill', DB_PLUGIN_DATABASE: 'dify_plugin_drill', SOURCE_DATABASE: 'dify', SOURCE_PLUGIN_DATABASE: 'dify_plugin', STORAGE_DIR: '', PLUGIN_STORAGE_DIR: '', PGVECTOR_HOST: '' },
      encoding: 'utf8',
    });
    expect(psql('dify_drill', 'SELECT count(*) FROM accounts')).toBe('500');
    expect(psql('dify', 'SELECT count(*) FROM accounts')).toBe('501');
  });

  it('refuses to dump with a pg_dump older than the server, naming both versions; nothing written', () => {
    // A client one major version behind the real server: the shape of "external PG 17, pg_dump 15".
    const serverMajor = Number(psql('postgres', 'SHOW server_version_num')) / 10000 | 0;
    const shim = mkdtempSync(join(tmpdir(), 'dd-oldclient-'));
    writeFileSync(join(shim, 'pg_dump'), `#!/bin/sh\necho "pg_dump (PostgreSQL) ${serverMajor - 1}.9"\n`, { mode: 0o755 });
    const backups = join(dir, 'backups-old-client');
    let stderr = '';
    try {
      execFileSync('sh', [join(dir, 'backup/backup.sh')], { env: { ...env(), PATH: `${shim}:${pg.binDir}:${process.env.PATH}`, BACKUP_DIR: backups }, stdio: 'pipe' });
    } catch (e) {
      stderr = String((e as { stderr: Buffer }).stderr);
    }
    expect(stderr).toContain(`pg_dump ${serverMajor - 1} is older than the PostgreSQL ${serverMajor} server`);
    expect(stderr).toContain(`database.serverVersion: ${serverMajor}`);
    expect(() => readdirSync(backups)).toThrow();
  });

  it('refuses a backup that does not exist', () => {
    expect(() => execFileSync('sh', [join(dir, 'backup/restore.sh'), '19990101T000000Z'], { env: env(), stdio: 'pipe' })).toThrow(/no backup/);
  });
});

describe('the bundled vector store in the backup', () => {
  it('compose with bundled pgvector: the backup service gets its connection, the runbook says it is covered', () => {
    const sp = specSchema.parse({ tier: '10qps', vectorStore: { type: 'pgvector' } });
    const c = { spec: sp, release, plan: planFor(sp, 'compose'), secrets: {} };
    expect(backupComposeService(c).environment).toMatchObject({ PGVECTOR_HOST: '${PGVECTOR_HOST}', PGVECTOR_PASSWORD: '${PGVECTOR_PASSWORD}' });
    expect(renderRunbook(c, ['compose']).content).toContain('pgvector.dump');
  });
  it('another bundled store: the runbook says it is not in the backup and how to cover it', () => {
    expect(renderRunbook(ctx, ['compose']).content).toMatch(/Not in it: the vector store \(weaviate, bundled\)/);
  });
});
