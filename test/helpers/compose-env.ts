// What a container of a rendered compose file sees: env_file (.env) overlaid by `environment:`,
// with compose interpolation (${VAR}, ${VAR:-d}, ${VAR:?e}, $$) resolved from .env.
import { parse as parseDotenv } from 'dotenv';

export type ComposeService = { env_file?: (string | { path: string })[]; environment?: Record<string, string> | string[] };

export function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (m, name: string, op: string | undefined, arg: string) => {
    if (m === '$$') return '$';
    const v = env[name];
    if (op === ':-') return v ? v : arg;
    if (op === '-') return v ?? arg;
    if (op === ':?' || op === '?') {
      if (op === ':?' ? !v : v === undefined) throw new Error(`compose would refuse to start: ${name} is unset (${arg})`);
      return v;
    }
    return v ?? '';
  });
}

export function effectiveEnv(service: ComposeService, dotenvText: string): Record<string, string> {
  const dotenv = parseDotenv(dotenvText);
  const files = (service.env_file ?? []).map((f) => (typeof f === 'string' ? f : f.path));
  const out: Record<string, string> = files.some((f) => f === './.env' || f === '.env') ? { ...dotenv } : {};
  const environment = Array.isArray(service.environment)
    ? Object.fromEntries(service.environment.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]))
    : (service.environment ?? {});
  for (const [k, v] of Object.entries(environment)) out[k] = interpolate(String(v), dotenv);
  return out;
}
