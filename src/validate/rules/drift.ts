// drift: the rendered files no longer match what their spec renders (a hand edit, a spec
// edited without re-rendering, or an older dify-deploy). Runs the same render pipeline
// with the directory's own secrets, compares in memory, and never writes.
import { existsSync } from 'node:fs';
import { readUserText } from '../../io/user-file.js';
import { join } from 'node:path';
import { MANIFEST_PATH, readManifest, sha256 } from '../../render/writer.js';
import type { Deployment } from '../deployment.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Rule } from './rule.js';

function firstDifferentLine(a: string, b: string): number {
  const x = a.split('\n');
  const y = b.split('\n');
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i + 1;
}

/**
 * True when every file of the last render is still exactly what was written, the spec read
 * here is one of them, and the renderer is the same: a re-render would give the same bytes.
 */
async function untouchedSinceRender(d: Deployment): Promise<boolean> {
  const { render, files } = readManifest(d.dir!);
  if (!render || !render.files.some((p) => join(d.dir!, p) === join(d.specFile!))) return false;
  const { rendererFingerprint } = await import('../../render/fingerprint.js');
  if (render.renderer !== rendererFingerprint()) return false;
  return render.files.every((p) => {
    const path = join(d.dir!, p);
    const text = readUserText(path, { what: 'rendered file', hint: 're-render it', within: d.dir, optional: true });
    return text !== undefined && sha256(text) === files[p];
  });
}

export const driftRule: Rule = {
  id: 'drift',
  summary: 'rendered files that no longer match what the spec renders',
  async check(d) {
    // Only a directory dify-deploy wrote (it keeps a manifest there) has rendered files to compare.
    if (!d.spec || !d.dir || !d.specFile || !existsSync(join(d.dir, MANIFEST_PATH))) return [];
    if (await untouchedSinceRender(d)) return [];
    // The render pipeline (templates, handlebars) is loaded only for a rendered directory.
    const { renderFiles, SPEC_FILE } = await import('../../render/index.js');
    const { readExistingSecrets } = await import('../../render/secrets-store.js');
    const { resolveSecrets } = await import('../../render/secrets.js');
    const existing = readExistingSecrets(d.dir);
    const secrets = resolveSecrets(existing, d.spec);
    const target = d.spec.targets.length > 1 ? 'all' : d.spec.targets[0];
    let files;
    try {
      ({ files } = renderFiles(d.spec, target, secrets));
    } catch (e) {
      // A spec the renderer refuses (e.g. an external store without its URL) is reported as such.
      const lines = (e as { lines?: string[] }).lines;
      if (!lines) throw e;
      return lines.map((l) => ({ rule: 'schema', severity: 'error' as const, file: d.specFile, message: l, fix: 'complete the spec, then re-render' }));
    }
    const out: Diagnostic[] = [];
    for (const f of files) {
      if (f.path === SPEC_FILE) continue;
      const path = join(d.dir, f.path);
      const current = readUserText(path, { what: 'rendered file', hint: 're-render it', within: d.dir, optional: true });
      if (current === undefined) {
        out.push({
          rule: this.id,
          severity: 'error',
          file: path,
          message: `${f.path} is missing: the spec renders it`,
          fix: `re-render: dify-deploy render --config ${d.specFile} --out ${d.dir}`,
        });
        continue;
      }
      if (current === f.content) continue;
      // Secrets the directory lacks were generated for this comparison only: a difference there is no drift.
      const usesFreshSecret = Object.entries(secrets).some(([k, v]) => existing[k] === undefined && f.content.includes(v));
      if (usesFreshSecret && current.length > 0) continue;
      out.push({
        rule: this.id,
        severity: 'error',
        file: path,
        line: firstDifferentLine(current, f.content),
        message: `${f.path} differs from what ${d.specFile} renders (first difference at this line)`,
        fix: `re-render with dify-deploy render (a hand edit is kept unless --force), or move the change into the spec's overrides`,
      });
    }
    return out;
  },
};
