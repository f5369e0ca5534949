// The metadata-DB connection budget in words, each side named with its own limit: the client
// side (components → PgBouncer, against max_client_conn) and the server side (whoever connects
// to the database, against its max_connections). plan, the rendered READMEs and .env notes,
// import and upgrade all print these, so no text can put one side's number under the other's name.
import type { DatabasePlan, PlanBudget } from './sizing/types.js';

export interface BudgetLine {
  side: PlanBudget['side'];
  text: string;
  fits: boolean;
}

const engineName = (database: DatabasePlan) => (database.engine === 'mysql' ? 'MySQL' : 'PostgreSQL');
const verdict = (fits: boolean, headroom: number | null) => (fits ? `fits${headroom !== null ? `, headroom ${headroom}` : ''}` : 'DOES NOT FIT');

/** One line per side; `helm` adds the count at the HPA's minReplicas (the budget holds at maxReplicas). */
export function budgetLines(budget: PlanBudget, database: DatabasePlan, helm: boolean): BudgetLine[] {
  const atReplicas = helm ? ` at HPA maxReplicas (${budget.requiredAtReplicas} at minReplicas)` : '';
  const pooler = database.pooler;
  if (!pooler || !budget.server)
    return [
      {
        side: 'server',
        text: `Server side (components → ${engineName(database)}, no pooler): ${budget.required} connections${atReplicas} + ${budget.reserved} reserved ≤ max_connections ${budget.maxConnections}: ${verdict(budget.fits, budget.headroom)}`,
        fits: budget.fits,
      },
    ];
  const server = budget.server;
  const instances = pooler.instances ?? 1;
  const pools = `${pooler.databases.map((d) => `${d.name} ${d.poolSize} + ${d.reservePoolSize} reserve`).join(', ')}, bootstrap 1`;
  const perInstance = pooler.databases.reduce((n, d) => n + d.poolSize + d.reservePoolSize, 0) + 1;
  const direct = server.required - instances * perInstance - pooler.direct.migration - pooler.direct.backup;
  return [
    {
      side: 'client',
      text: `Client side (components → PgBouncer): ${budget.required} connections${atReplicas} ≤ max_client_conn ${budget.maxConnections}: ${verdict(budget.fits, budget.fits ? budget.maxConnections - budget.required : null)}${budget.fits ? ' (for psql)' : ''}`,
      fits: budget.fits,
    },
    {
      side: 'server',
      text: `Server side (PgBouncer and direct users → ${engineName(database)}): ${instances} × (${pools}) + migration ${pooler.direct.migration} + backup ${pooler.direct.backup}${direct > 0 ? ` + direct ${direct}` : ''} = ${server.required} + ${server.reserved} reserved ≤ max_connections ${server.maxConnections}: ${verdict(server.fits, server.headroom)}`,
      fits: server.fits,
    },
  ];
}

/** The budget in numbers for import's and upgrade's before/after tables. */
export function budgetSummary(budget: PlanBudget) {
  return { budgetRequired: budget.required, maxConnections: budget.maxConnections, limit: budget.limit, databaseMaxConnections: budget.databaseMaxConnections, fits: budget.fits };
}
