// `tiers` and `plan` through the CLI entry: output contract, exit codes, and bad input
// that must end in one clear message and exit 2, never a stack trace.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tierNames } from '../src/core/data.js';
import { runCli } from './helpers/cli.js';

function specFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dd-spec-'));
  const file = join(dir, 'dify-deploy.yaml');
  writeFileSync(file, text);
  return file;
}

function expectCleanError(r: { code: number; stdout: string; stderr: string }, pattern: RegExp) {
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack frames
  expect(r.stdout).toBe('');
}

describe('tiers', () => {
  it('lists every tier with its source, as text and JSON', async () => {
    const text = await runCli(['tiers']);
    expect(text.code).toBe(0);
    for (const t of tierNames()) expect(text.stdout).toContain(t);
    const json = JSON.parse((await runCli(['tiers', '--json'])).stdout);
    expect(json.tiers.map((t: { name: string }) => t.name)).toEqual(tierNames());
    for (const t of json.tiers) expect(['published', 'interpolated', 'extrapolated']).toContain(t.source.kind);
  });
});

describe('plan', () => {
  it('prints the JSON contract with required = Σ peakDbConnections', async () => {
    // A default spec at 500 QPS must still choose where the workflow logs go (a problem: exit 1).
    const r = await runCli(['plan', '--tier', '500qps', '--json']);
    expect(r.code).toBe(1);
    const plan = JSON.parse(r.stdout);
    for (const key of ['release', 'tier', 'qps', 'latencySeconds', 'target', 'components', 'budget', 'capacity']) expect(plan).toHaveProperty(key);
    for (const c of plan.components)
      for (const key of ['name', 'replicas', 'processesPerReplica', 'connectionsPerProcess', 'peakDbConnections', 'cpu', 'memory', 'env']) expect(c).toHaveProperty(key);
    expect(plan.budget.required).toBe(plan.components.reduce((n: number, c: { peakDbConnections: number }) => n + c.peakDbConnections, 0));
    expect(Object.keys(plan.budget)).toEqual(expect.arrayContaining(['required', 'reserved', 'maxConnections', 'fits', 'headroom']));
    expect(Object.values(plan.components[1].env).every((v) => typeof v === 'string')).toBe(true);
  });

  it('prints a readable table with the budget and capacity lines', async () => {
    const r = await runCli(['plan', '--tier', '100qps', '--release', '1.13.3']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/component\s+replicas\s+procs\/replica/);
    // With the run worker's pools 100qps opens > 500 connections, so PgBouncer is on by default: the server side carries the reserved slots.
    expect(r.stdout).toMatch(/Budget: Server side \(PgBouncer and direct users → PostgreSQL\): .* \+ 3 reserved ≤ max_connections \d+: fits/);
    expect(r.stdout).toMatch(/Capacity \(api\): \d+ × \d+ = \d+ API greenlets .* P\(wait\) [\d.]+ %, p99 wait [\d.]+ s, utilisation [\d.]+ % at the peak; [\d.]+ QPS at the service level/);
    expect(r.stdout).toMatch(/Capacity \(runs\): \d+ run slots .* P\(wait\) [\d.]+ %, p99 wait [\d.]+ s, utilisation [\d.]+ % at the peak; [\d.]+ QPS at the service level/);
    expect(r.stdout).toMatch(/^ {2}worker_runs: [\d.]+\/s × [\d.]+ core·s per run = [\d.]+ cores in use → [\d.]+ needed, \d+ given; [\d.]+ GiB$/m);
    expect(r.stdout).toMatch(/^Cost: [\d.]+ vCPU and [\d.]+ GiB at limits ≈ \$\d+ a month, \$[\d.]+ per QPS/m);
    expect(r.stdout).toMatch(/^Cost table \(costs\/compute.json\): 0 value\(s\) from the spec, \d+ defaults$/m);
    expect(r.stdout).not.toMatch(/^api_websocket\s/m); // 1.13.3 has no collaboration service
  });

  it('layers --tier and --release onto a spec file that has neither, validating the result once', async () => {
    const partial = specFile('database:\n  mode: bundled\nvectorStore:\n  type: qdrant\n');
    const r = await runCli(['plan', '--config', partial, '--tier', '50qps', '--release', '1.15.0', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ tier: '50qps', release: '1.15.0' });
    // Without the flag the same file lacks a tier: one clear error.
    expectCleanError(await runCli(['plan', '--config', partial]), /tier: give a tier/);
  });

  it('exits 1 with the numbers when an external database is too small', async () => {
    const r = await runCli(['plan', '--config', specFile('tier: 200qps\ndatabase:\n  mode: external\n  host: db.internal\n  maxConnections: 300\n  pooler: none\n')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/problem: database: the deployment can open \d+ connections but the server allows 300 − 3 reserved = 297/);
  });

  it('behind PgBouncer, exits 1 when the server cannot hold the pools', async () => {
    const r = await runCli(['plan', '--config', specFile('tier: 1000qps\ndatabase:\n  mode: external\n  host: db.internal\n  maxConnections: 150\n')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Budget: Client side \(components → PgBouncer\): \d+ connections ≤ max_client_conn \d+/);
    expect(r.stdout).toMatch(/problem: database: PgBouncer's pools .* need \d+ server connections but the server allows 150 − 3 reserved = 147/);
  });
});

describe('bad input → exit 2, one clear line', () => {
  it('unknown tier, with a suggestion', async () => {
    expectCleanError(await runCli(['plan', '--tier', '500qp']), /tier: unknown tier "500qp" \(did you mean "500qps"\?\)/);
  });
  it('unknown release', async () => {
    expectCleanError(await runCli(['plan', '--tier', '10qps', '--release', '9.9.9']), /release: unknown Dify release "9.9.9"/);
  });
  it('wrong type names the file, YAML path, value and line', async () => {
    const f = specFile('tier: 10qps\ndatabase:\n  mode: external\n  host: db\n  maxConnections: 100\n  port: "54x2"\n');
    expectCleanError(await runCli(['plan', '--config', f]), /dify-deploy\.yaml: database\.port: expected an integer 1–65535, got "54x2" \(line 6\)/);
  });
  it('unknown keys are errors with a did-you-mean, never silently defaulted', async () => {
    const r = await runCli(['plan', '--config', specFile('tier: 10qps\ndatabse:\n  mode: external\n')]);
    expectCleanError(r, /databse: unknown key \(did you mean "database"\?\)/);
    const nested = await runCli(['plan', '--config', specFile('tier: 10qps\ndatabase:\n  maxConnection: 300\n')]);
    expectCleanError(nested, /database\.maxConnection: unknown key \(did you mean "maxConnections"\?\).*\(line 3\)/);
  });
  it('bad enum values list the choices', async () => {
    expectCleanError(await runCli(['plan', '--config', specFile('tier: 10qps\ndatabase:\n  engine: postgres\n')]), /database\.engine: expected one of postgresql, mysql, got "postgres" \(did you mean "postgresql"\?\)/);
  });
  it('YAML syntax errors give the line', async () => {
    expectCleanError(await runCli(['plan', '--config', specFile('tier: 10qps\ndatabase:\n  mode: [external\n')]), /dify-deploy\.yaml:\d+: YAML syntax error/);
  });
  it('an alias to a missing anchor', async () => {
    expectCleanError(await runCli(['plan', '--config', specFile('tier: &t 10qps\nrelease: *nope\n')]), /dify-deploy\.yaml: invalid YAML in the spec file: .*fix the anchors and aliases/);
  });
  it('a missing file, a directory, a non-mapping', async () => {
    expectCleanError(await runCli(['plan', '--config', '/nonexistent/dify-deploy.yaml']), /file not found/);
    const dir = mkdtempSync(join(tmpdir(), 'dd-dir-'));
    mkdirSync(join(dir, 'x.yaml'));
    expectCleanError(await runCli(['plan', '--config', join(dir, 'x.yaml')]), /is a directory/);
    expectCleanError(await runCli(['plan', '--config', specFile('- a\n- b\n')]), /expected a mapping/);
  });
  it('no spec at all, and a bad flag', async () => {
    expectCleanError(await runCli(['plan']), /no spec: pass --tier/);
    expectCleanError(await runCli(['plan', '--tier', '10qps', '--target', 'k8s']), /--target: expected one of compose, helm/);
    expect((await runCli(['plan', '--bogus'])).code).toBe(2);
  });
});

describe('the built binary', () => {
  it('answers --help and plan from dist (built once by test/global-setup.ts, as `npm ci` does)', () => {
    const help = spawnSync('node', ['bin/dify-deploy.cjs', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: dify-deploy/);
    const plan = spawnSync('node', ['bin/dify-deploy.cjs', 'plan', '--tier', '10qps', '--json'], { encoding: 'utf8' });
    expect(plan.status).toBe(0);
    expect(JSON.parse(plan.stdout).budget.fits).toBe(true);
    const bad = spawnSync('node', ['bin/dify-deploy.cjs', 'plan', '--tier', 'nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});
