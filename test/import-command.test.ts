// dify-deploy import as a command: what it writes (and where it refuses to), what it reports,
// what it refuses with file and line, and an imported upstream 1.13.3 upgraded to 1.16.1.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { parseComposeEnv } from './helpers/compose-dotenv.js';
import { describeUpstream, UPSTREAM } from './helpers/upstream.js';
import { userDeployment } from './helpers/user-deployments.js';

// Every case adopts or copies upstream's own docker/ files: skipped with the fixtures outside CI.
describeUpstream('dify-deploy import', () => {
  it('upstream 1.13.3 with custom settings: spec with only non-defaults, current sizing, secrets 0600 and never printed', async () => {
    const src = userDeployment('1.13.3', ['sizing', 'domain', 'app', 'nginx']);
    const out = `${src}-adopted`;
    const r = await runCli(['import', src, '--out', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const env = readFileSync(join(src, '.env'), 'utf8');
    const secret = /^SECRET_KEY=(.*)$/m.exec(env)![1];
    expect(r.stdout).not.toContain(secret);
    expect(r.stdout).toMatch(/Release: 1\.13\.3 \(image tag 1\.13\.3/);
    expect(r.stdout).toMatch(/current \(overrides\)\s+160/);
    const spec = parse(readFileSync(join(out, 'dify-deploy.yaml'), 'utf8'));
    expect(spec).toMatchObject({ release: '1.13.3', domain: { host: 'dify.example.com', tls: 'own' }, overrides: { database: { maxConnections: 600 } } });
    expect(spec.overrides.components.api).toMatchObject({ replicas: 1, processesPerReplica: 4, connectionsPerProcess: 40, poolSize: 30, maxOverflow: 10 });
    expect(spec.overrides.env).toMatchObject({ LOG_LEVEL: 'DEBUG', UPLOAD_FILE_SIZE_LIMIT: '50', SERVICE_API_URL: 'https://api.dify.example.com' });
    // Defaults are not settings.
    expect(spec.overrides.env).not.toHaveProperty('LOG_FILE');
    expect(JSON.stringify(spec)).not.toContain(secret);
    const store = join(out, '.dify-deploy', 'secrets.env');
    expect(statSync(store).mode & 0o777).toBe(0o600);
    expect(readFileSync(store, 'utf8')).toContain(`SECRET_KEY=${secret}`);
    // Nothing written into the source folder.
    expect(existsSync(join(src, 'dify-deploy.yaml'))).toBe(false);
    expect(existsSync(join(src, '.dify-deploy'))).toBe(false);

    // …and its upgrade to 1.16.1: the diff, then validate is clean and the secrets are the same.
    const dry = await runCli(['upgrade', '--to', '1.16.1', '--config', join(out, 'dify-deploy.yaml'), '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/services: \+ api_websocket, agent_backend, local_sandbox/);
    expect(dry.stdout).toMatch(/layout: shared-env-anchor → env-file/);
    expect(existsSync(join(out, 'docker-compose.yaml'))).toBe(false);
    const up = await runCli(['upgrade', '--to', '1.16.1', '--config', join(out, 'dify-deploy.yaml'), '--yes']);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(readFileSync(join(out, '.env'), 'utf8')).toMatch(new RegExp(`^SECRET_KEY=${secret.replace(/[-]/g, '\\-')}$`, 'm'));
    const v = await runCli(['validate', out, '--format', 'json']);
    expect(JSON.parse(v.stdout).diagnostics.filter((d: { severity: string }) => d.severity === 'error')).toEqual([]);
  });

  it('a hand-edited .env is read as Docker Compose reads it: `#` inside an unquoted password, escapes in double quotes, CRLF and a BOM', async () => {
    const src = userDeployment('1.16.1', ['app']);
    const password = 'Kx9#mQ2vLr8pZt4wNy7s';
    const edited = readFileSync(join(src, '.env'), 'utf8')
      .replace(/^DB_PASSWORD=.*$/m, `DB_PASSWORD=${password}`)
      .replace(/^SMTP_SERVER=.*$/m, 'export SMTP_SERVER="smtp.example.com\\\\relay"');
    writeFileSync(join(src, '.env'), '\uFEFF' + edited.replace(/\n/g, '\r\n'));
    const expected = parseComposeEnv(readFileSync(join(src, '.env'), 'utf8'));
    expect(expected).toMatchObject({ DB_PASSWORD: password, SMTP_SERVER: 'smtp.example.com\\relay' });
    const v = await runCli(['validate', src, '--format', 'json']);
    expect(JSON.parse(v.stdout).diagnostics.filter((d: { message: string }) => /DB_PASSWORD/.test(d.message))).toEqual([]);
    const out = `${src}-adopted`;
    const r = await runCli(['import', src, '--out', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(password);
    expect(parseComposeEnv(readFileSync(join(out, '.dify-deploy', 'secrets.env'), 'utf8')).DB_PASSWORD).toBe(password);
    expect(parse(readFileSync(join(out, 'dify-deploy.yaml'), 'utf8')).overrides.env.SMTP_SERVER).toBe(expected.SMTP_SERVER);
  });

  it('--dry-run writes nothing; an existing spec there is kept without --force', async () => {
    const src = userDeployment('1.15.0', ['app']);
    const out = `${src}-adopted`;
    expect((await runCli(['import', src, '--out', out, '--dry-run'])).code).toBe(0);
    expect(existsSync(out)).toBe(false);
    expect((await runCli(['import', src, '--out', out])).code).toBe(0);
    writeFileSync(join(out, 'dify-deploy.yaml'), 'release: 1.15.0\ntier: 10qps\n');
    const again = await runCli(['import', src, '--out', out]);
    expect(again.code).toBe(1);
    expect(readFileSync(join(out, 'dify-deploy.yaml'), 'utf8')).toBe('release: 1.15.0\ntier: 10qps\n');
  });

  it('refuses what the spec cannot represent, naming file and line; nothing written', async () => {
    // 1.16.1 moved to an external Redis, but the agent backend still uses the bundled one (its compose default).
    const src = userDeployment('1.16.1', []);
    const env = join(src, '.env');
    writeFileSync(env, readFileSync(env, 'utf8').replace(/^REDIS_HOST=.*$/m, 'REDIS_HOST=redis.internal'));
    const out = `${src}-adopted`;
    const r = await runCli(['import', src, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/\.env:\d+: CELERY_BROKER_URL: dify-deploy cannot reproduce it for api, .*worker.* \(it embeds a secret/);
    expect(r.stdout).toMatch(/docker-compose\.yaml:\d+: service redis \(used by (api CELERY_BROKER_URL|agent_backend DIFY_AGENT_REDIS_URL)\)/);
    expect(r.stdout).not.toContain(/^REDIS_PASSWORD=(.*)$/m.exec(readFileSync(env, 'utf8'))![1]);
    expect(existsSync(out)).toBe(false);
    // A fork's image cannot be pinned by the spec.
    const fork = userDeployment('1.14.2', []);
    const compose = join(fork, 'docker-compose.yaml');
    writeFileSync(compose, readFileSync(compose, 'utf8').replace('image: langgenius/dify-web:1.14.2', 'image: registry.example.com/acme/dify-web:1.14.2'));
    const f = await runCli(['import', fork, '--out', `${fork}-adopted`]);
    expect(f.code).toBe(2);
    expect(f.stdout).toMatch(/docker-compose\.yaml:\d+: service web: image registry\.example\.com\/acme\/dify-web:1\.14\.2 is not langgenius\/dify-web/);
    // An external database without its max_connections: asks for --db-max-connections.
    const ext = userDeployment('1.15.0', []);
    const extEnv = join(ext, '.env');
    writeFileSync(extEnv, readFileSync(extEnv, 'utf8').replace(/^DB_HOST=.*$/m, 'DB_HOST=pg.internal'));
    const e = await runCli(['import', ext, '--out', `${ext}-adopted`]);
    expect(e.code).toBe(2);
    expect(e.stdout).toMatch(/\.env:\d+: DB_HOST=pg\.internal .*--db-max-connections/);
    const ok = await runCli(['import', ext, '--out', `${ext}-adopted`, '--db-max-connections', '300', '--json']);
    expect(ok.code, ok.stdout).toBe(0);
    expect(JSON.parse(ok.stdout).backends.database).toBe('postgresql external at pg.internal:5432 (max_connections 300)');
  });

  it('a live SECRET_KEY at its published value is refused as render refuses it (rotating it loses data), naming the line; a published bundled DB password is replaced with a note', async () => {
    const src = userDeployment('1.16.1', [], { envOnly: true });
    // The key upstream published in its 1.13.3 .env.example (many deployments still run it).
    const published = /^SECRET_KEY=(.+)$/m.exec(readFileSync(join(UPSTREAM, 'dify-1.13.3', 'docker', '.env.example'), 'utf8'))![1];
    const text = readFileSync(join(src, '.env'), 'utf8');
    const line = text.split('\n').findIndex((l) => l.startsWith('SECRET_KEY=')) + 1;
    writeFileSync(join(src, '.env'), text.replace(/^SECRET_KEY=.*$/m, `SECRET_KEY=${published}`).replace(/^DB_PASSWORD=.*$/m, 'DB_PASSWORD=difyai123456'));
    const refused = await runCli(['import', src, '--out', `${src}-adopted`]);
    expect(refused.code).toBe(2);
    expect(refused.stdout + refused.stderr).toMatch(new RegExp(`\\.env:${line}: SECRET_KEY: .*not rotated automatically`));
    expect(refused.stdout + refused.stderr).not.toContain(published);
    expect(existsSync(`${src}-adopted`)).toBe(false);
    // The same deployment with its own key: the published DB password is replaced, and said so.
    writeFileSync(join(src, '.env'), readFileSync(join(src, '.env'), 'utf8').replace(/^SECRET_KEY=.*$/m, 'SECRET_KEY=a-key-of-this-deployment-0123456789'));
    const adopted = await runCli(['import', src, '--out', `${src}-adopted`]);
    expect(adopted.code, adopted.stdout + adopted.stderr).toBe(0);
    expect(adopted.stdout).toMatch(/published default or empty secrets are not kept: .*DB_PASSWORD/);
  });

  it('bad input exits 2 with one message: missing folder, no deployment, output inside the source, bad flag', async () => {
    const missing = await runCli(['import', join(tmpdir(), 'dd-no-such-dir'), '--out', join(tmpdir(), 'x')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/directory not found/);
    const empty = mkdtempSync(join(tmpdir(), 'dd-import-empty-'));
    const nothing = await runCli(['import', empty, '--out', `${empty}-out`]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/nothing to validate|no dify-deploy.yaml, .env/);
    const src = mkdtempSync(join(tmpdir(), 'dd-import-src-'));
    copyFileSync(join(UPSTREAM, 'dify-1.14.2', 'docker', '.env.example'), join(src, '.env'));
    const cwd = process.cwd();
    process.chdir(src);
    try {
      const inside = await runCli(['import', '.']);
      expect(inside.code).toBe(2);
      expect(inside.stderr).toMatch(/inside the folder being imported.*--out/);
    } finally {
      process.chdir(cwd);
    }
    expect(existsSync(join(src, 'dify'))).toBe(false);
    const bad = await runCli(['import', src, '--out', `${src}-o`, '--db-max-connections', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--db-max-connections: expected an integer/);
  });
});
