// Checks a values file for the dify-helm chart on machines without Helm (validate --helm-values).
//
// What Helm or Kubernetes would also tell — mirrored here so validate needs no binary or cluster,
// and proven against the real programs in tests (test/helm-check.test.ts compares the schema
// findings with real `helm lint`; test/helm-real.test.ts renders every output with real Helm and
// checks each object against the Kubernetes schemas), so no test trusts this mirror for our output:
//   helm-schema      values.schema.json on the coalesced values (Helm does exactly this)
//   helm-env-value   EnvVar values must be strings (Kubernetes' schema)
//   helm-quantity    resources are quantities, requests ≤ limits (the API server)
//   helm-autoscaling minReplicas ≤ maxReplicas (the API server)
// What neither can tell — only here: the schema has no `additionalProperties: false`, so
//   helm-unknown-key a key that is not the chart's (a typo) and helm-dead-key a key no template
//   reads are silently ignored by Helm; helm-null-block an empty block (`api:` with its keys
//   commented out) deletes the chart's defaults, which Helm only reports as a template's nil
//   pointer; and the autoscaling warning that replicas ≠ minReplicas
//   resets the Deployment on every upgrade.
import { join } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { didYouMean } from '../io/errors.js';
import { requireGenerated } from '../core/generated-code.js';
import { GENERATED_CHARTS_DIR, loadChart, pathMatches, runChartValidator, type ChartData } from './chart.js';
import { coalesceValues, dotted, isMap, type Values } from './merge.js';
import { parseQuantity } from './quantity.js';

export type HelmRule = 'helm-schema' | 'helm-unknown-key' | 'helm-dead-key' | 'helm-null-block' | 'helm-env-value' | 'helm-quantity' | 'helm-autoscaling';

export interface Finding {
  rule: HelmRule;
  severity: 'error' | 'warning';
  /** Key path in the values file, e.g. ["api", "extraEnv", 2, "value"]. */
  path: (string | number)[];
  message: string;
  fix?: string;
}

/** The chart's values.schema.json compiled ahead of time (scripts/generate.mjs): compiling it here cost ~40 % of a run. */
function schemaValidator(chart: ChartData): ValidateFunction {
  // A chart given with --chart: its own schema, compiled for this run (none: nothing to check).
  const run = runChartValidator(chart.version);
  if (run) return run.validator ?? (Object.assign(() => true, { errors: null }) as unknown as ValidateFunction);
  return requireGenerated(join(GENERATED_CHARTS_DIR, `dify-helm-${chart.version}`, 'values-validator.cjs')) as ValidateFunction;
}

function schemaFindings(chart: ChartData, merged: Values): Finding[] {
  const validate = schemaValidator(chart);
  if (validate(merged)) return [];
  return (validate.errors ?? []).map((e: ErrorObject) => {
    const path = e.instancePath
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    return {
      rule: 'helm-schema' as const,
      severity: 'error' as const,
      path,
      message: `${dotted(path) || '(root)'} ${e.message ?? 'is invalid'} (chart ${chart.version} values.schema.json)`,
      fix: e.keyword === 'type' ? `give a ${String(e.params.type)} value` : undefined,
    };
  });
}

/** A user key path the chart ignores: absent from values.yaml and from what the templates read. */
function keyTreeFindings(chart: ChartData, user: Values): Finding[] {
  const { keys } = chart;
  const findings: Finding[] = [];
  const walk = (value: unknown, defaults: unknown, path: string[]) => {
    if (!isMap(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const p = [...path, key];
      if (path.length === 0 && key in keys.subcharts) continue; // subchart values: the subchart's business
      const def = isMap(defaults) ? defaults[key] : undefined;
      // `api:` with every key under it commented out is null, and a null deletes the key in Helm:
      // the chart's defaults under it are gone and the templates that read them fail to render.
      if (child === null && isMap(def) && Object.keys(def).length > 0) {
        findings.push({
          rule: 'helm-null-block',
          severity: 'error',
          path: p,
          message: `${dotted(p)} is empty (null), which deletes the chart's whole ${dotted(p)} block in Helm — its ${Object.keys(def).length} default keys with it — and the templates that read them fail to render (nil pointer evaluating .Values.${dotted(p)}.…)`,
          fix: `give ${dotted(p)} the keys you meant to set, or remove the line (a key left out keeps the chart's defaults)`,
        });
        continue;
      }
      const dead = keys.dead.find((d) => pathMatches(d.path, p));
      if (dead) {
        findings.push({
          rule: 'helm-dead-key',
          severity: 'error',
          path: p,
          message: `${dotted(p)}: no template of dify-helm ${chart.version} reads this key, so the chart silently ignores it (${dead.source})`,
          fix: 'remove it, or set what you meant through a key the chart reads',
        });
        continue;
      }
      if (keys.openMaps.some((m) => pathMatches(m.path, p)) || keys.templateOnly.some((t) => pathMatches(t.path, p))) continue;
      if (!isMap(defaults) || !(key in defaults)) {
        const hint = didYouMean(key, isMap(defaults) ? Object.keys(defaults) : []);
        findings.push({
          rule: 'helm-unknown-key',
          severity: 'error',
          path: p,
          message: `${dotted(p)}: not a key of dify-helm ${chart.version} (not in its values.yaml nor read by its templates); Helm accepts it and the chart ignores it${hint}`,
          fix: hint ? 'rename it to the key the chart reads' : `remove it; or, if the values are for a dify-helm newer than ${chart.version}, check them against that chart with --chart PATH`,
        });
        continue;
      }
      // `{}` or null in values.yaml marks a free-form slot (resources, affinity, annotations, …).
      if (def === null || (isMap(def) && Object.keys(def).length === 0)) continue;
      walk(child, def, p);
    }
  };
  walk(user, chart.defaults, []);
  return findings;
}

/** Every `extraEnv` item must be a Kubernetes EnvVar whose value is a string. */
function envFindings(user: Values): Finding[] {
  const findings: Finding[] = [];
  for (const [component, block] of Object.entries(user)) {
    if (!isMap(block) || block.extraEnv === undefined || block.extraEnv === null) continue;
    const list = block.extraEnv;
    const base = [component, 'extraEnv'];
    if (!Array.isArray(list)) {
      findings.push({ rule: 'helm-env-value', severity: 'error', path: base, message: `${dotted(base)}: must be a list of {name, value} entries` });
      continue;
    }
    list.forEach((item, i) => {
      const p = [...base, i];
      if (!isMap(item) || typeof item.name !== 'string' || item.name === '') {
        findings.push({ rule: 'helm-env-value', severity: 'error', path: p, message: `${dotted(p)}: an env entry needs a string name` });
        return;
      }
      if ('value' in item && item.value !== null && typeof item.value !== 'string')
        findings.push({
          rule: 'helm-env-value',
          severity: 'error',
          path: [...p, 'value'],
          message: `${dotted(p)} (${item.name}): value ${JSON.stringify(item.value)} is a ${typeof item.value}; the API server rejects a Deployment whose env value is not a string`,
          fix: `quote it: value: "${String(item.value)}"`,
        });
    });
  }
  return findings;
}

/** requests/limits anywhere (subcharts included) must be quantities, with requests ≤ limits. */
function quantityFindings(user: Values): Finding[] {
  const findings: Finding[] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    if (!isMap(value)) return;
    for (const [key, child] of Object.entries(value)) {
      if (key === 'resources' && isMap(child)) findings.push(...resourceFindings(child, [...path, key]));
      else walk(child, [...path, key]);
    }
  };
  walk(user, []);
  return findings;
}

