// 1.16: the API authenticates to the agent backend with AGENT_BACKEND_API_TOKEN, which must be
// the backend's DIFY_AGENT_API_TOKEN. A compose file that never passes it (or passes another
// value) has every agent run rejected: secret-mismatch must say so, whatever the services are called.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseSpecData } from '../src/core/spec-parse.js';
import { renderDeployment } from '../src/render/index.js';
import { validate } from '../src/validate/index.js';

type Compose = { services: Record<string, { environment?: Record<string, string> }> };

async function renderedAgentDeployment(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dd-agent-'));
  await renderDeployment({ spec: parseSpecData({ tier: '10qps', release: '1.16.1' }, 'test'), outDir: dir, target: 'compose' });
  return dir;
}

function editCompose(dir: string, edit: (c: Compose) => void): void {
  const path = join(dir, 'docker-compose.yaml');
  const doc = parse(readFileSync(path, 'utf8')) as Compose;
  edit(doc);
  writeFileSync(path, stringify(doc));
}

describe('secret-mismatch: the agent backend token', () => {
  it('our render passes it to api and worker (validate clean)', async () => {
    const report = await validate({ dir: await renderedAgentDeployment() });
    expect(report.diagnostics.filter((d) => d.rule === 'secret-mismatch')).toEqual([]);
  });

  it('api and worker without AGENT_BACKEND_API_TOKEN (renamed services too) → secret-mismatch for each', async () => {
    const dir = await renderedAgentDeployment();
    editCompose(dir, (c) => {
      for (const s of ['api', 'worker']) delete c.services[s].environment?.AGENT_BACKEND_API_TOKEN;
      c.services['dify-api'] = c.services.api;
      delete c.services.api;
    });
    const found = (await validate({ dir })).diagnostics.filter((d) => d.rule === 'secret-mismatch' && /AGENT_BACKEND_API_TOKEN/.test(d.message));
    expect(found.map((d) => /(\S+) AGENT_BACKEND_API_TOKEN \(not set\)/.exec(d.message)?.[1]).sort()).toEqual(['dify-api', 'worker']);
  });

  it('a different literal token on the api → secret-mismatch', async () => {
    const dir = await renderedAgentDeployment();
    editCompose(dir, (c) => {
      c.services.api.environment!.AGENT_BACKEND_API_TOKEN = 'some-other-token-0123456789';
    });
    const found = (await validate({ dir })).diagnostics.filter((d) => d.rule === 'secret-mismatch' && /AGENT_BACKEND_API_TOKEN/.test(d.message));
    expect(found).toHaveLength(1);
  });
});
