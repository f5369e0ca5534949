// missing-variable: the chosen backend (VECTOR_STORE, STORAGE_TYPE, Redis mode) lacks a
// setting Dify needs to reach it (releases/required-env.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../core/data.js';
import { at, type Diagnostic } from '../diagnostics.js';
import { dotted, isMap, type Values } from '../../helm/merge.js';
import type { Deployment } from '../deployment.js';
import { holds, isCredentialKey, publishedValue, type Condition } from '../../core/secret-data.js';
import type { Rule } from './rule.js';

interface Requirement {
  when: Condition;
  /** Not required when this holds (S3 keys with the machine's IAM role). */
  unless?: Condition;
  require: string[];
}

/**
 * Set to nothing Dify can use: empty, or a placeholder (releases/secrets.json: never a real value).
 * A published default that is no placeholder works and may well be the user's own (a bucket named
 * `difyai` on their MinIO, a database named `dify`): not missing. (Secrets at a published default
 * are insecure-secret's to report.)
 */
const unusable = (value: string | undefined) => (value ?? '').trim() === '' || publishedValue(value!.trim()) === 'placeholder';

let requirements: Requirement[] | undefined;

/**
 * Helm values: an enabled external* block (object store, vector store, database…) whose
 * settings are still the chart's placeholders ("https://your-endpoint", "your-bucket-name").
 * Warnings, like the chart's sample credentials: its own CI files carry them by design.
 */
function helmPlaceholders(d: Deployment): Diagnostic[] {
  if (!isMap(d.helmValues) || !d.helm) return [];
  const { merged } = d.helm;
  const out: Diagnostic[] = [];
  const walk = (node: Values, path: string[]) => {
    for (const [key, value] of Object.entries(node)) {
      if (isMap(value)) walk(value, [...path, key]);
      else if (typeof value === 'string' && publishedValue(value) === 'placeholder' && !isCredentialKey(key)) {
        const keyPath = [...path, key];
        const line = d.helmLineAt?.(keyPath);
        out.push({
          rule: 'missing-variable',
          severity: 'warning',
          file: d.helmValuesFile,
          ...(line !== undefined ? { line } : {}),
          message: `${dotted(keyPath)} is still the chart's placeholder ${JSON.stringify(value)}${line === undefined ? ' (the values do not set it)' : ''}: Dify cannot reach ${path[0]} with it`,
          fix: `set ${dotted(keyPath)} to the real value, or disable ${path[0]}`,
          data: { path: keyPath },
        });
      }
    }
  };
  for (const [key, block] of Object.entries(merged)) if (key.startsWith('external') && isMap(block) && block.enabled === true) walk(block, [key]);
  return out;
}

export const missingVariableRule: Rule = {
  id: 'missing-variable',
  summary: "a chosen backend's required settings are absent (e.g. VECTOR_STORE=qdrant without QDRANT_URL)",
  async check(d) {
    requirements ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'releases', 'required-env.json'), 'utf8')) as { requirements: Requirement[] }).requirements;
    const out: Diagnostic[] = [];
    // api and worker read the same .env line: one finding per line and gap.
    const reported = new Set<string>();
    for (const s of d.services.filter((x) => x.active && (x.component === 'api' || x.component === 'worker'))) {
      for (const r of requirements) {
        if (!holds(r.when, s.env) || (r.unless && holds(r.unless, s.env))) continue;
        const missing = r.require.filter((v) => unusable(s.env[v]));
        const key = `${s.origin[r.when.var]?.file}:${s.origin[r.when.var]?.line}:${missing.join(',')}`;
        if (missing.length === 0 || reported.has(key)) continue;
        reported.add(key);
        out.push({
          rule: this.id,
          severity: 'error',
          ...at(s.origin[r.when.var]),
          message: `${s.name}: ${r.when.var}=${s.env[r.when.var]} needs ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not set (or only to an upstream placeholder)`,
          fix: `set ${missing.join(', ')} in .env${r.unless ? ` (or ${r.unless.var}=${r.unless.in?.[0]})` : ''}`,
          data: { service: s.name, missing },
        });
      }
    }
    return [...out, ...helmPlaceholders(d)];
  },
};
