// The measured report as the spec's `workload:` block (the names the sizing model reads), and
// that block merged into dify-deploy.yaml with the YAML document kept: comments, order and
// every key the measurement does not own stay the user's.
import { parseDocument } from 'yaml';
import { APP_KINDS, GRAPH_APP_KINDS, type AppKind, type GraphAppKind } from '../core/spec.js';
import { yamlText } from '../io/yaml-doc.js';
import type { GraphStats, KindMeasure, LatencyStats, MeasureReport } from './measure.js';
import type { SourceKind } from './queries.js';
import { round3 } from './stats.js';

/** How service-API workflow runs, whose response mode Dify does not record, are counted. */
export type ServiceApiMode = 'streaming' | 'blocking' | 'default-split';

export interface WorkloadBlock {
  mix: Record<AppKind, number>;
  latencySeconds: Partial<Record<AppKind, number>>;
  latencyCv: Partial<Record<AppKind, number>>;
  codeNodes?: { share: number; seconds?: number };
  state?: { nodeExecutionsPerRun?: Partial<Record<GraphAppKind, number>>; bytesPerRun?: number; bytesPerNodeExecution?: number; dailyAverageShare?: number };
  measured: { measuredAt: string; since: string; windowDays: number; source: string; fields: string[]; meanQps: number; peakMinuteQps: number; p99MinuteQps: number };
}

/** Which app kind each source kind's calls count as, with weights (service-API runs may split). */
function routes(apiMode: ServiceApiMode, defaultMix: Record<AppKind, number>): Partial<Record<SourceKind, [AppKind, number][]>> {
  const streamingShare = defaultMix.workflowStreaming / (defaultMix.workflowStreaming + defaultMix.workflowBlocking || 1);
  const api: [AppKind, number][] =
    apiMode === 'streaming' ? [['workflowStreaming', 1]] : apiMode === 'blocking' ? [['workflowBlocking', 1]] : [['workflowStreaming', streamingShare], ['workflowBlocking', 1 - streamingShare]];
  return {
    chat: [['chat', 1]],
    completion: [['completion', 1]],
    agent: [['agent', 1]],
    chatflow: [['chatflow', 1]],
    workflowStreaming: [['workflowStreaming', 1]],
    workflowServiceApi: api.filter(([, w]) => w > 0),
  };
}

interface Moments {
  weight: number;
  sum: number;
  sumSq: number;
}

/** Mean and CV of several groups pooled, weighted by their calls (from each group's mean and variance). */
function pool(groups: { weight: number; l: LatencyStats }[]): { mean: number; cv: number } | undefined {
  const m = groups.reduce<Moments>(
    (a, { weight, l }) => {
      const variance = (l.cv * l.meanSeconds) ** 2;
      return { weight: a.weight + weight, sum: a.sum + weight * l.meanSeconds, sumSq: a.sumSq + weight * (variance + l.meanSeconds ** 2) };
    },
    { weight: 0, sum: 0, sumSq: 0 },
  );
  if (m.weight === 0) return undefined;
  const mean = m.sum / m.weight;
  const variance = Math.max(0, m.sumSq / m.weight - mean ** 2);
  return { mean, cv: mean > 0 ? Math.sqrt(variance) / mean : 0 };
}

