// Issue 26 item 14: the wizard asks what the chosen backends and target need, pre-selects the
// target the plan fits, hints the DB host the plan sizes, and a re-run in a deployment starts from
// its spec (and secrets store), shows what changes, and never clobbers without --force.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseEnv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { loadAllTiers } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import { readSpecFile } from '../src/core/spec-file.js';
import { initDeployment } from '../src/commands/init.js';
import { askSpec } from '../src/wizard/flow.js';
import { runCli } from './helpers/cli.js';
import { scriptedPrompts, type ScriptedAnswer } from './helpers/scripted-prompts.js';

const root = mkdtempSync(join(tmpdir(), 'dd-init-rerun-'));
let n = 0;
const quietIo = { out: () => {}, err: () => {} };

async function run(answers: Record<string, ScriptedAnswer> = {}) {
  const script = scriptedPrompts(answers);
  return { ...script, ...(await askSpec(script.prompts)) };
}

describe('questions where the chosen backend or target needs them', () => {
  it('an external PostgreSQL: its reserved connections; an external Redis: its maxclients', async () => {
    const { spec, question } = await run({
      'database.mode': 'external', 'database.host': 'db.example.com', 'database.user': 'u', 'database.password': 'pw-123456-Long', 'database.maxConnections': '1000', 'database.reservedConnections': '15',
      'redis.mode': 'external', 'redis.host': 'redis.example.com', 'redis.maxClients': '4000',
    });
    expect(question('database.reservedConnections')!.default).toBe('3');
    expect(question('redis.maxClients')!.default).toBe('10000');
    expect([spec.database.reservedConnections, spec.redis.maxClients]).toEqual([15, 4000]);
  });

  it('bundled database and Redis: neither is asked', async () => {
    const { question } = await run();
    expect(question('database.reservedConnections')).toBeUndefined();
    expect(question('redis.maxClients')).toBeUndefined();
  });

  it('an external Qdrant: its API key, masked, Enter for none', async () => {
    const withKey = await run({ 'vectorStore.type': 'qdrant', 'vectorStore.mode': 'external', 'vectorStore.url': 'https://qdrant.example.com:6333', 'vectorStore.apiKey': 'qdrant-key-0123456789' });
    expect(withKey.question('vectorStore.apiKey')!.kind).toBe('secret');
    expect(withKey.spec.vectorStore.apiKey).toBe('qdrant-key-0123456789');
    const without = await run({ 'vectorStore.type': 'qdrant', 'vectorStore.mode': 'external', 'vectorStore.url': 'https://qdrant.example.com:6333' });
    expect(without.spec.vectorStore.apiKey).toBeUndefined();
  });

  it('Helm: the ingress class and an existingSecret; compose alone asks neither', async () => {
    const helm = await run({ targets: ['helm'], 'storage.bucket': 'files', 'storage.region': 'eu-west-1', 'storage.useIam': true, 'helm.ingressClassName': 'nginx', 'helm.existingSecret': 'dify-secrets' });
    expect(helm.spec.helm).toEqual({ ingressClassName: 'nginx', existingSecret: 'dify-secrets', networkPolicy: true });
    const compose = await run();
    expect(compose.question('helm.ingressClassName')).toBeUndefined();
    expect(compose.question('helm.existingSecret')).toBeUndefined();
    // Enter on both: none set, the chart's defaults hold.
    const enter = await run({ targets: ['helm'], 'storage.bucket': 'files', 'storage.region': 'eu-west-1', 'storage.useIam': true });
    expect(enter.spec.helm).toBeUndefined();
  });
});

describe('choices from the plan', () => {
  it('the target offered first is helm exactly where one compose host would need more than one machine', async () => {
    for (const t of loadAllTiers()) {
      const { question } = await run({ tier: t.name, targets: ['compose'], 'redis.eventBus.url': 'redis://event-bus.internal:6379' });
      const cpus = planFor(parseSpecData({ tier: t.name }, 'test'), 'compose').host.required.cpus;
      // 64 vCPU: the plan's own one-machine limit (src/core/sizing/host.ts warns past it).
      expect(question('targets')!.default, `${t.name}: ${cpus} vCPU`).toEqual([cpus > 64 ? 'helm' : 'compose']);
    }
    expect((await run({ tier: '500qps', targets: ['compose'], 'redis.eventBus.url': 'redis://event-bus.internal:6379' })).question('targets')!.default).toEqual(['helm']);
    expect((await run({ tier: '10qps' })).question('targets')!.default).toEqual(['compose']);
  });

  it("each tier's hint names the bundled DB host the plan sizes, not the tier table's managed one", async () => {
    const { question } = await run();
    for (const c of question('tier')!.choices!.filter((c) => c.value !== 'custom')) {
      const db = planFor(parseSpecData({ tier: c.value }, 'test'), 'compose').database.hostSize!;
      expect(c.description).toContain(`DB host ${db.cpus}C${db.memoryGiB}G`);
    }
  });
});

