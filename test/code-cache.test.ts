// The built CLI's V8 code cache (src/code-cache.ts, scripts/code-cache.mjs): the caches the
// build made are the ones V8 takes on this machine, a changed file never runs its old code,
// and the CLI gives the same results with and without them.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'dify-deploy-code-cache-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the built package, to change without touching the real one. */
function packageCopy(name: string): string {
  const dir = join(scratch, name);
  for (const part of ['bin', 'dist', 'generated', 'schemas', 'templates', 'tiers', 'releases', 'package.json']) cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** Runs the CLI of a package in this process's way (bin → dist/code-cache.js) and reports its output and cache uses. */
function runCli(pkg: string, argv: string[]): { code: number; out: string; uses: Record<string, string> } {
  const script = `
    const { commandOf, loadCli, codeCacheUses } = await import(${JSON.stringify(join(pkg, 'dist', 'code-cache.js'))});
    const argv = ['node', 'dify-deploy', ...JSON.parse(process.argv[1])];
    let out = '';
    const code = await loadCli({ command: commandOf(argv) }).run(argv, { out: (t) => { out += t + '\\n'; }, err: (t) => { out += t + '\\n'; } });
    process.stdout.write(JSON.stringify({ code, out, uses: codeCacheUses() }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(argv)], { cwd: scratch, encoding: 'utf8' }));
}

function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[relative(dir, join(entry.parentPath, entry.name))] = readFileSync(join(entry.parentPath, entry.name), 'utf8');
  }
  return out;
}

describe('the code cache', () => {
  it('is taken by V8 for the bundle, the templates and the validators of the commands that load them', () => {
    const render = runCli(ROOT, ['render', '--tier', '100qps', '--target', 'compose', '--out', join(scratch, 'cached-render')]);
    expect(render.code).toBe(0);
    expect(render.uses).toEqual({ 'dist/bundle/cli.cjs': 'used', 'generated/templates.cjs': 'used' });
    const validate = runCli(ROOT, ['validate', join(scratch, 'cached-render')]);
    expect(validate.uses['dist/bundle/cli.cjs']).toBe('used');
    expect(validate.uses['schemas/compose-spec-validator.cjs']).toBe('used');
    expect(runCli(ROOT, ['--help']).uses).toEqual({ 'dist/bundle/cli.cjs': 'used' });
  });

  it('never runs the old code of a changed file, even one of the same length', () => {
    const pkg = packageCopy('edited');
    const bundle = join(pkg, 'dist', 'bundle', 'cli.cjs');
    const source = readFileSync(bundle, 'utf8');
    const description = 'Size, render and validate production deployments of Dify';
    expect(source).toContain(description);
    // Same length: V8's own check (the length) would take the cache and print the old text.
    writeFileSync(bundle, source.replace(description, description.replace('render', 'RENDER')));
    const help = runCli(pkg, ['--help']);
    expect(help.out).toContain('Size, RENDER and validate');
    expect(help.uses).toEqual({ 'dist/bundle/cli.cjs': 'stale' });
  });

  it('changes no result: plan, render and validate give the same with and without it', () => {
    const pkg = packageCopy('uncached');
    rmSync(join(pkg, 'dist', 'code-cache'), { recursive: true });
    const spec = join(scratch, 'spec.yaml');
    writeFileSync(spec, 'tier: 500qps\ntargets: [compose, helm]\nstorage: { type: s3, bucket: b, region: eu-west-1, useIam: true }\n');
    const results = [ROOT, pkg].map((p, i) => {
      const out = join(scratch, `render-${i}`);
      // The second render keeps the first one's generated secrets, so every file can be compared.
      if (i > 0) cpSync(join(scratch, 'render-0', '.dify-deploy', 'secrets.env'), join(out, '.dify-deploy', 'secrets.env'));
      const plan = runCli(p, ['plan', '--config', spec, '--json']);
      const render = runCli(p, ['render', '--config', spec, '--out', out]);
      const validate = runCli(p, ['validate', out, '--format', 'json']);
      return { plan, render, validate, files: filesUnder(out) };
    });
    const [cached, uncached] = results;
    expect(cached.plan.uses['dist/bundle/cli.cjs']).toBe('used');
    expect(uncached.plan.uses['dist/bundle/cli.cjs']).toBe('none');
    expect(uncached.plan.out).toBe(cached.plan.out);
    expect(uncached.render.code).toBe(0);
    expect(uncached.validate.out.replaceAll(join(scratch, 'render-1'), 'OUT')).toBe(cached.validate.out.replaceAll(join(scratch, 'render-0'), 'OUT'));
    // The state file names the renderer by its files' mtimes (src/render/fingerprint.ts), which a copy does not keep.
    const sameRenderer = (files: Record<string, string>) => ({ ...files, '.dify-deploy/manifest.json': files['.dify-deploy/manifest.json'].replace(/"renderer": "\w+"/, '') });
    expect(Object.keys(cached.files).length).toBeGreaterThan(10);
    expect(sameRenderer(uncached.files)).toEqual(sameRenderer(cached.files));
  });
});
