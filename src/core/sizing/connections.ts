// Who opens metadata-DB connections and how many, at maxReplicas (the worst case) and at replicas.
import { connectionUsers, type BudgetInput, type ConnectionUser } from '../budget.js';
import type { Release } from '../data.js';
import type { Spec } from '../spec.js';
import { intVariable } from '../python-int.js';
import { vectorStoreBackend } from '../../backends/vector-stores.js';
import type { PlanComponent } from './types.js';

export interface ConnectionCount {
  /** At maxReplicas. */
  users: ConnectionUser[];
  required: number;
  requiredAtReplicas: number;
}

/** pgvector on the metadata server opens its own pools in every api and worker process (the run worker's too). */
function pgvectorUsers(spec: Spec, components: PlanComponent[], atMax: boolean): ConnectionUser[] {
  const vs = vectorStoreBackend(spec.vectorStore.type);
  const sameServer =
    spec.vectorStore.mode === 'external' && spec.database.mode === 'external' && spec.database.engine === 'postgresql' && spec.vectorStore.host === spec.database.host;
  if (!sameServer || !vs.postgresPool) return [];
  const per = vs.postgresPool.default;
  const procs = components
    .filter((c) => c.name === 'api' || c.name === 'worker' || c.name === 'worker_runs')
    .reduce((n, c) => n + (atMax ? c.maxReplicas : c.replicas) * intVariable(c.env, 'SERVER_WORKER_AMOUNT', 1, NaN), 0);
  return [{ component: 'pgvector pools', replicas: 1, processes: procs, perProcess: per, total: procs * per, formula: `${procs} api/worker processes × ${vs.postgresPool.maxVar}=${per} (same server)` }];
}

/** Counts every process's connections, writes each component's DB figures, and flags unlimited pools. */
export function countConnections(spec: Spec, release: Release, components: PlanComponent[], problems: string[]): ConnectionCount {
  const inputs = (atMax: boolean): BudgetInput[] => components.map((c) => ({ component: c.name, replicas: atMax ? c.maxReplicas : c.replicas, env: c.env }));
  const users = connectionUsers(release, inputs(true), pgvectorUsers(spec, components, true));
  const usersAtReplicas = connectionUsers(release, inputs(false), pgvectorUsers(spec, components, false));
  for (const c of components) {
    const u = users.find((x) => x.component === c.name);
    if (!u) continue;
    c.processesPerReplica = u.processes;
    c.connectionsPerProcess = u.perProcess ?? 0;
    c.peakDbConnections = u.total ?? 0;
    c.peakDbConnectionsAtReplicas = usersAtReplicas.find((x) => x.component === c.name)?.total ?? 0;
  }
  for (const u of users.filter((x) => x.total === null)) problems.push(`${u.component}: no connection limit (${u.formula}); set a finite value`);
  return {
    users,
    required: users.reduce((s, u) => s + (u.total ?? 0), 0),
    requiredAtReplicas: usersAtReplicas.reduce((s, u) => s + (u.total ?? 0), 0),
  };
}
