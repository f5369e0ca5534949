// A compose file whose Dify api runs only under a profile the project does not enable starts no
// Dify at all: validate must say so (and what runs), not pass it as clean.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseSpecData } from '../src/core/spec-parse.js';
import { renderDeployment } from '../src/render/index.js';
import { runCli } from './helpers/cli.js';

async function deployment(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dd-profiles-'));
  await renderDeployment({ spec: parseSpecData({ tier: '10qps' }, 'test'), outDir: dir, target: 'compose' });
  return dir;
}

describe('validate: what runs under the project profiles', () => {
  it('api only in an inactive profile, empty .env: an error naming the api and what runs', async () => {
    const dir = await deployment();
    const path = join(dir, 'docker-compose.yaml');
    const doc = parse(readFileSync(path, 'utf8')) as { services: Record<string, Record<string, unknown>> };
    for (const s of ['api', 'worker', 'worker_beat']) doc.services[s].profiles = ['dify'];
    const user = mkdtempSync(join(tmpdir(), 'dd-profiles-user-'));
    writeFileSync(join(user, 'docker-compose.yaml'), stringify(doc));
    writeFileSync(join(user, '.env'), '');
    const r = await runCli(['validate', '--compose', join(user, 'docker-compose.yaml'), '--env', join(user, '.env'), '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.services.notRunning).toEqual(expect.arrayContaining(['api', 'worker', 'worker_beat']));
    expect(report.services.running).toContain('nginx');
    const finding = report.diagnostics.find((d: { message: string }) => /no Dify api runs/.test(d.message));
    expect(finding).toMatchObject({ rule: 'schema', severity: 'error' });
    expect(finding.message).toContain('api');
    const text = await runCli(['validate', '--compose', join(user, 'docker-compose.yaml'), '--env', join(user, '.env')]);
    expect(text.stdout).toMatch(/not started \(inactive profile\): .*api/);
  });

  it('our own output: every service runs, nothing reported', async () => {
    const report = JSON.parse((await runCli(['validate', await deployment(), '--format', 'json'])).stdout);
    expect(report.services.notRunning).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
