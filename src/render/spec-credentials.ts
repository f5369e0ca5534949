// Which spec fields are credentials, and where they live instead: .dify-deploy/secrets.env (0600),
// so dify-deploy.yaml can be committed. The wizard and import route typed values there
// (withoutCredentials + inlineCredentials), render reads them back (withStoredCredentials); a spec
// that still holds one inline keeps working, and render/validate say how to move it.
import { getAt, setAt } from '../core/data-path.js';
import { isSecretName } from '../core/secret-data.js';
import { SECRETS, STORAGE_CREDENTIAL_SECRETS } from './secrets.js';

type Data = Record<string, unknown>;

interface CredentialField {
  /** The spec path. */
  path: string;
  /** Its entry in the secrets store. */
  store: string;
  /** `urlPassword`: only the password in the URL's user info is a credential; the rest stays in the spec. */
  part: 'value' | 'urlPassword';
  /** Read only in this case (an external server's password); otherwise the field is left alone. */
  when?: (data: unknown) => boolean;
  /**
   * Render already falls back to the store for it (src/render/secrets.ts), so it is not copied
   * into the spec render works from. (With helm.existingSecret each is read from the user's
   * Secret, whether the spec or the store gives it: existing-secret.ts.)
   */
  renderReadsStore?: true;
}

const external = (part: string) => (data: unknown) => getAt(data, `${part}.mode`) === 'external';

export const CREDENTIAL_FIELDS: readonly CredentialField[] = [
  { path: 'database.password', store: 'DB_PASSWORD', part: 'value', when: external('database'), renderReadsStore: true },
  { path: 'redis.password', store: 'REDIS_PASSWORD', part: 'value', when: external('redis'), renderReadsStore: true },
  { path: 'redis.sentinelPassword', store: 'REDIS_SENTINEL_PASSWORD', part: 'value' },
  { path: 'redis.eventBus.url', store: 'EVENT_BUS_REDIS_URL_PASSWORD', part: 'urlPassword' },
  { path: 'vectorStore.password', store: 'VECTOR_STORE_PASSWORD', part: 'value' },
  { path: 'vectorStore.apiKey', store: 'VECTOR_STORE_API_KEY', part: 'value' },
  { path: 'vectorStore.url', store: 'VECTOR_STORE_URL_PASSWORD', part: 'urlPassword' },
  ...Object.entries(STORAGE_CREDENTIAL_SECRETS).map(([field, store]): CredentialField => ({ path: `storage.${field}`, store, part: 'value', renderReadsStore: true })),
  { path: 'storage.endpoint', store: 'STORAGE_ENDPOINT_PASSWORD', part: 'urlPassword' },
  { path: 'storage.accountUrl', store: 'STORAGE_ACCOUNT_URL_PASSWORD', part: 'urlPassword' },
  { path: 'observability.otlpEndpoint', store: 'OTLP_ENDPOINT_PASSWORD', part: 'urlPassword' },
];

/** Store entries that are not overrides.env variables: the generated secrets and the fields above. */
const RESERVED = new Set([...SECRETS.map((s) => s.name), ...CREDENTIAL_FIELDS.map((f) => f.store)]);

/** An overrides.env variable whose value is a secret (SMTP_PASSWORD, …): kept in the store under its own name. */
const secretEnv = (name: string) => isSecretName(name) && !RESERVED.has(name);

