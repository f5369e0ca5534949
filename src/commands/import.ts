// `dify-deploy import`: adopt an existing deployment as dify-deploy.yaml + the secrets store.
// Exit 0 when written (or a dry run), 1 when refused by files you edited or a plan problem,
// 2 for bad input and for what the spec cannot represent (each named with file and line).
import { z } from 'zod';
import { importDeployment, type ImportReport, type SizingSummary } from '../lifecycle/import.js';
import { parseOptions } from '../cli/options.js';
import { colors, table, type Io } from '../cli/io.js';
import { fileLines, fileTally } from '../cli/file-status.js';

const importOptionsSchema = z.object({
  dir: z.string().min(1).optional(),
  env: z.string().min(1).optional(),
  compose: z.string().min(1).optional(),
  helmValues: z.string().min(1).optional(),
  release: z.string().regex(/^\d+\.\d+\.\d+$/, 'expected a Dify release like 1.16.1').optional(),
  dbMaxConnections: z.coerce.number({ invalid_type_error: 'expected an integer ≥ 10' }).int('expected an integer ≥ 10').min(10, 'expected an integer ≥ 10').optional(),
  out: z.string().min(1).optional(),
  force: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  json: z.boolean().optional(),
});

const sizingRow = (label: string, s: SizingSummary) => [label, s.concurrentRequests, s.sustainableQps, `${s.budgetRequired ?? 'unbounded'} / ${s.limit} ${s.maxConnections}${s.limit === 'max_client_conn' ? ` (database max_connections ${s.databaseMaxConnections})` : ''}`, s.fits ? 'yes' : 'NO'];

export async function formatImportReport(r: ImportReport): Promise<string> {
  const c = await colors();
  const lines = [c.bold(`Import of ${r.inputs.join(' + ')} → ${r.outDir}`), `Release: ${r.release.version} (${r.release.source})${r.release.guessed ? c.yellow(' — guessed: pass --release to be sure') : ''}`];
  if (r.refusals.length) {
    lines.push(c.red('Not imported: dify-deploy.yaml cannot represent these (nothing written):'));
    for (const f of r.refusals) lines.push(c.red(`  ${f.file ? `${f.file}${f.line ? `:${f.line}` : ''}: ` : ''}${f.message}`));
    return lines.join('\n');
  }
  const b = r.backends;
  lines.push(`Backends: database ${b.database}; redis ${b.redis}; vector store ${b.vectorStore}; storage ${b.storage}; domain ${b.domain}`);
  lines.push(`overrides.env: ${r.overridesEnv.length} setting(s) differing from the upstream defaults${r.overridesEnv.length ? `: ${r.overridesEnv.join(', ')}` : ''}`);
  lines.push(`Secrets kept in .dify-deploy/secrets.env (0600, never printed): ${r.secrets.kept.join(', ') || 'none'}`);
  if (r.secrets.generated.length) lines.push(c.yellow(`Secrets to be generated (published default or empty): ${r.secrets.generated.join(', ')}`));
  lines.push(
    '',
    `Sizing: the current sizing is kept as overrides.components; nearest tier ${r.sizing.suggestedTier}.`,
    table(['sizing', 'concurrent API requests', 'sustained QPS', 'DB connections required / limit', 'fits'], [sizingRow('current (overrides)', r.sizing.current), sizingRow(`${r.sizing.suggestedTier} plan (no overrides)`, r.sizing.tierPlan)]),
    '',
  );
  lines.push(...fileLines(r.files, c));
  if (r.files.length) lines.push('', `${fileTally(r.files, r.written)}.`);
  if (r.conflicts.length) lines.push(c.red(`Nothing written: ${r.conflicts.map((f) => f.path).join(', ')} exist and differ; pass --force to replace them.`));
  else if (r.dryRun) lines.push('Dry run: nothing written.');
  else lines.push(`Next: dify-deploy plan --config ${r.outDir}/dify-deploy.yaml, then dify-deploy render --config ${r.outDir}/dify-deploy.yaml`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  for (const m of r.dataMoves) lines.push(`move: ${m.from} → ${m.to}   (${m.service} ${m.target})`);
  for (const w of r.warnings) lines.push(c.yellow(`warning: ${w}`));
  for (const p of r.problems) lines.push(c.red(`problem: ${p}`));
  return lines.join('\n');
}

export async function runImport(raw: unknown, io: Io): Promise<number> {
  const opts = parseOptions(importOptionsSchema, raw);
  const report = importDeployment({ ...opts, out: opts.out ?? 'dify', outGiven: opts.out !== undefined });
  io.out(opts.json ? JSON.stringify(report, null, 2) : await formatImportReport(report));
  if (report.refusals.length) return 2;
  return report.conflicts.length || report.problems.length ? 1 : 0;
}
