// nginx's effective read timeout and body limit: from the config files beside the compose
// file (ours hold literal values; upstream's templates hold ${NGINX_…} that the nginx
// entrypoint substitutes from its environment), else from the nginx service's environment.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Origin } from './diagnostics.js';
import type { Deployment } from './deployment.js';
import { envVarOrigin } from './deployment.js';
import { interpolate } from './env-file.js';
import { isDirectory, readTextFile } from '../io/files.js';
import { layered } from './layered.js';

export interface NginxSetting {
  /** Seconds (timeouts) or bytes (sizes); 0 = no limit. */
  value: number;
  text: string;
  origin?: Origin;
}

const TIME_UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, ms: 0.001 };
const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

export function nginxSeconds(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  return m ? Number(m[1]) * TIME_UNITS[(m[2] ?? '').toLowerCase()] : undefined;
}

export function nginxBytes(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([kmg])?\s*$/i.exec(text);
  return m ? Number(m[1]) * SIZE_UNITS[(m[2] ?? '').toLowerCase()] : undefined;
}

function configFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 3) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (/\.(conf|template)$/.test(e.name)) out.push(p);
    }
  };
  if (isDirectory(dir)) walk(dir, 0);
  return out.sort();
}

const configs = new WeakMap<Deployment, { file: string; lines: string[] }[]>();

/** The nginx config beside the files, each file's lines: read once per deployment, since several rules ask for settings. */
function configOf(d: Deployment): { file: string; lines: string[] }[] {
  let config = configs.get(d);
  if (!config) {
    const dir = nginxDir(d);
    config = (dir ? configFiles(dir) : []).map((file) => ({ file, lines: readTextFile(file, 'nginx config', 'fix or remove it', dirname(dir!)).split('\n') }));
    configs.set(d, config);
  }
  return config;
}

/** The nginx/ folder that belongs to these files, if any. */
function nginxDir(d: Deployment): string | undefined {
  const base = d.dir ?? (d.compose ? dirname(d.compose.file) : undefined);
  return base === undefined ? undefined : join(base, 'nginx');
}

/** The running nginx service, and the variables its config's `${VAR}`s read (its env over the project's). */
function nginxService(d: Deployment) {
  const nginx = d.services.find((s) => s.active && s.component === 'nginx');
  return { nginx, env: layered([d.vars, nginx?.env ?? {}]) };
}

/** The smallest value of `directive` across the config (the tightest location wins). */
export function nginxSetting(d: Deployment, directive: string, envVar: string, parse: (t: string) => number | undefined): NginxSetting | undefined {
  const { nginx, env } = nginxService(d);
  const pattern = new RegExp(`^\\s*${directive}\\s+([^;#]+);`);
  let found: NginxSetting | undefined;
  for (const { file, lines } of configOf(d)) {
    lines.forEach((line, i) => {
      const m = pattern.exec(line);
      if (!m) return;
      const raw = m[1].trim();
      const ref = /^\$\{?([A-Z_][A-Z0-9_]*)\}?$/.exec(raw)?.[1];
      const text = interpolate(raw, env);
      const value = parse(text);
      if (value === undefined) return;
      const origin = ref ? (nginx?.origin[ref] ?? envVarOrigin(d.envFile, ref) ?? { file, line: i + 1 }) : { file, line: i + 1 };
      if (!found || value < found.value) found = { value, text, origin };
    });
  }
  if (found) return found;
  const text = env[envVar] ?? d.release.upstreamDefaults[envVar];
  const value = text === undefined ? undefined : parse(text);
  if (value === undefined || !nginx) return undefined;
  return { value, text: text!, origin: nginx.origin[envVar] ?? envVarOrigin(d.envFile, envVar) };
}

/** An `upstream` block that caches idle connections (`keepalive N`), with how long it keeps them. */
export interface NginxUpstream {
  name: string;
  /** The `server` host names inside it (without ports). */
  hosts: string[];
  /** `keepalive_timeout` inside the block, else nginx's default 60 s. */
  idleSeconds: number;
  text: string;
  origin: Origin;
}

/** nginx's upstream keepalive_timeout when the block sets none (ngx_http_upstream_module). */
const UPSTREAM_KEEPALIVE_DEFAULT = '60s';

/** Every upstream block with a connection cache in the nginx config beside the files. */
export function nginxKeepaliveUpstreams(d: Deployment): NginxUpstream[] {
  const { env } = nginxService(d);
  const out: NginxUpstream[] = [];
  for (const { file, lines } of configOf(d)) {
    let block: { name: string; line: number; hosts: string[]; cached: boolean; timeout?: { text: string; line: number } } | undefined;
    lines.forEach((raw, i) => {
      const line = raw.replace(/#.*/, '');
      const open = /^\s*upstream\s+(\S+)\s*\{/.exec(line);
      if (open) block = { name: open[1], line: i + 1, hosts: [], cached: false };
      if (!block) return;
      const server = /^\s*server\s+([^\s;:]+)/.exec(line);
      if (server) block.hosts.push(interpolate(server[1], env));
      if (/^\s*keepalive\s+\d+\s*;/.test(line)) block.cached = true;
      const timeout = /^\s*keepalive_timeout\s+([^;]+);/.exec(line);
      if (timeout) block.timeout = { text: interpolate(timeout[1].trim(), env), line: i + 1 };
      if (/\}/.test(line)) {
        const text = block.timeout?.text ?? UPSTREAM_KEEPALIVE_DEFAULT;
        const idleSeconds = nginxSeconds(text);
        if (block.cached && idleSeconds !== undefined)
          out.push({ name: block.name, hosts: block.hosts, idleSeconds, text, origin: { file, line: block.timeout?.line ?? block.line } });
        block = undefined;
      }
    });
  }
  return out;
}
