// Where `measure` connects: a postgresql:// URL (--db) or a deployment's DB_* variables (--from DIR).
// The password goes to the driver only: every name of the source shown to the user is built
// without it, and no error message quotes the URL.
import { join } from 'node:path';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { UserError } from '../io/errors.js';
import { parseEnvText } from '../io/env-file.js';
import { projectVars } from '../validate/deployment.js';

export interface DbSource {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  /** libpq sslmode as given (disable, require, verify-ca, verify-full, prefer, allow). */
  sslMode?: string;
  /** libpq's options, settings for the session: e.g. `-c search_path=dify` for Dify's tables in a schema of their own (Dify's DB_EXTRAS). */
  options?: string;
  /** host:port/database — what may be printed or written to the spec. */
  label: string;
}

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

function labelOf(host: string, port: number, database: string): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}/${database}`;
}

/** A percent-encoded part of the URL, decoded; a stray % (a password with a literal one) is named, never shown. */
function decodedPart(text: string, part: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new UserError([`--db: the ${part} in the URL has a % not followed by two hex digits; write a literal % as %25 (or give the password in PGPASSWORD)`]);
  }
}

/** A postgresql:// URL; errors name the part that is wrong and never repeat the URL (it may hold a password). */
export function sourceFromUrl(text: string): DbSource {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError(['--db: not a URL; expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE, with @ : / ? # % in the password percent-encoded (or the password in PGPASSWORD; see docs/measure.md)']);
  }
  if (url.protocol === 'mysql:' || url.protocol === 'mysql+pymysql:')
    throw new UserError(['--db: MySQL is not supported by measure yet (docs/measure.md says why); measure reads a PostgreSQL metadata database']);
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:')
    throw new UserError([`--db: the scheme is ${url.protocol.replace(/:$/, '')}; expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE`]);
  const host = decodedPart(url.hostname.replace(/^\[|\]$/g, ''), 'host');
  if (!host) throw new UserError(['--db: no host; expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE']);
  const port = url.port ? Number(url.port) : 5432;
  const database = decodedPart(url.pathname.replace(/^\//, ''), 'database name') || 'dify';
  const user = decodedPart(url.username, 'user');
  if (!user) throw new UserError(['--db: no user; expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE']);
  const sslMode = url.searchParams.get('sslmode') ?? undefined;
  for (const key of url.searchParams.keys())
    if (key !== 'sslmode' && key !== 'options') throw new UserError([`--db: the URL parameter ${key} is not supported; only sslmode and options are`]);
  if (sslMode !== undefined && !SSL_MODES.includes(sslMode)) throw new UserError([`--db: sslmode=${sslMode} is not one of ${SSL_MODES.join(', ')}`]);
  const options = url.searchParams.get('options') || undefined;
  return { host, port, database, user, password: url.password ? decodedPart(url.password, 'password') : undefined, sslMode, options, label: labelOf(host, port, database) };
}

/** The DB_* variables of DIR/.env (or the .env file given), as Docker Compose hands them to Dify's API. */
export function sourceFromDeployment(path: string): DbSource {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, '.env') : path;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError([`${file}: ${code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? 'error'})`}; --from takes a deployment directory with its .env, or the .env file`]);
  }
  const env = projectVars(parseEnvText(text, file));
  const type = (env.DB_TYPE ?? 'postgresql').toLowerCase();
  if (type !== 'postgresql')
    throw new UserError([`${file}: DB_TYPE=${env.DB_TYPE}; measure reads a PostgreSQL metadata database only (docs/measure.md says why MySQL is not supported yet)`]);
  const missing = ['DB_HOST', 'DB_USERNAME'].filter((k) => !env[k]);
  if (missing.length) throw new UserError([`${file}: ${missing.join(' and ')} not set; measure needs the metadata database's DB_HOST, DB_PORT, DB_USERNAME, DB_PASSWORD and DB_DATABASE`]);
  const port = Number(env.DB_PORT || 5432);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UserError([`${file}: DB_PORT=${env.DB_PORT} is not a port (1–65535)`]);
  const database = env.DB_DATABASE || 'dify';
  // Dify's API appends DB_EXTRAS to its URL as query parameters (its sslmode) and takes their
  // options (e.g. -c search_path=dify) as the session's; DB_SSL_MODE is the plugin daemon's.
  const extras = new URLSearchParams(env.DB_EXTRAS ?? '');
  const [sslVar, sslMode] = extras.get('sslmode') ? ['DB_EXTRAS sslmode', extras.get('sslmode')!] : ['DB_SSL_MODE', env.DB_SSL_MODE || undefined];
  if (sslMode !== undefined && !SSL_MODES.includes(sslMode)) throw new UserError([`${file}: ${sslVar}=${sslMode} is not one of ${SSL_MODES.join(', ')}`]);
  const options = extras.get('options') || undefined;
  return { host: env.DB_HOST, port, database, user: env.DB_USERNAME, password: env.DB_PASSWORD || undefined, sslMode, options, label: labelOf(env.DB_HOST, port, database) };
}

/** Overrides for a database reached another way than the deployment reaches it (a port-forward, an exposed port). */
export function withHost(source: DbSource, host?: string, port?: number): DbSource {
  const h = host ?? source.host;
  const p = port ?? source.port;
  return { ...source, host: h, port: p, label: labelOf(h, p, source.database) };
}
