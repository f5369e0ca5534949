// import keeps every setting the containers would lose without the user's line: a value equal
// to an upstream example default is dropped only when that default reaches the containers anyway
// (the compose file's own ${VAR:-default}); from 1.16 the example files are not loaded, so the
// value the user's .env carries is a setting (SMTP_USE_TLS=true there; Dify's code default is false).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { describeUpstream } from './helpers/upstream.js';
import { userDeployment } from './helpers/user-deployments.js';

async function importedEnv(version: string, extra: string, envOnly = false): Promise<Record<string, string>> {
  const src = userDeployment(version, [], { envOnly });
  writeFileSync(join(src, '.env'), `${readFileSync(join(src, '.env'), 'utf8')}\n${extra}\n`);
  const r = await runCli(['import', src, '--out', `${src}-adopted`]);
  // Upstream 1.16.1's own pools exceed its 200 connections: a problem is reported (exit 1), the spec is written all the same.
  expect([0, 1], r.stdout + r.stderr).toContain(r.code);
  return parse(readFileSync(join(`${src}-adopted`, 'dify-deploy.yaml'), 'utf8')).overrides.env ?? {};
}

describeUpstream('import: defaults are what the containers get without the line', () => {
  it('1.16.1 (env-file layout): SMTP_USE_TLS=true, an envs/*.env.example value, is kept', async () => {
    expect(await importedEnv('1.16.1', 'SMTP_USE_TLS=true')).toMatchObject({ SMTP_USE_TLS: 'true' });
    expect(await importedEnv('1.16.1', 'SMTP_USE_TLS=true', true)).toMatchObject({ SMTP_USE_TLS: 'true' });
  });

  it('1.13.3 (shared-env anchor): a value equal to the compose file\'s own default is not a setting', async () => {
    const env = await importedEnv('1.13.3', 'SMTP_USE_TLS=true');
    expect(env).not.toHaveProperty('SMTP_USE_TLS');
    expect(env).not.toHaveProperty('LOG_FILE');
  });
});

describeUpstream('import --dry-run: the current budget is the deployment\'s', () => {
  it('upstream 1.16.1 as shipped (POSTGRES_MAX_CONNECTIONS=200 in .env, the compose default 100): "current" is judged against 200 (and does not fit), as validate does', async () => {
    const { copyFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const src = mkdtempSync(join(tmpdir(), 'dd-current-'));
    const { UPSTREAM } = await import('./helpers/upstream.js');
    copyFileSync(join(UPSTREAM, 'dify-1.16.1', 'docker', '.env.example'), join(src, '.env'));
    copyFileSync(join(UPSTREAM, 'dify-1.16.1', 'docker', 'docker-compose.yaml'), join(src, 'docker-compose.yaml'));
    const r = await runCli(['import', src, '--out', `${src}-adopted`, '--dry-run', '--json']);
    const report = JSON.parse(r.stdout);
    expect(report.sizing.current.maxConnections).toBe(200);
    expect(report.sizing.current.fits).toBe(false);
  });
});
