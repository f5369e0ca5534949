// Turning a validation report into text (grouped by file), JSON, or GitHub annotations.
import type { Colors } from '../cli/io.js';
import type { Diagnostic } from './diagnostics.js';
import type { ValidationReport } from './index.js';

export const FORMATS = ['text', 'json', 'github'] as const;
export type Format = (typeof FORMATS)[number];

const jsonDiagnostic = (d: Diagnostic) => ({ rule: d.rule, severity: d.severity, file: d.file ?? null, line: d.line ?? null, message: d.message, fix: d.fix, data: d.data ?? null });

/**
 * The JSON contract, { ok, errors, warnings, release, files, services?, diagnostics: [{ rule,
 * severity, file, line, message, fix, data }] }, as JSON.stringify with a two-space indent writes
 * it, in pieces of whole lines: the envelope, then each diagnostic, so 100k findings are never one string.
 */
export function* reportJsonLines(r: ValidationReport): Generator<string> {
  const envelope = { ok: r.ok, errors: r.errors, warnings: r.warnings, release: r.release, files: r.files, ...(r.services ? { services: r.services } : {}), diagnostics: [] };
  const head = JSON.stringify(envelope, null, 2);
  if (r.diagnostics.length === 0) return yield head;
  // `"diagnostics": []\n}` closes the envelope; the items go inside, indented one level more.
  yield `${head.slice(0, head.lastIndexOf('[]'))}[`;
  const last = r.diagnostics.length - 1;
  for (const [i, d] of r.diagnostics.entries()) yield `    ${JSON.stringify(jsonDiagnostic(d), null, 2).replace(/\n/g, '\n    ')}${i < last ? ',' : ''}`;
  yield '  ]';
  yield '}';
}

// GitHub workflow commands: data and property values need these escapes.
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function* reportGithubLines(r: ValidationReport): Generator<string> {
  for (const d of r.diagnostics) {
    const props = [d.file && `file=${escapeProperty(d.file)}`, d.line !== undefined && `line=${d.line}`, `title=${escapeProperty(d.rule)}`].filter(Boolean).join(',');
    yield `::${d.severity === 'error' ? 'error' : 'warning'} ${props}::${escapeData(`${d.message}. Fix: ${d.fix}`)}`;
  }
  yield summary(r);
}

function summary(r: ValidationReport): string {
  return `${r.errors} error(s), ${r.warnings} warning(s) — Dify ${r.release.version} (${r.release.source})`;
}

/** The report as lines of text, made as they are written: a report of 100k findings is never one string. */
export function* reportTextLines(r: ValidationReport, c: Colors): Generator<string> {
  const groups = new Map<string, Diagnostic[]>();
  for (const d of r.diagnostics) {
    const k = d.file ?? '(deployment)';
    const list = groups.get(k);
    if (list) list.push(d);
    else groups.set(k, [d]);
  }
  yield c.bold(`Validated ${r.files.join(', ')} as Dify ${r.release.version} (${r.release.source})`);
  if (r.release.assumed) yield c.yellow(`note: ${r.release.assumed}`);
  if (r.services) yield `Services started: ${r.services.running.join(', ') || 'none'}${r.services.notRunning.length ? `; not started (inactive profile): ${r.services.notRunning.join(', ')}` : ''}`;
  for (const [file, list] of groups) {
    yield '';
    yield c.underline(file);
    for (const d of list.sort((a, b) => (a.line ?? 0) - (b.line ?? 0))) {
      const sev = d.severity === 'error' ? c.red('error  ') : c.yellow('warning');
      yield `  ${d.line !== undefined ? `${d.line}:`.padEnd(6) : '      '}${sev} ${d.message}  ${c.dim(d.rule)}`;
      yield `        ${c.dim('fix:')} ${d.fix}`;
    }
  }
  yield '';
  yield (r.errors ? c.red : r.warnings ? c.yellow : c.green)(r.diagnostics.length ? summary(r) : `no findings — ${summary(r)}`);
}
