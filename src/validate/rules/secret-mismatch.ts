// secret-mismatch: two places that must hold the same secret do not, so one side is
// refused at runtime (401s between api and plugin daemon, a Redis that rejects Celery…).
// Values are compared, never printed.
import type { ComponentName } from '../../core/spec.js';
import { at, type Diagnostic, type Origin } from '../diagnostics.js';
import { isMap } from '../../helm/merge.js';
import { secretEnvFacts } from '../../render/helm/existing-secret.js';
import { envVarOrigin, type Deployment, type ServiceModel } from '../deployment.js';
import type { Rule } from './rule.js';
import { entriesMatcher } from '../layered.js';

interface Value {
  value: string | undefined;
  where: string;
  origin?: Origin;
}

/**
 * Variables one component must share with another (both read the same secret). `unsetIs`: the
 * value a process uses when the variable never reaches it (so a missing side is a mismatch too).
 */
const SHARED: { a: [ComponentName, string]; b: [ComponentName, string]; what: string; unsetIs?: string }[] = [
  { a: ['api', 'PLUGIN_DAEMON_KEY'], b: ['plugin_daemon', 'SERVER_KEY'], what: 'the key the API presents to the plugin daemon' },
  { a: ['api', 'INNER_API_KEY_FOR_PLUGIN'], b: ['plugin_daemon', 'DIFY_INNER_API_KEY'], what: 'the key the plugin daemon presents to the API' },
  { a: ['api', 'CODE_EXECUTION_API_KEY'], b: ['sandbox', 'API_KEY'], what: 'the code sandbox key' },
  ...(['worker', 'worker_beat', 'api_websocket'] as const).flatMap((c) =>
    ['SECRET_KEY', 'DB_PASSWORD', 'REDIS_PASSWORD'].map((v) => ({ a: ['api', v] as [ComponentName, string], b: [c, v] as [ComponentName, string], what: `${v}, shared by every dify-api process` })),
  ),
  // 1.16: the agent backend rejects control-plane calls without its DIFY_AGENT_API_TOKEN as Bearer token.
  ...(['api', 'worker'] as const).map((c) => ({
    a: ['agent_backend', 'DIFY_AGENT_API_TOKEN'] as [ComponentName, string],
    b: [c, 'AGENT_BACKEND_API_TOKEN'] as [ComponentName, string],
    what: 'the token the agent backend requires of Dify (agent runs are rejected)',
    unsetIs: '',
  })),
  ...['DB_PASSWORD', 'REDIS_PASSWORD'].map((v) => ({ a: ['api', v] as [ComponentName, string], b: ['plugin_daemon', v] as [ComponentName, string], what: `${v}, shared with the plugin daemon` })),
];

function read(s: ServiceModel | undefined, variable: string, unsetIs?: string): Value | undefined {
  if (!s) return undefined;
  const value = s.env[variable] ?? unsetIs;
  return { value, where: `${s.name} ${variable}${s.env[variable] === undefined && value !== undefined ? ' (not set)' : ''}`, origin: s.origin[variable] };
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
}

/** An infrastructure service the app reaches by host name: from the compose file, or upstream's name without one. */
function infraValue(d: Deployment, host: string | undefined, upstreamName: string, serviceVar: string, envVar: string): Value | undefined {
  if (!host) return undefined;
  if (d.compose) {
    const svc = d.services.find((s) => s.name === host && s.active);
    return svc ? read(svc, serviceVar) : undefined;
  }
  if (host !== upstreamName) return undefined;
  return { value: d.vars[envVar], where: envVar, origin: envVarOrigin(d.envFile, envVar) };
}

function mismatch(a: Value, b: Value, what: string, fix: string): Diagnostic {
  return {
    rule: 'secret-mismatch',
    severity: 'error',
    ...at(a.origin ?? b.origin),
    message: `${a.where} does not match ${b.where}${b.origin ? ` (${b.origin.file}${b.origin.line ? `:${b.origin.line}` : ''})` : ''}: ${what}`,
    fix,
    data: { a: a.where, b: b.where },
  };
}

/** URLs of servers that take a password in them (Redis, Celery's Sentinel list, PostgreSQL, MySQL). */
const CREDENTIAL_URL = /^(rediss?|sentinel|postgres(ql)?|mysql)(\+[a-z0-9]+)?:\/\//i;

