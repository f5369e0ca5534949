// Production topology in the compose output, over every tier and release: migrations run
// once before the app, backups are scheduled from the RPO, HA replicas and observability
// settings reach the files.
import { describe, expect, it } from 'vitest';
import { parse as parseEnv } from 'dotenv';
import { parse as parseYaml } from 'yaml';
import { releaseVersions, tierNames } from '../src/core/data.js';
import { specSchema } from '../src/core/spec.js';
import { renderFiles } from '../src/render/index.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { withStateChoices } from './helpers/state-choices.js';

const matrix = tierNames().flatMap((tier) => releaseVersions().map((release) => ({ tier, release })));

describe.each(matrix)('compose topology: $tier on $release', ({ tier, release }) => {
  const spec = specSchema.parse(withStateChoices({ tier, release, recovery: { rpoMinutes: 240, retentionDays: 14 }, observability: { otlpEndpoint: 'http://otel:4318' } }));
  const { files, plans } = renderFiles(spec, 'compose', resolveSecrets({}));
  const plan = plans[0];
  const file = (path: string) => files.find((f) => f.path === path)!.content;
  const compose = parseYaml(file('docker-compose.yaml')) as { services: Record<string, Record<string, any>> };
  const env = parseEnv(file('.env'));

  it('migrates once, before every Dify API process starts', () => {
    const migrate = compose.services.migrate;
    // Behind a pooler the migration goes straight to PostgreSQL (Alembic needs one session); .env names the pooler.
    const direct = plan.database.pooler ? { DB_HOST: 'db_postgres', DB_PORT: '5432' } : {};
    expect(migrate.environment).toEqual({ MODE: 'migration', MIGRATION_ENABLED: 'true', ...direct });
    if (plan.database.pooler) expect([env.DB_HOST, compose.services.backup.environment.DB_HOST]).toEqual(['pgbouncer', 'db_postgres']);
    expect(migrate.restart).toBe('no');
    expect(migrate.deploy).toBeUndefined();
    expect(env.MIGRATION_ENABLED).toBe('false');
    for (const name of ['api', 'api_websocket', 'worker', 'worker_beat'].filter((n) => compose.services[n])) {
      expect(compose.services[name].depends_on.migrate).toEqual({ condition: 'service_completed_successfully' });
      expect(compose.services[name].environment?.MIGRATION_ENABLED).toBeUndefined();
    }
  });

  it('backs up on a schedule that meets the RPO, keeping the retention', () => {
    const backup = compose.services.backup;
    expect(backup.entrypoint.join(' ')).toContain(`${plan.recovery.schedule} /bin/sh /backup/backup.sh`);
    expect(plan.recovery.schedule).toBe('0 */4 * * *');
    expect(backup.environment.BACKUP_RETENTION_DAYS).toBe('14');
    expect(backup.volumes).toContain('./backup:/backup:ro');
    expect(backup.depends_on.db_postgres.condition).toBe('service_healthy');
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['backup/backup.sh', 'backup/restore.sh', 'RUNBOOK.md']));
    expect(file('RUNBOOK.md')).toMatch(/RPO \(data you may lose\) \| 240 min/);
  });

  it('every file a service mounts or reads is rendered (only ./volumes/ is data, created at start)', () => {
    const rendered = files.map((f) => f.path);
    for (const [name, svc] of Object.entries(compose.services)) {
      const sources = [
        ...((svc.volumes ?? []) as string[]).map((v) => v.split(':')[0]),
        ...((svc.env_file ?? []) as (string | { path: string })[]).map((e) => (typeof e === 'string' ? e : e.path)),
      ].filter((src) => src.startsWith('./') && !src.startsWith('./volumes/'));
      for (const src of sources) {
        const rel = src.slice(2);
        expect(rendered.some((p) => p === rel || p.startsWith(`${rel}/`)), `${name} mounts ${src}`).toBe(true);
      }
    }
  });

  it('runs the HA replica counts and the observability settings', () => {
    for (const c of plan.components) if (compose.services[c.name] && c.name !== 'nginx') expect(compose.services[c.name].deploy.replicas).toBe(c.replicas);
    if (plan.highAvailability) for (const n of ['api', 'web', 'worker', 'plugin_daemon']) expect(compose.services[n].deploy.replicas).toBeGreaterThanOrEqual(2);
    expect(env).toMatchObject({ LOG_OUTPUT_FORMAT: 'json', ENABLE_OTEL: 'true', OTLP_BASE_ENDPOINT: 'http://otel:4318' });
    expect(file('nginx/nginx.conf')).toMatch(/access_log \/var\/log\/nginx\/access\.log json;/);
  });
});
