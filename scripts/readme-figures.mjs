// Documentation figures from the plan: the tables between `<!-- figures:NAME -->` and
// `<!-- /figures:NAME -->` in docs/pooler.md and docs/redis.md are written by this script from the
// built sizing code (dist/, `npm run build` first), so they cannot drift from what `dify-deploy
// plan` prints. test/readme-figures.test.ts runs `--check` (exit 1 and the stale section's name
// when a page differs). Usage: node scripts/readme-figures.mjs [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { planFor } from '../dist/core/resolve.js';
import { parseSpecData } from '../dist/core/spec-parse.js';
import { tierNames } from '../dist/core/data.js';

const n = (x) => x.toLocaleString('en-US');
const plan = (input, target) => planFor(parseSpecData({ ...input, targets: [target] }, 'documentation figures'), target);
const directBudget = (p) => p.connections.reduce((sum, u) => sum + (u.total ?? 0), 0);

/** Per tier and target: pooler or not, and both sides of the connection budget. */
function pooler() {
  const rows = tierNames().flatMap((tier) =>
    ['compose', 'helm'].map((target) => {
      const p = plan({ tier }, target);
      const b = p.budget;
      const pooled = b.side === 'client';
      return `| ${tier} | ${target} | ${pooled ? 'PgBouncer' : 'none'} | ${n(directBudget(p))} | ${pooled ? `${n(b.required)} ≤ max_client_conn ${n(b.maxConnections)}` : '—'} | ${n(pooled ? b.server.required : b.required)} + ${b.reserved === 0 && pooled ? b.server.reserved : b.reserved} reserved ≤ max_connections ${n(b.databaseMaxConnections)} |`;
    }),
  );
  return [
    '| tier | target | pooler | direct budget (Σ peak DB connections) | client side | server side |',
    '|---|---|---|---|---|---|',
    ...rows,
  ];
}

/** Per tier (compose): the main Redis budget and the event bus's. */
function redis() {
  const rows = tierNames().map((tier) => {
    const r = plan({ tier }, 'compose').redis;
    const bus = r.eventBus.dedicated ? `${r.eventBus.mode === 'bundled' ? 'own Redis' : r.eventBus.mode}: ${n(r.eventBus.required)} / ${n(r.eventBus.maxClients)}` : 'on the main Redis';
    return `| ${tier} | ${n(r.required)} / ${n(r.maxClients)} | ${bus} |`;
  });
  return ['| tier | main Redis required / maxclients | event bus required / maxclients |', '|---|---|---|', ...rows];
}

/** Each generated table: its name and the page it is in. */
const SECTIONS = [
  { name: 'pooler', make: pooler, page: 'docs/pooler.md' },
  { name: 'redis', make: redis, page: 'docs/redis.md' },
];

const stale = [];
for (const { name, make, page } of SECTIONS) {
  const file = fileURLToPath(new URL(`../${page}`, import.meta.url));
  const text = readFileSync(file, 'utf8');
  const re = new RegExp(`(<!-- figures:${name} -->\\n)([\\s\\S]*?)(<!-- /figures:${name} -->)`);
  const m = re.exec(text);
  if (!m) throw new Error(`${page} has no <!-- figures:${name} --> section`);
  const body = `${make().join('\n')}\n`;
  if (m[2] === body) continue;
  stale.push(`${page} (${name})`);
  if (!process.argv.includes('--check')) writeFileSync(file, text.replace(re, (_, open, __, close) => `${open}${body}${close}`));
}
if (process.argv.includes('--check') && stale.length) {
  console.error(`figures are stale: ${stale.join(', ')} (run node scripts/readme-figures.mjs)`);
  process.exit(1);
}