describe('init again in a deployment', () => {
  const answers = join(root, 'first.yaml');
  const out = join(root, 'deployment');

  it('starts from its spec and store: Enter everywhere changes nothing, and says so', async () => {
    writeFileSync(
      answers,
      'tier: 50qps\ndomain: { host: dify.example.com, tls: certbot, email: ops@example.com }\ndatabase: { mode: external, host: db.example.com, user: dify, password: first-db-pass-1, maxConnections: 2000 }\n',
    );
    expect((await runCli(['init', '--answers', answers, '--out', out])).code).toBe(0);
    const specBefore = readFileSync(join(out, 'dify-deploy.yaml'), 'utf8');
    const envBefore = readFileSync(join(out, '.env'), 'utf8');

    // Interactive, Enter throughout: every default is the deployment's own answer.
    const script = scriptedPrompts();
    const printed: string[] = [];
    const report = await initDeployment({ out }, { io: { out: (t) => printed.push(t), err: () => {} }, prompts: script.prompts });
    expect(script.question('domain.host')!.default).toBe('dify.example.com');
    expect(script.question('domain.tls')!.default).toBe('certbot');
    expect(script.question('tier')!.default).toBe('50qps');
    expect(script.question('database.host')!.default).toBe('db.example.com');
    expect(JSON.stringify(script.asked)).not.toContain('first-db-pass-1');
    expect(printed.join('\n')).toContain('no changes to the spec');
    expect(report.written).toBe(true);
    expect(readFileSync(join(out, 'dify-deploy.yaml'), 'utf8')).toBe(specBefore);
    expect(readFileSync(join(out, '.env'), 'utf8')).toBe(envBefore);
  });

  it('--yes keeps the deployment, not the bare defaults (no localhost, no TLS none)', async () => {
    const r = await runCli(['init', '--yes', '--out', out, '--force']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const spec = readSpecFile(join(out, 'dify-deploy.yaml'));
    expect([spec.domain.host, spec.domain.tls, spec.tier, spec.database.mode]).toEqual(['dify.example.com', 'certbot', '50qps', 'external']);
    expect(parseEnv(readFileSync(join(out, '.env'), 'utf8')).DB_PASSWORD).toBe('first-db-pass-1');
  });

  it('shows the spec keys a change touches, a password only as changed', async () => {
    const change = join(root, `change-${++n}.yaml`);
    writeFileSync(change, 'domain: { host: new.example.com }\ndatabase: { password: second-db-pass-2 }\n');
    const r = await runCli(['init', '--answers', change, '--out', out, '--force']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Changes to .*dify-deploy\.yaml:\n  domain\.host: "dify\.example\.com" → "new\.example\.com"\n  database\.password: changed \(not shown\)\n/);
    expect(r.stdout).toContain('database.password: changed (not shown)');
    expect(r.stdout).not.toContain('second-db-pass-2');
    // Everything not answered stays as it was.
    const spec = readSpecFile(join(out, 'dify-deploy.yaml'));
    expect([spec.domain.host, spec.domain.tls, spec.tier]).toEqual(['new.example.com', 'certbot', '50qps']);
    expect(parseEnv(readFileSync(join(out, '.env'), 'utf8')).DB_PASSWORD).toBe('second-db-pass-2');
  });

  it('without --force and without a terminal: refused, naming the deployment; nothing touched', async () => {
    const before = readFileSync(join(out, 'dify-deploy.yaml'), 'utf8');
    const r = await runCli(['init', '--yes', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/holds a deployment \(dify-deploy\.yaml\).*--force/);
    expect(readFileSync(join(out, 'dify-deploy.yaml'), 'utf8')).toBe(before);
  });

  it('interactive: declining the change question writes nothing', async () => {
    const before = readFileSync(join(out, 'dify-deploy.yaml'), 'utf8');
    const script = scriptedPrompts({ nonEmpty: false });
    const report = await initDeployment({ out }, { io: quietIo, prompts: script.prompts });
    expect(report.stopped).toBe('declined');
    expect(script.question('nonEmpty')!.default).toBe(true);
    expect(readFileSync(join(out, 'dify-deploy.yaml'), 'utf8')).toBe(before);
  });
});