/** A URL's scheme, user and password (as written, percent-encoding included) and the rest. */
function urlParts(url: string): { scheme: string; user: string; password?: string; rest: string } | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)(?:([^@/?#]*)@)?/.exec(url);
  if (!m) return undefined;
  const info = m[2];
  const colon = info?.indexOf(':') ?? -1;
  return {
    scheme: m[1],
    user: info === undefined ? '' : colon < 0 ? info : info.slice(0, colon),
    password: info === undefined || colon < 0 ? undefined : info.slice(colon + 1),
    rest: url.slice(m[0].length),
  };
}

const joinUrl = (p: { scheme: string; user: string; password?: string; rest: string }) =>
  `${p.scheme}${p.user || p.password ? `${p.user}${p.password ? `:${p.password}` : ''}@` : ''}${p.rest}`;

/** The password in a URL's user info, as written (percent-encoding included). */
export const urlPassword = (url: string) => urlParts(url)?.password;

/** `url` with `password` (as written) in its user info, or none. */
export function withUrlPassword(url: string, password: string | undefined): string {
  const parts = urlParts(url);
  return parts ? joinUrl({ ...parts, password }) : url;
}

export interface InlineCredential {
  path: string;
  store: string;
  value: string;
  part: CredentialField['part'];
}

/** The credentials `data` (a spec as read, or parsed) holds inline, with the store entry each belongs in. */
export function inlineCredentials(data: unknown): InlineCredential[] {
  const out: InlineCredential[] = [];
  for (const f of CREDENTIAL_FIELDS) {
    const v = getAt(data, f.path);
    if (typeof v !== 'string' || v === '' || (f.when && !f.when(data))) continue;
    const value = f.part === 'value' ? v : urlParts(v)?.password;
    if (value) out.push({ path: f.path, store: f.store, value, part: f.part });
  }
  const env = getAt(data, 'overrides.env');
  if (env && typeof env === 'object')
    for (const [name, value] of Object.entries(env as Data))
      if (secretEnv(name) && typeof value === 'string' && value !== '') out.push({ path: `overrides.env.${name}`, store: name, value, part: 'value' });
  return out;
}

/** The inline credentials as store entries. */
export function credentialEntries(data: unknown): Record<string, string> {
  return Object.fromEntries(inlineCredentials(data).map((c) => [c.store, c.value]));
}

/** `data` without its inline credentials (a URL keeps all but its password): a spec that can be committed. */
export function withoutCredentials<T>(data: T): T {
  const out = structuredClone(data) as Data;
  for (const c of inlineCredentials(data)) {
    if (c.part === 'urlPassword') setAt(out, c.path, withUrlPassword(getAt(data, c.path) as string, undefined));
    else setAt(out, c.path, undefined);
  }
  const env = getAt(out, 'overrides.env');
  if (env && typeof env === 'object' && Object.keys(env).length === 0) setAt(out, 'overrides.env', undefined);
  return out as T;
}

/**
 * `data` with the store's credentials where it leaves them out: what render works from (`all`:
 * the ones render reads from the store itself too, for the wizard's defaults).
 */
export function withStoredCredentials<T>(data: T, store: Record<string, string>, all = false): T {
  const out = structuredClone(data) as Data;
  for (const f of CREDENTIAL_FIELDS) {
    const stored = store[f.store];
    if (!stored || (f.renderReadsStore && !all) || (f.when && !f.when(data))) continue;
    const v = getAt(data, f.path);
    if (f.part === 'value' && (v === undefined || v === '')) setAt(out, f.path, stored);
    const url = typeof v === 'string' ? urlParts(v) : undefined;
    if (f.part === 'urlPassword' && url && !url.password) setAt(out, f.path, joinUrl({ ...url, password: stored }));
  }
  const env = getAt(data, 'overrides.env') as Data | undefined;
  // Every other store entry is an overrides.env variable, read back whatever the rule now says of its
  // name: one an earlier rule moved there (ACCESS_TOKEN_EXPIRE_MINUTES) must not silently drop out.
  const fromStore = Object.entries(store).filter(([name, value]) => !RESERVED.has(name) && value !== '' && env?.[name] === undefined);
  if (fromStore.length) setAt(out, 'overrides.env', { ...env, ...Object.fromEntries(fromStore) });
  return out as T;
}

/** Any credential in `data`, whether or not it is read (the spec file is then private). */
export function holdsCredentials(data: unknown): boolean {
  return CREDENTIAL_FIELDS.some((f) => {
    const v = getAt(data, f.path);
    return typeof v === 'string' && v !== '' && (f.part === 'value' || !!urlParts(v)?.password);
  }) || inlineCredentials(data).length > 0;
}

/** How to move an inline credential out of the spec file `where`. */
export const moveAdvice = (c: InlineCredential, where: string) =>
  `keep it in .dify-deploy/secrets.env as ${c.store}=… (0600, out of git; \`dify-deploy render\` copies it there) and delete ${c.part === 'urlPassword' ? 'the password from the URL' : 'it'} in ${where}`;

/** One notice per inline credential of `data`, read from `specFile`. */
export function inlineCredentialAdvice(data: unknown, specFile: string): string[] {
  const secret = getAt(data, 'helm.existingSecret');
  // The Helm pods never read it from values.yaml then: the user's Secret must hold it too.
  const inSecret = typeof secret === 'string' ? `; the Helm pods read it from the Secret ${secret} (helm/README.md lists its keys)` : '';
  return inlineCredentials(data).map((c) => `${c.path}: a credential inline in ${specFile}, which should be committable: ${moveAdvice(c, specFile)}${inSecret}`);
}
