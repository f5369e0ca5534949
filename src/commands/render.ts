// `dify-deploy render`: writes the deployment files into --out. Exit 0 when written (or a dry
// run), 1 when refused (plan problems, or files the user edited and no --force), 2 bad input.
import { dirname, join } from 'node:path';
import { loadRelease } from '../core/data.js';
import type { Target } from '../core/spec.js';
import { z } from 'zod';
import { renderDeployment, type RenderReport, type RenderTarget } from '../render/index.js';
import { parseOptions, specFlagsSchema, specFromFlags } from '../cli/options.js';
import { colors, type Io } from '../cli/io.js';
import { fileLines, fileTally } from '../cli/file-status.js';

const renderOptionsSchema = specFlagsSchema.extend({
  target: z.enum(['compose', 'helm', 'all'], { errorMap: () => ({ message: 'expected one of compose, helm, all' }) }).optional(),
  out: z.string().min(1).optional(),
  force: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  json: z.boolean().optional(),
});

/** The command that starts each target's rendered files. */
const NEXT_STEP: Record<Target, (r: RenderReport) => string> = {
  compose: (r) => `cd ${r.outDir} && docker compose up -d   (README.md has the steps)`,
  helm: (r) => {
    const h = loadRelease(r.release).helm;
    return `cd ${join(r.outDir, 'helm')} && helm upgrade --install dify ${h.repoName}/${h.chart} --version ${h.version} --namespace dify --create-namespace -f values.yaml, then the migration job   (helm/README.md has the steps)`;
  },
};

export async function formatRenderReport(report: RenderReport): Promise<string> {
  const c = await colors();
  const lines = [c.bold(`Dify ${report.release} · ${report.tiers.join(', ')} · ${report.targets.join(' + ')} → ${report.outDir}`)];
  if (report.refused.length) {
    lines.push(c.red('Not rendered: the plan has problems (see `dify-deploy plan`):'), ...report.refused.map((p) => c.red(`  problem: ${p}`)));
    return lines.join('\n');
  }
  lines.push(...fileLines(report.files, c));
  // A dry run (or a refused write) changed nothing: say what a write would do.
  const tally = fileTally(report.files, report.written);
  lines.push('', `${tally}${report.conflicts.length ? `, ${report.conflicts.length} kept` : ''}.`);
  if (report.conflicts.length)
    lines.push(
      c.red(`Nothing written: ${report.conflicts.map((f) => f.path).join(', ')} changed since dify-deploy wrote ${report.conflicts.length > 1 ? 'them' : 'it'}.`),
      'Move your edits into dify-deploy.yaml (overrides.env, overrides.components) and re-render, or pass --force to overwrite.',
    );
  else if (report.dryRun) lines.push('Dry run: nothing written.');
  else lines.push(...report.targets.map((t) => `Next: ${NEXT_STEP[t](report)}`));
  if (report.notices.length) lines.push('', ...report.notices.map((n) => c.yellow(`notice: ${n}`)));
  if (report.warnings.length) lines.push('', ...report.warnings.map((w) => c.yellow(`warning: ${w}`)));
  return lines.join('\n');
}

export async function runRender(raw: unknown, io: Io): Promise<number> {
  const opts = parseOptions(renderOptionsSchema, raw);
  const { spec, file } = await specFromFlags(opts);
  const target: RenderTarget = opts.target ?? (spec.targets.length > 1 ? 'all' : spec.targets[0]);
  // Render beside the spec file (re-rendering in place), else into ./dify like `init`.
  const outDir = opts.out ?? (file ? dirname(file) : 'dify');
  const report = await renderDeployment({ spec, outDir, target, force: opts.force, dryRun: opts.dryRun, specPath: file });
  io.out(opts.json ? JSON.stringify(report, null, 2) : await formatRenderReport(report));
  return report.refused.length || report.conflicts.length ? 1 : 0;
}
