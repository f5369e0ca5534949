// The plugin daemon (Go, database/sql pool).
import type { Sizer } from './types.js';

export const sizePluginDaemon: Sizer = ({ replicas, o }, { release }) => {
  const open = o?.connectionsPerProcess ?? Number(release.upstreamDefaults.DB_MAX_OPEN_CONNS ?? '30');
  return { replicas, env: { DB_MAX_OPEN_CONNS: String(open), DB_MAX_IDLE_CONNS: String(Math.min(10, open)), DB_CONN_MAX_LIFETIME: '3600' } };
};
