// `dify-deploy measure` against a real PostgreSQL holding Dify's tables (test/fixtures/dify-ddl/:
// each release's columns, types and indexes from its migrations and model files) and synthetic
// traffic of known parameters.
// Tolerances: means ±6 % (≥ 1,000 draws, CV ≤ 1), CVs ±15 %, p50/p95 ±10 %, p99 ±20 % (the tail
// rests on ~1 % of the draws); arrival figures are exact against what the generator drew.
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { windowSql } from '../src/measure/queries.js';
import { runCli } from './helpers/cli.js';
import { requirePostgres, startPostgres, type PgServer } from './helpers/postgres.js';
import { DEFAULT_TRAFFIC, DIFY_DDL, DIFY_DDL_BY_RELEASE, fillTraffic, inlineTextBytes, logNormalQuantile, unsupportedDdl, type TrafficParams, type TrafficTruth } from './helpers/dify-db.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const READER = 'dify_reader';
// A password with URL-special characters: it must survive encoding and never be printed.
const PASSWORD = 'r3ad@only:pa/ss%#1';
const Z95 = 1.6448536269514722;
const Z99 = 2.3263478740408408;
const P = DEFAULT_TRAFFIC;

let server: PgServer | undefined;
let truth: TrafficTruth;
const admin = (database: string) => new pg.Client({ host: server!.host, port: server!.port, user: server!.superuser, database });
const url = (opts: { user?: string; password?: string; database?: string; port?: number; query?: string } = {}) =>
  `postgresql://${opts.user ?? READER}:${encodeURIComponent(opts.password ?? PASSWORD)}@127.0.0.1:${opts.port ?? server!.port}/${opts.database ?? 'dify'}${opts.query ?? ''}`;
const window = ['--until', P.until, '--since', '1d'];

