// Builds dist/ (tsc, then the bundle bin/ runs) once before any test: tests that drive the
// real binary then run what `npm ci` ships, and no two test files race to rewrite dist/.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
}
