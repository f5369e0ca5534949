// validate on our own outputs: every tier × release (and every vector store and storage
// backend, sampled over tiers and releases) renders to files that validate with no finding,
// and validate re-derives, from the files alone, the same connection budget the plan sized.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VECTOR_STORES } from '../src/backends/vector-stores.js';
import { STORAGE_BACKENDS } from '../src/backends/storage.js';
import { releaseVersions, tierNames } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import type { SpecInput } from '../src/core/spec.js';
import { renderDeployment, type RenderTarget } from '../src/render/index.js';
import { validate } from '../src/validate/index.js';
import { loadDeployment } from '../src/validate/load.js';
import { connectionBreakdown } from '../src/validate/rules/connection-budget.js';
import { withStateChoices } from './helpers/state-choices.js';

const EXTERNAL_VALUES = { url: 'https://vectors.example.com:6333', host: 'vectors.example.com', port: 5432, user: 'dify', password: 'Vk3-external-password-9f2', apiKey: 'ext-api-key-3f9a8b7c6d5e4f3a', database: 'dify_vectors' };
const STORAGE_VALUES = {
  bucket: 'dify-files',
  endpoint: 'https://objects.example.com',
  region: 'eu-west-1',
  accessKey: 'AKIAEXAMPLEKEY123456',
  secretKey: 'storage-secret-key-0123456789abcdef',
  accountName: 'difyaccount',
  accountUrl: 'https://difyaccount.blob.core.windows.net',
  serviceAccountJsonBase64: 'eyJ0eXBlIjoic2VydmljZV9hY2NvdW50In0=',
};

async function rendered(input: SpecInput, target: RenderTarget): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dd-out-'));
  const spec = parseSpecData(withStateChoices(input, input.targets?.includes('helm') ? 'helm' : 'compose'), 'test');
  const report = await renderDeployment({ spec, outDir: dir, target });
  expect(report.refused).toEqual([]);
  return dir;
}

async function expectClean(dir: string) {
  const report = await validate({ dir });
  expect(report.diagnostics).toEqual([]);
  expect(report.ok).toBe(true);
}

