#!/usr/bin/env node
// Thin launcher: the CLI ships compiled into one CommonJS bundle (npm ci runs `prepare`: tsc,
// then scripts/bundle.mjs). CommonJS all the way: an ES module entry brings up Node's ESM
// loader, ≈ 9 ms of every run.
'use strict';
const { join } = require('node:path');
const { requireWithCodeCache } = require('./code-cache.cjs');

// A reader that stops early (`| head`) closes the pipe: the rest of the output is dropped
// without a stack trace, and the run still ends with its own exit code (findings: 1).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

// The bundle compiles through a V8 code cache in the user's cache directory (code-cache.cjs;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off, and nothing depends on it), and so do the
// generated templates and validators it loads.
const cli = requireWithCodeCache(join(__dirname, '..', 'dist', 'bundle', 'cli.cjs'), process.argv);
cli.exports.loadGeneratedWith(cli.require);
cli.exports.run(process.argv).then((code) => {
  process.exitCode = code;
  // Exit once stdout and stderr have flushed (asynchronous pipes, e.g. on macOS): the run is
  // over, and a natural exit first tears the heap down (≈ 13 ms after a validate). The code
  // cache is written then, off the output's path.
  process.stdout.write('', () =>
    process.stderr.write('', () => {
      cli.finished(code);
      process.exit(code);
    }),
  );
});
