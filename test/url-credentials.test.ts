// Passwords inside URLs (Celery's broker, the agent backend's Redis, DSNs): whatever characters
// the password holds, the URL each Dify process reads parses to the right host and the same
// password — checked on compose's .env and on what `helm template` gives the pods (real Helm,
// the real chart, container env over envFrom as the kubelet applies it). validate finds a URL
// that does not parse, or that holds a stale password, in any variable of any process.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseEnv } from 'dotenv';
import { loadRelease } from '../src/core/data.js';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { chartDir, runHelm } from './helpers/helm.js';
import { containerEnv, parseManifests } from './helpers/k8s.js';
import { describeUpstream } from './helpers/upstream.js';
import { userDeployment } from './helpers/user-deployments.js';

// Reserved in a URL's authority, and the characters users put in generated passwords.
const PASSWORDS = ['Redis+Tok/en=42', 'p@ss:w#rd?%41', 'plain4242plain'];

function urlParts(url: string) {
  const u = new URL(url);
  return { protocol: u.protocol, host: u.hostname, password: decodeURIComponent(u.password) };
}

async function renderSpec(spec: string, target: 'compose' | 'helm') {
  const dir = mkdtempSync(join(tmpdir(), 'dd-url-'));
  writeFileSync(join(dir, 'dify-deploy.yaml'), spec);
  const r = await runCli(['render', '--config', join(dir, 'dify-deploy.yaml'), '--target', target, '--out', join(dir, 'out')]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return join(dir, 'out');
}

const redisSpec = (password: string) =>
  `tier: 10qps\nrelease: 1.16.1\nstorage:\n  type: s3\n  bucket: b\n  region: r\n  useIam: true\nredis:\n  mode: external\n  host: redis.internal\n  password: ${JSON.stringify(password)}\n  useSsl: true\n`;

describe('a Redis password with URL-reserved characters', () => {
  for (const password of PASSWORDS) {
    it(`compose: ${password}`, async () => {
      const out = await renderSpec(redisSpec(password), 'compose');
      const env = parseEnv(readFileSync(join(out, '.env'), 'utf8'));
      for (const name of ['CELERY_BROKER_URL', 'DIFY_AGENT_REDIS_URL'])
        if (env[name]) expect(urlParts(env[name]), name).toEqual({ protocol: 'rediss:', host: 'redis.internal', password });
      expect(env.BROKER_USE_SSL).toBe('true');
      const v = await runCli(['validate', out, '--format', 'json']);
      expect(JSON.parse(v.stdout).diagnostics.filter((d: { rule: string }) => d.rule === 'secret-mismatch')).toEqual([]);
    });

    it(`helm template: ${password}`, async () => {
      const out = await renderSpec(redisSpec(password), 'helm');
      const values = join(out, 'helm', 'values.yaml');
      const template = await runHelm(['template', 'dify', chartDir(loadRelease('1.16.1').helm.version), '--namespace', 'dify', '-f', values]);
      expect(template.code, template.stderr).toBe(0);
      // The credentials Secret (helm/extra/credentials.yaml) carries the URLs with the password inside.
      const objects = [...parseManifests(template.stdout), ...parseManifests(readFileSync(join(out, 'helm', 'extra', 'credentials.yaml'), 'utf8'))];
      const pods = objects.filter((o) => o.kind === 'Deployment' && ['api', 'worker', 'beat', 'agent-backend'].includes(o.spec.template.metadata.labels?.component));
      expect(pods.length).toBeGreaterThanOrEqual(3);
      for (const pod of pods) {
        const { env } = containerEnv(pod.spec.template.spec.containers[0], objects);
        for (const name of ['CELERY_BROKER_URL', 'DIFY_AGENT_REDIS_URL'])
          if (env[name]) expect(urlParts(env[name]), `${pod.metadata.name} ${name}`).toEqual({ protocol: 'rediss:', host: 'redis.internal', password });
        if (env.CELERY_BROKER_URL) expect(env.BROKER_USE_SSL, pod.metadata.name).toBe('true');
      }
      const v = await runCli(['validate', '--helm-values', values, '--format', 'json']);
      expect(JSON.parse(v.stdout).diagnostics.filter((d: { rule: string }) => d.rule === 'secret-mismatch')).toEqual([]);
    });
  }

  it.each(PASSWORDS)('helm template, Redis Sentinel: the broker uses Sentinel, the agent backend the master (%s)', async (password) => {
    const spec = `tier: 10qps\nrelease: 1.16.1\nstorage:\n  type: s3\n  bucket: b\n  region: r\n  useIam: true\nredis:\n  mode: external\n  topology: sentinel\n  sentinels: [s1.internal:26379, s2.internal:26379]\n  sentinelMasterName: mymaster\n  host: redis-primary.internal\n  password: ${JSON.stringify(password)}\n`;
    const out = await renderSpec(spec, 'helm');
    const template = await runHelm(['template', 'dify', chartDir(loadRelease('1.16.1').helm.version), '--namespace', 'dify', '-f', join(out, 'helm', 'values.yaml')]);
    expect(template.code, template.stderr).toBe(0);
    const objects = [...parseManifests(template.stdout), ...parseManifests(readFileSync(join(out, 'helm', 'extra', 'credentials.yaml'), 'utf8'))];
    const pod = (component: string) => objects.find((o) => o.kind === 'Deployment' && o.spec.template.metadata.labels?.component === component)!;
    const envOf = (component: string) => containerEnv(pod(component).spec.template.spec.containers[0], objects).env;
    // Dify's agent backend reads a plain Redis URL (no sentinel:// scheme): the chart's own sentinel URLs would not connect.
    expect(urlParts(envOf('agent-backend').DIFY_AGENT_REDIS_URL)).toEqual({ protocol: 'redis:', host: 'redis-primary.internal', password });
    const broker = envOf('worker').CELERY_BROKER_URL.split(';').map(urlParts);
    expect(broker).toEqual(['s1.internal', 's2.internal'].map((host) => ({ protocol: 'sentinel:', host, password })));
  });

  it('validate --helm-values: the chart would write it raw into the broker URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dd-url-'));
    const values = join(dir, 'values.yaml');
    writeFileSync(values, 'externalRedis:\n  enabled: true\n  host: redis.internal\n  password: "Redis+Tok/en=42"\nredis:\n  enabled: false\n');
    const v = await runCli(['validate', '--helm-values', values, '--release', '1.16.1', '--format', 'json']);
    const found = JSON.parse(v.stdout).diagnostics.filter((d: { rule: string; message: string }) => d.rule === 'secret-mismatch' && /writes it unencoded/.test(d.message));
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(found[0]).toMatchObject({ file: values, line: 4 });
  });
});