describe.concurrent('validate on our own outputs', () => {
  for (const release of releaseVersions()) {
    for (const tier of tierNames()) {
      it(`${tier} on ${release}: compose output validates clean and its budget is the plan's`, async () => {
        const input: SpecInput = { release, tier };
        const dir = await rendered(input, 'compose');
        await expectClean(dir);
        const { deployment } = loadDeployment({ dir });
        const required = connectionBreakdown(deployment).reduce((n, u) => n + (u.total ?? NaN), 0);
        expect(required).toBe(planFor(parseSpecData(withStateChoices(input, input.targets?.includes('helm') ? 'helm' : 'compose'), 'test'), 'compose').budget.required);
        expect(deployment.database?.maxConnections).toBe(planFor(parseSpecData(withStateChoices(input, input.targets?.includes('helm') ? 'helm' : 'compose'), 'test'), 'compose').database.maxConnections);
      });
    }
  }

  it('every vector store, bundled or external, validates clean (sampled tiers and releases)', async () => {
    for (const vs of VECTOR_STORES) {
      const modes = 'bundledService' in vs ? (['bundled', 'external'] as const) : (['external'] as const);
      for (const mode of modes) {
        const [tier, release] = fc.sample(fc.tuple(fc.constantFrom(...tierNames()), fc.constantFrom(...releaseVersions())), { numRuns: 1, seed: vs.id.length * 31 + mode.length })[0];
        const vectorStore = mode === 'bundled' ? { type: vs.id, mode } : { type: vs.id, mode, ...Object.fromEntries(vs.externalRequires.map((k) => [k, EXTERNAL_VALUES[k]])) };
        const dir = await rendered({ release, tier, vectorStore } as SpecInput, 'compose');
        await expectClean(dir);
      }
    }
  });

  it('every storage backend validates clean, compose and helm', async () => {
    for (const st of STORAGE_BACKENDS) {
      const storage = { type: st.id, ...Object.fromEntries([...st.requires, ...st.credentials].map((k) => [k, STORAGE_VALUES[k]])) };
      const target: RenderTarget = st.shared ? 'all' : 'compose';
      const dir = await rendered({ tier: '10qps', targets: st.shared ? ['compose', 'helm'] : ['compose'], storage } as SpecInput, target);
      await expectClean(dir);
    }
  });

  it('Helm values: the budget read back from helm/values.yaml is the helm plan\'s (HPA maxReplicas), and a smaller max_connections is caught', async () => {
    for (const tier of fc.sample(fc.constantFrom(...tierNames()), { numRuns: 2, seed: 7 })) {
      const input = { tier, targets: ['helm'], storage: { type: 's3', bucket: 'dify-files', region: 'eu-west-1', useIam: true } } as SpecInput;
      const dir = await rendered(input, 'helm');
      await expectClean(dir);
      const { deployment } = loadDeployment({ dir });
      const plan = planFor(parseSpecData(withStateChoices(input, input.targets?.includes('helm') ? 'helm' : 'compose'), 'test'), 'helm');
      expect(deployment.helm?.database?.maxConnections).toBe(plan.database.maxConnections);
      expect(connectionBreakdown(deployment, deployment.helm).reduce((n, u) => n + (u.total ?? NaN), 0)).toBe(plan.budget.required);

      const values = join(dir, 'helm', 'values.yaml');
      writeFileSync(values, readFileSync(values, 'utf8').replace(/max_connections = \d+/, 'max_connections = 50'));
      const report = await validate({ dir });
      const budget = report.diagnostics.filter((d) => d.rule === 'connection-budget');
      expect(budget).toHaveLength(1);
      expect(budget[0].file).toBe(values);
      // Behind the pooler the server side is what a smaller max_connections breaks.
      expect((budget[0].data as { required: number }).required).toBe(plan.budget.server?.required ?? plan.budget.required);
    }
  });

  it('drift: a hand edit is found at its line, a deleted file is missing, a bare spec directory is no rendered output', async () => {
    const dir = await rendered({ tier: '10qps' }, 'compose');
    const envPath = join(dir, '.env');
    const lines = readFileSync(envPath, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.startsWith('LOG_LEVEL='));
    expect(at).toBeGreaterThan(0);
    lines.splice(at, 0, '# a note the operator added');
    writeFileSync(envPath, lines.join('\n'));
    rmSync(join(dir, 'nginx', 'proxy.conf'), { force: true });
    const report = await validate({ dir });
    const drift = report.diagnostics.filter((d) => d.rule === 'drift');
    expect(drift.find((d) => d.file === envPath)?.line).toBe(at + 1);
    expect(drift.some((d) => d.message.startsWith('nginx/proxy.conf is missing'))).toBe(true);
    expect(report.ok).toBe(false);

    const bare = mkdtempSync(join(tmpdir(), 'dd-spec-only-'));
    writeFileSync(join(bare, 'dify-deploy.yaml'), 'tier: 10qps\n');
    expect((await validate({ dir: bare })).diagnostics).toEqual([]);
  });

  it('drift: an untouched render is trusted only while the spec, the files and the renderer are unchanged', async () => {
    const dir = await rendered({ tier: '10qps' }, 'compose');
    expect((await validate({ dir })).diagnostics.filter((d) => d.rule === 'drift')).toEqual([]);

    // The spec edited after rendering: its files are now stale.
    const specPath = join(dir, 'dify-deploy.yaml');
    writeFileSync(specPath, readFileSync(specPath, 'utf8').replace(/tier: 10qps/, 'tier: 50qps'));
    expect((await validate({ dir })).diagnostics.some((d) => d.rule === 'drift' && d.file === join(dir, '.env'))).toBe(true);

    // Files an older dify-deploy wrote (recorded in the manifest, unchanged since) still differ from today's render.
    const older = await rendered({ tier: '10qps' }, 'compose');
    const manifestPath = join(older, '.dify-deploy', 'manifest.json');
    const proxy = join(older, 'nginx', 'proxy.conf');
    writeFileSync(proxy, `${readFileSync(proxy, 'utf8')}# written by an older release\n`);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    manifest.files['nginx/proxy.conf'] = createHash('sha256').update(readFileSync(proxy, 'utf8')).digest('hex');
    manifest.render.renderer = 'an-older-renderer';
    writeFileSync(manifestPath, JSON.stringify(manifest));
    expect((await validate({ dir: older })).diagnostics.some((d) => d.rule === 'drift' && d.file === proxy)).toBe(true);
  });
});
