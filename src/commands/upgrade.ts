// `dify-deploy upgrade --to V`: the typed diff first, then (after a confirmation or --yes) the
// write. Exit 0 when written, dry-run or nothing to do; 1 when refused (files you edited, plan
// problems); 2 for bad input (unknown release, downgrade without --force, no spec, no TTY and no --yes).
import confirm from '@inquirer/confirm';
import { z } from 'zod';
import { UserError } from '../io/errors.js';
import { prepareUpgrade, type UpgradeDiff } from '../lifecycle/upgrade.js';
import { parseOptions } from '../cli/options.js';
import { colors, type Io } from '../cli/io.js';
import { formatRenderReport } from './render.js';
import { isSecretName } from '../core/secret-data.js';

const upgradeOptionsSchema = z.object({
  to: z.string({ required_error: 'required: the Dify release to move to, e.g. --to 1.16.1' }).regex(/^\d+\.\d+\.\d+$/, 'expected a Dify release like 1.16.1'),
  config: z.string().min(1).optional(),
  dryRun: z.boolean().optional(),
  yes: z.boolean().optional(),
  force: z.boolean().optional(),
  json: z.boolean().optional(),
});

/** At most `n` names per line of the text diff; --json has them all. */
/** The budget's limit by its name: max_client_conn behind PgBouncer, else the database's max_connections. */
const limitText = (s: UpgradeDiff['sizing']['from']) => `${s.limit} ${s.maxConnections}`;
const few = (names: string[], n = 12) => (names.length > n ? `${names.slice(0, n).join(', ')}, … (+${names.length - n})` : names.join(', '));

export async function formatUpgradeDiff(d: UpgradeDiff): Promise<string> {
  const c = await colors();
  const v = d.variables;
  const lines = [c.bold(`Dify ${d.from} → ${d.to} (${d.direction})`)];
  lines.push(`services: ${d.services.added.length ? c.green(`+ ${d.services.added.join(', ')}`) : 'none added'}${d.services.removed.length ? c.red(`  - ${d.services.removed.join(', ')}`) : ''}`);
  lines.push('images:', ...d.images.map((i) => `  ${i.image}: ${i.from ?? '(none)'} → ${i.to ?? '(removed)'}`));
  if (d.layout) lines.push(`layout: ${d.layout.from} → ${d.layout.to} (${d.layout.note})`);
  lines.push(`variables (the two releases' data, derived from upstream's docker/ files):`);
  lines.push(`  added ${v.added.length}: ${few(v.added.map((x) => x.name))}`);
  lines.push(`  removed ${v.removed.length}: ${few(v.removed.map((x) => x.name))}`);
  for (const r of v.renamed) lines.push(`  renamed ${r.from} → ${r.to} (since ${r.since}; ${r.source})`);
  for (const r of v.newlyRequired) lines.push(`  now required: ${r.name} ${r.requirement} (${r.source})`);
  lines.push(`  default changed ${v.changedDefault.length}:`);
  for (const x of v.changedDefault.slice(0, 15)) lines.push(`    ${x.name}: ${isSecretName(x.name) ? '(a secret\'s placeholder; yours is kept)' : `${JSON.stringify(x.from)} → ${JSON.stringify(x.to)}`}  (${x.source})`);
  if (v.changedDefault.length > 15) lines.push(`    … (+${v.changedDefault.length - 15}; --json lists all)`);
  lines.push(`new secrets (generated once, kept in .dify-deploy/secrets.env, never printed): ${d.newSecrets.join(', ') || 'none'}`);
  if (d.overridesNotRead.length)
    lines.push(
      c.yellow(`your overrides ${d.to} no longer reads (kept as they are; move them yourself):`),
      ...d.overridesNotRead.map((o) => c.yellow(`  ${o.name}${o.renamedTo ? ` → now ${o.renamedTo} (${o.source})` : ''}`)),
    );
  lines.push(
    `sizing: DB connections required ${d.sizing.from.budgetRequired} → ${d.sizing.to.budgetRequired} (${limitText(d.sizing.from)} → ${limitText(d.sizing.to)}); concurrent API requests ${d.sizing.from.concurrentRequests} → ${d.sizing.to.concurrentRequests}`,
  );
  lines.push('required actions:', ...d.actions.map((a) => `  - ${a}`));
  return lines.join('\n');
}

async function confirmed(io: Io, to: string): Promise<boolean> {
  try {
    return await confirm({ message: `Write the upgrade to ${to}?`, default: false });
  } catch {
    io.err('Cancelled: nothing written.');
    return false;
  }
}

export async function runUpgrade(raw: unknown, io: Io): Promise<number> {
  const opts = parseOptions(upgradeOptionsSchema, raw);
  const prepared = prepareUpgrade(opts);
  const { diff } = prepared;
  if (diff.direction === 'same') {
    io.out(opts.json ? JSON.stringify({ diff, written: false }, null, 2) : `Already on Dify ${diff.to}: nothing to do.`);
    return 0;
  }
  if (!opts.dryRun && !opts.yes && !process.stdin.isTTY)
    throw new UserError([`upgrade: no terminal to confirm on; pass --yes to write the upgrade to ${diff.to}, or --dry-run to see it`]);
  if (!opts.json) io.out(await formatUpgradeDiff(diff));
  if (!opts.dryRun && !opts.yes && !(await confirmed(io, diff.to))) return 1;
  const report = await prepared.write(opts.dryRun ?? false);
  io.out(opts.json ? JSON.stringify({ diff, render: report }, null, 2) : `\n${await formatRenderReport(report)}`);
  return report.refused.length || report.conflicts.length ? 1 : 0;
}
