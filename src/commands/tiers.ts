// `dify-deploy tiers`: the traffic tiers and what each assumes.
import { loadAllTiers, type Tier } from '../core/data.js';
import { table, type Io } from '../cli/io.js';

export interface TiersReport {
  tiers: Tier[];
}

export function tiersReport(): TiersReport {
  return { tiers: loadAllTiers() };
}

export function formatTiers({ tiers }: TiersReport): string {
  const rows = tiers.map((t) => [
    t.name,
    t.qps,
    t.latencySeconds,
    Math.ceil(t.qps * t.latencySeconds * t.burstFactor),
    `${t.components.api.replicas} × ${t.components.api.cpu}C${t.components.api.memoryGiB}G`,
    `${t.components.plugin_daemon.replicas} × ${t.components.plugin_daemon.cpu}C${t.components.plugin_daemon.memoryGiB}G`,
    `${t.managedDatabase.cpus}C${t.managedDatabase.memoryGiB}G`,
    t.source.kind,
  ]);
  return [
    table(['tier', 'qps', 'latency s', 'in-flight', 'api', 'plugin daemon', 'managed DB', 'numbers'], rows),
    '',
    'in-flight = qps × latency × burst (Little\'s law, +30 % burst). Sources:',
    ...tiers.map((t) => `  ${t.name}: ${t.source.text}`),
  ].join('\n');
}

export async function runTiers(opts: { json?: boolean }, io: Io): Promise<number> {
  const report = tiersReport();
  io.out(opts.json ? JSON.stringify(report, null, 2) : formatTiers(report));
  return 0;
}
