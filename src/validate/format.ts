// Turning a validation report into text (grouped by file), JSON, or GitHub annotations.
import type { ChalkInstance } from 'chalk';
import type { Diagnostic } from './diagnostics.js';
import type { ValidationReport } from './index.js';

export const FORMATS = ['text', 'json', 'github'] as const;
export type Format = (typeof FORMATS)[number];

/** The JSON contract: { ok, errors, warnings, diagnostics: [{ rule, severity, file, line, message, fix, data }] }. */
export function reportJson(r: ValidationReport): string {
  return JSON.stringify(
    {
      ok: r.ok,
      errors: r.errors,
      warnings: r.warnings,
      release: r.release,
      files: r.files,
      ...(r.services ? { services: r.services } : {}),
      diagnostics: r.diagnostics.map((d) => ({ rule: d.rule, severity: d.severity, file: d.file ?? null, line: d.line ?? null, message: d.message, fix: d.fix, data: d.data ?? null })),
    },
    null,
    2,
  );
}

// GitHub workflow commands: data and property values need these escapes.
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function reportGithub(r: ValidationReport): string {
  const lines = r.diagnostics.map((d) => {
    const props = [d.file && `file=${escapeProperty(d.file)}`, d.line !== undefined && `line=${d.line}`, `title=${escapeProperty(d.rule)}`].filter(Boolean).join(',');
    return `::${d.severity === 'error' ? 'error' : 'warning'} ${props}::${escapeData(`${d.message}. Fix: ${d.fix}`)}`;
  });
  lines.push(summary(r));
  return lines.join('\n');
}

function summary(r: ValidationReport): string {
  return `${r.errors} error(s), ${r.warnings} warning(s) — Dify ${r.release.version} (${r.release.source})`;
}

/** The text report as lines: a report of 100k findings is written in pieces, never joined into one string. */
export function reportTextLines(r: ValidationReport, c: ChalkInstance): string[] {
  const groups = new Map<string, Diagnostic[]>();
  for (const d of r.diagnostics) {
    const k = d.file ?? '(deployment)';
    const list = groups.get(k);
    if (list) list.push(d);
    else groups.set(k, [d]);
  }
  const out: string[] = [c.bold(`Validated ${r.files.join(', ')} as Dify ${r.release.version} (${r.release.source})`)];
  if (r.services) out.push(`Services started: ${r.services.running.join(', ') || 'none'}${r.services.notRunning.length ? `; not started (inactive profile): ${r.services.notRunning.join(', ')}` : ''}`);
  for (const [file, list] of groups) {
    out.push('', c.underline(file));
    for (const d of list.sort((a, b) => (a.line ?? 0) - (b.line ?? 0))) {
      const sev = d.severity === 'error' ? c.red('error  ') : c.yellow('warning');
      out.push(`  ${d.line !== undefined ? `${d.line}:`.padEnd(6) : '      '}${sev} ${d.message}  ${c.dim(d.rule)}`, `        ${c.dim('fix:')} ${d.fix}`);
    }
  }
  out.push('', (r.errors ? c.red : r.warnings ? c.yellow : c.green)(r.diagnostics.length ? summary(r) : `no findings — ${summary(r)}`));
  return out;
}
