// import of a running upstream stack: the new compose file mounts its data folders under --out, so
// the report lists every folder to move (old host path → new), from the two compose files'
// own mounts, and says to stop the old stack first (same ports, same data).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { describeUpstream } from './helpers/upstream.js';
import { userDeployment } from './helpers/user-deployments.js';

describeUpstream('import: the data folders', () => {
  it('lists a move for every bind mount whose host folder changes, matching the rendered compose file, and says to stop the old stack', async () => {
    const src = userDeployment('1.16.1', []);
    const out = `${src}-adopted`;
    const r = await runCli(['import', src, '--out', out, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.notes.join('\n')).toMatch(/stop the old stack \(docker compose -f .*docker-compose\.yaml down\)/);
    const rendered = await runCli(['render', '--config', join(out, 'dify-deploy.yaml'), '--out', out]);
    expect(rendered.code, rendered.stderr).toBe(0);
    // Oracle: the two compose files' own mounts, per service and container path.
    const mounts = (file: string, dir: string) => {
      const out: Record<string, string> = {};
      for (const [name, svc] of Object.entries(parse(readFileSync(file, 'utf8')).services as Record<string, { volumes?: unknown[] }>))
        for (const v of svc.volumes ?? []) if (typeof v === 'string' && v.startsWith('./volumes/')) out[`${name} ${v.split(':')[1]}`] = join(dir, v.split(':')[0]);
      return out;
    };
    const before = mounts(join(src, 'docker-compose.yaml'), src);
    const after = mounts(join(out, 'docker-compose.yaml'), out);
    const expected = Object.keys(after).filter((k) => k in before && !/sandbox \/conf/.test(k)).map((k) => `${before[k]} → ${after[k]}`).sort();
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(report.dataMoves.map((m: { from: string; to: string }) => `${m.from} → ${m.to}`).sort()).toEqual(expected);
    expect(report.dataMoves.map((m: { service: string }) => m.service)).toEqual(expect.arrayContaining(['db_postgres', 'redis', 'api', 'plugin_daemon']));
  });

  it('no compose file: nothing to trace, but no claim either', async () => {
    const src = userDeployment('1.16.1', [], { envOnly: true });
    mkdirSync(`${src}-adopted`, { recursive: true });
    const r = await runCli(['import', src, '--out', `${src}-adopted`, '--force', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).dataMoves).toEqual([]);
  });
});
