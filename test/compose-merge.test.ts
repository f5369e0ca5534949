// What `docker compose up` in a folder runs is the compose file with `extends:` applied and the
// override file beside it merged (compose-go loader/extends.go, override/merge.go): validate and
// import read the same services, and a broken `extends:` is bad input naming the file and line.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { expect, it } from 'vitest';
import { loadDeployment } from '../src/validate/load.js';
import { runCli } from './helpers/cli.js';
import { describeUpstream } from './helpers/upstream.js';
import { userDeployment } from './helpers/user-deployments.js';

interface Finding {
  rule: string;
  severity: string;
  file: string;
  line?: number;
  message: string;
}

/** Upstream 1.16.1 with strong secrets, with `edit` applied to its docker-compose.yaml. */
function deployment(edit: (compose: string) => string): string {
  const dir = userDeployment('1.16.1', []);
  const path = join(dir, 'docker-compose.yaml');
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
  return dir;
}

const beforeWeb = (block: string) => (compose: string) => compose.replace(/^ {2}# Frontend web application\.$/m, `${block}\n  # Frontend web application.`);

describeUpstream('compose files as Docker Compose merges them', () => {
  it('`extends:` gives the service its base (image, env_file, environment; its own keys win); import refuses the second worker instead of dropping it', async () => {
    const dir = deployment(beforeWeb('  worker_dataset:\n    extends:\n      service: worker\n    environment:\n      CELERY_QUEUES: dataset\n      CELERY_WORKER_AMOUNT: 8\n'));
    const { deployment: d } = loadDeployment({ dir });
    const worker = d.services.find((s) => s.name === 'worker')!;
    const extended = d.services.find((s) => s.name === 'worker_dataset')!;
    expect(extended).toMatchObject({ component: 'worker', image: worker.image, active: true });
    expect(extended.env).toMatchObject({ ...worker.env, CELERY_QUEUES: 'dataset', CELERY_WORKER_AMOUNT: '8' });
    const r = await runCli(['import', dir, '--out', `${dir}-adopted`]);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/docker-compose\.yaml:\d+: services worker and worker_dataset both run worker/);
  });

  it('`extends: { file: … }` reads the other file, its env_file paths from its own folder', () => {
    const dir = deployment(beforeWeb('  worker_extra:\n    extends:\n      file: ./base/common.yaml\n      service: celery\n    environment:\n      CELERY_WORKER_AMOUNT: 3\n'));
    const base = join(dir, 'base');
    mkdirSync(base);
    writeFileSync(join(base, 'common.yaml'), 'services:\n  celery:\n    image: langgenius/dify-api:1.16.1\n    env_file: [./celery.env]\n    environment:\n      MODE: worker\n');
    writeFileSync(join(base, 'celery.env'), 'CELERY_QUEUES=extra\nCELERY_WORKER_AMOUNT=1\n');
    const extra = loadDeployment({ dir }).deployment.services.find((s) => s.name === 'worker_extra')!;
    expect(extra).toMatchObject({ component: 'worker', image: 'langgenius/dify-api:1.16.1' });
    expect(extra.env).toMatchObject({ MODE: 'worker', CELERY_QUEUES: 'extra', CELERY_WORKER_AMOUNT: '3' });
  });

  it('an `extends:` Compose refuses (unknown service, a circle) is exit 2 naming the file and line; nothing written', async () => {
    for (const [block, message] of [
      ['  worker_x:\n    extends:\n      service: no_such_worker\n', /docker-compose\.yaml:\d+: service worker_x extends no_such_worker, which .* does not define/],
      ['  loop_a:\n    extends: loop_b\n  loop_b:\n    extends:\n      service: loop_a\n', /docker-compose\.yaml:\d+: service loop_\w extends itself \(loop_\w → loop_\w → loop_\w\)/],
    ] as const) {
      const dir = deployment(beforeWeb(block));
      const v = await runCli(['validate', dir]);
      expect(v.code).toBe(2);
      expect(v.stderr.trim().split('\n')).toHaveLength(1);
      expect(v.stderr).toMatch(message);
      const out = `${dir}-adopted`;
      expect((await runCli(['import', dir, '--out', out])).code).toBe(2);
      expect(() => readFileSync(join(out, 'dify-deploy.yaml'))).toThrow();
    }
  });

  it("an env_file's `${VAR}` reads the project .env first, then the service's environment:, then its own earlier lines", async () => {
    const dir = userDeployment('1.16.1', []);
    const dotenv = readFileSync(join(dir, '.env'), 'utf8');
    const password = /^REDIS_PASSWORD=(.*)$/m.exec(dotenv)![1];
    // The broker URL moved out of .env into the Redis layer, built from the .env's password.
    writeFileSync(join(dir, '.env'), dotenv.replace(/^CELERY_BROKER_URL=.*\n/m, '').replace(/^LOG_LEVEL=.*$/m, 'LOG_LEVEL=WARNING'));
    mkdirSync(join(dir, 'envs', 'databases'), { recursive: true });
    writeFileSync(
      join(dir, 'envs', 'databases', 'redis.env'),
      'CELERY_BROKER_URL=redis://:${REDIS_PASSWORD}@redis:6379/1\nLOG_LEVEL=DEBUG\nAPI_LOG=${LOG_LEVEL}\nLAYER=redis-layer\nOWN=${LAYER}/${MODE}\nLITERAL=\'${REDIS_PASSWORD}\'\n',
    );
    const { deployment: d } = loadDeployment({ dir });
    const api = d.services.find((s) => s.name === 'api')!;
    expect(api.env).toMatchObject({ CELERY_BROKER_URL: `redis://:${password}@redis:6379/1`, API_LOG: 'WARNING', OWN: 'redis-layer/api', LITERAL: '${REDIS_PASSWORD}' });
    const v = JSON.parse((await runCli(['validate', dir, '--format', 'json'])).stdout) as { diagnostics: Finding[] };
    expect(v.diagnostics.filter((f) => f.rule === 'secret-mismatch')).toEqual([]);
  });

  it('docker-compose.override.yaml beside the found file is merged: its replicas and settings count, its findings name it; with --compose it is not read, as with `docker compose -f`', async () => {
    const dir = userDeployment('1.16.1', []);
    const override = 'services:\n  api:\n    environment:\n      SERVER_WORKER_AMOUNT: 7\n      DB_PASSWORD: difyai123456\n    deploy:\n      replicas: 2\n';
    writeFileSync(join(dir, 'docker-compose.override.yaml'), override);
    const v = await runCli(['validate', dir, '--format', 'json']);
    const report = JSON.parse(v.stdout) as { files: string[]; diagnostics: Finding[] };
    expect(report.files).toContain(join(dir, 'docker-compose.override.yaml'));
    expect(report.diagnostics).toContainEqual(expect.objectContaining({ rule: 'insecure-secret', file: join(dir, 'docker-compose.override.yaml'), line: 5 }));
    expect(report.diagnostics.find((d) => d.rule === 'connection-budget')?.message).toMatch(/api 560/);
    const api = loadDeployment({ dir }).deployment.services.find((s) => s.name === 'api')!;
    expect(api).toMatchObject({ replicas: 2, line: expect.any(Number) });
    expect(api.env.SERVER_WORKER_AMOUNT).toBe('7');

    const named = JSON.parse((await runCli(['validate', '--compose', join(dir, 'docker-compose.yaml'), '--format', 'json'])).stdout) as { diagnostics: Finding[] };
    expect(named.diagnostics.filter((d) => d.file.endsWith('override.yaml'))).toEqual([]);

    // import adopts what runs: the override's sizing, not the base file's.
    writeFileSync(join(dir, 'docker-compose.override.yaml'), override.replace(/ {6}DB_PASSWORD.*\n/, ''));
    const out = `${dir}-adopted`;
    const r = await runCli(['import', dir, '--out', out, '--db-max-connections', '1000']);
    expect(r.code, r.stdout + r.stderr).toBeLessThan(2);
    const spec = parse(readFileSync(join(out, 'dify-deploy.yaml'), 'utf8'));
    expect(spec.overrides.components.api).toMatchObject({ replicas: 2, processesPerReplica: 7 });
  });

  it("the .env's COMPOSE_FILE lists the files (merged in order, no override file then); a missing one is exit 2 naming COMPOSE_FILE's line", async () => {
    const dir = userDeployment('1.16.1', []);
    writeFileSync(join(dir, 'prod.yaml'), 'services:\n  api:\n    deploy:\n      replicas: 3\n');
    writeFileSync(join(dir, 'docker-compose.override.yaml'), 'services:\n  api:\n    deploy:\n      replicas: 9\n');
    const dotenv = readFileSync(join(dir, '.env'), 'utf8');
    writeFileSync(join(dir, '.env'), `${dotenv}\nCOMPOSE_FILE=docker-compose.yaml:prod.yaml\n`);
    const { deployment: d } = loadDeployment({ dir });
    expect(d.compose?.files).toEqual([join(dir, 'docker-compose.yaml'), join(dir, 'prod.yaml')]);
    expect(d.services.find((s) => s.name === 'api')?.replicas).toBe(3);
    writeFileSync(join(dir, '.env'), `${dotenv}\nCOMPOSE_FILE=docker-compose.yaml:prod.yaml\nCOMPOSE_PROJECT_NAME=dify-prod\n`);
    const v = JSON.parse((await runCli(['validate', dir, '--format', 'json'])).stdout) as { diagnostics: Finding[] };
    expect(v.diagnostics.filter((f) => /COMPOSE_/.test(f.message)), "Compose's own variables are no unknown Dify settings").toEqual([]);
    // import keeps the project name (it names the volumes) but not the file list: the rendered deployment is one file.
    const out = `${dir}-adopted`;
    const r = await runCli(['import', dir, '--out', out, '--db-max-connections', '1000']);
    expect(r.stdout + r.stderr).not.toMatch(/COMPOSE_PROJECT_NAME: not a variable/);
    const spec = parse(readFileSync(join(out, 'dify-deploy.yaml'), 'utf8'));
    expect(spec.overrides.env).toMatchObject({ COMPOSE_PROJECT_NAME: 'dify-prod' });
    expect(spec.overrides.env).not.toHaveProperty('COMPOSE_FILE');
    expect(spec.overrides.components.api).toMatchObject({ replicas: 3 });

    writeFileSync(join(dir, '.env'), `${dotenv}\nCOMPOSE_FILE=docker-compose.yaml;missing.yaml\nCOMPOSE_PATH_SEPARATOR=;\n`);
    const bad = await runCli(['validate', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`missing\\.yaml: file not found .*fix COMPOSE_FILE \\(.*\\.env:${dotenv.split('\n').length + 1}\\)`));
  });
});