async function sql(database: string, text: string): Promise<pg.QueryResult> {
  const c = admin(database);
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

/** A new database holding `ddl`'s tables filled with `traffic`; `before` runs first (e.g. a schema for them), `after` last, in the same session. */
async function difyDatabase(database: string, traffic: TrafficParams, sqlOf: { ddl?: string; before?: string; after?: string } = {}): Promise<TrafficTruth> {
  await sql('postgres', `CREATE DATABASE ${database}`);
  const c = admin(database);
  await c.connect();
  try {
    if (sqlOf.before) await c.query(sqlOf.before);
    await c.query(sqlOf.ddl ?? DIFY_DDL);
    const drawn = await fillTraffic(c, traffic);
    if (sqlOf.after) await c.query(sqlOf.after);
    return drawn;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  if (!requirePostgres()) return;
  server = await startPostgres();
  await sql('postgres', 'CREATE DATABASE dify');
  const c = admin('dify');
  await c.connect();
  try {
    await c.query(DIFY_DDL);
    truth = await fillTraffic(c, P);
    // A role that can only read: CONNECT, USAGE and SELECT, nothing else.
    await c.query(`CREATE ROLE ${READER} LOGIN PASSWORD '${PASSWORD}'`);
    await c.query(`REVOKE ALL ON DATABASE dify FROM PUBLIC; GRANT CONNECT ON DATABASE dify TO ${READER}`);
    await c.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO ${READER}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${READER}`);
  } finally {
    await c.end();
  }
  // The reader signs in with its password (the helper's server trusts loopback otherwise).
  const hba = join(server.dataDir, 'pg_hba.conf');
  writeFileSync(hba, `host all ${READER} 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`);
  await sql('postgres', 'SELECT pg_reload_conf()');
}, 300_000);

afterAll(() => server?.stop());

describe('measure on synthetic traffic of known parameters', () => {
  let json: any;
  beforeAll(async () => {
    if (!server) return;
    const r = await runCli(['measure', '--db', url(), ...window, '--service-api-workflows', 'blocking', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    json = JSON.parse(r.stdout);
  });

  it('arrivals: the peak minute, the 99th percentile minute and the mean are those of the drawn traffic', (ctx) => {
    if (!server) return ctx.skip();
    const counts = [...truth.perMinuteTotal].sort((a, b) => a - b);
    const total = counts.reduce((a, b) => a + b, 0);
    expect(json.total.total).toBe(total);
    expect(json.total.peakMinute).toBe(counts.at(-1));
    expect(json.total.p99Minute).toBe(counts[Math.ceil(0.99 * counts.length) - 1]);
    expect(json.total.meanQps).toBeCloseTo(total / (P.minutes * 60), 9);
    // … and near the generator's parameters: the burst's rate is the peak's expectation.
    const request = Object.entries(P.kinds).filter(([k]) => k !== 'workflowTrigger').reduce((n, [, k]) => n + k.perMinute, 0);
    const expected = request * (P.minutes + (P.burst.factor - 1) * P.burst.length);
    expect(Math.abs(total - expected) / expected).toBeLessThan(0.05);
    expect(json.total.peakMinute).toBeGreaterThanOrEqual(request * P.burst.factor * 0.8);
    expect(json.total.peakMinute).toBeLessThanOrEqual(request * P.burst.factor + 5 * Math.sqrt(request * P.burst.factor));
    const byKind = Object.fromEntries(json.kinds.map((k: any) => [k.kind, k.arrivals.total]));
    expect(byKind).toEqual({
      chat: truth.calls.chat,
      completion: truth.calls.completion,
      agent: truth.calls.agent,
      chatflow: truth.calls.chatflow,
      workflowStreaming: truth.calls.workflowWebApp,
      workflowServiceApi: truth.calls.workflowServiceApi,
      workflowTriggered: truth.calls.workflowTrigger,
    });
  });

  it('latency per kind: mean, CV and percentiles of the log-normal each kind was drawn from', (ctx) => {
    if (!server) return ctx.skip();
    const kindOf = { chat: 'chat', completion: 'completion', agent: 'agent', chatflow: 'chatflow', workflowWebApp: 'workflowStreaming', workflowServiceApi: 'workflowServiceApi', workflowTrigger: 'workflowTriggered' } as const;
    for (const [name, k] of Object.entries(P.kinds)) {
      const l = json.kinds.find((x: any) => x.kind === kindOf[name as keyof typeof kindOf]).latency;
      const near = (got: number, want: number, tol: number) => expect(Math.abs(got - want) / want, `${name}: ${got} vs ${want}`).toBeLessThan(tol);
      // The trigger kind has few draws (≈ 300): its tolerances are the looser ones.
      const few = l.count < 1000 ? 2 : 1;
      near(l.meanSeconds, k.meanSeconds, 0.06 * few);
      near(l.cv, k.cv, 0.15 * few);
      near(l.p50Seconds, logNormalQuantile(k.meanSeconds, k.cv, 0), 0.1 * few);
      near(l.p95Seconds, logNormalQuantile(k.meanSeconds, k.cv, Z95), 0.1 * few);
      near(l.p99Seconds, logNormalQuantile(k.meanSeconds, k.cv, Z99), 0.2 * few);
      near(l.failedShare + 0.01, k.failedShare + 0.01, 0.6);
      near(l.stoppedShare + 0.01, k.stoppedShare + 0.01, 0.6);
    }
    // Tokens: messages draw 100–300 + 300–500 (mean 600), runs 500–1500 (mean 1000).
    expect(json.kinds.find((x: any) => x.kind === 'chat').latency.tokensPerCall).toBeGreaterThan(580);
    expect(json.kinds.find((x: any) => x.kind === 'chat').latency.tokensPerCall).toBeLessThan(620);
    expect(json.kinds.find((x: any) => x.kind === 'chatflow').latency.tokensPerCall).toBeGreaterThan(970);
    expect(json.kinds.find((x: any) => x.kind === 'chatflow').latency.tokensPerCall).toBeLessThan(1030);
  });

  it('graph runs: node executions, code nodes and stored bytes per run and per node execution', (ctx) => {
    if (!server) return ctx.skip();
    const t = P.text;
    const runBytes = inlineTextBytes(t.graph) + inlineTextBytes(t.runInputs) + inlineTextBytes(t.runOutputs);
    const nodeBytes = inlineTextBytes(t.nodeInputs) + inlineTextBytes(t.nodeOutputs) + inlineTextBytes(t.nodeProcess) + inlineTextBytes(t.nodeMeta);
    const chatflow = json.kinds.find((x: any) => x.kind === 'chatflow').graph;
    const shape = P.nodes.chatflow;
    expect(chatflow.bytesPerRun).toBe(runBytes);
    expect(chatflow.bytesPerNodeExecution).toBe(nodeBytes);
    expect(Math.abs(chatflow.codeRunShare - shape.codeProbability)).toBeLessThan(0.04);
    expect(Math.abs(chatflow.nodeExecutionsPerRun - (shape.plain + shape.codeProbability * shape.codeNodes))).toBeLessThan(0.05);
    expect(Math.abs(chatflow.codeSecondsPerCodeRun - (shape.codeNodes * (shape.codeSeconds[0] + shape.codeSeconds[1])) / 2)).toBeLessThan(0.01);
    const wf = json.kinds.find((x: any) => x.kind === 'workflowStreaming').graph;
    const w = P.nodes.workflow;
    expect(Math.abs(wf.codeRunShare - w.codeProbability)).toBeLessThan(0.05);
    expect(Math.abs(wf.codeNodesPerRun - w.codeProbability * w.codeNodes)).toBeLessThan(0.1);
    expect(Math.abs(wf.codeSecondsPerCodeRun - (w.codeNodes * (w.codeSeconds[0] + w.codeSeconds[1])) / 2)).toBeLessThan(0.03);
    // Every finished run was read (the sample cap is above the window's runs): graph runs and trigger runs.
    expect(json.sample.every).toBe(1);
    expect(json.kinds.reduce((n: number, k: any) => n + (k.graph?.sampledRuns ?? 0), 0)).toBe(truth.graphRuns + truth.calls.workflowTrigger);
    expect(json.storage.databaseBytes).toBeGreaterThan(0);
    expect(json.storage.growthBytesPerDay).toBeGreaterThan(0);
  });

  it('the workload block: mix from the arrivals (service-API runs as blocking), latency and CV per app kind, code nodes, state', (ctx) => {
    if (!server) return ctx.skip();
    const w = json.workload;
    const requests = truth.calls.chat + truth.calls.completion + truth.calls.agent + truth.calls.chatflow + truth.calls.workflowWebApp + truth.calls.workflowServiceApi;
    expect(Object.values(w.mix).reduce((a: number, b) => a + (b as number), 0)).toBeCloseTo(1, 9);
    expect(w.mix.workflowBlocking).toBeCloseTo(truth.calls.workflowServiceApi / requests, 2);
    expect(w.mix.chatflow).toBeCloseTo(truth.calls.chatflow / requests, 2);
    expect(Math.abs(w.latencySeconds.workflowBlocking - P.kinds.workflowServiceApi.meanSeconds) / P.kinds.workflowServiceApi.meanSeconds).toBeLessThan(0.06);
    expect(Math.abs(w.latencyCv.agent - P.kinds.agent.cv) / P.kinds.agent.cv).toBeLessThan(0.15);
    expect(Math.abs(w.codeNodes.share - truth.codeRuns / truth.graphRuns)).toBeLessThan(0.002);
    expect(w.state.nodeExecutionsPerRun.chatflow).toBeCloseTo(P.nodes.chatflow.plain + P.nodes.chatflow.codeProbability, 1);
    expect(w.measured.source).toBe(`127.0.0.1:${server!.port}/dify`);
    expect(JSON.stringify(json)).not.toContain(PASSWORD);
  });
});

describe('measure is read-only', () => {
  async function stats() {
    // Read from another database: this session's own transactions must not count.
    const r = await sql('postgres', "SELECT pg_stat_clear_snapshot(); SELECT xact_commit, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database WHERE datname = 'dify'");
    return (r as unknown as pg.QueryResult[])[1].rows[0];
  }
  async function quiet() {
    // Stats reach pg_stat_database when a backend ends: wait until no session is left on the database.
    for (;;) {
      const r = await sql('postgres', "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'dify'");
      if (r.rows[0].n === 0) return;
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  it('a run commits nothing and changes no row: its counters move exactly as a bare connection does', async (ctx) => {
    if (!server) return ctx.skip();
    await quiet();
    const s0 = await stats();
    const bare = new pg.Client({ connectionString: url() });
    await bare.connect();
    await bare.end();
    await quiet();
    const s1 = await stats();
    const r = await runCli(['measure', '--db', url(), ...window]);
    expect(r.code).toBe(0);
    await quiet();
    const s2 = await stats();
    expect({ inserted: s2.tup_inserted - s1.tup_inserted, updated: s2.tup_updated - s1.tup_updated, deleted: s2.tup_deleted - s1.tup_deleted }).toEqual({ inserted: 0, updated: 0, deleted: 0 });
    expect(Number(s2.xact_commit) - Number(s1.xact_commit)).toBe(Number(s1.xact_commit) - Number(s0.xact_commit));
  });

  it('a user with only SELECT grants measures (every run above is one), and a writing statement would be refused in its transaction', async (ctx) => {
    if (!server) return ctx.skip();
    const r = await sql('dify', `SELECT has_table_privilege('${READER}', 'messages', 'INSERT') AS ins, has_table_privilege('${READER}', 'messages', 'SELECT') AS sel`);
    expect(r.rows[0]).toEqual({ ins: false, sel: true });
  });
});

describe('measure reads the window of workflow_runs once', () => {
  it('arrivals, latency and the node sample come from one statement whose plan reads workflow_runs in one node', async (ctx) => {
    if (!server) return ctx.skip();
    // On a large table the window is read by a scan of the whole heap (docs/measure.md): once, not once per figure.
    const c = admin('dify');
    await c.connect();
    try {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const since = new Date(Date.parse(P.until) - 86_400_000).toISOString();
      const { rows } = await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${windowSql(true, true)}`, [since, P.until, 20_000]);
      const reads: string[] = [];
      const walk = (node: any) => {
        if (node['Relation Name'] === 'workflow_runs') reads.push(node['Node Type']);
        for (const child of node.Plans ?? []) walk(child);
      };
      walk(rows[0]['QUERY PLAN'][0].Plan);
      expect(reads).toHaveLength(1);
    } finally {
      await c.query('ROLLBACK');
      await c.end();
    }
  });
});

