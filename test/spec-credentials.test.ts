// Credentials never land in dify-deploy.yaml (issue 26 item 12): the wizard and import route every
// typed or adopted secret (backend passwords and keys, a password inside a URL, a secret-looking
// overrides.env variable) to .dify-deploy/secrets.env; render reads them back byte for byte; a
// spec that still holds one inline keeps rendering the same files, and render and validate say
// how to move it.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseEnv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { describeUpstream } from './helpers/upstream.js';
import { userDeployment } from './helpers/user-deployments.js';

const root = mkdtempSync(join(tmpdir(), 'dd-spec-credentials-'));
const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
const envOf = (dir: string, file = '.env') => parseEnv(read(dir, file));

/** Every credential typed into the wizard, each with characters a URL, a shell or YAML reserve. */
const TYPED = {
  db: 'Db+p@ss:w/rd=1',
  redis: 'Redis+Tok/en=42',
  qdrantKey: 'qdrant-api-key-0123456789',
  // As written inside a URL: percent-encoded.
  qdrantUrlPassword: 'Qd%2Bpass',
  busUrlPassword: 'Bus%2Fpw-77',
  s3Access: 'AKIAEXAMPLE00001',
  s3Secret: 's3/secret+key=0123456789',
  smtp: 'smtp-pa$$word #1 "quoted"',
};

const QDRANT_URL = `https://qd-user:${TYPED.qdrantUrlPassword}@qdrant.example.com:6333`;
const BUS_URL = `redis://:${TYPED.busUrlPassword}@bus.example.com:6379/0`;

const ANSWERS = `tier: 10qps
database: { mode: external, host: db.example.com, user: dify, password: ${JSON.stringify(TYPED.db)}, maxConnections: 500, sslMode: require }
redis:
  mode: external
  host: redis.example.com
  password: ${JSON.stringify(TYPED.redis)}
  eventBus: { mode: external, url: ${JSON.stringify(BUS_URL)} }
vectorStore: { type: qdrant, mode: external, url: ${JSON.stringify(QDRANT_URL)}, apiKey: ${TYPED.qdrantKey} }
storage: { type: s3, bucket: dify-files, region: eu-west-1, accessKey: ${TYPED.s3Access}, secretKey: ${JSON.stringify(TYPED.s3Secret)} }
overrides: { env: { MAIL_TYPE: smtp, SMTP_SERVER: smtp.example.com, SMTP_PASSWORD: ${JSON.stringify(TYPED.smtp)} } }
`;

/** The .env values the typed credentials must reach, exactly. */
const RENDERED = {
  DB_PASSWORD: TYPED.db,
  REDIS_PASSWORD: TYPED.redis,
  QDRANT_API_KEY: TYPED.qdrantKey,
  QDRANT_URL,
  EVENT_BUS_REDIS_URL: BUS_URL,
  S3_ACCESS_KEY: TYPED.s3Access,
  S3_SECRET_KEY: TYPED.s3Secret,
  SMTP_PASSWORD: TYPED.smtp,
};

function expectNoSecretIn(text: string, secrets: readonly string[]) {
  for (const s of secrets) {
    expect(text).not.toContain(s);
    expect(text).not.toContain(decodeURIComponent(s));
  }
}

