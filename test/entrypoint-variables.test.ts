// Variables the api image's entrypoint reads (not only Dify's Python settings) are known:
// validate must not call CELERY_WORKER_QUEUES "not a variable Dify reads" while queue-coverage
// in the same run tells the user to set it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { describeUpstream, UPSTREAM } from './helpers/upstream.js';

describeUpstream('unknown-variable and the entrypoint', () => {
  it.each(['1.13.3', '1.16.1'])('%s: CELERY_WORKER_QUEUES, CELERY_QUEUES, CELERY_WORKER_POOL are known', async (version) => {
    const dir = mkdtempSync(join(tmpdir(), 'dd-entry-'));
    const env = readFileSync(join(UPSTREAM, `dify-${version}`, 'docker', '.env.example'), 'utf8');
    writeFileSync(join(dir, '.env'), `${env}\nCELERY_WORKER_QUEUES=dataset,workflow\nCELERY_QUEUES=dataset\nCELERY_WORKER_POOL=gevent\nCELERY_WORKR_QUEUES=x\n`);
    const r = await runCli(['validate', '--env', join(dir, '.env'), '--format', 'json']);
    const unknown = JSON.parse(r.stdout).diagnostics.filter((d: { rule: string }) => d.rule === 'unknown-variable').map((d: { message: string }) => d.message).join('\n');
    expect(unknown).not.toMatch(/\bCELERY_WORKER_QUEUES\b(?!.*did you mean)/);
    expect(unknown).not.toMatch(/^CELERY_QUEUES|\bCELERY_QUEUES:/m);
    expect(unknown).not.toMatch(/CELERY_WORKER_POOL:/);
    expect(unknown).toMatch(/CELERY_WORKR_QUEUES/);
  });
});
