// What every validate rule returns. Rule ids and field names are part of the JSON contract.

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  rule: string;
  severity: Severity;
  /** The file the finding is about, as the user named it (absent when it spans the deployment). */
  file?: string;
  line?: number;
  message: string;
  fix: string;
  data?: unknown;
}

/** Where a value comes from: a file and, when known, its line. */
export interface Origin {
  file: string;
  line?: number;
}

export function at(origin: Origin | undefined): Pick<Diagnostic, 'file' | 'line'> {
  if (!origin) return {};
  return origin.line === undefined ? { file: origin.file } : { file: origin.file, line: origin.line };
}
