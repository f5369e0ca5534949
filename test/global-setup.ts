// Builds dist/ once before any test: tests that drive the real binary (bin/dify-deploy.js)
// then run what `npm ci` ships, and no two test files race to rewrite dist/.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
}
