// releases/secrets.json: which variables are secrets, when they are in use, and the
// upstream defaults and placeholders that make one worthless.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './data.js';
import { compareVersions } from './releases/store.js';
import type { ComponentName } from './spec.js';

export interface Condition {
  var: string;
  in?: string[];
  notIn?: string[];
}

export interface SecretFact {
  component: ComponentName;
  var: string;
  minLength: number;
  /** Empty is fine from this release on (e.g. SECRET_KEY is then generated and persisted). */
  emptyOkFrom?: string;
  emptyOkWhen?: Condition;
  emptyOk?: boolean;
  /** Only in use when this holds for the component's environment. */
  when?: Condition;
  /** Read from this release on / up to (not including) this release (a variable upstream added or renamed). */
  from?: string;
  until?: string;
  /** A format the component requires from `format.from` on (it refuses to start otherwise). */
  format?: SecretFormat;
  why: string;
}

/** Unpadded base64url of exactly `bytes` bytes. */
export interface SecretFormat {
  kind: 'base64url-bytes';
  bytes: number;
  from: string;
  source: string;
}

/** Does the value have the format? */
export function hasFormat(value: string, format: SecretFormat): boolean {
  return /^[A-Za-z0-9_-]+$/.test(value) && Buffer.from(value, 'base64url').length === format.bytes && Buffer.from(value, 'base64url').toString('base64url') === value;
}

/** A shell line that makes a value of the format. */
export function formatRecipe(format: SecretFormat): string {
  return `head -c ${format.bytes} /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\\n'`;
}

export interface SecretData {
  /** Published values that work: public, and plausible as a real setting. */
  knownDefaults: string[];
  /** Values that stand for "fill this in" and are never real: patterns, and exact values. */
  placeholderPatterns: string[];
  placeholderValues: string[];
  secrets: SecretFact[];
}

let cached: SecretData | undefined;
let placeholders: RegExp[] | undefined;

export function secretData(): SecretData {
  cached ??= JSON.parse(readFileSync(join(PACKAGE_ROOT, 'releases', 'secrets.json'), 'utf8')) as SecretData;
  return cached;
}

/** Why a value is public knowledge (an upstream default or a placeholder), or undefined. */
export function publishedValue(value: string): 'default' | 'placeholder' | undefined {
  const data = secretData();
  if (data.knownDefaults.includes(value)) return 'default';
  if (data.placeholderValues.includes(value)) return 'placeholder';
  // Compiled once: every secret of every service is asked about.
  placeholders ??= data.placeholderPatterns.map((p) => new RegExp(p, 'i'));
  if (placeholders.some((p) => p.test(value))) return 'placeholder';
  return undefined;
}

/**
 * Name endings that say the value is a credential: a password, a secret, a token, a key (…_API_KEY, …_APIKEY,
 * …_SECRET_KEY, an object store's …_ACCESS_KEY, Azure's …_ACCOUNT_KEY, a Weaviate's …_ALLOWED_KEYS),
 * a private key's data, redis-cli's REDISCLI_AUTH, a service account's key file, a Sentry DSN, a
 * connection string (Azure's carries the AccountKey). By ending, not by any word inside: the word
 * inside names a setting about the credential (ACCESS_TOKEN_EXPIRE_MINUTES, ENABLE_EMAIL_PASSWORD_LOGIN,
 * CODE_GENERATION_MAX_TOKENS, REDIS_KEY_PREFIX), which is no secret.
 */
const CREDENTIAL_ENDING = /(^|_)(PASSWORD|PASSWD|SECRET|TOKEN|KEY|KEYS|APIKEY|KEY_DATA|AUTH|CREDENTIALS?|DSN|CONNECTION_STRING|ACCOUNT_JSON_BASE64)$/;
/**
 * Endings above that name public values: the public half of a key pair (TiDB Cloud's TIDB_PUBLIC_KEY),
 * a key the browser gets (CookieYes' COOKIEYES_SITE_KEY), a limit per token (OPENAPI_RATE_LIMIT_PER_TOKEN).
 */
