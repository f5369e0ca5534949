// validate stays linear in its input: structural checks, not timings (the bench measures those).
// The edit distance is counted through the real library; a .env of many unknown variables must
// not cost a did-you-mean search each.
import { describe, expect, it, vi } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validate } from '../src/validate/index.js';
import { loadDeployment } from '../src/validate/load.js';
import { reportJsonLines } from '../src/cli/validate-format.js';
import { SUGGESTION_BUDGET } from '../src/validate/rules/unknown-variable.js';
import { knownEnvVariables } from '../src/core/known-env.js';
// @ts-expect-error: the bench's generator is plain JavaScript
import { composeText, envText } from '../bench/inputs.mjs';

const calls = vi.hoisted(() => ({ distance: 0 }));
vi.mock('fastest-levenshtein', async (original) => {
  const real = await original<typeof import('fastest-levenshtein')>();
  return {
    ...real,
    distance: (a: string, b: string) => {
      calls.distance++;
      return real.distance(a, b);
    },
  };
});

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'dd-scaling-'));

describe('validate on large inputs', () => {
  it('a .env of 20,000 lines: did-you-means for the first unknown variables, a bounded number of comparisons in all', async () => {
    const file = join(dir, 'big.env');
    writeFileSync(file, envText(root, 20_000));
    calls.distance = 0;
    const report = await validate({ env: file });
    const unknown = report.diagnostics.filter((d) => d.rule === 'unknown-variable');
    expect(unknown.length).toBeGreaterThan(15_000);
    const known = knownEnvVariables('1.16.1').size;
    // The budget counts the candidates weighed; most never reach the edit distance (the mock counts the real calls).
    expect(calls.distance).toBeGreaterThan(0);
    expect(calls.distance).toBeLessThan((SUGGESTION_BUDGET + known) / 10);
    // The generator's misspellings of documented names: the early ones are found, the late ones listed without a search.
    const suggested = unknown.filter((d) => d.message.includes('did you mean'));
    expect(suggested.length).toBeGreaterThan(10);
    expect(unknown.indexOf(suggested.at(-1)!)).toBeLessThan(unknown.length / 2);
    expect(unknown.at(-1)!.fix).toMatch(/no did-you-mean searched: the search stops after the first \d+ unknown variables/);
  });

  it('a compose file of 100 services reading one shared .env: every service sees all of it under its own environment', () => {
    const sub = join(dir, 'compose');
    mkdirSync(sub);
    writeFileSync(join(sub, 'docker-compose.yaml'), composeText(100));
    writeFileSync(join(sub, '.env'), envText(root, 1_000));
    const { deployment } = loadDeployment({ dir: sub });
    expect(deployment.services).toHaveLength(100);
    const queueWorkers = deployment.services.filter((s) => s.name.startsWith('worker_q'));
    expect(queueWorkers.length).toBeGreaterThan(40);
    for (const s of queueWorkers) {
      expect(s.component).toBe('worker');
      expect(s.env.CELERY_WORKER_QUEUES).toBe(`queue_${s.name.slice('worker_q'.length)}`);
      expect(s.env.DB_HOST).toBe(deployment.vars.DB_HOST);
      expect(Object.keys(s.env).length).toBe(Object.keys({ ...deployment.vars, ...s.env }).length);
      expect(s.origin.CELERY_WORKER_QUEUES.file).toBe(join(sub, 'docker-compose.yaml'));
      expect(s.origin.DB_HOST).toEqual({ file: join(sub, '.env'), line: expect.any(Number) });
    }
  });

  it('the JSON report written in pieces is the text JSON.stringify gives for the whole report (the files of the test above)', async () => {
    const report = await validate({ dir: join(dir, 'compose') });
    expect(report.diagnostics.some((d) => d.data && typeof d.data === 'object' && Object.values(d.data).some((v) => typeof v === 'object'))).toBe(true);
    const whole = {
      ok: report.ok,
      errors: report.errors,
      warnings: report.warnings,
      release: report.release,
      files: report.files,
      services: report.services,
      diagnostics: report.diagnostics.map((d) => ({ rule: d.rule, severity: d.severity, file: d.file ?? null, line: d.line ?? null, message: d.message, fix: d.fix, data: d.data ?? null })),
    };
    expect([...reportJsonLines(report)].join('\n')).toBe(JSON.stringify(whole, null, 2));
    expect([...reportJsonLines({ ...report, diagnostics: [] })].join('\n')).toBe(JSON.stringify({ ...whole, diagnostics: [] }, null, 2));
  });
});
