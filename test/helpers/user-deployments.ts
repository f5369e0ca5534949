// Users' deployments built from upstream's docker/ folder the way people edit them (the edits
// the validate tests use): strong secrets, sizing turned up, a domain, backends swapped.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hardened, UPSTREAM } from './upstream.js';

export const EDITS = {
  sizing: { SERVER_WORKER_AMOUNT: '4', SERVER_WORKER_CONNECTIONS: '40', SQLALCHEMY_POOL_SIZE: '30', SQLALCHEMY_MAX_OVERFLOW: '10', CELERY_WORKER_AMOUNT: '4', POSTGRES_MAX_CONNECTIONS: '600' },
  daemonPool: { DB_MAX_OPEN_CONNS: '20' },
  prefork: { CELERY_WORKER_CLASS: 'prefork', CELERY_WORKER_AMOUNT: '2' },
  domain: {
    CONSOLE_API_URL: 'https://dify.example.com',
    CONSOLE_WEB_URL: 'https://dify.example.com',
    SERVICE_API_URL: 'https://api.dify.example.com',
    APP_WEB_URL: 'https://dify.example.com',
    APP_API_URL: 'https://dify.example.com',
    NGINX_HTTPS_ENABLED: 'true',
  },
  app: { LOG_LEVEL: 'DEBUG', UPLOAD_FILE_SIZE_LIMIT: '50', MAIL_TYPE: 'smtp', SMTP_SERVER: 'smtp.example.com', INVITE_EXPIRY_HOURS: '24' },
  nginx: { NGINX_CLIENT_MAX_BODY_SIZE: '200M', NGINX_PROXY_READ_TIMEOUT: '3600s' },
  typo: { SQLALCHEMY_POOL_SIZ: '10' },
  qdrant: { VECTOR_STORE: 'qdrant', QDRANT_URL: 'http://qdrant.internal:6333', QDRANT_API_KEY: 'q-strong-key-0123456789abcdef' },
  externalRedis: { REDIS_HOST: 'redis.internal', REDIS_PORT: '6380', REDIS_DB: '2' },
  s3: { STORAGE_TYPE: 's3', S3_BUCKET_NAME: 'dify-files', S3_REGION: 'eu-west-1', S3_ENDPOINT: 'https://s3.eu-west-1.amazonaws.com', S3_ACCESS_KEY: 'AKIAUSEREXAMPLE0001', S3_SECRET_KEY: 'user-s3-secret-key-0123456789' },
} as const satisfies Record<string, Record<string, string>>;
export type EditName = keyof typeof EDITS;

/** 1.14+: a setting made where upstream documents it, in an optional envs/ layer (copied from its example, then edited). */
export const LAYERED = { file: 'envs/core-services/shared.env', key: 'API_TOOL_DEFAULT_CONNECT_TIMEOUT', value: '20' };

/**
 * A temp docker/ folder: upstream's .env.example as .env with the edits (and its compose file
 * unless `envOnly`; with `layered`, on 1.14+, also LAYERED's env file).
 */
export function userDeployment(version: string, edits: readonly EditName[], opts: { envOnly?: boolean; layered?: boolean } = {}): string {
  const src = join(UPSTREAM, `dify-${version}`, 'docker');
  const dir = mkdtempSync(join(tmpdir(), `dd-user-${version}-`));
  // Upstream's own pools need 206 connections against its .env's 200 (validate says so): the users here raised it.
  const extra: Record<string, string> = { POSTGRES_MAX_CONNECTIONS: '300' };
  for (const e of edits) Object.assign(extra, EDITS[e]);
  // The Redis URLs (broker; 1.16's agent backend) follow an external Redis's host, as a user would edit them.
  let text = hardened(readFileSync(join(src, '.env.example'), 'utf8'), extra);
  if (extra.REDIS_HOST) {
    text = text.replace(/^CELERY_BROKER_URL=redis:\/\/(:[^@]*@)redis:6379\/1$/m, `CELERY_BROKER_URL=redis://$1${extra.REDIS_HOST}:${extra.REDIS_PORT}/1`);
    // 1.16's agent backend defaults to the bundled redis when this is empty (its compose ${DIFY_AGENT_REDIS_URL:-…@redis:6379/2}).
    const password = /^REDIS_PASSWORD=(.*)$/m.exec(text)?.[1] ?? '';
    text = text.replace(/^DIFY_AGENT_REDIS_URL=$/m, `DIFY_AGENT_REDIS_URL=redis://:${password}@${extra.REDIS_HOST}:${extra.REDIS_PORT}/2`);
  }
  writeFileSync(join(dir, '.env'), text);
  if (!opts.envOnly) copyFileSync(join(src, 'docker-compose.yaml'), join(dir, 'docker-compose.yaml'));
  const example = join(src, `${LAYERED.file}.example`);
  if (opts.layered && existsSync(example)) {
    mkdirSync(join(dir, LAYERED.file, '..'), { recursive: true });
    writeFileSync(join(dir, LAYERED.file), readFileSync(example, 'utf8').replace(new RegExp(`^${LAYERED.key}=.*$`, 'm'), `${LAYERED.key}=${LAYERED.value}`));
  }
  return dir;
}
