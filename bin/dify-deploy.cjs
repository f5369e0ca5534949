#!/usr/bin/env node
// Thin launcher: the CLI ships compiled into one CommonJS bundle (npm ci runs `prepare`: tsc,
// then scripts/bundle.mjs). CommonJS all the way: an ES module entry brings up Node's ESM
// loader, ≈ 9 ms of every run.
'use strict';
const { enableCompileCache } = require('node:module');

// Node ≥ 22.1 keeps V8's compiled code of the bundle in a cache directory of the user's
// (documented: https://nodejs.org/api/module.html#moduleenablecompilecachecachedir), so
// later runs skip most compiling. Node 20 has no such API: the bundle compiles every run.
// NODE_DISABLE_COMPILE_CACHE=1 turns it off; nothing depends on it.
if (enableCompileCache) {
  const { homedir } = require('node:os');
  const { join } = require('node:path');
  enableCompileCache(join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dify-deploy', 'compile-cache'));
}

// A reader that stops early (`| head`) closes the pipe: the rest of the output is dropped
// without a stack trace, and the run still ends with its own exit code (findings: 1).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

require('../dist/bundle/cli.cjs')
  .run(process.argv)
  .then((code) => {
    process.exitCode = code;
    // Exit once stdout and stderr have flushed (asynchronous pipes, e.g. on macOS): the run is
    // over, and a natural exit first tears the heap down (≈ 13 ms after a validate).
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
