// The plugin daemon (Go, database/sql pool): every model and tool call of a request passes through
// it (API/worker → daemon → the plugin's runtime → provider), so its cores follow the requests.
import type { Sizer } from './types.js';
import { coresFor, cpuDemand, cpuRequestFor, memoryFor } from './work.js';

export const sizePluginDaemon: Sizer = ({ replicas, cpu, o }, { release, workload: w }) => {
  const { use, needed } = coresFor(cpuDemand('plugin_daemon', w)!, w);
  if (o?.replicas === undefined) replicas = Math.max(replicas, Math.ceil(needed / cpu - 1e-9));
  const open = o?.connectionsPerProcess ?? Number(release.upstreamDefaults.DB_MAX_OPEN_CONNS ?? '30');
  const m = w.costs.memoryGiB;
  // At most every request in flight has a call streaming through some replica.
  const inFlight = (n: number) => Math.ceil(w.inFlightApiRequests / n);
  return {
    replicas,
    cpuRequest: cpuRequestFor(use, replicas, cpu),
    memoryGiB: memoryFor(m.base.pluginDaemon, 1, m.perInFlight.pluginRequest, inFlight, replicas, w),
    env: { DB_MAX_OPEN_CONNS: String(open), DB_MAX_IDLE_CONNS: String(Math.min(10, open)), DB_CONN_MAX_LIFETIME: '3600' },
  };
};