describeUpstream('validate: URLs that embed the Redis or database password', () => {
  const withEnv = (edit: (env: string) => string) => {
    const dir = userDeployment('1.16.1', []);
    writeFileSync(join(dir, '.env'), edit(readFileSync(join(dir, '.env'), 'utf8')));
    return dir;
  };
  const findings = async (dir: string) =>
    JSON.parse((await runCli(['validate', dir, '--format', 'json'])).stdout).diagnostics.filter((d: { rule: string }) => d.rule === 'secret-mismatch') as { message: string }[];

  it('a stale password in DIFY_AGENT_REDIS_URL, in CELERY_BROKER_URL, in a DSN of the database', async () => {
    const password = (env: string, name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(env)![1];
    const agent = withEnv((e) => e.replace(/^DIFY_AGENT_REDIS_URL=.*$/m, 'DIFY_AGENT_REDIS_URL=redis://:old-password@redis:6379/2'));
    expect((await findings(agent)).map((d) => d.message).join('\n')).toMatch(/DIFY_AGENT_REDIS_URL password does not match/);
    const broker = withEnv((e) => e.replace(/^CELERY_BROKER_URL=.*$/m, 'CELERY_BROKER_URL=redis://:old-password@redis:6379/1'));
    expect((await findings(broker)).map((d) => d.message).join('\n')).toMatch(/CELERY_BROKER_URL password does not match/);
    const good = withEnv((e) => `${e}\nSQLALCHEMY_DATABASE_URI_CHECK=postgresql://postgres:${encodeURIComponent(password(e, 'DB_PASSWORD'))}@db_postgres:5432/dify\n`);
    expect(await findings(good)).toEqual([]);
  });

  it('a URL whose password is not URL-encoded', async () => {
    const dir = withEnv((e) => e.replace(/^CELERY_BROKER_URL=.*$/m, 'CELERY_BROKER_URL=redis://:Redis+Tok/en=42@redis:6379/1'));
    expect((await findings(dir)).map((d) => d.message).join('\n')).toMatch(/CELERY_BROKER_URL is not a URL its client can read/);
  });
});
