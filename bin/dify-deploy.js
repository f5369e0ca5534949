#!/usr/bin/env node
// Thin launcher: the CLI ships compiled (npm ci runs `prepare`, which builds dist/).
import { run } from '../dist/cli.js';

run(process.argv).then((code) => {
  process.exitCode = code;
});