/** The block `--write` merges; kinds without traffic keep the plan's defaults (no key written). */
export function workloadBlock(report: MeasureReport, apiMode: ServiceApiMode, defaultMix: Record<AppKind, number>, measuredAt: string): WorkloadBlock {
  const route = routes(apiMode, defaultMix);
  const counted = report.kinds.flatMap((k) => (route[k.kind] ?? []).map(([app, w]) => ({ app, w, k })));
  const arrivals = Object.fromEntries(APP_KINDS.map((a) => [a, 0])) as Record<AppKind, number>;
  for (const { app, w, k } of counted) arrivals[app] += w * k.arrivals.total;
  const all = Object.values(arrivals).reduce((a, b) => a + b, 0);
  const mix = Object.fromEntries(APP_KINDS.map((a) => [a, all > 0 ? round3(arrivals[a] / all) : 0])) as Record<AppKind, number>;
  // Rounding must leave a sum of exactly 1: the largest share takes the remainder.
  const largest = APP_KINDS.reduce((a, b) => (mix[b] > mix[a] ? b : a));
  mix[largest] = Number((1 - APP_KINDS.filter((a) => a !== largest).reduce((s, a) => s + mix[a], 0)).toFixed(6));

  const latencySeconds: Partial<Record<AppKind, number>> = {};
  const latencyCv: Partial<Record<AppKind, number>> = {};
  for (const app of APP_KINDS) {
    const pooled = pool(counted.filter((c) => c.app === app && c.k.latency).map((c) => ({ weight: c.w * c.k.latency!.count, l: c.k.latency! })));
    if (!pooled || pooled.mean <= 0) continue;
    latencySeconds[app] = round3(pooled.mean);
    if (pooled.cv > 0) latencyCv[app] = round3(pooled.cv);
  }

  const graphOf = (c: { w: number; k: KindMeasure }) => (c.k.graph ? [{ w: c.w * c.k.graph.sampledRuns, g: c.k.graph }] : []);
  const graphs = counted.filter((c) => (GRAPH_APP_KINDS as readonly AppKind[]).includes(c.app)).flatMap(graphOf);
  const runs = graphs.reduce((n, x) => n + x.w, 0);
  const sum = (f: (g: GraphStats) => number, xs = graphs) => xs.reduce((n, x) => n + x.w * f(x.g), 0);
  const nodeExecutionsPerRun: Partial<Record<GraphAppKind, number>> = {};
  for (const app of GRAPH_APP_KINDS) {
    const xs = counted.filter((c) => c.app === app).flatMap(graphOf);
    const w = xs.reduce((n, x) => n + x.w, 0);
    if (w > 0) nodeExecutionsPerRun[app] = round3(sum((g) => g.nodeExecutionsPerRun, xs) / w);
  }
  const nodeCount = sum((g) => g.nodeExecutionsPerRun);
  const codeRuns = sum((g) => g.codeRunShare);
  const codeNodes = runs > 0 ? { share: round3(codeRuns / runs), ...(codeRuns > 0 ? { seconds: round3(sum((g) => g.codeRunShare * g.codeSecondsPerCodeRun) / codeRuns) } : {}) } : undefined;
  // The storage model's day runs at dailyAverageShare of the peak: the window's mean over its peak
  // minute is that share once the window holds whole days (a shorter one has no quiet night in it).
  const dailyAverageShare = report.window.days >= 1 && report.total.peakMinuteQps > 0 ? Number((report.total.meanQps / report.total.peakMinuteQps).toPrecision(3)) : undefined;
  const measuredState = {
    ...(runs > 0
      ? {
          nodeExecutionsPerRun,
          bytesPerRun: Math.round(sum((g) => g.bytesPerRun) / runs),
          ...(nodeCount > 0 ? { bytesPerNodeExecution: Math.round(sum((g) => g.nodeExecutionsPerRun * g.bytesPerNodeExecution) / nodeCount) } : {}),
        }
      : {}),
    ...(dailyAverageShare !== undefined ? { dailyAverageShare } : {}),
  };
  const state = Object.keys(measuredState).length > 0 ? measuredState : undefined;
  // A positive share of 0 runs with code: the spec's seconds must be > 0, so it is left out then.
  if (codeNodes && codeNodes.seconds !== undefined && !(codeNodes.seconds > 0)) delete codeNodes.seconds;

  const fields = [
    'mix',
    ...Object.keys(latencySeconds).map((k) => `latencySeconds.${k}`),
    ...Object.keys(latencyCv).map((k) => `latencyCv.${k}`),
    ...(codeNodes ? Object.keys(codeNodes).map((k) => `codeNodes.${k}`) : []),
    ...(state ? [...Object.keys(state.nodeExecutionsPerRun ?? {}).map((k) => `state.nodeExecutionsPerRun.${k}`), ...Object.keys(state).filter((k) => k !== 'nodeExecutionsPerRun').map((k) => `state.${k}`)] : []),
  ];
  return {
    mix,
    latencySeconds,
    latencyCv,
    ...(codeNodes ? { codeNodes } : {}),
    ...(state ? { state } : {}),
    measured: {
      measuredAt,
      since: report.window.since,
      windowDays: round3(report.window.days),
      source: report.source,
      fields,
      meanQps: round3(report.total.meanQps),
      peakMinuteQps: round3(report.total.peakMinuteQps),
      p99MinuteQps: round3(report.total.p99MinuteQps),
    },
  };
}

/**
 * The spec text with the block merged under `workload:`: the mix and `measured` replaced whole
 * (a mix must sum to 1, so old keys cannot stay), every other measured key set one by one.
 */
export function mergeWorkload(specText: string, block: WorkloadBlock): string {
  const doc = parseDocument(specText);
  const base = ['workload'];
  doc.setIn([...base, 'mix'], doc.createNode(block.mix));
  for (const [k, v] of Object.entries(block.latencySeconds)) doc.setIn([...base, 'latencySeconds', k], v);
  for (const [k, v] of Object.entries(block.latencyCv)) doc.setIn([...base, 'latencyCv', k], v);
  for (const [k, v] of Object.entries(block.codeNodes ?? {})) doc.setIn([...base, 'codeNodes', k], v);
  for (const [k, v] of Object.entries(block.state?.nodeExecutionsPerRun ?? {})) doc.setIn([...base, 'state', 'nodeExecutionsPerRun', k], v);
  if (block.state?.bytesPerRun !== undefined) doc.setIn([...base, 'state', 'bytesPerRun'], block.state.bytesPerRun);
  if (block.state?.bytesPerNodeExecution !== undefined) doc.setIn([...base, 'state', 'bytesPerNodeExecution'], block.state.bytesPerNodeExecution);
  if (block.state?.dailyAverageShare !== undefined) doc.setIn([...base, 'state', 'dailyAverageShare'], block.state.dailyAverageShare);
  doc.setIn([...base, 'measured'], doc.createNode(block.measured));
  return yamlText(doc);
}
