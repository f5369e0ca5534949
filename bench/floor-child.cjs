'use strict';
// A floor run for bench/clock-floor.mjs: what bin/dify-deploy.cjs does to start (the bundle through
// the code cache, the exit after the output is flushed) with, in place of a command, only the
// `yaml` library's part of it. The floor bundle is the CLI's bundle that also exports the library.
//   floor-child.cjs <bundle> <cache home> parse <file>…   parseDocument / parseAllDocuments (extra/) as validate reads
//   floor-child.cjs <bundle> <cache home> write <files.json> <out dir>   every rendered file, its YAML written by the library
//   floor-child.cjs <bundle> <cache home> load            the bundle alone
const fs = require('node:fs');
const { dirname, join, resolve } = require('node:path');
const { requireWithCodeCache } = require('../bin/code-cache.cjs');

// The bench takes exit 1 (findings) as a run that did its job: a floor run that fails must not pass.
process.on('uncaughtException', (e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(70);
});
const [bundle, cacheHome, mode, ...args] = process.argv.slice(2).map((a, i) => (i === 2 ? a : resolve(a)));
// Each mode its own cache file, in a cache home apart from the CLI's (a bundle's write prunes other bundles' caches).
const floor = requireWithCodeCache(bundle, [process.execPath, __filename, `floor${mode}`], { ...process.env, XDG_CACHE_HOME: cacheHome });
const { parseDocument, parseAllDocuments, LineCounter, Document } = floor.exports;
// src/io/yaml-doc.ts's PARSE_OPTIONS.
const options = { merge: true, uniqueKeys: false, prettyErrors: false };

if (mode === 'parse')
  for (const file of args) {
    const text = fs.readFileSync(file, 'utf8');
    const lineCounter = new LineCounter();
    if (file.includes('/extra/')) parseAllDocuments(text, { lineCounter, ...options });
    else parseDocument(text, { lineCounter, ...options });
  }
else if (mode === 'write') {
  const [list, out] = args;
  for (const { path, text, docs } of JSON.parse(fs.readFileSync(list, 'utf8'))) {
    fs.mkdirSync(dirname(join(out, path)), { recursive: true });
    // stringifyYaml's library call, without its quoting walk.
    const written = docs ? docs.map((d) => new Document(d, { version: '1.2' }).toString({ lineWidth: 0, directives: false })).join('---\n') : text;
    fs.writeFileSync(join(out, path), written);
  }
}
process.stdout.write('', () => {
  floor.finished(0);
  process.exit(0);
});
