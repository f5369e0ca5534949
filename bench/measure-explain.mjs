// The cost of each query `dify-deploy measure` runs, on a Dify database with a 10M-row
// workflow_runs (90 days of runs; a 7-day window holds ~780k): EXPLAIN (ANALYZE, BUFFERS) of every
// query in the read-only transaction measure opens, printed with the plan's top nodes.
// The tables are Dify 1.16.1's (test/fixtures/dify-ddl/1.16.1.sql, from its migrations).
// Needs PostgreSQL's server binaries (initdb, pg_ctl) and a build (npm run build: dist/measure).
// Usage: node bench/measure-explain.mjs [--runs 10000000] [--days 90] [--window 7] [--keep]
//        node bench/measure-explain.mjs --db postgresql://… [--window 7]   (explain only, on a database
//        already filled, e.g. one left by --keep)
// A bench, not a test: its numbers go to docs/measure.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { windowSql, WINDOW_ROWS, TABLE_SIZES, SCHEMA_COLUMNS, INDEX_LEADS } from '../dist/measure/queries.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = option('--runs', 10_000_000);
const DAYS = option('--days', 90);
const WINDOW = option('--window', 7);
const DB = process.argv.includes('--db') ? process.argv[process.argv.indexOf('--db') + 1] : undefined;
const MAX_SAMPLED_RUNS = 20_000;
/** The data ends now (UTC, as Dify stores timestamps), and the window with it. */
const end = `(now() AT TIME ZONE 'UTC')`;

