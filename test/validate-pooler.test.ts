// validate behind a PgBouncer: both sides of the budget judged from the files (the compose
// pgbouncer service with pgbouncer/pgbouncer.ini, helm/extra/pgbouncer.yaml), and what a
// transaction pooler breaks reported as errors.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planFor } from '../src/core/resolve.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import type { SpecInput } from '../src/core/spec.js';
import { renderDeployment, type RenderTarget } from '../src/render/index.js';
import { validate } from '../src/validate/index.js';
import { withStateChoices } from './helpers/state-choices.js';

async function rendered(input: SpecInput, target: RenderTarget): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dd-pooler-'));
  const report = await renderDeployment({ spec: parseSpecData(withStateChoices(input, target === 'helm' ? 'helm' : 'compose'), 'test'), outDir: dir, target });
  expect(report.refused).toEqual([]);
  return dir;
}

const edit = (path: string, from: RegExp | string, to: string) => {
  const before = readFileSync(path, 'utf8');
  const after = before.replace(from, to);
  expect(after).not.toBe(before);
  writeFileSync(path, after);
};

describe('validate with a PgBouncer in the files', () => {
  it('our 500qps compose output is clean; the daemon without DB_TYPE=pgbouncer and migrations through the pooler are errors', async () => {
    const dir = await rendered({ tier: '500qps' }, 'compose');
    expect((await validate({ dir })).diagnostics).toEqual([]);
    const compose = join(dir, 'docker-compose.yaml');
    edit(compose, /\n\s+DB_TYPE: pgbouncer/, '');
    edit(compose, /(migrate:[\s\S]*?)\n\s+DB_HOST: db_postgres\n\s+DB_PORT: "5432"/, '$1');
    const found = (await validate({ dir })).diagnostics.filter((d) => d.rule === 'pooler');
    expect(found.map((d) => (d.data as { service: string }).service).sort()).toEqual(['migrate', 'plugin_daemon']);
    expect(found.every((d) => d.severity === 'error')).toBe(true);
  });

  it('judges the client side against max_client_conn and the server side against max_connections', async () => {
    const input: SpecInput = { tier: '500qps' };
    const plan = planFor(parseSpecData(withStateChoices(input), 'test'), 'compose');
    const dir = await rendered(input, 'compose');
    const ini = join(dir, 'pgbouncer', 'pgbouncer.ini');
    edit(ini, /max_client_conn = \d+/, `max_client_conn = ${plan.budget.required - 1}`);
    edit(join(dir, '.env'), /POSTGRES_MAX_CONNECTIONS=\d+/, `POSTGRES_MAX_CONNECTIONS=${plan.budget.server!.required}`);
    const budget = (await validate({ dir })).diagnostics.filter((d) => d.rule === 'connection-budget');
    const sides = Object.fromEntries(budget.map((d) => [(d.data as { side: string }).side, (d.data as { required: number }).required]));
    expect(sides).toEqual({ client: plan.budget.required, server: plan.budget.server!.required });
  });

  it('Helm: the pods behind helm/extra/pgbouncer.yaml are judged against its pools', async () => {
    const input: SpecInput = { tier: '1000qps', targets: ['helm'], storage: { type: 's3', bucket: 'b', region: 'eu-west-1', useIam: true } };
    const plan = planFor(parseSpecData(withStateChoices(input, 'helm'), 'test'), 'helm');
    const dir = await rendered(input, 'helm');
    expect((await validate({ dir })).diagnostics).toEqual([]);
    edit(join(dir, 'helm', 'values.yaml'), /max_connections = \d+/, 'max_connections = 100');
    const budget = (await validate({ dir })).diagnostics.filter((d) => d.rule === 'connection-budget');
    expect(budget.map((d) => (d.data as { required: number }).required)).toEqual([plan.budget.server!.required]);
  });
});
