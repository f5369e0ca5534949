// What a container of a rendered compose file sees: env_file (.env) overlaid by `environment:`,
// with compose interpolation (helpers/compose-interpolate.ts) resolved from .env.
import { parse as parseDotenv } from 'dotenv';
import { interpolate } from './compose-interpolate.js';

export type ComposeService = { env_file?: (string | { path: string })[]; environment?: Record<string, string> | string[] };

/** A value as compose resolves it; compose refuses to start when a required variable is missing. */
function resolved(text: string, env: Record<string, string>): string {
  const r = interpolate(text, env);
  if (r.required.length) throw new Error(`compose would refuse to start: ${r.required.join('; ')}`);
  return r.value;
}

export function effectiveEnv(service: ComposeService, dotenvText: string): Record<string, string> {
  const dotenv = parseDotenv(dotenvText);
  const files = (service.env_file ?? []).map((f) => (typeof f === 'string' ? f : f.path));
  const out: Record<string, string> = files.some((f) => f === './.env' || f === '.env') ? { ...dotenv } : {};
  const environment = Array.isArray(service.environment)
    ? Object.fromEntries(service.environment.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]))
    : (service.environment ?? {});
  for (const [k, v] of Object.entries(environment)) out[k] = resolved(String(v), dotenv);
  return out;
}
