// body-size: nginx's client_max_body_size must admit the largest upload Dify accepts,
// or uploads Dify would take fail with 413 before they reach it.
import { at, type Diagnostic } from '../diagnostics.js';
import { nginxBytes, nginxSetting } from '../nginx-settings.js';
import type { Rule } from './rule.js';

const MB = 1024 * 1024;
/** Upload limits in MB (Dify's file-upload settings) and in bytes (plugin packages). */
const LIMITS: { name: string; unit: number }[] = [
  { name: 'UPLOAD_FILE_SIZE_LIMIT', unit: MB },
  { name: 'UPLOAD_IMAGE_FILE_SIZE_LIMIT', unit: MB },
  { name: 'UPLOAD_VIDEO_FILE_SIZE_LIMIT', unit: MB },
  { name: 'UPLOAD_AUDIO_FILE_SIZE_LIMIT', unit: MB },
  { name: 'PLUGIN_MAX_PACKAGE_SIZE', unit: 1 },
];

export const bodySizeRule: Rule = {
  id: 'body-size',
  summary: 'nginx client_max_body_size below the upload limits',
  check(d) {
    const api = d.services.find((s) => s.active && s.component === 'api');
    const body = nginxSetting(d, 'client_max_body_size', 'NGINX_CLIENT_MAX_BODY_SIZE', nginxBytes);
    if (!api || !body || body.value === 0) return [];
    const out: Diagnostic[] = [];
    for (const limit of LIMITS) {
      const raw = api.env[limit.name] || d.release.upstreamDefaults[limit.name];
      const n = Number(raw);
      if (!raw || !Number.isFinite(n) || n * limit.unit <= body.value) continue;
      out.push({
        rule: this.id,
        severity: 'warning',
        ...at(body.origin),
        message: `nginx client_max_body_size ${body.text} is below ${limit.name}=${raw}${limit.unit === MB ? ' MB' : ' bytes'}: larger uploads fail with 413 at nginx`,
        fix: `set NGINX_CLIENT_MAX_BODY_SIZE (or client_max_body_size) to at least ${Math.ceil((n * limit.unit) / MB)}M, or lower ${limit.name}`,
        data: { nginxBytes: body.value, variable: limit.name, bytes: n * limit.unit },
      });
    }
    return out;
  },
};
