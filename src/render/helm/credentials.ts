// Credentials the chart has no Secret key for — an event bus URL with its password, the bundled
// Weaviate's API key (the chart writes it into a ConfigMap and a literal env value), secrets
// set through overrides.env — reach the pods through a Secret: helm/extra/credentials.yaml
// (0600, applied before the chart), or with helm.existingSecret the user's own Secret.
import { redactUrlPasswords } from '../../core/redact.js';
import { isSecretName } from '../../core/secret-data.js';
import { HELM_NAMESPACE, HELM_RELEASE_NAME } from './names.js';
import { stringifyYaml } from '../../io/yaml-doc.js';
import type { RenderContext, RenderedFile } from '../types.js';

/** The Secret dify-deploy renders for the credentials above. */
export const CREDENTIALS_SECRET = `${HELM_RELEASE_NAME}-credentials`;

/** Bundled Weaviate reads its allowed API keys from this env name (weaviate-helm envSecrets: the Secret key is the env name). */
export const WEAVIATE_KEYS_ENV = 'AUTHENTICATION_APIKEY_ALLOWED_KEYS';

/** Not a key: what the bundled Weaviate's config file (and so the chart's api Secret) gets in place of the real one. */
export const WEAVIATE_KEY_PLACEHOLDER = `in-secret-${CREDENTIALS_SECRET}`;

/**
 * Is this env entry a credential? (Empty values carry nothing.) A secret's name, or a value holding
 * a URL with a password (redis://:p@h, https://u:p@h): what the one URL redactor would hide.
 */
export function isCredential(name: string, value: string): boolean {
  return value !== '' && (isSecretName(name) || redactUrlPasswords(value) !== value);
}

type SecretEnvVar = { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } };

/** The Secret pods read these credentials from. */
export const credentialsSecretName = (ctx: RenderContext) => ctx.spec.helm?.existingSecret ?? CREDENTIALS_SECRET;

/**
 * Splits a container's env: credentials become secretKeyRefs (key: the env name, or
 * `<label>.<name>` where this component's value differs from the deployment-wide one),
 * the rest stays plain. `keys` collects Secret key → value for the rendered Secret.
 */
export function splitCredentials(
  ctx: RenderContext,
  label: string,
  env: Record<string, string>,
  shared: Record<string, string>,
  keys?: Record<string, string>,
): { refs: SecretEnvVar[]; plain: Record<string, string> } {
  const secret = credentialsSecretName(ctx);
  const refs: SecretEnvVar[] = [];
  const plain: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!isCredential(name, value)) {
      plain[name] = value;
      continue;
    }
    const key = shared[name] === value ? name : `${label}.${name}`;
    // Pods that share a label share its credentials (the run worker copies the worker's pod); never two values under one key.
    if (keys && key in keys && keys[key] !== value) throw new Error(`two values for the Secret key ${key}`);
    if (keys) keys[key] = value;
    refs.push({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
  }
  return { refs, plain };
}

/** helm/extra/credentials.yaml: the Secret, private like values.yaml; none with helm.existingSecret. */
export function renderCredentialsSecret(ctx: RenderContext, data: Record<string, string>): RenderedFile | undefined {
  if (ctx.spec.helm?.existingSecret || !Object.keys(data).length) return undefined;
  const sorted = Object.fromEntries(Object.keys(data).sort().map((k) => [k, data[k]]));
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: CREDENTIALS_SECRET, namespace: HELM_NAMESPACE }, type: 'Opaque', stringData: sorted };
  return { path: 'helm/extra/credentials.yaml', content: stringifyYaml(secret), mode: 0o600 };
}
