// One rule says which variables are secrets (src/core/secret-data.ts isSecretName), read by every
// place that hides a value or keeps it out of a file: overrides.env routed to the 0600 store instead
// of the spec, Helm env routed to a Secret instead of values.yaml, import's and upgrade's reports.
// Two rules used to disagree on 25 upstream names: a secret one of them missed (Azure's account key
// went into values.yaml) and settings the other hid (ACCESS_TOKEN_EXPIRE_MINUTES kept out of the spec).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSecretName } from '../src/core/secret-data.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import type { SpecInput } from '../src/core/spec.js';
import { renderFiles } from '../src/render/index.js';
import { resolveSecrets, SECRETS } from '../src/render/secrets.js';
import { credentialEntries, withoutCredentials, withStoredCredentials } from '../src/render/spec-credentials.js';
import { withStateChoices } from './helpers/state-choices.js';

/**
 * What each variable IS in Dify, from the .env.example comments and the services that read it —
 * written by hand, not from any rule: the names the two old rules disagreed on, names neither
 * caught, and look-alikes. true: a secret.
 */
const EXPECTED: Record<string, boolean> = {
  // Secrets one old rule missed.
  AZURE_BLOB_ACCOUNT_KEY: true, // the storage account's shared key: full access to the container
  AZURE_BLOB_STORAGE_CONNECTION_STRING: true, // the plugin daemon's: DefaultEndpointsProtocol=…;AccountKey=…
  PLUGIN_AZURE_BLOB_STORAGE_CONNECTION_STRING: true,
  COUCHBASE_CONNECTION_STRING: true, // a host list upstream, but a connection string is where drivers take credentials; hidden, never lost
  // Secrets neither old rule caught.
  REDISCLI_AUTH: true, // redis-cli's password (the redis service gets ${REDIS_PASSWORD})
  HTTP_REQUEST_NODE_SSL_CLIENT_KEY_DATA: true, // "client private key data for mutual TLS"
  GOOGLE_STORAGE_SERVICE_ACCOUNT_JSON_BASE64: true, // a service account key file: holds its private key
  WEAVIATE_AUTHENTICATION_APIKEY_ALLOWED_KEYS: true, // the API keys Weaviate accepts
  AUTHENTICATION_APIKEY_ALLOWED_KEYS: true, // the same, as the weaviate container reads it
  // Secrets both caught (kept).
  SECRET_KEY: true,
  INNER_API_KEY_FOR_PLUGIN: true, // ends in FOR_PLUGIN: known from releases/secrets.json
  SENTRY_DSN: true,
  ALIYUN_OSS_ACCESS_KEY_SECRET: true,
  TIDB_PRIVATE_KEY: true,
  CHROMA_SERVER_AUTHN_CREDENTIALS: true,
  SMTP_PASSWORD: true,
  MILVUS_TOKEN: true,
  S3_SECRET_KEY: true,
  S3_ACCESS_KEY: true, // AWS's key id, but other stores' "access key" is the secret itself: hidden
  // Settings about a credential, not one (the old SECRET_LIKE hid them and kept them out of the spec).
  ACCESS_TOKEN_EXPIRE_MINUTES: false,
  REFRESH_TOKEN_EXPIRE_DAYS: false,
  RESET_PASSWORD_TOKEN_EXPIRY_MINUTES: false,
  CHANGE_EMAIL_TOKEN_EXPIRY_MINUTES: false,
  EMAIL_REGISTER_TOKEN_EXPIRY_MINUTES: false,
  OWNER_TRANSFER_TOKEN_EXPIRY_MINUTES: false,
  ENABLE_EMAIL_PASSWORD_LOGIN: false,
  ENABLE_API_TOKEN_LAST_USED_UPDATE_TASK: false,
  CODE_GENERATION_MAX_TOKENS: false, // LLM tokens
  PROMPT_GENERATION_MAX_TOKENS: false,
  INDEXING_MAX_SEGMENTATION_TOKENS_LENGTH: false,
  PLUGIN_BASED_TOKEN_COUNTING_ENABLED: false,
  OPENAPI_RATE_LIMIT_PER_TOKEN: false, // a rate limit (both old rules hid it)
  HOLOGRES_TOKENIZER: false, // a text tokenizer's name (jieba)
  WEAVIATE_TOKENIZATION: false,
  WEAVIATE_ENABLE_TOKENIZER_GSE: false,
  WEAVIATE_ENABLE_TOKENIZER_KAGOME_JA: false,
  WEAVIATE_ENABLE_TOKENIZER_KAGOME_KR: false,
  REDIS_KEY_PREFIX: false,
  PASSWORD_MIN_LENGTH: false,
  // Public values and identifiers: the public half of a key pair, a key the browser gets, key ids.
  TIDB_PUBLIC_KEY: false, // TiDB Cloud's API public key (the user half of digest auth; default `dify`)
  COOKIEYES_SITE_KEY: false, // CookieYes' site key, embedded in the web page
  TENCENT_COS_SECRET_ID: false, // Tencent's SecretId identifies the caller; TENCENT_COS_SECRET_KEY signs
  PLUGIN_TENCENT_COS_SECRET_ID: false,
  ALIYUN_OSS_ACCESS_KEY_ID: false,
  PLUGIN_ALIYUN_OSS_ACCESS_KEY_ID: false,
  ALIYUN_SLS_ACCESS_KEY_ID: false,
  HOLOGRES_ACCESS_KEY_ID: false,
  TABLESTORE_ACCESS_KEY_ID: false,
  ANALYTICDB_KEY_ID: false,
  NOTION_CLIENT_ID: false,
  CREATORS_PLATFORM_OAUTH_CLIENT_ID: false,
  // Switches, methods, user lists and file names about authentication.
  ALIYUN_OSS_AUTH_VERSION: false,
  PLUGIN_ALIYUN_OSS_AUTH_VERSION: false,
  CHROMA_AUTH_PROVIDER: false,
  CHROMA_SERVER_AUTHN_PROVIDER: false,
  OPENSEARCH_AUTH_METHOD: false,
  ENABLE_OAUTH_BEARER: false,
  ENABLE_SOCIAL_OAUTH_LOGIN: false,
  MILVUS_AUTHORIZATION_ENABLED: false,
  WEAVIATE_AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED: false,
  WEAVIATE_AUTHENTICATION_APIKEY_ENABLED: false,
  WEAVIATE_AUTHENTICATION_APIKEY_USERS: false,
  WEAVIATE_AUTHORIZATION_ADMINLIST_ENABLED: false,
  WEAVIATE_AUTHORIZATION_ADMINLIST_USERS: false,
  NGINX_SSL_CERT_KEY_FILENAME: false, // a file name
  REDIS_SSL_KEYFILE: false, // a path
  SSRF_PROXY_ALLOW_PRIVATE_DOMAINS: false,
  SSRF_PROXY_ALLOW_PRIVATE_IPS: false,
};