const PUBLIC_ENDING = /(^|_)(PUBLIC_KEY|SITE_KEY|PER_TOKEN)$/;

let knownSecrets: Set<string> | undefined;

/**
 * The one rule for "this variable is a secret", which every reader applies: its value is never
 * printed, never kept in the spec (overrides.env routes it to .dify-deploy/secrets.env) and never
 * written into Helm values (it goes to a Secret). A variable releases/secrets.json knows, or one
 * whose name ends like a credential. Identifiers of a key pair (…_ACCESS_KEY_ID, …_SECRET_ID, …_KEY_ID)
 * are like user names and are not hidden.
 */
export function isSecretName(name: string): boolean {
  knownSecrets ??= new Set(secretData().secrets.map((f) => f.var));
  return knownSecrets.has(name) || (CREDENTIAL_ENDING.test(name) && !PUBLIC_ENDING.test(name));
}

/** A Helm values key that holds a credential (not a name, path or reference to one). */
const CREDENTIAL_KEY = /(secret|password|token|apikey|serverkey|internalapikey|appsecretkey|secretkey|accesskeysecret)$/i;
const REFERENCE_KEY = /^(existingSecret|secretKeys|.*PasswordKey|.*Refs?|.*Name|.*Path|.*File)$/;
export const isCredentialKey = (key: string) => CREDENTIAL_KEY.test(key) && !REFERENCE_KEY.test(key);

export function holds(cond: Condition | undefined, env: Record<string, string>): boolean {
  if (!cond) return true;
  const v = (env[cond.var] ?? '').trim().toLowerCase();
  if (cond.in && !cond.in.map((x) => x.toLowerCase()).includes(v)) return false;
  if (cond.notIn && cond.notIn.map((x) => x.toLowerCase()).includes(v)) return false;
  return true;
}

/** Why a value is no secret, or undefined when it is fine. */
export function weakness(value: string, minLength: number): string | undefined {
  const published = publishedValue(value);
  if (published === 'default') return "is an upstream default published in Dify's repository";
  if (published === 'placeholder') return 'is a placeholder';
  if (value.length < minLength) return `is only ${value.length} characters (use ≥ ${minLength} random characters)`;
  if (new Set(value).size < 6) return 'repeats too few distinct characters';
  return undefined;
}

/** Whether the fact is in use on `version` for a component with this environment. */
export function factApplies(fact: SecretFact, version: string, component: string, env: Record<string, string>): boolean {
  return fact.component === component && !(fact.from && compareVersions(version, fact.from) < 0) && !(fact.until && compareVersions(version, fact.until) >= 0) && holds(fact.when, env);
}

/** The format the component requires of the secret on `version`, if any. */
export const formatOn = (fact: SecretFact, version: string) => (fact.format && compareVersions(version, fact.format.from) >= 0 ? fact.format : undefined);

/**
 * The one judgement of a secret's value, which render (for the values it writes from the spec)
 * and validate (for any files) both apply: why `env[fact.var]` is no usable secret, or undefined.
 */
export function secretProblem(fact: SecretFact, version: string, env: Record<string, string>): string | undefined {
  const value = env[fact.var];
  if (value === undefined || value.trim() === '') {
    const emptyIsFine = fact.emptyOk || (fact.emptyOkFrom !== undefined && compareVersions(version, fact.emptyOkFrom) >= 0) || (fact.emptyOkWhen !== undefined && holds(fact.emptyOkWhen, env));
    return emptyIsFine ? undefined : value === undefined ? 'is not set' : 'is empty';
  }
  const format = formatOn(fact, version);
  const weak = weakness(value, fact.minLength);
  if (weak) return weak;
  if (format && !hasFormat(value, format)) return `is not unpadded base64url of exactly ${format.bytes} bytes, which Dify ${version} requires (${format.source})`;
  return undefined;
}
