// `dify-deploy release add PATH` / `release list`: release data built from upstream's own files.
// Exit 0 when stored or listed; 2 for bad input (not a Dify release, a half copy, an unreadable file).
import { dirname } from 'node:path';
import { z } from 'zod';
import { parseOptions } from '../cli/options.js';
import { table, type Io } from '../cli/io.js';
import { addRelease, listReleases, type AddReport, type ListReport } from '../core/releases/add.js';

const addOptionsSchema = z.object({
  path: z.string().min(1, 'required: a Dify checkout at a release tag, or its docker/ folder'),
  here: z.boolean().optional(),
  config: z.string().min(1).optional(),
  entrypoint: z.string().min(1).optional(),
  json: z.boolean().optional(),
});

const listOptionsSchema = z.object({ json: z.boolean().optional() });

export function formatAddReport(r: AddReport): string {
  if (r.alreadyShipped) return `Dify ${r.version} ships with dify-deploy: nothing stored (\`dify-deploy release list\` shows it).`;
  const lines = [
    `${r.replaced ? 'Replaced' : 'Added'} Dify ${r.version}: ${r.counts.variables} variables, ${r.counts.services} default services, ${r.counts.routes} nginx routes`,
    `  stored in ${r.storedAt} (${r.scope === 'project' ? 'beside the spec: commit it with the deployment' : 'for your user: every deployment on this machine sees it'})`,
    `  Celery queues: ${r.queues}`,
  ];
  if (r.newServices.length) lines.push(`  services new since the previous known release: ${r.newServices.join(', ')} (rendered as upstream defines them, not sized)`);
  if (r.removedServices.length)
    lines.push(`  services gone since the previous known release: ${r.removedServices.join(', ')} (a deployment that runs one cannot be rendered for ${r.version}: plan names it)`);
  for (const a of r.assumed) lines.push(`  curated facts assumed from ${a.release}: ${a.facts.join(', ')}`);
  lines.push(`Use it: dify-deploy render --release ${r.version} (or release: ${r.version} in dify-deploy.yaml), dify-deploy upgrade --to ${r.version}`);
  return lines.join('\n');
}

export function formatListReport(r: ListReport): string {
  const rows = r.releases.map((x) => [x.version, x.origin, x.curated, x.origin === 'shipped' ? '' : (x.input ?? ''), x.addedAt?.slice(0, 10) ?? '']);
  return [table(['release', 'data', 'curated facts', 'built from', 'added'], rows), '', `Added releases are stored in ${r.userDir} (per user) or ${r.projectDir} (--here).`].join('\n');
}

export async function runReleaseAdd(raw: unknown, io: Io): Promise<number> {
  const opts = parseOptions(addOptionsSchema, raw);
  const report = addRelease({ path: opts.path, here: opts.here, dir: opts.config ? dirname(opts.config) : undefined, entrypoint: opts.entrypoint });
  io.out(opts.json ? JSON.stringify(report, null, 2) : formatAddReport(report));
  return 0;
}

export async function runReleaseList(raw: unknown, io: Io): Promise<number> {
  const opts = parseOptions(listOptionsSchema, raw);
  const report = listReleases();
  io.out(opts.json ? JSON.stringify(report, null, 2) : formatListReport(report));
  return 0;
}
