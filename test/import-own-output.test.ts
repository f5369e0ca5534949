// import adopts dify-deploy's own compose output: every tier and release, with the run worker
// (worker_runs: MODE=worker on the run queue alone) read as the run worker rather than as a
// second background worker, and its size kept as the plan made it.
// Behind PgBouncer the run worker starts after it, like every other client.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { releaseVersions, tierNames } from '../src/core/data.js';
import { runCli } from './helpers/cli.js';
import { withStateChoices } from './helpers/state-choices.js';

describe('import of our own compose output', () => {
  for (const release of releaseVersions())
    for (const tier of tierNames())
      it(`${release} ${tier}: adopted without refusal, the run worker's size kept`, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'dd-own-'));
        const rendered = join(dir, 'rendered');
        // From 100 QPS the plan asks where the workflow logs go and, higher, for an event bus of its own: the spec says.
        const specFile = join(dir, 'dify-deploy.yaml');
        writeFileSync(specFile, stringify(withStateChoices({ tier, release, targets: ['compose'] })));
        const render = await runCli(['render', '--config', specFile, '--target', 'compose', '--out', rendered]);
        expect(render.code, render.stderr).toBe(0);
        const compose = parse(readFileSync(join(rendered, 'docker-compose.yaml'), 'utf8'));
        const runs = compose.services.worker_runs;
        // With PgBouncer in front (DB_HOST=pgbouncer in .env) the run worker waits for it like every other client.
        if (compose.services.pgbouncer) expect(runs.depends_on.pgbouncer).toEqual({ condition: 'service_healthy' });
        const adopted = join(dir, 'adopted');
        const r = await runCli(['import', rendered, '--out', adopted, '--json']);
        const report = JSON.parse(r.stdout) as { refusals: unknown[]; problems: string[] };
        expect(report.refusals, r.stdout).toEqual([]);
        // An external event bus's maxclients is in no file: where the plan needs more than Redis' default the
        // adopted spec is written and import says to state it (exit 1). Nothing else may be a problem.
        const unstatedBusLimit = (p: string) => /^redis\.eventBus: \d+ event-bus connections exceed its maxclients 10000; .*redis\.eventBus\.maxClients/.test(p);
        expect(report.problems.filter((p) => !unstatedBusLimit(p)), r.stdout).toEqual([]);
        expect(r.code, r.stderr).toBe(report.problems.length ? 1 : 0);
        const spec = parse(readFileSync(join(adopted, 'dify-deploy.yaml'), 'utf8'));
        expect(spec.overrides.components.worker_runs).toMatchObject({
          replicas: runs.deploy.replicas,
          connectionsPerProcess: Number(runs.environment.CELERY_WORKER_AMOUNT),
          poolSize: Number(runs.environment.SQLALCHEMY_POOL_SIZE),
          maxOverflow: Number(runs.environment.SQLALCHEMY_MAX_OVERFLOW),
        });
        expect(spec.overrides.components).toHaveProperty('worker');
        // Where the files keep the workflow logs and the event bus is what the adopted spec says.
        const env = compose.services.api.environment ?? {};
        const dotenv = readFileSync(join(rendered, '.env'), 'utf8');
        const logsInDatabase = !/^CORE_WORKFLOW_EXECUTION_REPOSITORY=.*logstore/m.test(dotenv);
        expect(spec.observability.workflowLogs.storage).toBe(logsInDatabase ? 'rdbms' : 'logstore');
        const busUrl = /^EVENT_BUS_REDIS_URL=(.*)$/m.exec(dotenv)?.[1] ?? env.EVENT_BUS_REDIS_URL;
        expect(spec.redis.eventBus.mode).toBe(!busUrl ? 'shared' : compose.services.redis_event_bus ? 'bundled' : 'external');
      });
});
