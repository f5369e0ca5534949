// releases/secrets.json: which variables are secrets, when they are in use, and the
// upstream defaults and placeholders that make one worthless.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './data.js';
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
  knownDefaults: string[];
  placeholderPatterns: string[];
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