const UPSTREAM = '/work/shared/upstream';
const RELEASES = join(__dirname, '..', 'releases');

/** Every variable name the upstream .env.example files and our release data mention. */
function allNames(): Set<string> {
  const names = new Set<string>();
  for (const d of readdirSync(UPSTREAM).filter((x) => /^dify-\d/.test(x)))
    for (const m of readFileSync(join(UPSTREAM, d, 'docker', '.env.example'), 'utf8').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)) names.add(m[1]);
  const walk = (x: unknown): void => {
    if (typeof x === 'string') {
      if (/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(x)) names.add(x);
    } else if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object')
      for (const [k, v] of Object.entries(x)) {
        if (/^[A-Z][A-Z0-9_]{2,}$/.test(k)) names.add(k);
        walk(v);
      }
  };
  for (const dir of [RELEASES, join(RELEASES, 'derived')])
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) walk(JSON.parse(readFileSync(join(dir, f), 'utf8')));
  return names;
}

describe('which variables are secrets', () => {
  it.each(Object.entries(EXPECTED))('%s: secret %s', (name, secret) => {
    expect(isSecretName(name)).toBe(secret);
  });

  it('every name upstream or our data mentions that looks like a credential but is not treated as one was judged by hand above', () => {
    const names = allNames();
    expect(names.size).toBeGreaterThan(800);
    const unjudged = [...names].filter((n) => /PASS|SECRET|TOKEN|KEY|AUTH|CREDENTIAL|DSN|CONNECTION_STRING|PRIVATE/.test(n) && !isSecretName(n) && !(n in EXPECTED));
    expect(unjudged).toEqual([]);
  });

  it('every secret dify-deploy generates is a secret by the rule', () => {
    expect(SECRETS.map((s) => s.name).filter((n) => !isSecretName(n))).toEqual([]);
  });
});

