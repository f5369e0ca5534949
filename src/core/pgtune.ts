// PGTune's "web" profile (le0pard/pgtune configurationSlice.js), for a bundled
// PostgreSQL whose max_connections comes from the connection budget.

const MB = 1;
const GB = 1024 * MB;
/** PostgreSQL's default max_worker_processes, part of PGTune's work_mem divisor. */
const MAX_WORKER_PROCESSES = 8;
/** Backend memory of an idle connection (process-per-connection), the usual 10 MB rule. */
export const MB_PER_CONNECTION = 10;

export interface PostgresSettings {
  max_connections: number;
  shared_buffers: string;
  effective_cache_size: string;
  maintenance_work_mem: string;
  work_mem: string;
}

export interface PostgresMemoryCheck {
  ramMB: number;
  /** shared_buffers + max_connections × 10 MB */
  neededMB: number;
  fits: boolean;
}

function mb(value: number): string {
  return `${Math.floor(value)}MB`;
}

export function postgresSettings(memoryGiB: number, maxConnections: number): { settings: PostgresSettings; memory: PostgresMemoryCheck } {
  const ram = memoryGiB * GB;
  const sharedBuffers = ram / 4;
  const effectiveCache = (ram * 3) / 4;
  const maintenance = Math.min(ram / 16, 2 * GB);
  const workMem = Math.max(4 * MB, (ram - sharedBuffers) / ((maxConnections + MAX_WORKER_PROCESSES) * 3));
  const needed = sharedBuffers + maxConnections * MB_PER_CONNECTION;
  return {
    settings: {
      max_connections: maxConnections,
      shared_buffers: mb(sharedBuffers),
      effective_cache_size: mb(effectiveCache),
      maintenance_work_mem: mb(maintenance),
      work_mem: mb(workMem),
    },
    // Leave 10 % of the host to the OS and the postgres parent processes.
    memory: { ramMB: ram, neededMB: needed, fits: needed <= ram * 0.9 },
  };
}

/** Smallest RAM (GiB, whole) whose PGTune settings hold `maxConnections`. */
export function ramGiBFor(maxConnections: number): number {
  // needed = RAM/4 + n×10MB ≤ 0.9 RAM  ⇔  RAM ≥ n×10MB / 0.65
  return Math.ceil((maxConnections * MB_PER_CONNECTION) / 0.65 / GB);
}
