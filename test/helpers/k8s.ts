// Kubernetes objects as the API server and the kubelet see them: parsed as YAML 1.1 (what
// client-go's YAML reader speaks), each validated against its kind's OpenAPI schema
// (kubernetes-models), and a container's environment built the way the kubelet builds it.
import * as coreV1 from 'kubernetes-models/v1';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as rbacV1 from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { parseAllDocuments } from 'yaml';

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any };

const GROUPS: Record<string, Record<string, unknown>> = {
  v1: coreV1,
  'apps/v1': appsV1,
  'batch/v1': batchV1,
  'autoscaling/v2': autoscalingV2,
  'networking.k8s.io/v1': networkingV1,
  'policy/v1': policyV1,
  'rbac.authorization.k8s.io/v1': rbacV1,
};

export function parseManifests(text: string): K8sObject[] {
  const docs = parseAllDocuments(text, { version: '1.1' });
  const out: K8sObject[] = [];
  for (const d of Array.isArray(docs) ? docs : [docs]) {
    if (d.errors.length) throw new Error(`YAML error: ${d.errors[0].message}`);
    const obj = d.toJS();
    if (obj) out.push(obj as K8sObject);
  }
  return out;
}

/** Schema errors of one object (strict types: string maps, integer ports and replicas, quantities); [] when valid. */
export function schemaErrors(obj: K8sObject): string[] {
  const Model = GROUPS[obj.apiVersion]?.[obj.kind] as (new (data: unknown) => { validate(): void }) | undefined;
  if (!Model) return [`${obj.apiVersion} ${obj.kind}: no Kubernetes schema known for this kind`];
  try {
    new Model(obj).validate();
    return [];
  } catch (e) {
    return [`${obj.kind}/${obj.metadata?.name}: ${(e as Error).message}`];
  }
}

export const find = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

function secretData(secret: K8sObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((secret.data ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return { ...out, ...((secret.stringData ?? {}) as Record<string, string>) };
}

/** A value read from a Secret that is not rendered (the user's own): a marker naming it. */
export const externalRef = (name: string, key: string) => `<secret ${name}/${key}>`;

export interface ContainerEnv {
  env: Record<string, string>;
  /** ConfigMaps/Secrets the container reads that are neither rendered nor allowed external. */
  missing: string[];
  /** $(VAR) references the kubelet leaves unexpanded. */
  unexpanded: string[];
}

/**
 * envFrom in order, then env in order (later wins); `$(VAR)` expands against what is defined
 * before it and `$$` escapes, as the kubelet does. `external` names Secrets that live outside the chart.
 */
export function containerEnv(container: any, objects: K8sObject[], external: Set<string> = new Set()): ContainerEnv {
  const env: Record<string, string> = {};
  const missing: string[] = [];
  const unexpanded: string[] = [];
  const source = (kind: 'ConfigMap' | 'Secret', name: string, optional?: boolean): Record<string, string> | undefined => {
    const obj = find(objects, kind, name);
    if (obj) return kind === 'Secret' ? secretData(obj) : ((obj.data ?? {}) as Record<string, string>);
    if (!(kind === 'Secret' && external.has(name)) && !optional) missing.push(`${kind}/${name}`);
    return undefined;
  };
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const data = source(from.configMapRef ? 'ConfigMap' : 'Secret', ref.name, ref.optional);
    for (const [k, v] of Object.entries(data ?? {})) env[(from.prefix ?? '') + k] = String(v);
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom) {
      const ref = e.valueFrom.configMapKeyRef ?? e.valueFrom.secretKeyRef;
      if (!ref) continue; // fieldRef / resourceFieldRef: filled by the kubelet
      const kind = e.valueFrom.configMapKeyRef ? 'ConfigMap' : 'Secret';
      const data = source(kind, ref.name, ref.optional);
      if (data) {
        if (ref.key in data) env[e.name] = data[ref.key];
        else if (!ref.optional) missing.push(`${kind}/${ref.name} key ${ref.key}`);
      } else if (kind === 'Secret' && external.has(ref.name)) env[e.name] = externalRef(ref.name, ref.key);
      continue;
    }
    const raw = String(e.value ?? '');
    env[e.name] = raw.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
      if (m === '$$') return '$';
      if (name! in env) return env[name!];
      unexpanded.push(`${e.name}: $(${name})`);
      return m;
    });
  }
  return { env, missing, unexpanded };
}

/** Does a label selector's matchLabels select these pod labels? */
export const selects = (matchLabels: Record<string, string>, labels: Record<string, string> = {}) => Object.entries(matchLabels).every(([k, v]) => labels[k] === v);