/** The servers whose password a URL may embed: host and password as the api reads them. */
function servers(api: ServiceModel): { host: string; password: Value; schemes: RegExp }[] {
  return [
    { host: api.env.REDIS_HOST ?? 'redis', password: read(api, 'REDIS_PASSWORD')!, schemes: /^rediss?:$/i },
    ...(api.env.DB_HOST ? [{ host: api.env.DB_HOST, password: read(api, 'DB_PASSWORD')!, schemes: /^(postgres(ql)?|mysql)(\+[a-z0-9]+)?:$/i }] : []),
  ];
}

/**
 * Every URL in any process's environment that carries a Redis or database password (the broker,
 * the agent backend's Redis, a DSN): it must parse as its client parses it — a reserved character
 * such as "/" in the password ends the host part — and hold the server's current password.
 * EVENT_BUS_REDIS_URL is judged against its own server by redis-budget.
 */
function urlCredentialFindings(d: Deployment, api: ServiceModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const known = servers(api);
  // One finding per place the URL is written (a .env line feeds every service that reads it).
  const seen = new Set<string>();
  const credentialUrls = entriesMatcher((value: string) => CREDENTIAL_URL.test(value));
  for (const s of d.services.filter((x) => x.active))
    for (const [name, value] of credentialUrls(s.env)) {
      if (name === 'EVENT_BUS_REDIS_URL') continue;
      const o = s.origin[name];
      const place = `${name}\u0000${o ? `${o.file}:${o.line}` : s.name}\u0000${value}`;
      if (seen.has(place)) continue;
      seen.add(place);
      for (const part of value.split(';')) {
        const authority = part.slice(part.indexOf('://') + 3);
        const atSign = authority.lastIndexOf('@');
        let url: URL | undefined;
        let password: string | undefined;
        try {
          url = new URL(part);
          password = decodeURIComponent(url.password);
        } catch {
          url = undefined;
        }
        if (!url || (atSign >= 0 && /[/?#]/.test(authority.slice(0, atSign)))) {
          out.push({
            rule: 'secret-mismatch',
            severity: 'error',
            ...at(s.origin[name]),
            message: `${s.name} ${name} is not a URL its client can read: the user or password holds a character a URL reserves (/ ? # @ % :), so the host part ends early`,
            fix: 'URL-encode the user and password inside the URL (encodeURIComponent; "/" is %2F, "+" may stay), or use a password of letters and digits',
            data: { variable: name, service: s.name },
          });
          break;
        }
        const server = known.find((k) => k.schemes.test(url!.protocol) && k.host === url!.hostname);
        if (server && server.password.value !== undefined && password !== server.password.value)
          out.push(
            mismatch(
              { value: password, where: `${s.name} ${name} password`, origin: s.origin[name] },
              server.password,
              `the URL connects to ${server.host} with a password that is not the server's`,
              `write the server's current password into ${name} (URL-encoded), e.g. redis://:<REDIS_PASSWORD>@<REDIS_HOST>:<port>/<db>`,
            ),
          );
      }
    }
  return out;
}

/**
 * Helm values: the chart writes externalRedis.username/password (or redis.auth.password) into
 * CELERY_BROKER_URL and DIFY_AGENT_REDIS_URL as they are. A reserved character there breaks the
 * URLs unless the component's extraEnv gives them, encoded.
 */
function helmChartUrlFindings(d: Deployment): Diagnostic[] {
  const merged = d.helm?.merged;
  if (!merged) return [];
  const external = isMap(merged.externalRedis) && merged.externalRedis.enabled === true ? merged.externalRedis : undefined;
  const bundled = !external && isMap(merged.redis) && merged.redis.enabled === true && isMap(merged.redis.auth) ? merged.redis.auth : undefined;
  const source = external ?? bundled;
  if (!source) return [];
  const path = external ? ['externalRedis'] : ['redis', 'auth'];
  const unsafe = ['username', 'password'].filter((k) => typeof source[k] === 'string' && encodeURIComponent(source[k] as string) !== source[k]);
  if (!unsafe.length) return [];
  const facts = secretEnvFacts(d.release.helm.version).components;
  const out: Diagnostic[] = [];
  for (const s of d.helm!.services.filter((x) => x.active)) {
    const urls = Object.keys(facts[s.name]?.redisUrls ?? {}).filter((n) => s.env[n] === undefined);
    if (!urls.length) continue;
    const line = d.helmLineAt?.([...path, unsafe[0]]);
    out.push({
      rule: 'secret-mismatch',
      severity: 'error',
      file: d.helmValuesFile,
      ...(line !== undefined ? { line } : {}),
      message: `${path.join('.')}.${unsafe.join('/')} holds a character a URL reserves, and the chart writes it unencoded into ${s.name}'s ${urls.join(', ')}: the URL does not parse`,
      fix: `give ${urls.join(', ')} in ${s.name}.extraEnv with the password URL-encoded (dify-deploy render does), or use a password of letters and digits`,
      data: { service: s.name, variables: urls },
    });
  }
  return out;
}

export const secretMismatchRule: Rule = {
  id: 'secret-mismatch',
  summary: 'secrets that must agree (Redis and broker URL, plugin daemon and sandbox keys, vector store and DB passwords) differ',
  check(d) {
    const out: Diagnostic[] = helmChartUrlFindings(d);
    const active = d.services.filter((s) => s.active);
    const api = active.find((s) => s.component === 'api');
    if (!api) return out;
    for (const pair of SHARED) {
      const a = read(active.find((s) => s.component === pair.a[0]), pair.a[1]);
      if (a?.value === undefined) continue;
      for (const other of active.filter((s) => s.component === pair.b[0])) {
        const b = read(other, pair.b[1], pair.unsetIs);
        if (b?.value === undefined || a.value === b.value) continue;
        out.push(mismatch(a, b, pair.what, `give both the same value (one variable in .env feeding both is simplest)`));
      }
    }

    out.push(...urlCredentialFindings(d, api));

    const vectorStore = (api.env.VECTOR_STORE ?? '').toLowerCase();
    const checks: { mine: Value; theirs: Value | undefined; what: string; fix: string; contains?: boolean }[] = [];
    if (d.database?.bundled && d.compose) {
      const serviceVar = d.database.engine === 'mysql' ? 'MYSQL_ROOT_PASSWORD' : 'POSTGRES_PASSWORD';
      checks.push({
        mine: read(api, 'DB_PASSWORD')!,
        theirs: infraValue(d, d.database.host, d.database.host, serviceVar, 'DB_PASSWORD'),
        what: 'the bundled database is initialised with this password',
        fix: 'use the same value for both; an initialised data volume keeps its first password, so change it with ALTER USER too',
      });
    }
    if (vectorStore === 'weaviate' && (api.env.WEAVIATE_API_KEY ?? '') !== '') {
      const enabled = infraValue(d, hostOf(api.env.WEAVIATE_ENDPOINT), 'weaviate', 'AUTHENTICATION_APIKEY_ENABLED', 'WEAVIATE_AUTHENTICATION_APIKEY_ENABLED');
      if ((enabled?.value ?? 'true').toLowerCase() === 'true')
        checks.push({
          mine: read(api, 'WEAVIATE_API_KEY')!,
          theirs: infraValue(d, hostOf(api.env.WEAVIATE_ENDPOINT), 'weaviate', 'AUTHENTICATION_APIKEY_ALLOWED_KEYS', 'WEAVIATE_AUTHENTICATION_APIKEY_ALLOWED_KEYS'),
          what: 'Weaviate accepts only its allowed keys',
          fix: 'put WEAVIATE_API_KEY into WEAVIATE_AUTHENTICATION_APIKEY_ALLOWED_KEYS',
          contains: true,
        });
    }
    if (vectorStore === 'pgvector')
      checks.push({
        mine: read(api, 'PGVECTOR_PASSWORD')!,
        theirs: infraValue(d, api.env.PGVECTOR_HOST, 'pgvector', 'POSTGRES_PASSWORD', 'PGVECTOR_POSTGRES_PASSWORD'),
        what: 'the bundled pgvector database is initialised with this password',
        fix: 'set PGVECTOR_PASSWORD and PGVECTOR_POSTGRES_PASSWORD to the same value',
      });
    if (d.compose) {
      const redis = active.find((s) => s.name === (api.env.REDIS_HOST ?? 'redis'));
      const requirepass = redis?.command && /--requirepass\s+(\S+)/.exec(redis.command)?.[1];
      if (redis && requirepass !== undefined)
        checks.push({
          mine: read(api, 'REDIS_PASSWORD')!,
          theirs: { value: requirepass.replace(/^['"]|['"]$/g, ''), where: `${redis.name} --requirepass`, origin: { file: d.compose.file, line: redis.line } },
          what: 'the bundled Redis requires this password',
          fix: 'feed redis-server --requirepass from the same REDIS_PASSWORD',
        });
    }
    for (const c of checks) {
      if (c.mine.value === undefined || c.theirs?.value === undefined) continue;
      const agrees = c.contains ? c.theirs.value.split(',').map((k) => k.trim()).includes(c.mine.value) : c.theirs.value === c.mine.value;
      if (!agrees) out.push(mismatch(c.mine, c.theirs, c.what, c.fix));
    }
    return out;
  },
};
