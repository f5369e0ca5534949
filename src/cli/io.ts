// The only place that writes to the terminal. Colours follow NO_COLOR / FORCE_COLOR and
// are off when the stream is not a TTY.
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** Many lines, written a few thousand at a time as they are made (one string of them all costs its size twice over). */
export function outLines(io: Io, lines: Iterable<string>): void {
  let batch: string[] = [];
  for (const line of lines) {
    batch.push(line);
    if (batch.length === 2000) {
      io.out(batch.join('\n'));
      batch = [];
    }
  }
  if (batch.length) io.out(batch.join('\n'));
}

/** The styles the output uses. */
export interface Colors {
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
  underline(text: string): string;
}

const asIs = (text: string) => text;
const PLAIN: Colors = { red: asIs, yellow: asIs, green: asIs, bold: asIs, dim: asIs, underline: asIs };

/** chalk's styles when colour is on; else the text as it is, without loading chalk (≈ 1 ms of a start in CI and pipes). */
export async function colors(stream: NodeJS.WriteStream = process.stdout): Promise<Colors> {
  const off = 'NO_COLOR' in process.env || !stream.isTTY;
  if (off && !process.env.FORCE_COLOR) return PLAIN;
  const { Chalk } = await import('chalk');
  return new Chalk({ level: 1 });
}

/** A plain-text table: columns padded to their widest cell, numbers right-aligned. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  // \u00d7 is ×, escaped: esbuild escapes non-ASCII in strings but not in regular expressions, and an all-ASCII bundle decodes as a one-byte string.
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || /^[\d.,/ ()\u00d7-]+$/.test(String(r[i]))));
  const line = (r: string[]) =>
    r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
