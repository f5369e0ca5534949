// The env a Dify container behind the in-cluster pooler gets in extraEnv.
import { PGBOUNCER_PORT } from '../../core/pooler.js';
import { DIFY_COMPONENTS, type ComponentName } from '../../dify/components.js';
import type { RenderContext } from '../types.js';
import { pgbouncerServiceName } from './names.js';

/** What a Dify container behind the pooler gets in extraEnv (env wins over the chart's envFrom ConfigMap). */
export function helmPoolerEnv(ctx: RenderContext, component: string): Record<string, string> {
  if (!ctx.plan.database.pooler || !DIFY_COMPONENTS[component as ComponentName]?.throughPooler) return {};
  return { DB_HOST: pgbouncerServiceName(), DB_PORT: String(PGBOUNCER_PORT), ...(component === 'plugin_daemon' ? { DB_TYPE: 'pgbouncer' } : {}) };
}