function resourceFindings(resources: Values, path: (string | number)[]): Finding[] {
  const findings: Finding[] = [];
  const parsed: Record<string, Record<string, number>> = {};
  for (const kind of ['requests', 'limits']) {
    const block = resources[kind];
    if (!isMap(block)) continue;
    parsed[kind] = {};
    for (const [resource, q] of Object.entries(block)) {
      const n = parseQuantity(q);
      const p = [...path, kind, resource];
      if (n === null || n < 0)
        findings.push({
          rule: 'helm-quantity',
          severity: 'error',
          path: p,
          message: `${dotted(p)}: ${JSON.stringify(q)} is not a Kubernetes quantity`,
          fix: resource === 'cpu' ? 'e.g. "500m" or "2"' : 'e.g. "512Mi" or "4Gi"',
        });
      else parsed[kind][resource] = n;
    }
  }
  for (const [resource, request] of Object.entries(parsed.requests ?? {})) {
    const limit = parsed.limits?.[resource];
    if (limit !== undefined && request > limit) {
      const p = [...path, 'requests', resource];
      findings.push({ rule: 'helm-quantity', severity: 'error', path: p, message: `${dotted(p)} is above its limit; Kubernetes rejects the pod`, fix: 'lower the request or raise the limit' });
    }
  }
  return findings;
}

/** HPA blocks that Kubernetes rejects or that fight the Deployment's replica count. */
function autoscalingFindings(merged: Values): Finding[] {
  const findings: Finding[] = [];
  for (const [component, block] of Object.entries(merged)) {
    if (!isMap(block) || !isMap(block.autoscaling) || block.autoscaling.enabled !== true) continue;
    const { minReplicas, maxReplicas } = block.autoscaling;
    const p = [component, 'autoscaling'];
    if (typeof minReplicas === 'number' && typeof maxReplicas === 'number' && minReplicas > maxReplicas)
      findings.push({ rule: 'helm-autoscaling', severity: 'error', path: [...p, 'minReplicas'], message: `${dotted(p)}: minReplicas ${minReplicas} > maxReplicas ${maxReplicas}` });
    // The chart renders spec.replicas even under an HPA: every `helm upgrade` resets the count to it.
    if (typeof block.replicas === 'number' && typeof minReplicas === 'number' && block.replicas !== minReplicas)
      findings.push({
        rule: 'helm-autoscaling',
        severity: 'warning',
        path: [component, 'replicas'],
        message: `${component}.replicas ${block.replicas} differs from autoscaling.minReplicas ${minReplicas}; each helm upgrade resets the Deployment to ${block.replicas} until the HPA reacts`,
        fix: `set ${component}.replicas to ${minReplicas}`,
      });
  }
  return findings;
}

/**
 * All findings for a values file (already parsed) against a dify-helm chart version.
 * `values` is what the user passes with -f; it is merged onto the chart's defaults as Helm does.
 */
export function checkHelmValues(values: unknown, chartVersion: string): Finding[] {
  const chart = loadChart(chartVersion);
  if (values === null || values === undefined) values = {};
  if (!isMap(values))
    return [{ rule: 'helm-schema', severity: 'error', path: [], message: 'a values file must be a YAML mapping of keys', fix: 'start the file with top-level keys such as api:, worker:' }];
  const merged = coalesceValues(chart.defaults, values);
  return [...schemaFindings(chart, merged), ...keyTreeFindings(chart, values), ...envFindings(values), ...quantityFindings(values), ...autoscalingFindings(merged)];
}