describe('measure: where it connects, and bad input', () => {
  it('--from DIR reads DB_* from the .env; --host/--port reach it through a port-forward or a published port', async (ctx) => {
    if (!server) return ctx.skip();
    const dir = mkdtempSync(join(tmpdir(), 'dd-measure-'));
    // Unquoted, as users write it: Docker Compose keeps a `#` inside a word (dotenv would cut the password there).
    writeFileSync(join(dir, '.env'), `DB_TYPE=postgresql\nDB_HOST=db_postgres\nDB_PORT=5432\nDB_USERNAME=${READER}\nDB_PASSWORD=${PASSWORD}\nDB_DATABASE=dify\n`);
    // As the .env says: the compose service name does not resolve here.
    const direct = await runCli(['measure', '--from', dir, ...window]);
    expect(direct.code).toBe(2);
    expect(direct.stderr).toMatch(/db_postgres.* not found/);
    const forwarded = await runCli(['measure', '--from', dir, '--host', '127.0.0.1', '--port', String(server!.port), ...window]);
    expect(forwarded.stderr).toBe('');
    expect(forwarded.code).toBe(0);
    expect(forwarded.stdout).toContain(`Measured 127.0.0.1:${server!.port}/dify`);
    // kubectl port-forward svc/… 15432:5432, then --db at 127.0.0.1 with sslmode as the server takes it.
    const off = await runCli(['measure', '--db', url({ query: '?sslmode=disable' }), ...window, '--json']);
    expect(off.code).toBe(0);
    // prefer (libpq's default) tries TLS, then the clear, as libpq does.
    const prefer = await runCli(['measure', '--db', url({ query: '?sslmode=prefer' }), ...window, '--json']);
    expect(prefer.stderr).toBe('');
    expect(prefer.code).toBe(0);
    const on = await runCli(['measure', '--db', url({ query: '?sslmode=require' }), ...window]);
    expect(on.code).toBe(2);
    expect(on.stderr.trim().split('\n')).toHaveLength(1);
    expect(on.stderr).toMatch(/does not accept TLS; use sslmode=disable/);
  });

  it('the installed command (the bundled launcher) loads the driver and measures', (ctx) => {
    if (!server) return ctx.skip();
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'dify-deploy.cjs'), 'measure', '--db', url(), ...window, '--json'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).total.total).toBe(truth.perMinuteTotal.reduce((a, b) => a + b, 0));
  });

  it('the installed command reads the password from ~/.pgpass (PGPASSFILE) as libpq does, without a warning', (ctx) => {
    if (!server) return ctx.skip();
    const dir = mkdtempSync(join(tmpdir(), 'dd-pgpass-'));
    const pgpass = join(dir, 'pgpass');
    writeFileSync(pgpass, `127.0.0.1:${server!.port}:dify:${READER}:${PASSWORD}\n`, { mode: 0o600 });
    const env = { ...process.env, PGPASSFILE: pgpass };
    delete env.PGPASSWORD;
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'dify-deploy.cjs'), 'measure', '--db', `postgresql://${READER}@127.0.0.1:${server!.port}/dify`, ...window, '--json'], { encoding: 'utf8', env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).total.total).toBe(truth.perMinuteTotal.reduce((a, b) => a + b, 0));
  });

  it('bad input: one line, exit 2, never the password', async (ctx) => {
    if (!server) return ctx.skip();
    const cases: [string[], RegExp][] = [
      [['--db', url({ password: 'wrong-secret' })], /authentication failed for user dify_reader/],
      [['--db', url({ port: 1 })], /connection refused/],
      [['--db', `postgresql://${READER}@127.0.0.1:${server!.port}/dify`], /the server asks user dify_reader for a password and none was given; put it in PGPASSWORD or ~\/\.pgpass/],
      [['--db', url({ user: server!.superuser, password: 'x', database: 'postgres' })], /not a Dify database/],
      [['--db', 'mysql://root:secret@127.0.0.1/dify'], /MySQL is not supported/],
      [['--db', 'not a url secret'], /--db: not a URL/],
      // A literal % in a password, not percent-encoded: named, not an internal error.
      [['--db', `postgresql://${READER}:50%off-secret@127.0.0.1:${server!.port}/dify`], /--db: the password in the URL has a % not followed by two hex digits; write a literal % as %25/],
      [['--db', url({ query: '?sslmode=sometimes' })], /sslmode=sometimes is not one of/],
      [['--since', '14d'], /one of them/],
      // Not dates, though Date.parse reads the first two as 2001-07-01 and 2001-03-01, and rolls the third into March.
      [['--db', url(), '--since', '7'], /--since: expected a length like 14d, 36h or 2w, or an ISO date or time/],
      [['--db', url(), '--since', 'March 1'], /--since: expected a length like 14d/],
      [['--db', url(), '--since', '2026-02-30'], /--since: expected a length like 14d/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['measure', ...args, ...window.slice(0, 2)]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr + r.stdout).not.toMatch(/secret|wrong-secret|r3ad@only/);
    }
  });

  it('an older or unknown schema: the missing columns named, exit 2', async (ctx) => {
    if (!server) return ctx.skip();
    const [oldest] = DIFY_DDL_BY_RELEASE.values();
    await sql('postgres', 'CREATE DATABASE olddify');
    await sql('olddify', `${oldest} ALTER TABLE messages DROP COLUMN provider_response_latency; ALTER TABLE workflow_node_executions DROP COLUMN process_data; DROP TABLE workflow_app_logs;`);
    const r = await runCli(['measure', '--db', url({ user: server!.superuser, password: 'x', database: 'olddify' }), ...window]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing messages\.provider_response_latency, workflow_node_executions\.process_data, workflow_app_logs; measure reads Dify 1\.13\.3–1\.16\.1/);
    // A real older release, from its own migrations: Dify 0.5.11 had no workflows yet.
    await sql('postgres', 'CREATE DATABASE dify_0_5_11');
    await sql('dify_0_5_11', unsupportedDdl('0.5.11'));
    const older = await runCli(['measure', '--db', url({ user: server!.superuser, password: 'x', database: 'dify_0_5_11' }), ...window]);
    expect(older.code).toBe(2);
    expect(older.stderr.trim().split('\n')).toHaveLength(1);
    expect(older.stderr).toMatch(/missing messages\.workflow_run_id, messages\.status, workflow_runs, workflow_node_executions, workflow_app_logs; /);
  });

  it('a role with SELECT on some tables only: the tables it may not read named with the GRANT, not taken for an older schema; without alembic_version it measures', async (ctx) => {
    if (!server) return ctx.skip();
    await sql('dify', `CREATE ROLE some_reader LOGIN; GRANT CONNECT ON DATABASE dify TO some_reader; GRANT USAGE ON SCHEMA public TO some_reader;
      GRANT SELECT ON apps, messages, workflow_runs, workflow_app_logs TO some_reader; GRANT SELECT (id, workflow_run_id) ON workflow_node_executions TO some_reader`);
    const some = await runCli(['measure', '--db', url({ user: 'some_reader', password: 'x' }), ...window]);
    expect(some.code, some.stderr).toBe(2);
    expect(some.stderr.trim().split('\n')).toHaveLength(1);
    expect(some.stderr).toMatch(/user some_reader may not read workflow_node_executions; GRANT SELECT ON apps, messages, workflow_runs, workflow_node_executions, workflow_app_logs, alembic_version TO some_reader/);
    // Everything measure needs but the revision table: it measures, and reports no revision.
    await sql('dify', 'GRANT SELECT ON workflow_node_executions TO some_reader');
    const r = await runCli(['measure', '--db', url({ user: 'some_reader', password: 'x' }), ...window, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout);
    expect(got.schemaRevision).toBeUndefined();
    expect(got.total.total).toBe(truth.perMinuteTotal.reduce((a, b) => a + b, 0));
  });

  it("Dify's tables in a schema of their own: reached with libpq's options in --db, or Dify's DB_EXTRAS with --from", async (ctx) => {
    if (!server) return ctx.skip();
    const drawn = await difyDatabase('dify_schema', { ...P, minutes: 60 }, { before: 'CREATE SCHEMA dify_app; SET search_path = dify_app' });
    const total = drawn.perMinuteTotal.reduce((a, b) => a + b, 0);
    const db = (query = '') => url({ user: server!.superuser, password: 'x', database: 'dify_schema', query });
    const plain = await runCli(['measure', '--db', db(), '--until', P.until, '--since', '1h']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/not a Dify database/);
    const viaUrl = await runCli(['measure', '--db', db('?options=-c%20search_path%3Ddify_app'), '--until', P.until, '--since', '1h', '--json']);
    expect(viaUrl.stderr).toBe('');
    expect(JSON.parse(viaUrl.stdout).total.total).toBe(total);
    // Dify's API takes DB_EXTRAS as its URL's query: the options there (Python's parse_qsl) and the other keys it passes to libpq.
    const dir = mkdtempSync(join(tmpdir(), 'dd-measure-extras-'));
    writeFileSync(join(dir, '.env'), `DB_HOST=127.0.0.1\nDB_PORT=${server!.port}\nDB_USERNAME=${server!.superuser}\nDB_PASSWORD=x\nDB_DATABASE=dify_schema\nDB_EXTRAS=options=-c search_path=dify_app&keepalives=1\n`);
    const viaEnv = await runCli(['measure', '--from', dir, '--until', P.until, '--since', '1h', '--json']);
    expect(viaEnv.stderr).toBe('');
    expect(JSON.parse(viaEnv.stdout).total.total).toBe(total);
  }, 120_000);

  it('service times past an hour (stuck or resumed runs): kept in the mean, which the oracle recomputes, and named in a note', async (ctx) => {
    if (!server) return ctx.skip();
    // One chat message and one service-API run of the draw take a day: a clock gone wrong, or a run nobody stopped.
    await difyDatabase('dify_outliers', { ...P, minutes: 60 }, {
      after: `UPDATE messages SET provider_response_latency = 86400 WHERE id = (SELECT m.id FROM messages m JOIN apps a ON a.id = m.app_id WHERE a.mode = 'chat' ORDER BY m.id LIMIT 1);
        UPDATE workflow_runs SET elapsed_time = 90000 WHERE id = (SELECT r.id FROM workflow_runs r JOIN workflow_app_logs l ON l.workflow_run_id = r.id WHERE l.created_from = 'service-api' ORDER BY r.id LIMIT 1)`,
    });
    const r = await runCli(['measure', '--db', url({ user: server!.superuser, password: 'x', database: 'dify_outliers' }), '--until', P.until, '--since', '1h', '--json']);
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout);
    const [oracle] = (await sql('dify_outliers', `SELECT avg(provider_response_latency) AS mean FROM messages m JOIN apps a ON a.id = m.app_id WHERE a.mode = 'chat'`)).rows;
    expect(got.kinds.find((k: any) => k.kind === 'chat').latency.meanSeconds).toBeCloseTo(Number(oracle.mean), 9);
    expect(got.notes.filter((n: string) => /longer than 3600 s/.test(n))).toEqual([
      expect.stringMatching(/^1 chat calls took longer than 3600 s \(the longest 86400 s\), past Dify's run time limit \(APP_MAX_EXECUTION_TIME\): the mean of chat \([\d.]+ s\) includes them/),
      expect.stringMatching(/^1 workflowServiceApi calls took longer than 3600 s \(the longest 90000 s\)/),
    ]);
  }, 120_000);

  it('a server whose statistics views are revoked from PUBLIC (hardened): measure still reads table sizes and rows', async (ctx) => {
    if (!server) return ctx.skip();
    await sql('dify', 'REVOKE SELECT ON pg_stat_user_tables, pg_stat_all_tables FROM PUBLIC');
    try {
      const r = await runCli(['measure', '--db', url(), ...window, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const runs = JSON.parse(r.stdout).storage.tables.find((t: any) => t.table === 'workflow_runs');
      expect(runs.rows).toBe(Number((await sql('dify', 'SELECT count(*) AS n FROM workflow_runs')).rows[0].n));
    } finally {
      await sql('dify', 'GRANT SELECT ON pg_stat_user_tables, pg_stat_all_tables TO PUBLIC');
    }
  });

  it('--since and --until without an offset are UTC, as Dify stores its times, whatever the zone of the machine measure runs on', async (ctx) => {
    if (!server) return ctx.skip();
    const zone = process.env.TZ;
    process.env.TZ = 'Asia/Shanghai';
    try {
      const r = await runCli(['measure', '--db', url(), '--since', '2026-03-01T00:00', '--until', '2026-03-02 00:00:00', '--json']);
      expect(r.stderr).toBe('');
      const got = JSON.parse(r.stdout);
      expect(got.window).toMatchObject({ since: '2026-03-01T00:00:00.000Z', until: P.until.replace('Z', '.000Z'), minutes: 1440 });
      expect(got.total.total).toBe(truth.perMinuteTotal.reduce((a, b) => a + b, 0));
      // An offset is taken as given.
      const shifted = JSON.parse((await runCli(['measure', '--db', url(), '--since', '2026-03-01T08:00+08', '--until', '2026-03-02T08:00:00+0800', '--json'])).stdout);
      expect(shifted.window).toEqual(got.window);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('--until after the database clock: the window ends at the clock (later minutes hold no requests and would thin every rate), with a note', async (ctx) => {
    if (!server) return ctx.skip();
    const [{ now }] = (await sql('dify', "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') AS now")).rows;
    const r = await runCli(['measure', '--db', url(), '--since', '2026-03-01', '--until', '2099-01-01', '--json']);
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout);
    // The run's own clock reading is a little after the one above, never a year later.
    expect(Date.parse(got.window.until) - Date.parse(`${now}Z`)).toBeGreaterThanOrEqual(0);
    expect(Date.parse(got.window.until) - Date.parse(`${now}Z`)).toBeLessThan(86_400_000);
    expect(got.total.total).toBe(truth.perMinuteTotal.reduce((a, b) => a + b, 0));
    expect(got.total.meanQps).toBeCloseTo(got.total.total / (got.window.minutes * 60), 12);
    expect(got.notes).toContain(`--until 2099-01-01T00:00:00.000Z is after the database's clock (${got.window.until.replace('.000Z', 'Z')}): the window ends there`);
  });

  it('an empty window: a clear message, exit 1', async (ctx) => {
    if (!server) return ctx.skip();
    const r = await runCli(['measure', '--db', url(), '--until', '2020-01-08T00:00:00Z', '--since', '7d']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no requests between 2020-01-01T00:00:00.000Z and 2020-01-08T00:00:00.000Z/);
  });
});

describe("measure on each supported release's own tables", () => {
  // A shorter draw than the main one: every release gets the same 3 hours of traffic.
  const SHORT = { ...DEFAULT_TRAFFIC, minutes: 180, burst: { start: 90, length: 5, factor: 4 } };
  it.each([...DIFY_DDL_BY_RELEASE.keys()])('Dify %s: every figure from its tables, its schema revision reported, no index missing', async (release) => {
    if (!server) return;
    const ddl = DIFY_DDL_BY_RELEASE.get(release)!;
    // The fixture names its source and the revision it leaves in alembic_version (read here from its text).
    expect(ddl).toMatch(new RegExp(`^-- release: ${release.replaceAll('.', '\\.')}$`, 'm'));
    expect(ddl).toMatch(/^-- source: langgenius\/dify, tag \d+\.\d+\.\d+, commit [0-9a-f]{40}$/m);
    const revision = /INSERT INTO alembic_version \(version_num\) VALUES \('(\w+)'\)/.exec(ddl)![1];
    const database = `dify_${release.replaceAll('.', '_')}`;
    const drawn = await difyDatabase(database, SHORT, { ddl });
    const r = await runCli(['measure', '--db', url({ user: server!.superuser, password: 'x', database }), '--until', SHORT.until, '--since', '3h', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout);
    expect(got.schemaRevision).toBe(revision);
    expect(got.notes.filter((n: string) => /^no index/.test(n))).toEqual([]);
    expect(got.total.total).toBe(drawn.perMinuteTotal.reduce((a, b) => a + b, 0));
    expect(got.total.peakMinute).toBe(Math.max(...drawn.perMinuteTotal));
    const byKind = Object.fromEntries(got.kinds.filter((k: any) => k.arrivals.total > 0).map((k: any) => [k.kind, k.arrivals.total]));
    expect(byKind).toEqual({
      chat: drawn.calls.chat,
      completion: drawn.calls.completion,
      agent: drawn.calls.agent,
      chatflow: drawn.calls.chatflow,
      workflowStreaming: drawn.calls.workflowWebApp,
      workflowServiceApi: drawn.calls.workflowServiceApi,
      workflowTriggered: drawn.calls.workflowTrigger,
    });
    expect(got.kinds.reduce((n: number, k: any) => n + (k.graph?.sampledRuns ?? 0), 0)).toBe(drawn.graphRuns + drawn.calls.workflowTrigger);
  }, 120_000);

  it('without the app-log and node-execution indexes, and with runs still running: what can be read is measured, the rest noted', async (ctx) => {
    if (!server) return ctx.skip();
    // Every trigger run still running; the two indexes as before their migrations.
    const drawn = await difyDatabase('dify_partial', SHORT, {
      after: `UPDATE workflow_runs SET status = 'running' WHERE triggered_from = 'webhook'; DROP INDEX workflow_app_log_workflow_run_id_idx; DROP INDEX workflow_node_execution_workflow_run_id_idx`,
    });
    const r = await runCli(['measure', '--db', url({ user: server!.superuser, password: 'x', database: 'dify_partial' }), '--until', SHORT.until, '--since', '3h', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout);
    expect(got.notes.filter((n: string) => /^no index on (workflow_app_logs|workflow_node_executions)\(workflow_run_id\)/.test(n))).toHaveLength(2);
    const kind = (k: string) => got.kinds.find((x: any) => x.kind === k);
    // Web-app runs cannot be told from service-API ones without the app-log index.
    expect(kind('workflowStreaming')).toBeUndefined();
    expect(kind('workflowServiceApi').arrivals.total).toBe(drawn.calls.workflowWebApp + drawn.calls.workflowServiceApi);
    expect(kind('workflowServiceApi').latency.count).toBe(drawn.calls.workflowWebApp + drawn.calls.workflowServiceApi);
    // Running runs arrive but have no service time yet.
    expect(kind('workflowTriggered').arrivals.total).toBe(drawn.calls.workflowTrigger);
    expect(kind('workflowTriggered').latency).toBeUndefined();
    expect(got.kinds.filter((k: any) => k.graph)).toEqual([]);
    expect(got.sample).toEqual({ finishedRuns: drawn.calls.chatflow + drawn.calls.workflowWebApp + drawn.calls.workflowServiceApi, sampledRuns: 0, every: 1 });
  }, 120_000);
});

describe('measure --write, then plan', () => {
  it('merges the workload: block into the spec (comments and other keys kept, no password); plan says which numbers were measured', async (ctx) => {
    if (!server) return ctx.skip();
    const dir = mkdtempSync(join(tmpdir(), 'dd-measure-write-'));
    const spec = join(dir, 'dify-deploy.yaml');
    const before = [
      '# our production deployment',
      'release: 1.16.1',
      'tier: 100qps',
      'workload:',
      '  # measured last quarter by hand',
      '  mix: { chat: 1 }',
      '  latencySeconds:',
      '    chat: 9 # will be replaced',
      '  codeNodes: { share: 0.9 }',
      'database:',
      '  pooler: none',
      '',
    ].join('\n');
    writeFileSync(spec, before);
    const measured = await runCli(['measure', '--db', url(), ...window, '--write', '-c', spec]);
    expect(measured.stderr).toBe('');
    expect(measured.code).toBe(0);
    const after = readFileSync(spec, 'utf8');
    expect(after).toContain('# our production deployment');
    expect(after).toContain('# measured last quarter by hand');
    expect(after).toContain('pooler: none');
    expect(after).not.toContain(PASSWORD);
    expect(after).not.toContain(READER);
    const { parseSpecYaml } = await import('../src/core/spec-file.js');
    const parsed = parseSpecYaml(after, spec);
    expect(parsed.workload.mix!.chat).toBeLessThan(1);
    expect(parsed.workload.latencySeconds!.chat).toBeCloseTo(P.kinds.chat.meanSeconds, 0);
    expect(parsed.workload.codeNodes!.share).toBeCloseTo(truth.codeRuns / truth.graphRuns, 2);
    expect(parsed.workload.measured!.fields).toContain('latencyCv.chatflow');
    expect(parsed.workload.state!.bytesPerNodeExecution).toBeGreaterThan(0);

    const plan = await runCli(['plan', '-c', spec]);
    expect(plan.stdout).toMatch(new RegExp(`^Measured \\(dify-deploy measure, 127\\.0\\.0\\.1:${server!.port}/dify, 1-day window`));
    expect(plan.stdout).toMatch(/: mix, latencySeconds \(chat, completion, agent, chatflow, workflowStreaming, workflowBlocking\), latencyCv \(/);
    const planJson = JSON.parse((await runCli(['plan', '-c', spec, '--json'])).stdout);
    expect(planJson.workload.mix.chatflow).toBe(parsed.workload.mix!.chatflow);
    expect(planJson.workload.latencySeconds.agent).toBe(parsed.workload.latencySeconds!.agent);
    expect(planJson.measuredWorkload.source).toBe(`127.0.0.1:${server!.port}/dify`);
    // Growth: 10 × today's p99 minute, with the measured workload.
    const tenfold = Math.round(10 * parsed.workload.measured!.p99MinuteQps! * 1000) / 1000;
    const grown = JSON.parse((await runCli(['plan', '-c', spec, '--qps', String(tenfold), '--json'])).stdout);
    expect(grown.qps).toBe(tenfold);
    expect(grown.workload.mix).toEqual(planJson.workload.mix);
    if (process.env.MEASURE_REPORT) writeFileSync(process.env.MEASURE_REPORT, `${measured.stdout}\n---- ${spec}\n${after}\n---- plan\n${plan.stdout}\n---- plan --qps ${tenfold}\n${(await runCli(['plan', '-c', spec, '--qps', String(tenfold)])).stdout}`);
  });

  it('--write into a spec that is not valid: its own error (file, key, line), exit 2, before connecting, nothing written', async (ctx) => {
    if (!server) return ctx.skip();
    const dir = mkdtempSync(join(tmpdir(), 'dd-measure-badspec-'));
    const spec = join(dir, 'dify-deploy.yaml');
    const text = 'release: 1.16.1\ntier: 100qps\nworkload:\n';
    writeFileSync(spec, text);
    // Port 1: were it to connect first, the error would be the connection's.
    const r = await runCli(['measure', '--db', url({ port: 1 }), ...window, '--write', '-c', spec]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/dify-deploy\.yaml: workload: expected a mapping, got null \(line 3\)/);
    expect(readFileSync(spec, 'utf8')).toBe(text);
  });

  it('--write into a symlinked spec updates the file it points to; the link stays a link', async (ctx) => {
    if (!server) return ctx.skip();
    const dir = mkdtempSync(join(tmpdir(), 'dd-measure-link-'));
    mkdirSync(join(dir, 'config'));
    const target = join(dir, 'config', 'dify-deploy.yaml');
    writeFileSync(target, '# kept in the config repository\nrelease: 1.16.1\ntier: 100qps\n');
    const link = join(dir, 'dify-deploy.yaml');
    symlinkSync(join('config', 'dify-deploy.yaml'), link);
    const r = await runCli(['measure', '--db', url(), ...window, '--write', '-c', link]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const after = readFileSync(target, 'utf8');
    expect(after).toMatch(/^# kept in the config repository\n/);
    expect(after).toMatch(/\nworkload:\n {2}mix:\n/);
    expect(readdirSync(join(dir, 'config'))).toEqual(['dify-deploy.yaml']);
  });

  it('--write without a spec refuses before connecting: exit 2, nothing written', async (ctx) => {
    if (!server) return ctx.skip();
    const dir = mkdtempSync(join(tmpdir(), 'dd-measure-nospec-'));
    const r = await runCli(['measure', '--db', url(), ...window, '--write', '-c', join(dir, 'dify-deploy.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no spec to write the workload into/);
  });
});
