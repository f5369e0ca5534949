#!/usr/bin/env node
// Thin launcher: the CLI ships compiled into one CommonJS bundle with a V8 code cache per
// command (npm ci runs `prepare`: tsc, scripts/bundle.mjs, scripts/code-cache.mjs).
import { commandOf, loadCli } from '../dist/code-cache.js';

loadCli({ command: commandOf(process.argv) })
  .run(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
