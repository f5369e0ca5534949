// Issue 26 item 15: README figures had gone stale against the plan (PgBouncer tiers, Redis
// budgets, the 500qps budget, the import example). The per-tier tables (now in docs/pooler.md and
// docs/redis.md) are generated from the plan (scripts/readme-figures.mjs, from dist/ which
// test/global-setup.ts builds): `--check` fails when a page differs. The import example
// (docs/lifecycle.md) is a transcript of one deployment, so its tier row is read back here and
// compared with that tier's own plan.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tierNames } from '../src/core/data.js';
import { planFor } from '../src/core/resolve.js';
import { parseSpecData } from '../src/core/spec-parse.js';

const ROOT = join(import.meta.dirname, '..');
const LIFECYCLE = readFileSync(join(ROOT, 'docs', 'lifecycle.md'), 'utf8');

describe('documentation figures are the plan\'s', () => {
  it('the generated tables (PgBouncer per tier and target, Redis budgets) are current', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'readme-figures.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('the import example: its nearest tier and that tier\'s row are what the 1.13.3 plan gives', () => {
    const tier = /nearest tier (\d+qps)\./.exec(LIFECYCLE)![1];
    const row = (label: string) => {
      const m = new RegExp(`^${label.replace(/[()]/g, '\\$&')}\\s+(\\d+)\\s+(\\d+)\\s+(\\d+) / (max_connections|max_client_conn) (\\d+)\\s+(yes|NO)$`, 'm').exec(LIFECYCLE);
      expect(m, `docs/lifecycle.md row "${label}"`).not.toBeNull();
      return { concurrent: Number(m![1]), qps: Number(m![2]), required: Number(m![3]), limit: m![4], max: Number(m![5]), fits: m![6] === 'yes' };
    };
    const current = row('current (overrides)');
    const stated = row(`${tier} plan (no overrides)`);
    const planOf = (t: string) => planFor(parseSpecData({ tier: t, release: '1.13.3' }, 'test'), 'compose');
    const p = planOf(tier);
    expect(stated).toEqual({ concurrent: p.capacity.concurrentRequests, qps: p.capacity.sustainableQps, required: p.budget.required, limit: p.budget.limit, max: p.budget.maxConnections, fits: p.budget.fits });
    // import suggests the tier whose concurrency is nearest the deployment's, by ratio (src/lifecycle/import.ts).
    const distance = (t: string) => Math.abs(Math.log(planOf(t).capacity.concurrentRequests / current.concurrent));
    const nearest = tierNames().reduce((a, b) => (distance(b) < distance(a) ? b : a));
    expect(tier).toBe(nearest);
  });
});
