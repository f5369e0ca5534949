// Turning a validation report into text (grouped by file), JSON, or GitHub annotations.
import type { Colors } from './io.js';
import type { Diagnostic } from '../validate/diagnostics.js';
import type { ValidationReport } from '../validate/index.js';

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
  yield notCommand(oneLine(summary(r)));
}

function summary(r: ValidationReport): string {
  return `${r.errors} error(s), ${r.warnings} warning(s) — Dify ${r.release.version} (${r.release.source})`;
}

/**
 * Text from the files (a path, a service name) on one line of the text report: control and
 * line-separator characters escaped, so no line can start a GitHub workflow command (`::error`),
 * which the runner executes from a job's log.
 */
const oneLine = (s: string) =>
  s.replace(/[\x00-\x1f\x7f\x85\u2028\u2029]/g, (ch) => ({ '\n': '\\n', '\r': '\\r', '\t': '\\t' })[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
/** A line that would begin with `::` (after spaces) gets a `./` so it cannot; file paths stay the same path. */
const notCommand = (s: string) => (/^\s*::/.test(s) ? `./${s.trimStart()}` : s);

/** The report as lines of text, made as they are written: a report of 100k findings is never one string. */
export function* reportTextLines(r: ValidationReport, c: Colors): Generator<string> {
  const groups = new Map<string, Diagnostic[]>();
  for (const d of r.diagnostics) {
    const k = d.file ?? '(deployment)';
    const list = groups.get(k);
    if (list) list.push(d);
    else groups.set(k, [d]);
  }
  yield c.bold(`Validated ${oneLine(r.files.join(', '))} as Dify ${r.release.version} (${r.release.source})`);
  if (r.release.assumed) yield c.yellow(`note: ${oneLine(r.release.assumed)}`);
  if (r.services) yield oneLine(`Services started: ${r.services.running.join(', ') || 'none'}${r.services.notRunning.length ? `; not started (inactive profile): ${r.services.notRunning.join(', ')}` : ''}`);
  for (const [file, list] of groups) {
    yield '';
    yield c.underline(notCommand(oneLine(file)));
    for (const d of list.sort((a, b) => (a.line ?? 0) - (b.line ?? 0))) {
      const sev = d.severity === 'error' ? c.red('error  ') : c.yellow('warning');
      yield `  ${d.line !== undefined ? `${d.line}:`.padEnd(6) : '      '}${sev} ${oneLine(d.message)}  ${c.dim(d.rule)}`;
      yield `        ${c.dim('fix:')} ${oneLine(d.fix)}`;
    }
  }
  yield '';
  yield (r.errors ? c.red : r.warnings ? c.yellow : c.green)(oneLine(r.diagnostics.length ? summary(r) : `no findings — ${summary(r)}`));
}
