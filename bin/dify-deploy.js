#!/usr/bin/env node
// Thin launcher: the CLI ships compiled and bundled (npm ci runs `prepare`: tsc, then scripts/bundle.mjs).
import { run } from '../dist/bundle/cli.js';

run(process.argv).then((code) => {
  process.exitCode = code;
});
