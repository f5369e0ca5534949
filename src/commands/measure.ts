// `dify-deploy measure`: the workload of a running Dify, read-only from its metadata database;
// --write merges it into dify-deploy.yaml's workload: block.
import { existsSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { z } from 'zod';
import { UserError } from '../io/errors.js';
import { loadTier, tierNames } from '../core/data.js';
import { parseSpecYaml } from '../core/spec-file.js';
import { DEFAULT_SPEC_FILE, parseOptions } from '../cli/options.js';
import { table, type Io } from '../cli/io.js';
import { measureWorkload, type KindMeasure, type MeasureReport } from '../measure/measure.js';
import { sourceFromDeployment, sourceFromUrl, withHost } from '../measure/source.js';
import { round3 } from '../measure/stats.js';
import { mergeWorkload, workloadBlock, type ServiceApiMode, type WorkloadBlock } from '../measure/workload.js';

const WINDOW = /^(\d+(?:\.\d+)?)([hdw])$/;
const DAYS_PER_UNIT = { h: 1 / 24, d: 1, w: 7 } as const;
/** An ISO 8601 date, or date and time with an optional offset (±HH, ±HHMM, ±HH:MM). */
const ISO_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * An ISO time as epoch milliseconds, NaN for anything else. A time without an offset is UTC, as
 * Dify stores its times (not this machine's zone); Date.parse alone would read "7" as 2001-07-01.
 */
function utcMs(text: string): number {
  const m = ISO_TIME.exec(text);
  if (!m) return Number.NaN;
  const [, date, time = '00:00', offset = 'Z'] = m;
  const zone = /^[+-]\d{2}$/.test(offset) ? `${offset}:00` : offset.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2').toUpperCase();
  const ms = Date.parse(`${date}T${time}${zone}`);
  // Date.parse rolls 2026-02-30 over into March: a date that does not exist is not one.
  return Number.isNaN(ms) || new Date(Date.parse(`${date}T00:00Z`)).toISOString().slice(0, 10) !== date ? Number.NaN : ms;
}

const ISO_HINT = 'an ISO date or time, e.g. 2026-05-01 or 2026-05-01T12:00 (UTC unless it has an offset)';
const isoTime = z.string().refine((s) => !Number.isNaN(utcMs(s)), `expected ${ISO_HINT}`);

const measureOptionsSchema = z
  .object({
    db: z.string().optional(),
    from: z.string().optional(),
    host: z.string().min(1).optional(),
    port: z.coerce.number().int().min(1).max(65535).optional(),
    since: z.string().refine((s) => WINDOW.test(s) || !Number.isNaN(utcMs(s)), `expected a length like 14d, 36h or 2w, or ${ISO_HINT}`).default('7d'),
    until: isoTime.optional(),
    timeout: z.coerce.number().positive('expected seconds > 0').default(60),
    sampleRuns: z.coerce.number().int().min(1).default(20_000),
    serviceApiWorkflows: z.enum(['streaming', 'blocking']).optional(),
    config: z.string().optional(),
    write: z.boolean().optional(),
    json: z.boolean().optional(),
  })
  .refine((o) => (o.db === undefined) !== (o.from === undefined), { message: 'give the database with --db postgresql://… or a deployment with --from DIR (one of them)' });

export interface MeasureResult {
  report: MeasureReport;
  workload: WorkloadBlock;
  /** The spec file written, with --write. */
  wrote?: string;
}

/**
 * Replaces the file in one rename (same directory, same mode): a reader sees the old text or the new.
 * A symlinked spec is replaced where it lives; the link stays.
 */
function replaceFile(path: string, text: string): void {
  const real = realpathSync(path);
  const tmp = join(dirname(real), `.${basename(real)}.${process.pid}.tmp`);
  writeFileSync(tmp, text, { mode: statSync(real).mode & 0o777 });
  renameSync(tmp, real);
}

export async function measure(raw: unknown): Promise<MeasureResult> {
  const opts = parseOptions(measureOptionsSchema, raw);
  const specFile = opts.config ?? DEFAULT_SPEC_FILE;
  // Before connecting: --write into a spec that is not there, or not valid, fails without touching the database.
  if (opts.write) {
    if (!existsSync(specFile)) throw new UserError([`${specFile}: no spec to write the workload into; create it with \`dify-deploy init\`, or pass --config FILE`]);
    parseSpecYaml(readFileSync(specFile, 'utf8'), specFile);
  }
  const given = opts.db !== undefined ? sourceFromUrl(opts.db) : sourceFromDeployment(opts.from!);
  const source = withHost({ ...given, password: given.password ?? process.env.PGPASSWORD }, opts.host, opts.port);
  const length = WINDOW.exec(opts.since);
  const report = await measureWorkload(source, {
    ...(length ? { sinceDays: Number(length[1]) * DAYS_PER_UNIT[length[2] as keyof typeof DAYS_PER_UNIT] } : { since: new Date(utcMs(opts.since)).toISOString() }),
    ...(opts.until ? { until: new Date(utcMs(opts.until)).toISOString() } : {}),
    timeoutSeconds: opts.timeout,
    maxSampledRuns: opts.sampleRuns,
  });
  const apiMode: ServiceApiMode = opts.serviceApiWorkflows ?? 'default-split';
  const workload = workloadBlock(report, apiMode, loadTier(tierNames()[0]).workloadMix, new Date().toISOString().replace(/\.\d+Z$/, 'Z'));
  if (!opts.write) return { report, workload };
  const text = mergeWorkload(readFileSync(specFile, 'utf8'), workload);
  parseSpecYaml(text, specFile); // the merged spec must still be valid before it replaces the file
  replaceFile(specFile, text);
  return { report, workload, wrote: specFile };
}

const f = (x: number | undefined) => (x === undefined ? '-' : String(round3(x)));
const pct = (x: number | undefined) => (x === undefined ? '-' : `${round3(x * 100)} %`);
const bytes = (x: number | undefined) => (x === undefined ? '-' : x >= 1 << 20 ? `${round3(x / (1 << 20))} MiB` : x >= 1024 ? `${round3(x / 1024)} KiB` : `${Math.round(x)} B`);

const KIND_LABEL: Record<KindMeasure['kind'], string> = {
  chat: 'chat',
  completion: 'completion',
  agent: 'agent',
  chatflow: 'chatflow',
  workflowStreaming: 'workflow (web app, debug: streaming)',
  workflowServiceApi: 'workflow (service API: mode not recorded)',
  workflowTriggered: 'workflow (webhook/schedule/plugin triggers)',
  other: 'other (knowledge pipelines, unknown)',
};

export function formatMeasure({ report: r, workload: w, wrote }: MeasureResult): string {
  const p = `p${Math.round(r.minutePercentile * 100)}`;
  const arrivals = table(
    ['kind', 'calls', 'mean qps', `${p} minute qps`, 'peak minute qps', 'peak/mean'],
    [...r.kinds.map((k) => [KIND_LABEL[k.kind], k.arrivals.total, f(k.arrivals.meanQps), f(k.arrivals.p99MinuteQps), f(k.arrivals.peakMinuteQps), f(k.arrivals.peakToMean)]),
      ['all', r.total.total, f(r.total.meanQps), f(r.total.p99MinuteQps), f(r.total.peakMinuteQps), f(r.total.peakToMean)]],
  );
  const latency = table(
    ['kind', 'mean s', 'cv', 'p50 s', 'p95 s', 'p99 s', 'tokens/call', 'failed', 'stopped'],
    r.kinds.filter((k) => k.latency).map((k) => [KIND_LABEL[k.kind], f(k.latency!.meanSeconds), f(k.latency!.cv), f(k.latency!.p50Seconds), f(k.latency!.p95Seconds), f(k.latency!.p99Seconds), f(k.latency!.tokensPerCall), pct(k.latency!.failedShare), pct(k.latency!.stoppedShare)]),
  );
  const graphs = r.kinds.filter((k) => k.graph);
  const graph = graphs.length
    ? table(
        ['kind', 'sampled runs', 'nodes/run', 'runs with code', 'code nodes/run', 'code s/code run', 'bytes/run', 'bytes/node'],
        graphs.map((k) => [KIND_LABEL[k.kind], k.graph!.sampledRuns, f(k.graph!.nodeExecutionsPerRun), pct(k.graph!.codeRunShare), f(k.graph!.codeNodesPerRun), f(k.graph!.codeSecondsPerCodeRun), bytes(k.graph!.bytesPerRun), bytes(k.graph!.bytesPerNodeExecution)]),
      )
    : 'Graph runs: none finished in the window (node figures not measured, defaults kept)';
  const s = r.storage;
  const mix = Object.entries(w.mix).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${round3(v * 100)} %`).join(' · ');
  const unmeasured = [
    ...(['chat', 'completion', 'agent', 'chatflow', 'workflowStreaming', 'workflowBlocking'] as const).filter((k) => w.latencySeconds[k] === undefined).map((k) => `latencySeconds.${k}`),
    ...(w.codeNodes ? [] : ['codeNodes']),
    ...(w.state ? [] : ['state']),
  ];
  return [
    `Measured ${r.source}${r.schemaRevision ? ` (schema revision ${r.schemaRevision})` : ''}, ${r.window.since} → ${r.window.until} (${f(r.window.days)} days, read-only)`,
    '',
    `Arrivals (per-minute counts over every minute of the window; ${p} = the 99th percentile minute):`,
    arrivals,
    `Busiest hour: ${f(r.total.busiestHourQps)} qps; its peak minute is ${f(r.total.peakToBusiestHour)}× that hour's mean (compare the tier's burst factor)`,
    '',
    'Latency per call (finished calls; workflow runs: elapsed_time, messages: provider_response_latency):',
    latency,
    '',
    graph,
    '',
    `Database: ${bytes(s.databaseBytes)}; grows ≈${s.growthBytesPerDay === undefined ? ' (not measured)' : ` ${bytes(s.growthBytesPerDay)}`} per day at this traffic (${s.tables.map((t) => `${t.table} ${f(t.rowsPerDay)} rows/day`).join(', ')})`,
    '',
    `Workload for the plan: mix ${mix}`,
    `  latencySeconds ${JSON.stringify(w.latencySeconds)} · latencyCv ${JSON.stringify(w.latencyCv)}`,
    `  codeNodes ${w.codeNodes ? JSON.stringify(w.codeNodes) : '(not measured: default kept)'} · state ${w.state ? JSON.stringify(w.state) : '(not measured: default kept)'}`,
    ...(unmeasured.length ? [`  not measured (the plan keeps its defaults): ${unmeasured.join(', ')}`] : []),
    `  to size for growth: dify-deploy plan --qps <N × ${f(r.total.p99MinuteQps)}> (N × today's ${p} minute) with this workload in the spec`,
    ...r.notes.map((n) => `note: ${n}`),
    ...(wrote ? ['', `Wrote workload: to ${wrote} (${w.measured.fields.length} keys; comments and other keys kept)`] : ['', 'Run with --write to merge this into dify-deploy.yaml']),
  ].join('\n');
}

export async function runMeasure(raw: unknown, io: Io): Promise<number> {
  const result = await measure(raw);
  const json = (raw as { json?: boolean }).json;
  io.out(json ? JSON.stringify({ ...result.report, workload: result.workload, ...(result.wrote ? { wrote: result.wrote } : {}) }, null, 2) : formatMeasure(result));
  return 0;
}
