// `node bench/clock-floor.mjs [--runs 15]`: the clock floors of the three start-up cases over
// target by instructions (docs/benchmark.md, stop 28). Each case runs interleaved, round by round
// as `npm run bench` runs them, beside `node -e 0` and its floor: node, the launcher's start (the
// CLI's bundle, built again with the `yaml` library's exports added, through the code cache) and
// only the library's part of the case (bench/floor-child.cjs): the parse of the YAML files validate
// reads, or the writing of every file the render writes, its YAML by the library alone. What is
// left between a case and its floor is dify-deploy's own work. A bench, not a test.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { parseAllDocuments } from 'yaml';
import { cacheHome, cli, measure, report, root, runOnce, setupStartup, work } from './bench.mjs';
import { composeText, envText } from './inputs.mjs';

const i = process.argv.indexOf('--runs');
const runs = i > 0 ? Number(process.argv[i + 1]) : 15;
const dir = join(work, 'floor');
rmSync(dir, { recursive: true, force: true });
rmSync(cacheHome, { recursive: true, force: true });
process.env.XDG_CACHE_HOME = cacheHome;

// The CLI's bundle (scripts/bundle.mjs's options) with the library's exports beside the CLI's.
const bundle = join(dir, 'bundle', 'floor.cjs');
mkdirSync(join(dir, 'bundle'), { recursive: true });
writeFileSync(join(dir, 'entry.mjs'), `export * from ${JSON.stringify(join(root, 'dist', 'cli.js'))};\nexport { parseDocument, parseAllDocuments, LineCounter, Document } from 'yaml';\n`);
await build({ entryPoints: [join(dir, 'entry.mjs')], outfile: bundle, bundle: true, format: 'cjs', platform: 'node', target: 'node20', define: { 'import.meta.url': '__bundleUrl' }, banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" }, minify: true, nodePaths: [join(root, 'node_modules')], logLevel: 'warning' });
const floor = (mode, ...args) => ['bench/floor-child.cjs', bundle, join(dir, 'cache'), mode, ...args];

setupStartup();
const all = join(work, 'startup', 'all');
const filesUnder = (d) => readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
// What validate parses with the library (strace: the files it opens twice, once for drift's hash).
const parsed = ['dify-deploy.yaml', 'docker-compose.yaml', 'helm/values.yaml', ...readdirSync(join(all, 'helm', 'extra')).map((f) => `helm/extra/${f}`)].map((f) => join(all, f));
// What the render writes: each file's text, or the data of each of its YAML documents.
const written = filesUnder(all).map((file) => {
  const text = readFileSync(file, 'utf8');
  return /\.ya?ml$/.test(file) ? { path: relative(all, file), docs: parseAllDocuments(text).map((d) => d.toJS()) } : { path: relative(all, file), text };
});
writeFileSync(join(dir, 'written.json'), JSON.stringify(written));
// bench.mjs's 1,000-service case.
const big = join(dir, 'compose-1000');
mkdirSync(big, { recursive: true });
writeFileSync(join(big, 'docker-compose.yaml'), composeText(1000));
writeFileSync(join(big, '.env'), envText(root, 1000));

const spec = ['--config', '.tmp/bench/startup/spec/dify-deploy.yaml', '--out', '.tmp/bench/startup/all'];
const cases = [
  { name: 'floor: the bundle loaded, yaml initialised', args: floor('load') },
  { name: 'render, spec with compose + helm', args: cli('render', ...spec), target: 2 },
  { name: 'floor: its files written, YAML by the library', args: floor('write', join(dir, 'written.json'), join(dir, 'out')), target: 2 },
  { name: '`validate` of that rendered directory', args: cli('validate', all), target: 3.5 },
  { name: 'floor: its 11 YAML files parsed', args: floor('parse', ...parsed), target: 3.5 },
  { name: '`validate`, compose 1,000 services', args: cli('validate', big), target: 5 },
  { name: 'floor: its compose file parsed', args: floor('parse', join(big, 'docker-compose.yaml')), target: 5 },
];
runOnce(cases[2].args); // the output folder exists before the rounds, as the render's does
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
report('Clock floors', measure(cases, runs), runs);
console.log(`\nload average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
