// One reader of a dify-helm component block (values merged onto the chart's defaults), for
// validate and import alike: whether it runs, its replicas, its extraEnv, its limits.
import { isMap, type Values } from './merge.js';

export interface ComponentValues {
  enabled: boolean;
  /**
   * The pods it runs: min = max = `replicas`, or with autoscaling on, the HPA's minReplicas and
   * maxReplicas (budgets must hold at max; the spec's replica count is min).
   */
  replicas: { min: number; max: number };
  /** extraEnv entries with a literal value (valueFrom references are not values), with their index for line look-ups. */
  extraEnv: { name: string; value: string; index: number }[];
  /** extraEnv entries read from a Secret's key (secretKeyRef). */
  secretRefs: { name: string; secret: string; key: string; index: number }[];
  limits: Values;
}

const count = (v: unknown, fallback: number) => {
  const n = Number(v ?? fallback);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
};

/**
 * `block` is the component's values merged onto the chart's; `chartBlock` the chart's own
 * defaults for it. The chart renders an HPA only for the blocks whose values.yaml has an
 * `autoscaling` map (templates/hpa.yaml: api, worker, web, sandbox): elsewhere `autoscaling` is a
 * key the chart ignores, and the Deployment runs `replicas`.
 */
export function componentValues(block: Values, chartBlock: unknown): ComponentValues {
  const hpa = isMap(chartBlock) && isMap(chartBlock.autoscaling);
  const autoscaling = hpa && isMap(block.autoscaling) && block.autoscaling.enabled === true ? block.autoscaling : undefined;
  const replicas = count(block.replicas, 1);
  const min = autoscaling ? count(autoscaling.minReplicas, 1) : replicas;
  const max = autoscaling ? count(autoscaling.maxReplicas, min) : replicas;
  const extraEnv: ComponentValues['extraEnv'] = [];
  const secretRefs: ComponentValues['secretRefs'] = [];
  (Array.isArray(block.extraEnv) ? block.extraEnv : []).forEach((e: unknown, index) => {
    if (!isMap(e) || typeof e.name !== 'string') return;
    if (typeof e.value === 'string') extraEnv.push({ name: e.name, value: e.value, index });
    const ref = isMap(e.valueFrom) && isMap(e.valueFrom.secretKeyRef) ? e.valueFrom.secretKeyRef : undefined;
    if (ref && typeof ref.name === 'string' && typeof ref.key === 'string') secretRefs.push({ name: e.name, secret: ref.name, key: ref.key, index });
  });
  const resources = isMap(block.resources) ? block.resources : {};
  // The chart renders a component under `{{- if .Values.<c>.enabled }}`: Go's truth, so an `enabled:`
  // left empty (null, which deletes the chart's default true) turns it off like false does.
  const enabled = block.enabled !== undefined && block.enabled !== null && block.enabled !== false && block.enabled !== 0 && block.enabled !== '';
  return { enabled, replicas: { min, max }, extraEnv, secretRefs, limits: isMap(resources.limits) ? resources.limits : {} };
}
