// validate judged on upstream's own files, as they are: the findings the issue expects,
// and nothing else once the secrets are real and max_connections is adequate.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { releaseVersions } from '../src/core/data.js';
import { runCli } from './helpers/cli.js';
import { describeUpstream, hardened, UPSTREAM, UPSTREAM_REQUIRED } from './helpers/upstream.js';

interface JsonReport {
  ok: boolean;
  errors: number;
  warnings: number;
  release: { version: string };
  diagnostics: { rule: string; severity: string; file: string | null; line: number | null; message: string; data: any }[];
}

async function validateJson(args: string[]): Promise<{ code: number; report: JsonReport; stderr: string }> {
  const r = await runCli(['validate', ...args, '--format', 'json']);
  return { code: r.code, report: r.code === 2 ? (undefined as never) : JSON.parse(r.stdout), stderr: r.stderr };
}

const envExample = (v: string) => join(UPSTREAM, `dify-${v}`, 'docker', '.env.example');
const composeFile = (v: string) => join(UPSTREAM, `dify-${v}`, 'docker', 'docker-compose.yaml');

/** Upstream's file with strong secrets (helpers/upstream.ts) and redis-py's pools bounded (REDIS_MAX_CONNECTIONS). */
const bounded = (text: string, extra: Record<string, string> = {}) => hardened(text, { REDIS_MAX_CONNECTIONS: '50', ...extra });

