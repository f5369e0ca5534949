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

/** Variable names whose values are never shown (reports print their names only) and never kept in the spec. */
export const SECRET_LIKE = /PASSWORD|SECRET|TOKEN|API_KEY|_KEY$|CREDENTIAL|DSN|CONNECTION_STRING/;

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
