// The largest request body the front proxy must accept, shared by every target (compose nginx,
// the chart's proxy and its ingress), so one deployment never has two limits.
import type { Release } from '../core/data.js';
import type { Plan } from '../core/sizing.js';

/** Upload limits (MB) Dify enforces itself; the proxy must let each of them through. */
export const UPLOAD_LIMIT_VARS = ['UPLOAD_FILE_SIZE_LIMIT', 'UPLOAD_IMAGE_FILE_SIZE_LIMIT', 'UPLOAD_VIDEO_FILE_SIZE_LIMIT', 'UPLOAD_AUDIO_FILE_SIZE_LIMIT'];
/** Multipart framing and form fields around an upload at the limit. */
const BODY_OVERHEAD_MB = 1;

export function uploadLimits(release: Release): Record<string, string> {
  return Object.fromEntries(UPLOAD_LIMIT_VARS.map((k) => [k, release.upstreamDefaults[k] ?? '15']));
}

/** In MB: the plan's proxy limit, every upload limit and the plugin package limit, plus multipart overhead. */
export function bodyLimitMB(plan: Plan, release: Release): number {
  const pluginPackageMB = Math.ceil(Number(release.upstreamDefaults.PLUGIN_MAX_PACKAGE_SIZE ?? 52428800) / 1024 / 1024);
  const planBodyMB = parseInt(plan.components.find((c) => c.name === 'nginx')?.env.NGINX_CLIENT_MAX_BODY_SIZE ?? '0', 10) || 0;
  return Math.max(planBodyMB, ...Object.values(uploadLimits(release)).map(Number), pluginPackageMB) + BODY_OVERHEAD_MB;
}
