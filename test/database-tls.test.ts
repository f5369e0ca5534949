// database.sslMode reaches every process that connects to the external PostgreSQL itself: the
// plugin daemon as DB_SSL_MODE, the api image and pg_dump as libpq's PGSSLMODE — on compose
// (each service's effective env) and on Helm (`helm template` with the real chart, container env
// over envFrom). Processes behind PgBouncer talk to PgBouncer, which takes the mode to the server.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadRelease } from '../src/core/data.js';
import { runCli } from './helpers/cli.js';
import { effectiveEnv } from './helpers/compose-env.js';
import { chartDir, runHelm } from './helpers/helm.js';
import { containerEnv, parseManifests, type K8sObject } from './helpers/k8s.js';

const HOST = 'pg.internal';
/** The images whose processes open connections to the metadata database (the api image, the plugin daemon, pg_dump's). */
const DB_CLIENTS = /dify-api|dify-plugin-daemon|postgres/;
const RELEASE = '1.16.1';

async function render(sslMode: string, pooler: string, target: 'compose' | 'helm') {
  const dir = mkdtempSync(join(tmpdir(), 'dd-dbtls-'));
  const storage = target === 'helm' ? 'storage:\n  type: s3\n  bucket: b\n  region: r\n  useIam: true\n' : '';
  writeFileSync(
    join(dir, 'dify-deploy.yaml'),
    `tier: 50qps\nrelease: ${RELEASE}\n${storage}database:\n  mode: external\n  host: ${HOST}\n  user: dify\n  password: pw-Long-Pass-0123\n  maxConnections: 5000\n  sslMode: ${sslMode}\n  pooler: ${pooler}\n`,
  );
  const r = await runCli(['render', '--config', join(dir, 'dify-deploy.yaml'), '--target', target, '--out', join(dir, 'out')]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return join(dir, 'out');
}

/** What a process connecting to `DB_HOST` with these env must be told. */
function expectTls(who: string, env: Record<string, string>, sslMode: string) {
  if (env.DB_HOST !== HOST) {
    expect(env.PGSSLMODE, `${who} (via ${env.DB_HOST})`).toBeUndefined();
    return;
  }
  const daemon = /plugin.daemon/.test(who);
  expect(daemon ? env.DB_SSL_MODE : env.PGSSLMODE, who).toBe(sslMode);
}

describe('database.sslMode', () => {
  for (const pooler of ['none', 'pgbouncer'])
    for (const sslMode of ['require', 'verify-full']) {
      it(`compose, pooler ${pooler}, ${sslMode}`, async () => {
        const out = await render(sslMode, pooler, 'compose');
        const dotenv = readFileSync(join(out, '.env'), 'utf8');
        const services = parse(readFileSync(join(out, 'docker-compose.yaml'), 'utf8')).services as Record<string, never>;
        const direct = Object.entries(services).filter(([, svc]) => effectiveEnv(svc, dotenv).DB_HOST === HOST);
        expect(direct.map(([n]) => n)).toEqual(expect.arrayContaining(pooler === 'none' ? ['api', 'worker', 'plugin_daemon', 'migrate', 'backup'] : ['migrate', 'backup']));
        for (const [name, svc] of Object.entries(services)) if (DB_CLIENTS.test((svc as { image: string }).image) && name !== 'pgbouncer') expectTls(name, effectiveEnv(svc, dotenv), sslMode);
        if (pooler === 'pgbouncer') expect(readFileSync(join(out, 'pgbouncer', 'pgbouncer.ini'), 'utf8')).toMatch(new RegExp(`server_tls_sslmode\\s*=\\s*${sslMode}`));
      });

      it(`helm template, pooler ${pooler}, ${sslMode}`, async () => {
        const out = await render(sslMode, pooler, 'helm');
        const template = await runHelm(['template', 'dify', chartDir(loadRelease(RELEASE).helm.version), '--namespace', 'dify', '-f', join(out, 'helm', 'values.yaml')]);
        expect(template.code, template.stderr).toBe(0);
        const objects = parseManifests(template.stdout);
        const extra = ['migration-job.yaml', 'backup-cronjob.yaml', 'pgbouncer.yaml', 'credentials.yaml'].flatMap((f) => {
          try {
            return parseAllDocuments(readFileSync(join(out, 'helm', 'extra', f), 'utf8')).map((d) => d.toJSON() as K8sObject);
          } catch {
            return [];
          }
        });
        const podSpec = (o: K8sObject) => (o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec?.template?.spec);
        let direct = 0;
        // The chart's `helm test` hook is not part of the deployment.
        for (const o of [...objects, ...extra].filter((x) => ['Deployment', 'Job', 'CronJob'].includes(x.kind) && !x.metadata.annotations?.['helm.sh/hook']))
          for (const c of (podSpec(o)?.containers ?? []).filter((x: { image: string }) => DB_CLIENTS.test(x.image))) {
            const { env } = containerEnv(c, [...objects, ...extra]);
            if (env.DB_HOST === HOST) direct++;
            if (env.DB_HOST) expectTls(`${o.metadata.name}/${c.name}`, env, sslMode);
          }
        expect(direct).toBeGreaterThan(0);
      });
    }
});
