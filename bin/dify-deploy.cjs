#!/usr/bin/env node
// Thin launcher: the CLI ships compiled into one CommonJS bundle with a V8 code cache per
// command (npm ci runs `prepare`: tsc, scripts/bundle.mjs, scripts/code-cache.mjs).
// CommonJS all the way: an ES module entry brings up Node's ESM loader, ≈ 9 ms of every run.
'use strict';
const { commandOf, loadCli } = require('../dist/code-cache.cjs');

// A reader that stops early (`| head`) closes the pipe: the rest of the output is dropped
// without a stack trace, and the run still ends with its own exit code (findings: 1).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

loadCli({ command: commandOf(process.argv) })
  .run(process.argv)
  .then((code) => {
    process.exitCode = code;
    // Exit once stdout and stderr have flushed (asynchronous pipes, e.g. on macOS): the run is
    // over, and a natural exit first tears the heap down (≈ 13 ms after a validate).
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
