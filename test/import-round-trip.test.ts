// import's promise, checked on real files: for upstream's docker/ folder of every known release,
// edited the ways users edit it, render(import(x)) keeps every setting that differs from the
// upstream default and every secret identical, reaching the same processes, with the same
// services and backends — and the result passes validate.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { expect, it } from 'vitest';
import { releaseVersions } from '../src/core/data.js';
import { SECRETS } from '../src/render/secrets.js';
import { loadDeployment } from '../src/validate/load.js';
import { ENV_FED_COMPONENTS, usedByDify } from '../src/lifecycle/round-trip.js';
import type { Deployment } from '../src/validate/deployment.js';
import { runCli } from './helpers/cli.js';
import { describeUpstream, UPSTREAM } from './helpers/upstream.js';
import { EDITS, LAYERED, userDeployment, type EditName } from './helpers/user-deployments.js';

const active = (d: Deployment) => d.services.filter((s) => s.active);

async function roundTrip(version: string, edits: EditName[], envOnly: boolean, layered = false): Promise<void> {
  const src = userDeployment(version, edits, { envOnly, layered });
  const out = `${src}-adopted`;
  const imported = await runCli(['import', src, '--out', out, '--json']);
  expect(imported.stderr).toBe('');
  expect(imported.code, imported.stdout).toBe(0);
  const rendered = await runCli(['render', '--config', join(out, 'dify-deploy.yaml')]);
  expect(rendered.code, rendered.stdout + rendered.stderr).toBe(0);

  const user = loadDeployment({ dir: src }).deployment;
  const after = loadDeployment({ dir: out }).deployment;
  const upstreamDefaults = parse(readFileSync(join(UPSTREAM, `dify-${version}`, 'docker', '.env.example'), 'utf8'));
  const settings = Object.entries(user.vars).filter(([k]) => user.envFile!.values[k] !== upstreamDefaults[k]);
  expect(settings.length).toBeGreaterThan(0);
  const store = parse(readFileSync(join(out, '.dify-deploy', 'secrets.env'), 'utf8'));
  const secretValues = Object.values(store).filter((v) => v.length >= 8);
  // Without a compose file only the processes upstream feeds the whole .env are known to get it.
  const compared = (c: string | undefined) => !!c && c !== 'nginx' && (user.compose !== undefined || ENV_FED_COMPONENTS.includes(c as never));
  for (const [key, value] of settings) {
    const receivers = active(user).filter((s) => compared(s.component) && s.env[key] === value);
    const secret = secretValues.some((v) => value.includes(v));
    if (receivers.length === 0 && !secret) expect(after.vars[key], `${key} kept in .env`).toBe(value);
    for (const s of receivers) {
      const same = active(after).find((r) => r.component === s.component);
      expect(same, `${s.component} still runs`).toBeDefined();
      // A secret is kept in the store; where dify-deploy hands it to a process, it is the same value.
      if (secret && same!.env[key] === undefined) continue;
      expect(same!.env[key], `${key} reaches ${s.component}`).toBe(value);
    }
  }
  // A setting made in an envs/ layer (1.14+) reaches the processes that layer fed.
  for (const s of active(user).filter((x) => x.env[LAYERED.key] === LAYERED.value))
    expect(active(after).find((r) => r.component === s.component)!.env[LAYERED.key], `${LAYERED.key} reaches ${s.component}`).toBe(LAYERED.value);
  if (layered && !envOnly && version !== '1.13.3') expect(active(user).some((x) => x.component === 'worker' && x.env[LAYERED.key] === LAYERED.value)).toBe(true);
  // Secrets: byte-identical in the store and in the rendered .env.
  for (const { name } of SECRETS) {
    const mine = user.envFile!.values[name];
    if (!mine || mine === upstreamDefaults[name]) continue;
    expect(store[name], `${name} in the store`).toBe(mine);
    if (name in after.vars) expect(after.vars[name], `${name} in .env`).toBe(mine);
  }
  // The same services and backends.
  const components = (d: Deployment) => new Set(active(d).map((s) => s.component).filter(Boolean));
  for (const c of components(user)) expect(components(after).has(c), `component ${c}`).toBe(true);
  if (user.compose) for (const s of active(user).filter((x) => !x.component && usedByDify(user, x.name))) expect(active(after).map((r) => r.name)).toContain(s.name);
  const api = (d: Deployment) => active(d).find((s) => s.component === 'api')!.env;
  for (const k of ['DB_TYPE', 'DB_HOST', 'REDIS_HOST', 'VECTOR_STORE', 'STORAGE_TYPE']) expect(api(after)[k] ?? '', k).toBe(api(user)[k] ?? '');
  expect(after.database?.bundled).toBe(user.database?.bundled);

  const validated = await runCli(['validate', out, '--format', 'json']);
  expect(JSON.parse(validated.stdout).diagnostics.filter((d: { severity: string }) => d.severity === 'error')).toEqual([]);
}

// Every case adopts upstream's own docker/ folder: skipped with the fixtures outside CI.
describeUpstream('import round trip', () => {
  for (const version of releaseVersions()) {
    it(`${version}: upstream's folder with strong secrets, with and without its compose file`, async () => {
      await roundTrip(version, [], false);
      await roundTrip(version, [], true);
    });
  }

  it('property: any mix of users\' edits on any release, either layout', async () => {
    const edit = fc.constantFrom(...(Object.keys(EDITS) as EditName[]));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...releaseVersions()), fc.uniqueArray(edit, { minLength: 1, maxLength: 5 }), fc.boolean(), fc.boolean(), async (version, edits, envOnly, layered) => {
        await roundTrip(version, edits, envOnly, layered);
      }),
      { numRuns: Number(process.env.IMPORT_RUNS ?? 40), endOnFailure: true },
    );
    // 40 round trips of three CLI runs each: ~30 s alone at load 10 here, past vitest's default 60 s beside
    // another test file on CI's 2 cores (it timed out so once). The limit is sized to the work, not to a speed.
  }, 300_000);
});