describe('every reader applies it', () => {
  const overrides = {
    AZURE_BLOB_ACCOUNT_KEY: 'azure-account-key-0123456789',
    REDISCLI_AUTH: 'redis-cli-pass-0123456789',
    ACCESS_TOKEN_EXPIRE_MINUTES: '120',
    TIDB_PUBLIC_KEY: 'tidb-public',
    // A proxy URL whose password holds an unencoded '/': a credential by its value (the one URL redactor's rule).
    SSRF_PROXY_HTTP_URL: 'http://proxy-user:pa/ss-0123456789@proxy.example.com:3128',
  };
  const spec = { tier: '10qps', overrides: { env: overrides } };

  it('overrides.env: secrets go to the store, settings stay in the spec', () => {
    expect(credentialEntries(spec)).toEqual({ AZURE_BLOB_ACCOUNT_KEY: overrides.AZURE_BLOB_ACCOUNT_KEY, REDISCLI_AUTH: overrides.REDISCLI_AUTH });
    const kept = withoutCredentials(spec).overrides.env;
    expect(kept).toMatchObject({ ACCESS_TOKEN_EXPIRE_MINUTES: '120', TIDB_PUBLIC_KEY: 'tidb-public' });
    expect(Object.keys(kept)).not.toContain('AZURE_BLOB_ACCOUNT_KEY');
    expect(Object.keys(kept)).not.toContain('REDISCLI_AUTH');
  });

  it('a setting an earlier rule moved to the store is still read back from it', () => {
    const back = withStoredCredentials({ tier: '10qps' }, { ACCESS_TOKEN_EXPIRE_MINUTES: '120', REDISCLI_AUTH: 'x-0123456789', SECRET_KEY: 'generated' });
    expect(back).toEqual({ tier: '10qps', overrides: { env: { ACCESS_TOKEN_EXPIRE_MINUTES: '120', REDISCLI_AUTH: 'x-0123456789' } } });
  });

  it('helm: a secret override goes to the credentials Secret, never into values.yaml; a setting stays in values.yaml', () => {
    const parsed = parseSpecData(withStateChoices({ ...spec, targets: ['helm'], domain: { host: 'dify.example.com' }, storage: { type: 's3', bucket: 'dify-files', region: 'us-east-1', useIam: true } } as SpecInput, 'helm'), 'test');
    const { files, plans } = renderFiles(parsed, 'helm', resolveSecrets({}));
    expect(plans[0].problems).toEqual([]);
    const values = files.find((f) => f.path === 'helm/values.yaml')!.content;
    const secret = files.find((f) => f.path === 'helm/extra/credentials.yaml')!.content;
    for (const name of ['AZURE_BLOB_ACCOUNT_KEY', 'REDISCLI_AUTH', 'SSRF_PROXY_HTTP_URL'] as const) {
      expect(values).not.toContain(overrides[name]);
      expect(secret).toContain(overrides[name]);
    }
    expect(values).toContain('ACCESS_TOKEN_EXPIRE_MINUTES');
    expect(secret).not.toContain('ACCESS_TOKEN_EXPIRE_MINUTES');
  });
});