function tempFile(name: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dd-validate-'));
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describeUpstream.concurrent('validate on upstream .env.example files', () => {
  it('1.13.3: connection-budget 150 against 97 usable, and insecure secrets', async () => {
    const { code, report } = await validateJson(['--env', envExample('1.13.3')]);
    expect(code).toBe(1);
    expect(report.release.version).toBe('1.13.3');
    const budget = report.diagnostics.filter((d) => d.rule === 'connection-budget');
    expect(budget).toHaveLength(1);
    expect(budget[0].severity).toBe('error');
    expect(budget[0].data.required).toBe(150);
    expect(budget[0].data.available).toBe(97);
    expect(budget[0].data.breakdown.map((b: any) => [b.component, b.total])).toEqual([
      ['api', 40],
      ['worker', 40],
      ['worker_beat', 40],
      ['plugin_daemon', 30],
    ]);
    // The line that sets max_connections.
    const lines = readFileSync(envExample('1.13.3'), 'utf8').split('\n');
    expect(lines[budget[0].line! - 1]).toMatch(/^POSTGRES_MAX_CONNECTIONS=100/);
    const secrets = report.diagnostics.filter((d) => d.rule === 'insecure-secret');
    const flagged = secrets.map((d) => lines[d.line! - 1].split('=')[0]);
    expect(flagged).toEqual(expect.arrayContaining(['SECRET_KEY', 'DB_PASSWORD', 'REDIS_PASSWORD', 'PLUGIN_DAEMON_KEY', 'SANDBOX_API_KEY']));
    // Upstream leaves REDIS_MAX_CONNECTIONS empty: redis-py's pools are unbounded (a warning).
    const redis = report.diagnostics.filter((d) => d.rule === 'redis-budget');
    expect(redis.map((d) => [d.severity, lines[d.line! - 1]])).toEqual([['warning', 'REDIS_MAX_CONNECTIONS=']]);
    expect(redis[0].data.breakdown.map((b: any) => b.component)).toEqual(['api', 'worker', 'worker_beat']);
    expect(report.diagnostics.every((d) => ['connection-budget', 'insecure-secret', 'redis-budget'].includes(d.rule))).toBe(true);
  });

  it('1.15.0: insecure secrets only (190 connections fit 200 − 3)', async () => {
    const { code, report } = await validateJson(['--env', envExample('1.15.0')]);
    expect(code).toBe(1);
    expect(report.release.version).toBe('1.15.0');
    expect(report.diagnostics.length).toBeGreaterThan(0);
    expect(report.diagnostics.every((d) => (d.rule === 'insecure-secret' && d.severity === 'error') || (d.rule === 'redis-budget' && d.severity === 'warning'))).toBe(true);
    // SECRET_KEY is empty on purpose from 1.14.2 on (generated and persisted): not a finding.
    expect(report.diagnostics.some((d) => d.message.includes('SECRET_KEY'))).toBe(false);
  });

  for (const version of releaseVersions()) {
    it(`${version}: strong, agreeing secrets and enough max_connections → exit 0, no findings`, async () => {
      const env = tempFile('.env', bounded(readFileSync(envExample(version), 'utf8'), { POSTGRES_MAX_CONNECTIONS: '200' }));
      const { code, report } = await validateJson(['--env', env, '--release', version]);
      expect(report.diagnostics).toEqual([]);
      expect(code).toBe(0);
    });

    it(`${version}: the same with upstream's compose file and env_file layout → exit 0`, async () => {
      const env = bounded(readFileSync(envExample(version), 'utf8'), { POSTGRES_MAX_CONNECTIONS: '200' });
      const path = tempFile('.env', env);
      const { code, report } = await validateJson(['--env', path, '--compose', composeFile(version)]);
      expect(report.release.version).toBe(version);
      expect(report.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(code).toBe(0);
    });
  }

  it('1.13.3 compose: only what reaches each container counts (anchor layout drops DB_MAX_OPEN_CONNS; prefork multiplies pools)', async () => {
    const text = bounded(readFileSync(envExample('1.13.3'), 'utf8'), {
      POSTGRES_MAX_CONNECTIONS: '200',
      CELERY_WORKER_CLASS: 'prefork',
      CELERY_WORKER_AMOUNT: '4',
      DB_MAX_OPEN_CONNS: '5',
    });
    const env = tempFile('.env', text);
    const withCompose = await validateJson(['--env', env, '--compose', composeFile('1.13.3')]);
    const budget = withCompose.report.diagnostics.find((d) => d.rule === 'connection-budget')!;
    expect(budget.data.breakdown.map((b: any) => [b.service, b.processes, b.total])).toEqual([
      ['api', 1, 40],
      ['worker', 4, 160],
      ['worker_beat', 1, 40],
      ['plugin_daemon', 1, 30],
    ]);
    expect(budget.data).toMatchObject({ required: 270, available: 197 });
    // Without the compose file the release's standard wiring is assumed: the whole .env reaches the daemon.
    const alone = await validateJson(['--env', env]);
    const daemon = alone.report.diagnostics.find((d) => d.rule === 'connection-budget')!.data.breakdown.find((b: any) => b.service === 'plugin_daemon');
    expect(daemon.total).toBe(5);
  });

  it('a secret mismatch is caught: REDIS_PASSWORD changed but not the broker URL', async () => {
    const text = bounded(readFileSync(envExample('1.15.0'), 'utf8')).replace(/^REDIS_PASSWORD=.*$/m, 'REDIS_PASSWORD=another-strong-password-1234567');
    const { code, report } = await validateJson(['--env', tempFile('.env', text)]);
    expect(code).toBe(1);
    expect(report.diagnostics.map((d) => d.rule)).toEqual(['secret-mismatch']);
    expect(JSON.stringify(report)).not.toContain('another-strong-password-1234567');
  });

  it('a typo is an unknown-variable warning with a did-you-mean; --strict makes it fail', async () => {
    const text = `${bounded(readFileSync(envExample('1.16.1'), 'utf8'))}\nSQLALCHEMY_POOL_SIZ=10\n`;
    const path = tempFile('.env', text);
    const lenient = await validateJson(['--env', path]);
    expect(lenient.code).toBe(0);
    expect(lenient.report.diagnostics).toHaveLength(1);
    expect(lenient.report.diagnostics[0]).toMatchObject({ rule: 'unknown-variable', severity: 'warning', line: text.split('\n').length - 1 });
    expect(lenient.report.diagnostics[0].message).toContain('SQLALCHEMY_POOL_SIZE');
    const strict = await validateJson(['--env', path, '--strict']);
    expect(strict.code).toBe(1);
  });

  it('VECTOR_STORE=qdrant without QDRANT_URL is a missing-variable error', async () => {
    const text = bounded(readFileSync(envExample('1.15.0'), 'utf8'), { VECTOR_STORE: 'qdrant' });
    const { code, report } = await validateJson(['--env', tempFile('.env', text)]);
    expect(code).toBe(1);
    const missing = report.diagnostics.filter((d) => d.rule === 'missing-variable');
    expect(missing).toHaveLength(1);
    expect(missing[0].data.missing).toEqual(['QDRANT_URL']);
  });

  it('capacity: upstream defaults (1 process × 10 greenlets) claimed as 100qps by a spec warn with the numbers', async () => {
    const env = tempFile('.env', bounded(readFileSync(envExample('1.16.1'), 'utf8')));
    const spec = join(env, '..', 'dify-deploy.yaml');
    // The logs' storage accepted: this test is about capacity (workflow-log-volume would judge upstream's keep-forever default).
    writeFileSync(spec, 'release: 1.16.1\ntier: 100qps\nobservability: { workflowLogs: { acceptLargeDatabase: true } }\n');
    const { code, report } = await validateJson(['--env', env, '--config', spec]);
    expect(code).toBe(0);
    // Every path: 1 × 10 API greenlets for the default mix's 785 requests in flight (100 × 7.85 s), the one worker's
    // CELERY_WORKER_AMOUNT=4 run slots (.env.example) for 480 runs (60/s × 8 s), the sandbox's 4 workers (upstream's
    // MAX_WORKERS) for the graph runs' code nodes (half of them, 0.2 s each): each overloaded (every arrival waits), at the per-kind
    // latencies of costs/compute.json. validate-capacity.test.ts checks the numbers against the Erlang-C oracle.
    expect(report.diagnostics.map((d) => d.rule)).toEqual(['capacity', 'capacity', 'capacity']);
    expect(report.diagnostics.map((d) => d.data)).toMatchObject([
      { path: 'api', servers: 10, waitProbability: 1, p99WaitSeconds: null },
      { path: 'runs', servers: 4, waitProbability: 1, p99WaitSeconds: null },
      { path: 'sandbox', servers: 4, waitProbability: 1, p99WaitSeconds: null },
    ]);
    for (const d of report.diagnostics) expect(d.data.needed).toBeGreaterThan(d.data.servers as number);
  });

  it('timeouts and body size: an nginx shorter than the longest run and smaller than uploads warns', async () => {
    const text = bounded(readFileSync(envExample('1.16.1'), 'utf8'), { NGINX_PROXY_READ_TIMEOUT: '60s', NGINX_CLIENT_MAX_BODY_SIZE: '10M' });
    const { code, report } = await validateJson(['--env', tempFile('.env', text)]);
    expect(code).toBe(0);
    const rules = report.diagnostics.map((d) => `${d.rule}:${d.data.variable}`).sort();
    expect(rules).toEqual(
      ['body-size:PLUGIN_MAX_PACKAGE_SIZE', 'body-size:UPLOAD_AUDIO_FILE_SIZE_LIMIT', 'body-size:UPLOAD_FILE_SIZE_LIMIT', 'body-size:UPLOAD_VIDEO_FILE_SIZE_LIMIT', 'timeout-chain:APP_MAX_EXECUTION_TIME', 'timeout-chain:WORKFLOW_MAX_EXECUTION_TIME'].sort(),
    );
  });
});

describeUpstream.concurrent('validate on the chart CI value files', () => {
  for (const chart of (UPSTREAM_REQUIRED ? readdirSync(UPSTREAM) : []).filter((d) => /^dify-helm-\d/.test(d))) {
    for (const file of readdirSync(join(UPSTREAM, chart, 'ci-values'))) {
      it(`${chart}/${file}: no errors except dead keys`, async () => {
        const { report } = await validateJson(['--helm-values', join(UPSTREAM, chart, 'ci-values', file)]);
        // The chart's bundled PostgreSQL keeps the image's max_connections=100 unless the values set one: judged against it.
        const budget = report.diagnostics.filter((d) => d.rule === 'connection-budget' && d.severity === 'error');
        for (const b of budget) expect(b.message).toMatch(/against max_connections 100 \(PostgreSQL's default: the values set none\)/);
        const other = report.diagnostics.filter((d) => d.data?.kind !== 'helm-dead-key' && d.severity === 'error' && !budget.includes(d));
        expect(other).toEqual([]);
      });
    }
  }
});
