// Where an imported deployment's data lives now, and where the rendered compose file will look
// for it: each bind mount of the new file whose container path the old service also mounts, from a
// different host folder. Without the move the new stack starts on empty folders (an empty Dify).
import { dirname, resolve } from 'node:path';
import type { Deployment } from '../validate/deployment.js';

export interface DataMove {
  service: string;
  /** The container path both stacks mount. */
  target: string;
  from: string;
  to: string;
}

type Services = Record<string, { volumes?: unknown[] } | undefined>;

function bindMounts(volumes: unknown[] | undefined): { source: string; target: string }[] {
  return (volumes ?? []).flatMap((v) => {
    if (typeof v === 'string') {
      const [source, target] = v.split(':');
      return source && target && /^(\.|\/|~)/.test(source) ? [{ source, target }] : [];
    }
    const m = v as { type?: unknown; source?: unknown; target?: unknown } | null;
    return m?.type === 'bind' && typeof m.source === 'string' && typeof m.target === 'string' ? [{ source: m.source, target: m.target }] : [];
  });
}

/** The moves from `old` (the user's compose deployment) to the compose file rendered into `outDir`. */
export function dataMoves(old: Deployment, rendered: Deployment, outDir: string, renderedPaths: readonly string[]): DataMove[] {
  if (!old.compose || !rendered.compose) return [];
  const oldServices = ((old.compose.data as { services?: Services })?.services ?? {}) as Services;
  const newServices = ((rendered.compose.data as { services?: Services })?.services ?? {}) as Services;
  const oldDir = dirname(old.compose.file);
  const moves: DataMove[] = [];
  for (const [name, svc] of Object.entries(newServices)) {
    if (!old.services.some((s) => s.active && s.name === name)) continue;
    const before = bindMounts(oldServices[name]?.volumes);
    for (const m of bindMounts(svc?.volumes)) {
      const was = before.find((b) => b.target === m.target);
      if (!was || m.source.startsWith('/')) continue;
      const from = resolve(oldDir, was.source);
      const to = resolve(outDir, m.source);
      // Configuration the render writes itself (the sandbox's conf, scripts) is not data.
      const rendersInto = renderedPaths.some((p) => resolve(outDir, p).startsWith(`${to}/`) || resolve(outDir, p) === to);
      if (from !== to && !rendersInto) moves.push({ service: name, target: m.target, from, to });
    }
  }
  return moves;
}
