// `release add` on a release newer than the package (synthetic, from the 1.16.1 fixture), and what
// follows: plan, render, validate (of the render and of the release's own files) and upgrade name
// every change. Bad input exits 2 and stores nothing. Every release added here goes to a
// temporary config directory (DIFY_DEPLOY_CONFIG_DIR), never the user's.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { runHelm } from './helpers/helm.js';
import { UPSTREAM, UPSTREAM_REQUIRED } from './helpers/upstream-path.js';
import { NEW_QUEUE, NEW_SERVICE, SYNTHETIC_QUEUES, SYNTHETIC_VERSION, syntheticCheckout } from './helpers/synthetic-release.js';

const V = SYNTHETIC_VERSION;
let configDir = '';
beforeEach(() => {
  configDir = mkdtempSync(join(tmpdir(), 'dd-config-'));
  process.env.DIFY_DEPLOY_CONFIG_DIR = configDir;
});

/** Unpadded base64url of exactly 32 bytes, checked without the product's helper. */
const isBase64url32 = (v: string) => /^[A-Za-z0-9_-]{43}$/.test(v) && Buffer.from(v, 'base64url').length === 32;

const envOf = (text: string) => Object.fromEntries(text.split('\n').filter((l) => /^[A-Z]/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

describe.runIf(UPSTREAM_REQUIRED)(`a release newer than the package (${V}, synthetic)`, () => {
  it('release add stores it per user; list shows where it came from', async () => {
    const root = syntheticCheckout();
    const r = await runCli(['release', 'add', root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Added Dify ${V}`);
    expect(r.stdout).toContain(`${SYNTHETIC_QUEUES.length} queues from ${join(root, 'api', 'docker', 'entrypoint.sh')}`);
    expect(r.stdout).toContain(`services new since the previous known release: ${NEW_SERVICE}`);
    expect(r.stdout).toMatch(/curated facts assumed from 1\.16\.1: .*dbConnections/);
    expect(readdirSync(join(configDir, 'releases'))).toEqual([`${V}.json`]);
    const list = await runCli(['release', 'list', '--json']);
    const listed = JSON.parse(list.stdout).releases;
    expect(listed.find((x: { version: string }) => x.version === V)).toMatchObject({ origin: 'user', input: root, path: join(configDir, 'releases', `${V}.json`) });
    expect(listed.find((x: { version: string }) => x.version === '1.16.1')).toMatchObject({ origin: 'shipped', curated: 'its own' });
    expect(listed.find((x: { version: string }) => x.version === '1.18.0')).toMatchObject({ origin: 'curated only' });
  });

  it('--here stores it beside the spec, and a docker/ folder alone leaves the queue list assumed', async () => {
    // Its own version: a release added beside a spec stays known to this process (as with a CLI run in that directory).
    const VH = '1.20.2';
    const root = syntheticCheckout(false, VH);
    const project = mkdtempSync(join(tmpdir(), 'dd-project-'));
    writeFileSync(join(project, 'dify-deploy.yaml'), `release: ${VH}\ntier: 10qps\n`);
    const r = await runCli(['release', 'add', join(root, 'docker'), '--here', '--config', join(project, 'dify-deploy.yaml')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('no api/docker/entrypoint.sh in the input');
    expect(existsSync(join(project, '.dify-deploy', 'releases', `${VH}.json`))).toBe(true);
    expect(existsSync(join(configDir, 'releases'))).toBe(false);
    const plan = await runCli(['plan', '--config', join(project, 'dify-deploy.yaml'), '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    const warnings: string[] = JSON.parse(plan.stdout).warnings;
    expect(warnings.find((w) => w.includes('assumed'))).toMatch(/1\.16\.1's .*execution/);
  });

  it('plan, render and validate of the added release', async () => {
    expect((await runCli(['release', 'add', syntheticCheckout()])).code).toBe(0);
    const plan = await runCli(['plan', '--tier', '10qps', '--release', V, '--target', 'compose']);
    expect(plan.code, plan.stderr).toBe(0);
    // Said once, naming the release assumed and the facts carried over.
    expect(plan.stdout.match(/no curated facts of its own/g)).toHaveLength(1);
    expect(plan.stdout).toMatch(new RegExp(`Dify ${V.replaceAll('.', '\\.')}: .*assumed 1\\.16\\.1's [^;]*dbConnections[^;]*execution[^;]*; 1\\.17\\.0's helm; 1\\.18\\.0's requirements`));
    expect(plan.stdout).toContain(`has no model of: ${NEW_SERVICE}`);
    expect(plan.stdout).toContain('Docker Compose 2.35.0 or later');

    const out = mkdtempSync(join(tmpdir(), 'dd-render-'));
    const render = await runCli(['render', '--tier', '10qps', '--release', V, '--target', 'compose', '--out', out]);
    expect(render.code, render.stdout + render.stderr).toBe(0);
    expect(render.stdout.match(/no curated facts of its own/g)).toHaveLength(1);
    const compose = parse(readFileSync(join(out, 'docker-compose.yaml'), 'utf8'));
    expect(compose.services[NEW_SERVICE]).toMatchObject({ image: `langgenius/dify-agent-scheduler:${V}`, env_file: ['./.env'] });
    expect(Object.keys(compose.services[NEW_SERVICE].depends_on)).toEqual(['redis', 'agent_backend']);
    expect(compose.services.api.image).toBe(`langgenius/dify-api:${V}`);
    const env = envOf(readFileSync(join(out, '.env'), 'utf8'));
    expect(env.DIFY_AGENT_LOCAL_SANDBOX_AUTH_TOKEN?.length).toBeGreaterThanOrEqual(32);
    expect(env).not.toHaveProperty('DIFY_AGENT_SHELLCTL_AUTH_TOKEN');
    expect(isBase64url32(env.DIFY_AGENT_SERVER_SECRET_KEY)).toBe(true);
    // The new queue is consumed: the background worker takes every default queue but the run queue.
    const workerQueues = String(compose.services.worker.environment?.CELERY_WORKER_QUEUES ?? env.CELERY_WORKER_QUEUES ?? '');
    expect(workerQueues.split(',')).toContain(NEW_QUEUE);

    const validate = await runCli(['validate', out]);
    expect(validate.code, validate.stdout).toBe(0);
    expect(validate.stdout).toContain(`as Dify ${V}`);
    expect(validate.stdout.match(/no curated facts of its own/g)).toHaveLength(1);
  });

  it("validate on the release's own files uses them as its definition (not added, not guessed)", async () => {
    const VF = '1.20.1';
    const docker = join(syntheticCheckout(true, VF), 'docker');
    copyFileSync(join(docker, '.env.example'), join(docker, '.env'));
    const r = await runCli(['validate', docker, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.release.version).toBe(VF);
    expect(report.release.source).toContain(`release data read from upstream's files in ${docker}`);
    const messages: string[] = report.diagnostics.map((d: { message: string }) => d.message);
    // Its renamed and new variables are known to it; the new token must be non-empty.
    expect(messages.filter((m) => /DEPLOYMENT_EDITION|DIFY_AGENT_LOCAL_SANDBOX_AUTH_TOKEN/.test(m) && /unknown/.test(m))).toEqual([]);
    expect(messages.some((m) => /DIFY_AGENT_LOCAL_SANDBOX_AUTH_TOKEN .* is empty/.test(m))).toBe(true);
    expect(existsSync(join(configDir, 'releases'))).toBe(false);

    // A secret of the wrong format: what `openssl rand -base64 42` makes.
    const env = readFileSync(join(docker, '.env'), 'utf8').replace(/^DIFY_AGENT_SERVER_SECRET_KEY=.*$/m, `DIFY_AGENT_SERVER_SECRET_KEY=${Buffer.alloc(42, 7).toString('base64').replace(/^.{6}/, 'Zq9Xk2')}`);
    writeFileSync(join(docker, '.env'), env);
    const bad = JSON.parse((await runCli(['validate', docker, '--json'])).stdout);
    expect(bad.diagnostics.map((d: { message: string }) => d.message)).toContainEqual(expect.stringMatching(/DIFY_AGENT_SERVER_SECRET_KEY .* not unpadded base64url of exactly 32 bytes/));
    // The same files as 1.16.1 (a release before the format rule): no format finding.
    const old = JSON.parse((await runCli(['validate', docker, '--release', '1.16.1', '--json'])).stdout);
    expect(old.diagnostics.map((d: { message: string }) => d.message).some((m: string) => /base64url/.test(m))).toBe(false);
  });

  it('upgrade from 1.16.1 names every change, then writes it', async () => {
    expect((await runCli(['release', 'add', syntheticCheckout()])).code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'dd-upgrade-'));
    const spec = join(dir, 'dify-deploy.yaml');
    writeFileSync(spec, 'release: 1.16.1\ntier: 10qps\ntargets: [compose]\n');
    expect((await runCli(['render', '--config', spec])).code).toBe(0);
    const dry = await runCli(['upgrade', '--to', V, '--config', spec, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    const text = dry.stdout;
    expect(text).toContain(`Dify 1.16.1 → ${V} (upgrade)`);
    expect(text).toContain(`+ ${NEW_SERVICE}`);
    expect(text).toContain(`api: langgenius/dify-api:1.16.1 → langgenius/dify-api:${V}`);
    expect(text).toContain(`${NEW_SERVICE}: (none) → langgenius/dify-agent-scheduler:${V}`);
    expect(text).toContain('renamed DIFY_AGENT_SHELLCTL_AUTH_TOKEN → DIFY_AGENT_LOCAL_SANDBOX_AUTH_TOKEN');
    expect(text).toContain('renamed EDITION → DEPLOYMENT_EDITION');
    expect(text).toMatch(/now required: DIFY_AGENT_LOCAL_SANDBOX_AUTH_TOKEN must be set and non-empty/);
    expect(text).toMatch(/now required: DIFY_AGENT_SERVER_SECRET_KEY must be unpadded base64url of exactly 32 bytes/);
    // The new queue: the synthetic entrypoint's (app_rbac is in 1.16.1's list too).
    expect(text).toContain(`New Celery queues ${NEW_QUEUE}`);
    expect(text).toMatch(/Upgrade api, worker, .*agent_backend, local_sandbox together/);
    expect(text).toContain('Docker Compose 2.35.0 or later first');

    const up = await runCli(['upgrade', '--to', V, '--config', spec, '--yes']);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(readFileSync(spec, 'utf8')).toContain(`release: ${V}`);
    const v = await runCli(['validate', dir]);
    expect(v.code, v.stdout).toBe(0);
  });
});

describe.runIf(UPSTREAM_REQUIRED)('Helm: a newer release whose compose pins a newer Weaviate than the chart', () => {
  it("the bundled Weaviate runs the release's server, not the chart's older default; 1.16.1 keeps the chart's", async () => {
    const VW = '1.20.4';
    const root = syntheticCheckout(true, VW);
    const composeFile = join(root, 'docker', 'docker-compose.yaml');
    // Dify 1.17 moved its compose to Weaviate 1.39 at cr.weaviate.io (langgenius/dify PR #38214).
    writeFileSync(composeFile, readFileSync(composeFile, 'utf8').replace('image: semitechnologies/weaviate:1.27.0', 'image: cr.weaviate.io/semitechnologies/weaviate:1.39.2'));
    expect((await runCli(['release', 'add', root])).code).toBe(0);
    const storage = ['--set', 'storage.type=s3', '--set', 'storage.bucket=dify-files', '--set', 'storage.region=us-east-1', '--set', 'storage.useIam=true'];
    const chart = join(UPSTREAM, 'dify-helm-0.38.0-rc2');
    const outs: Record<string, string> = {};
    for (const release of [VW, '1.16.1']) {
      const out = (outs[release] = mkdtempSync(join(tmpdir(), 'dd-render-')));
      const r = await runCli(['render', '--tier', '10qps', '--release', release, '--target', 'helm', '--chart', chart, ...storage, '--out', out]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      // The 0.38 chart (appVersion 1.16.1) writes the names 1.16.1 reads: said for the newer release only.
      const said = r.stdout + r.stderr;
      if (release === VW) expect(said).toMatch(/dify-helm 0\.38\.0-rc2 deploys Dify 1\.16\.1: .*DIFY_AGENT_LOCAL_SANDBOX_AUTH_TOKEN, not DIFY_AGENT_SHELLCTL_AUTH_TOKEN.*made for Dify 1\.17\.0 or newer/);
      else expect(said).not.toMatch(/deploys Dify/);
    }
    const images = async (out: string) => {
      const t = await runHelm(['template', 'dify', join(chart, 'chart'), '-f', join(out, 'helm', 'values.yaml')]);
      expect(t.code, t.stderr).toBe(0);
      return [...t.stdout.matchAll(/image: '?([^'\s]*weaviate[^'\s]*)'?/g)].map((m) => m[1]);
    };
    expect(await images(outs[VW])).toEqual(['cr.weaviate.io/semitechnologies/weaviate:1.39.2']);
    const chartDefault = parse(readFileSync(join(chart, 'chart', 'values.yaml'), 'utf8')).weaviate.image;
    expect(await images(outs['1.16.1'])).toEqual([`${chartDefault.registry}/${chartDefault.repo}:${chartDefault.tag}`]);
  });
});

describe.runIf(UPSTREAM_REQUIRED)('a newer release without a service the model has', () => {
  it('release add names it; plan and render refuse the deployment with that reason, not an internal error', async () => {
    const VR = '1.20.3';
    const root = syntheticCheckout(true, VR);
    const composeFile = join(root, 'docker', 'docker-compose.yaml');
    const doc = parseDocument(readFileSync(composeFile, 'utf8'));
    expect(doc.deleteIn(['services', 'sandbox'])).toBe(true);
    writeFileSync(composeFile, doc.toString());
    const add = await runCli(['release', 'add', root]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toContain('services gone since the previous known release: sandbox');
    const plan = await runCli(['plan', '--tier', '10qps', '--release', VR, '--target', 'compose']);
    expect(plan.code).toBe(1);
    expect(plan.stdout + plan.stderr).toContain(`sandbox: Dify ${VR}'s docker-compose.yaml defines no sandbox service`);
    const out = mkdtempSync(join(tmpdir(), 'dd-render-'));
    const render = await runCli(['render', '--tier', '10qps', '--release', VR, '--target', 'compose', '--out', out]);
    expect(render.code).toBe(1);
    expect(render.stdout + render.stderr).not.toMatch(/internal error/);
    expect(render.stdout + render.stderr).toContain('defines no sandbox service');
    expect(readdirSync(out)).toEqual([]);
  });
});

describe.runIf(UPSTREAM_REQUIRED)('release add: bad input exits 2, one message, nothing stored', () => {
  const cases: [string, () => string, RegExp][] = [
    ['a folder that is not a Dify release', () => mkdtempSync(join(tmpdir(), 'dd-empty-')), /not a Dify release/],
    [
      'a half copy',
      () => {
        const root = mkdtempSync(join(tmpdir(), 'dd-half-'));
        mkdirSync(join(root, 'docker'));
        copyFileSync(join(UPSTREAM, 'dify-1.16.1', 'docker', '.env.example'), join(root, 'docker', '.env.example'));
        return root;
      },
      /incomplete copy of Dify's docker\/ folder: missing docker-compose\.yaml/,
    ],
    [
      'an unreadable file',
      () => {
        const root = syntheticCheckout();
        rmSync(join(root, 'docker', 'envs', 'security.env.example'));
        writeFileSync(join(root, 'docker', 'envs', 'security.env.example'), Buffer.from([0x53, 0x00, 0xff, 0x00]));
        return root;
      },
      /security\.env\.example: is a binary file/,
    ],
    [
      // Its compose reads envs/**.env (shipped as .env.example): without them half the variables are unknown.
      'a docker/ folder copied without envs/',
      () => {
        const root = syntheticCheckout();
        rmSync(join(root, 'docker', 'envs'), { recursive: true });
        return root;
      },
      /incomplete copy of Dify's docker\/ folder: missing envs\/core-services\/api\.env\.example, .* and \d+ more/,
    ],
    [
      // The curated facts would be the oldest known release's, a newer one's (1.13 moved runs to Celery).
      'a release older than every one dify-deploy knows',
      () => syntheticCheckout(true, '1.12.0'),
      /Dify 1\.12\.0 is older than 1\.13\.3, the oldest release dify-deploy knows/,
    ],
    [
      'a compose file that is not YAML',
      () => {
        const root = syntheticCheckout();
        writeFileSync(join(root, 'docker', 'docker-compose.yaml'), 'services: [\n');
        return root;
      },
      /docker-compose\.yaml: not valid YAML/,
    ],
  ];
  for (const [name, make, message] of cases)
    it(name, async () => {
      const r = await runCli(['release', 'add', make()]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(configDir, 'releases'))).toBe(false);
    });
});
