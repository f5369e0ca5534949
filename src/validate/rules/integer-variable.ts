// integer-variable: a count validate reads (processes, greenlets, pools, concurrency) set to
// something Python's int() rejects. The container fails at start (pydantic, gunicorn and celery
// options all go through int()), and every other rule reads the entrypoint's default instead.
import { pythonInt } from '../../core/python-int.js';
import { at, type Diagnostic } from '../diagnostics.js';
import type { Rule } from './rule.js';

/**
 * The integers the budget and capacity rules read, all parsed by Python's int(): gunicorn's
 * --workers/--worker-connections and celery's -c/--autoscale options, Dify's pydantic int settings
 * (api/configs: SQLALCHEMY_POOL_SIZE, SQLALCHEMY_MAX_OVERFLOW, PGVECTOR_MAX_CONNECTION).
 */
const PYTHON_INT_VARIABLES = [
  'SERVER_WORKER_AMOUNT',
  'SERVER_WORKER_CONNECTIONS',
  'SQLALCHEMY_POOL_SIZE',
  'SQLALCHEMY_MAX_OVERFLOW',
  'CELERY_WORKER_AMOUNT',
  'CELERY_WORKER_CONCURRENCY',
  'CELERY_MAX_WORKERS',
  'PGVECTOR_MAX_CONNECTION',
] as const;

export const integerVariableRule: Rule = {
  id: 'integer-variable',
  summary: "a process, pool or concurrency count Python's int() rejects (1e9, 0x10, 1.5): the container fails to start",
  check(d) {
    const out: Diagnostic[] = [];
    const seen = new Set<string>();
    for (const s of [...d.services, ...(d.helm?.services ?? [])]) {
      if (!s.active) continue;
      for (const name of PYTHON_INT_VARIABLES) {
        const raw = s.env[name];
        if (raw === undefined || raw.trim() === '' || pythonInt(raw) !== undefined) continue;
        const origin = s.origin[name];
        const key = `${name}@${origin?.file}:${origin?.line}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({
          rule: this.id,
          severity: 'error',
          ...at(origin),
          message: `${name} in service ${s.name} is not an integer as Python's int() reads it (digits, an optional sign, _ between digits): the container fails to start, and validate read the default instead`,
          fix: `write ${name} as a decimal integer, e.g. ${name}=4 (no exponent, hex or decimal point)`,
          data: { variable: name, service: s.name },
        });
      }
    }
    return out;
  },
};