describe('the wizard (init --answers, no terminal)', () => {
  const out = join(root, 'wizard');
  const answers = join(root, 'answers.yaml');

  it('writes a spec without a byte of any typed secret; the store holds them; .env carries them byte-identical', async () => {
    writeFileSync(answers, ANSWERS);
    const r = await runCli(['init', '--answers', answers, '--out', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const spec = read(out, 'dify-deploy.yaml');
    expectNoSecretIn(spec, Object.values(TYPED));
    // Nothing private left in it: it can be committed.
    expect(statSync(join(out, 'dify-deploy.yaml')).mode & 0o777).toBe(0o644);
    // A URL keeps its user and host; only the password left.
    expect(spec).toContain('https://qd-user@qdrant.example.com:6333');
    expect(spec).toContain('redis://bus.example.com:6379/0');
    expect(statSync(join(out, '.dify-deploy/secrets.env')).mode & 0o777).toBe(0o600);
    expect(envOf(out, '.dify-deploy/secrets.env')).toMatchObject({
      DB_PASSWORD: TYPED.db,
      REDIS_PASSWORD: TYPED.redis,
      VECTOR_STORE_API_KEY: TYPED.qdrantKey,
      VECTOR_STORE_URL_PASSWORD: TYPED.qdrantUrlPassword,
      EVENT_BUS_REDIS_URL_PASSWORD: TYPED.busUrlPassword,
      STORAGE_ACCESS_KEY: TYPED.s3Access,
      STORAGE_SECRET_KEY: TYPED.s3Secret,
      SMTP_PASSWORD: TYPED.smtp,
    });
    expect(envOf(out)).toMatchObject(RENDERED);
    expectNoSecretIn(r.stdout + r.stderr, Object.values(TYPED));
  });

  it('a re-render from that spec reads them back from the store: the same .env, no advice to move anything', async () => {
    const before = read(out, '.env');
    const r = await runCli(['render', '--config', join(out, 'dify-deploy.yaml')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(read(out, '.env')).toBe(before);
    expect(r.stdout).not.toMatch(/credential inline/);
    const v = await runCli(['validate', out, '--format', 'json']);
    expect(JSON.parse(v.stdout).diagnostics.filter((d: { message: string }) => /credential inline/.test(d.message))).toEqual([]);
  });

  it('a spec that still holds them inline renders the same .env, and render and validate say how to move each one', async () => {
    const legacy = join(root, 'legacy');
    const inline = join(root, 'inline.yaml');
    writeFileSync(inline, `release: ${read(out, 'dify-deploy.yaml').match(/^release: (\S+)/m)![1]}\n${ANSWERS}`);
    const r = await runCli(['render', '--config', inline, '--out', legacy]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(envOf(legacy)).toMatchObject(RENDERED);
    for (const path of ['database.password', 'redis.password', 'redis.eventBus.url', 'vectorStore.url', 'vectorStore.apiKey', 'storage.accessKey', 'storage.secretKey', 'overrides.env.SMTP_PASSWORD'])
      expect(r.stdout).toContain(`${path}: a credential inline in ${inline}`);
    expectNoSecretIn(r.stdout + read(legacy, 'dify-deploy.yaml'), Object.values(TYPED));
    expect(envOf(legacy, '.dify-deploy/secrets.env')).toMatchObject({ DB_PASSWORD: TYPED.db, SMTP_PASSWORD: TYPED.smtp });

    const v = await runCli(['validate', '--config', inline, '--format', 'json']);
    const found = JSON.parse(v.stdout).diagnostics.filter((d: { message: string }) => /credential inline/.test(d.message));
    expect(found.map((d: { severity: string }) => d.severity)).toEqual(Array(8).fill('warning'));
    expect(found.find((d: { message: string }) => d.message.startsWith('database.password'))).toMatchObject({ file: inline, line: 3, fix: expect.stringContaining('DB_PASSWORD=…') });
    expectNoSecretIn(v.stdout, Object.values(TYPED));
  });
});

describeUpstream('import of an upstream folder with real passwords', () => {
  it('the spec has none of them; the store has them; render gives the .env the same values', async () => {
    const src = userDeployment('1.16.1', ['qdrant', 'externalRedis', 's3', 'app']);
    const envPath = join(src, '.env');
    const extra = { DB_HOST: 'pg.internal', DB_PASSWORD: 'Imported+Db/pw=9', SMTP_PASSWORD: 'imported-smtp-secret-42', EVENT_BUS_REDIS_URL: 'redis://:Imp%2Fbus-pw@bus.internal:6379/0' };
    let text = readFileSync(envPath, 'utf8');
    for (const [k, v] of Object.entries(extra)) text = new RegExp(`^${k}=`, 'm').test(text) ? text.replace(new RegExp(`^${k}=.*$`, 'm'), `${k}=${v}`) : `${text}\n${k}=${v}\n`;
    writeFileSync(envPath, text);
    const source = parseEnv(text);
    const secrets = ['DB_PASSWORD', 'REDIS_PASSWORD', 'QDRANT_API_KEY', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'SMTP_PASSWORD'].map((k) => source[k]);
    expect(secrets.every((s) => s && s.length > 8)).toBe(true);

    const out = `${src}-adopted`;
    const r = await runCli(['import', src, '--out', out, '--db-max-connections', '500']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const spec = read(out, 'dify-deploy.yaml');
    expectNoSecretIn(spec, [...secrets, 'Imp%2Fbus-pw']);
    expect(spec).toContain('redis://bus.internal:6379/0');
    expect(statSync(join(out, 'dify-deploy.yaml')).mode & 0o777).toBe(0o644);
    const store = envOf(out, '.dify-deploy/secrets.env');
    for (const s of [...secrets, 'Imp%2Fbus-pw']) expect(Object.values(store)).toContain(s);

    const rendered = await runCli(['render', '--config', join(out, 'dify-deploy.yaml')]);
    expect(rendered.code, rendered.stdout + rendered.stderr).toBe(0);
    const env = envOf(out);
    for (const k of ['DB_PASSWORD', 'REDIS_PASSWORD', 'QDRANT_API_KEY', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'SMTP_PASSWORD', 'EVENT_BUS_REDIS_URL']) expect(env[k], k).toBe(source[k]);
  });
});
