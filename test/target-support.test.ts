// What a target cannot render is one answer everywhere: the wizard does not offer it, and plan,
// validate and render all report it (exit 1) — never plan 0 and render 2.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { releaseVersions } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import type { Target } from '../src/core/spec.js';
import { renderFiles } from '../src/render/index.js';
import { resolveSecrets } from '../src/render/secrets.js';
import { askSpec } from '../src/wizard/flow.js';
import { runCli } from './helpers/cli.js';
import { scriptedPrompts } from './helpers/scripted-prompts.js';

const FIELD = { url: 'https://vectors.example.com', host: 'vectors.example.com', port: '9200', user: 'dify', password: 'p4ss-word-long', apiKey: 'k3y-0123456789abcdef', database: 'dify_vectors' } as Record<string, string>;
const VS_FIELDS = Object.fromEntries(Object.entries(FIELD).map(([k, v]) => [`vectorStore.${k}`, v]));
const TARGET_SETS: Target[][] = [['compose'], ['helm'], ['compose', 'helm']];

describe('the wizard offers only what every chosen target renders', () => {
  for (const release of releaseVersions())
    for (const targets of TARGET_SETS)
      it(`${release} ${targets.join('+')}: every vector store and mode offered plans and renders`, async () => {
        const first = scriptedPrompts({ release, targets, ...VS_FIELDS, 'storage.type': targets.includes('helm') ? 's3' : 'local', 'storage.bucket': 'b', 'storage.region': 'r', 'storage.useIam': true });
        await askSpec(first.prompts);
        const offered = first.question('vectorStore.type')!.choices!.map((c) => c.value as string);
        expect(offered.length).toBeGreaterThan(0);
        for (const type of offered) {
          const probe = scriptedPrompts({ release, targets, ...VS_FIELDS, 'vectorStore.type': type, 'storage.type': targets.includes('helm') ? 's3' : 'local', 'storage.bucket': 'b', 'storage.region': 'r', 'storage.useIam': true });
          const probed = await askSpec(probe.prompts);
          // A single possible mode is taken without asking.
          const modes = probe.question('vectorStore.mode')?.choices?.map((c) => c.value as string) ?? [probed.spec.vectorStore.mode];
          for (const mode of modes) {
            const { spec } = await askSpec(scriptedPrompts({ release, targets, ...VS_FIELDS, 'vectorStore.type': type, 'vectorStore.mode': mode, 'storage.type': targets.includes('helm') ? 's3' : 'local', 'storage.bucket': 'b', 'storage.region': 'r', 'storage.useIam': true }).prompts);
            for (const t of targets) {
              expect(planFor(spec, t).problems, `${type} ${mode} on ${t}`).toEqual([]);
              expect(() => renderFiles(spec, t, resolveSecrets({}, spec)), `${type} ${mode} on ${t}`).not.toThrow();
            }
          }
        }
      });
});

describe('a spec the target cannot render: plan, validate and render agree (exit 1)', () => {
  const spec = () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dd-ts-')), 'dify-deploy.yaml');
    writeFileSync(file, 'tier: 10qps\ntargets: [helm]\nvectorStore: { type: qdrant }\nstorage: { type: s3, bucket: b, region: eu-west-1, useIam: true }\n');
    return file;
  };
  it.each([['plan'], ['validate'], ['render']])('%s', async (command) => {
    const file = spec();
    const r = await runCli([command, '--config', file, ...(command === 'render' ? ['--out', join(file, '..', 'out')] : [])]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/vectorStore\.mode: the dify-helm chart cannot run Qdrant bundled/);
  });
});

describe('unknown tier or release in a spec: file, field and line, everywhere', () => {
  it.each([
    ['tier', 'release: 1.16.1\ntier: 10qpz\n', 2, /unknown tier "10qpz" \(did you mean "10qps"\?\)/],
    ['release', 'tier: 10qps\nrelease: 1.99.0\n', 2, /unknown Dify release "1\.99\.0"/],
  ])('%s', async (_what, text, line, message) => {
    const file = join(mkdtempSync(join(tmpdir(), 'dd-unk-')), 'spec.yaml');
    writeFileSync(file, text);
    // Bad input everywhere: exit 2 naming file, field and line (validate's JSON error too).
    for (const command of ['plan', 'render', 'validate']) {
      const r = await runCli([command, '--config', file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain(`${file}: `);
      expect(r.stderr).toContain(`(line ${line})`);
    }
    const v = await runCli(['validate', '--config', file, '--format', 'json']);
    expect(v.code).toBe(2);
    const [error] = JSON.parse(v.stdout).errors;
    expect(error).toMatch(message);
    expect(error).toContain(`${file}: `);
    expect(error).toContain(`(line ${line})`);
  });
});