/** A throwaway server (initdb in a temporary directory), stopped and removed at the end unless --keep. */
async function startServer() {
  const binDir = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim().replace(/\/initdb$/, '') ||
    (() => { throw new Error('initdb not found'); })();
  const asRoot = process.getuid?.() === 0;
  const run = (cmd, args) => execFileSync(asRoot ? 'runuser' : cmd, asRoot ? ['-u', 'difytest', '--', cmd, ...args] : args, { stdio: 'pipe', encoding: 'utf8' });
  const base = mkdtempSync(join(tmpdir(), 'dd-explain-'));
  chmodSync(base, 0o755);
  if (asRoot) chownSync(base, Number(execFileSync('id', ['-u', 'difytest']).toString()), Number(execFileSync('id', ['-g', 'difytest']).toString()));
  const port = await new Promise((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
  run(join(binDir, 'initdb'), ['-D', join(base, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  run(join(binDir, 'pg_ctl'), ['-D', join(base, 'data'), '-o', `-p ${port} -k ${base} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=256MB -c max_wal_size=4GB -c synchronous_commit=off -c maintenance_work_mem=512MB`, '-l', join(base, 'log'), '-w', '-t', '120', 'start']);
  const stop = () => {
    if (process.argv.includes('--keep')) return console.log(`kept: port ${port}, ${base}`);
    run(join(binDir, 'pg_ctl'), ['-D', join(base, 'data'), '-m', 'immediate', '-w', 'stop']);
    rmSync(base, { recursive: true, force: true });
  };
  return { port, stop };
}

/** Fills Dify's tables with --runs runs over --days days. */
async function generate(client) {
  const t0 = Date.now();
  await client.query(readFileSync(join(root, 'test', 'fixtures', 'dify-ddl', '1.16.1.sql'), 'utf8'));
  // Filled without WAL and with the indexes built after: the plans are the same, the fill minutes instead of an hour.
  const indexes = (await client.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT IN (SELECT conname FROM pg_constraint)`)).rows;
  for (const { indexname } of indexes) await client.query(`DROP INDEX ${indexname}`);
  for (const t of ['apps', 'messages', 'workflow_runs', 'workflow_node_executions', 'workflow_app_logs']) await client.query(`ALTER TABLE ${t} SET UNLOGGED`);
  // 100 apps of each mode; runs spread evenly over DAYS days ending now; every workflow-app run has its app log.
  await client.query(`INSERT INTO apps (id, tenant_id, name, mode, enable_site, enable_api)
    SELECT gen_random_uuid(), '00000000-0000-4000-a000-000000000000', 'app ' || i, (ARRAY['chat','completion','agent-chat','advanced-chat','workflow'])[1 + i % 5], true, true
    FROM generate_series(0, 499) i`);
  await client.query(`CREATE TEMP TABLE app_ids AS SELECT row_number() OVER () - 1 AS n, id, mode FROM apps`);
  await client.query(`INSERT INTO workflow_runs (id, tenant_id, app_id, workflow_id, type, triggered_from, version, graph, inputs, status, outputs, elapsed_time, total_tokens, created_by_role, created_by, created_at, finished_at)
    SELECT gen_random_uuid(), '00000000-0000-4000-a000-000000000000', a.id, a.id, 'workflow', CASE WHEN i % 20 = 0 THEN 'debugging' ELSE 'app-run' END, 'v1',
      repeat('g', 3000), repeat('i', 50), CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'succeeded' END, repeat('o', 80), random() * 10, 1000, 'end_user', a.id,
      ${end} - (i::double precision / ${RUNS} * ${DAYS}) * interval '1 day', ${end}
    FROM generate_series(1, ${RUNS}) i JOIN app_ids a ON a.n = (i % 80) * 5 + 3 + i % 2`); // advanced-chat and workflow apps
  // Statistics first: without them the planner joins the 10M runs to the apps by a nested loop of table scans.
  await client.query('ANALYZE apps, workflow_runs');
  await client.query(`INSERT INTO workflow_app_logs (id, tenant_id, app_id, workflow_id, workflow_run_id, created_from, created_by_role, created_by, created_at)
    SELECT gen_random_uuid(), r.tenant_id, r.app_id, r.workflow_id, r.id, CASE WHEN random() < 0.6 THEN 'web-app' ELSE 'service-api' END, 'end_user', r.created_by, r.created_at
    FROM workflow_runs r JOIN apps a ON a.id = r.app_id WHERE a.mode = 'workflow' AND r.triggered_from = 'app-run'`);
  // Node executions for the window's runs (5 each, one code node in three runs): what the node query reads.
  await client.query(`INSERT INTO workflow_node_executions (id, tenant_id, app_id, workflow_id, triggered_from, workflow_run_id, index, node_id, node_type, title, inputs, process_data, outputs, status, elapsed_time, execution_metadata, created_at, created_by_role, created_by)
    SELECT gen_random_uuid(), r.tenant_id, r.app_id, r.workflow_id, 'workflow-run', r.id, j, 'n' || j, CASE WHEN j = 0 AND hashtext(r.id::text) % 3 = 0 THEN 'code' ELSE 'llm' END, 'node',
      repeat('i', 200), repeat('p', 100), repeat('o', 300), 'succeeded', 0.1, repeat('m', 50), r.created_at, 'end_user', r.created_by
    FROM workflow_runs r CROSS JOIN generate_series(0, 4) j WHERE r.created_at >= ${end} - interval '${WINDOW} days'`);
  await client.query(`INSERT INTO messages (id, app_id, conversation_id, inputs, query, message, message_tokens, answer, answer_tokens, message_unit_price, answer_unit_price, provider_response_latency, currency, status, from_source, created_at)
    SELECT gen_random_uuid(), a.id, a.id, '{}', 'q', '[]', 100, 'a', 300, 0, 0, random() * 5, 'USD', 'normal', 'api', ${end} - (i::double precision / ${RUNS / 5} * ${DAYS}) * interval '1 day'
    FROM generate_series(1, ${RUNS / 5}) i JOIN app_ids a ON a.n = (i % 100) * 5`);
  await client.query('DROP TABLE app_ids');
  for (const { indexdef } of indexes) await client.query(indexdef);
  await client.query('VACUUM ANALYZE');
  const counts = (await client.query(`SELECT (SELECT count(*) FROM workflow_runs) r, (SELECT count(*) FROM workflow_app_logs) l, (SELECT count(*) FROM workflow_node_executions) n, (SELECT count(*) FROM messages) m, pg_size_pretty(pg_database_size(current_database())) s`)).rows[0];
  console.log(`generated in ${Math.round((Date.now() - t0) / 1000)} s: workflow_runs ${counts.r}, workflow_app_logs ${counts.l}, workflow_node_executions ${counts.n}, messages ${counts.m}; database ${counts.s}`);

}

/** EXPLAIN (ANALYZE, BUFFERS) of every query a --window-day measure runs, in its read-only transaction. */
async function explain(client) {
  const { rows: [{ since, until }] } = await client.query(`SELECT to_char(${end} - interval '${WINDOW} days', 'YYYY-MM-DD HH24:MI:SS') AS since, to_char(${end}, 'YYYY-MM-DD HH24:MI:SS') AS until`);
  const runs = Number((await client.query(`SELECT count(*) FROM workflow_runs WHERE created_at >= $1 AND created_at < $2`, [since, until])).rows[0].count);
  const tables = ['apps', 'messages', 'workflow_runs', 'workflow_node_executions', 'workflow_app_logs'];
  const queries = [
    ['schema columns', SCHEMA_COLUMNS, [tables]],
    ['index leads', INDEX_LEADS, [tables]],
    [`window: arrivals, latency, node sample (1 run in ${Math.max(1, Math.ceil(runs / MAX_SAMPLED_RUNS))})`, windowSql(true, true), [since, until, MAX_SAMPLED_RUNS]],
    ['window rows', WINDOW_ROWS, [since, until]],
    ['table sizes', TABLE_SIZES, [tables]],
  ];
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  console.log(`window ${since} – ${until}: ${runs} runs; | query | planner cost | time | shared buffers | temp blocks written | plan |`);
  for (const [name, sql, params] of queries) {
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params);
    const plan = rows[0]['QUERY PLAN'][0];
    const nodes = [];
    const walk = (n, depth) => {
      if (depth < 6 && /Scan|Join|Nested|Hash|Aggregate|Sort/.test(n['Node Type'])) nodes.push(`${n['Node Type']}${n['Index Name'] ? ` using ${n['Index Name']}` : n['Relation Name'] ? ` on ${n['Relation Name']}` : ''} (${n['Actual Rows']} rows × ${n['Actual Loops']})`);
      for (const c of n.Plans ?? []) walk(c, depth + 1);
    };
    walk(plan.Plan, 0);
    const b = plan.Plan;
    const buffers = (b['Shared Hit Blocks'] ?? 0) + (b['Shared Read Blocks'] ?? 0);
    console.log(`| ${name} | ${Math.round(b['Total Cost'])} | ${Math.round(plan['Execution Time'])} ms | ${buffers} (${Math.round((buffers * 8) / 1024)} MiB; ${b['Shared Read Blocks'] ?? 0} read) | ${b['Temp Written Blocks'] ?? 0} | ${nodes.slice(0, 6).join('; ')} |`);
  }
  await client.query('ROLLBACK');
}

const server = DB ? undefined : await startServer();
const client = new pg.Client(DB ? { connectionString: DB } : { host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' });
try {
  await client.connect();
  if (!DB) await generate(client);
  await explain(client);
} finally {
  await client.end().catch(() => undefined);
  server?.stop();
}
