// The round trip import must keep: render the adopted spec in memory, read the result back
// through validate's own loaders, and compare it with the user's deployment — every setting
// reaches the same processes with the same value, and every service still runs.
import { join } from 'node:path';
import type { Spec } from '../core/spec.js';
import { renderFiles } from '../render/index.js';
import type { RenderedFile } from '../render/types.js';
import { parseComposeText } from '../validate/compose-file.js';
import { buildDeployment, type Deployment } from '../validate/deployment.js';
import type { Origin } from '../validate/diagnostics.js';
import { parseEnvText } from '../validate/env-file.js';
import { loadRelease } from '../core/data.js';
import type { ComponentName } from '../core/spec.js';
import { APP_COMPONENTS, type UserVar } from './adopt.js';
import { componentsWhere } from '../dify/components.js';

/** Where the in-memory render "lives": a path that cannot exist, so nothing is read from disk. */
const VIRTUAL_DIR = join('/dev/null', 'dify-deploy-render');

export interface Mismatch {
  key: string;
  /** The process that no longer gets the value; undefined: the project .env lacks it. */
  component?: ComponentName;
  want: string;
  got?: string;
  origin?: Origin;
  /** The rendered service sets the variable in its own `environment:` (a .env value cannot win there). */
  pinned: boolean;
  /** The value carries a secret: it may never be copied into the spec. */
  embedsSecret: boolean;
}

export interface RenderedView {
  files: RenderedFile[];
  deployment?: Deployment;
  problems: string[];
}

/** Renders the compose target in memory and reads it back as validate would. */
export function renderAndRead(spec: Spec, secrets: Record<string, string>): RenderedView {
  // Read back even when the plan has problems: the settings must survive the import either way
  // (the problems are reported beside them), or a deployment over its budget loses them all.
  const { files, plans } = renderFiles(spec, 'compose', secrets, { readBack: true });
  const text = (path: string) => files.find((f) => f.path === path)!.content;
  const deployment = buildDeployment({
    release: loadRelease(spec.release),
    releaseSource: 'render',
    releaseStated: true,
    envFile: parseEnvText(text('.env'), join(VIRTUAL_DIR, '.env')),
    compose: parseComposeText(text('docker-compose.yaml'), join(VIRTUAL_DIR, 'docker-compose.yaml')),
  });
  return { files, deployment, problems: plans[0].problems };
}

/** Literal `environment:` values the user's compose gives a Dify service (per-service settings). */
export function serviceLiterals(user: Deployment): { component: ComponentName; key: string; value: string; origin: Origin }[] {
  const out: { component: ComponentName; key: string; value: string; origin: Origin }[] = [];
  if (!user.compose) return out;
  for (const cs of user.compose.services) {
    const s = user.services.find((x) => x.name === cs.name);
    if (!s?.active || !s.component || !APP_COMPONENTS.includes(s.component)) continue;
    for (const e of cs.environment) if (e.raw !== null && !e.raw.includes('$')) out.push({ component: s.component, key: e.key, value: e.raw, origin: { file: user.compose.file, line: e.line } });
  }
  return out;
}

/**
 * Without a compose file validate assumes the release's standard wiring, feeding the whole .env to
 * every service; upstream does that (in both layouts) only for these, so only these are compared.
 */
export const ENV_FED_COMPONENTS: readonly ComponentName[] = componentsWhere((c) => c.upstreamSharedEnv);

export function roundTripMismatches(user: Deployment, settings: Map<string, UserVar>, rendered: Deployment, secretValues: string[]): Mismatch[] {
  const out: Mismatch[] = [];
  const carriesSecret = (v: string) => secretValues.some((s) => s.length >= 8 && v.includes(s));
  const renderedOf = (c: ComponentName) => rendered.services.find((s) => s.active && s.component === c);
  const pinnedIn = (c: ComponentName, key: string) => rendered.compose?.services.find((s) => s.name === renderedOf(c)?.name)?.environment.some((e) => e.key === key) ?? false;
  const check = (key: string, want: string, component: ComponentName, origin: Origin | undefined) => {
    const rs = renderedOf(component);
    if (!rs || rs.env[key] === want) return;
    const embedsSecret = carriesSecret(want);
    // dify-deploy wires secret-derived variables itself; where it sets none the secret still reaches the process by its own name.
    if (embedsSecret && rs.env[key] === undefined) return;
    out.push({ key, component, want, got: rs.env[key], origin, pinned: pinnedIn(component, key), embedsSecret });
  };
  const compared: readonly ComponentName[] = user.compose ? APP_COMPONENTS : ENV_FED_COMPONENTS;
  for (const [key, v] of settings) {
    const received = user.services.filter((s) => s.active && s.component && compared.includes(s.component) && s.env[key] === v.value);
    if (received.length === 0) {
      if (rendered.vars[key] !== v.value) out.push({ key, want: v.value, got: rendered.vars[key], origin: v.origin, pinned: false, embedsSecret: carriesSecret(v.value) });
      continue;
    }
    for (const s of received) check(key, v.value, s.component!, v.origin);
  }
  for (const l of serviceLiterals(user)) check(l.key, l.value, l.component, l.origin);
  return out;
}

/** A Dify process (and its setting) that reaches the service by its name as a host, if any. */
export function usedByDify(d: Deployment, service: string): string | undefined {
  // As a host: at the start, after user@ or //, in a list; followed by :port, a path, the list or the end (not a URL scheme).
  const host = new RegExp(`(^|[/@,;=])${service.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:\\d|[/,;]|$)`);
  const hostSetting = /(HOST|URL|URI|ENDPOINT|ADDRESS|SENTINELS|CLUSTERS)$/;
  for (const s of d.services)
    if (s.active && s.component) for (const [k, v] of Object.entries(s.env)) if (hostSetting.test(k) && host.test(v)) return `${s.name} ${k}`;
  return undefined;
}

/**
 * User services the render does not have (by component for Dify's own, else by name). A bundled
 * backend no Dify process uses (upstream's compose starts redis even when REDIS_HOST points
 * elsewhere) is not missing: it is dropped.
 */
export function missingServices(user: Deployment, rendered: Deployment): { name: string; line?: number; usedBy?: string }[] {
  return user.services
    .filter((s) => s.active && (s.component !== undefined || usedByDify(user, s.name) !== undefined))
    .filter((s) => (s.component ? !rendered.services.some((r) => r.active && r.component === s.component) : !rendered.services.some((r) => r.active && r.name === s.name)))
    .map((s) => ({ name: s.name, line: s.line, usedBy: s.component ? undefined : usedByDify(user, s.name) }));
}
