// README figures from the plan: the tables between `<!-- figures:NAME -->` and
// `<!-- /figures:NAME -->` in README.md are written by this script from the built sizing code
// (dist/, `npm run build` first), so they cannot drift from what `dify-deploy plan` prints.
// test/readme-figures.test.ts runs `--check` (exit 1 and the stale section's name when the README
// differs). Usage: node scripts/readme-figures.mjs [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { planFor } from '../dist/core/resolve.js';
import { parseSpecData } from '../dist/core/spec-parse.js';
import { tierNames } from '../dist/core/data.js';

const README = fileURLToPath(new URL('../README.md', import.meta.url));
const n = (x) => x.toLocaleString('en-US');
const plan = (input, target) => planFor(parseSpecData({ ...input, targets: [target] }, 'README figures'), target);
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

const SECTIONS = { pooler, redis };

const text = readFileSync(README, 'utf8');
let out = text;
const stale = [];
for (const [name, make] of Object.entries(SECTIONS)) {
  const re = new RegExp(`(<!-- figures:${name} -->\\n)([\\s\\S]*?)(<!-- /figures:${name} -->)`);
  const m = re.exec(out);
  if (!m) throw new Error(`README.md has no <!-- figures:${name} --> section`);
  const body = `${make().join('\n')}\n`;
  if (m[2] !== body) stale.push(name);
  out = out.replace(re, (_, open, __, close) => `${open}${body}${close}`);
}
if (process.argv.includes('--check')) {
  if (stale.length) {
    console.error(`README.md figures are stale: ${stale.join(', ')} (run node scripts/readme-figures.mjs)`);
    process.exit(1);
  }
} else if (out !== text) writeFileSync(README, out);
