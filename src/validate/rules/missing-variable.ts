// missing-variable: the chosen backend (VECTOR_STORE, STORAGE_TYPE, Redis mode) lacks a
// setting Dify needs to reach it (releases/required-env.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../core/data.js';
import { at, type Diagnostic } from '../diagnostics.js';
import { holds, publishedValue, type Condition } from '../secret-data.js';
import type { Rule } from './rule.js';

interface Requirement {
  when: Condition;
  /** Not required when this holds (S3 keys with the machine's IAM role). */
  unless?: Condition;
  require: string[];
}

/**
 * Set to nothing Dify can use: empty, a placeholder, or for a bucket or container upstream's
 * sample name (`${S3_BUCKET_NAME:-difyai}` is someone else's bucket).
 */
function unusable(name: string, value: string | undefined): boolean {
  const v = (value ?? '').trim();
  if (v === '') return true;
  const published = publishedValue(v);
  return published === 'placeholder' || (published === 'default' && /_(BUCKET_NAME|CONTAINER_NAME)$/.test(name));
}

let requirements: Requirement[] | undefined;

export const missingVariableRule: Rule = {
  id: 'missing-variable',
  summary: "a chosen backend's required settings are absent (e.g. VECTOR_STORE=qdrant without QDRANT_URL)",
  check(d) {
    requirements ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'releases', 'required-env.json'), 'utf8')) as { requirements: Requirement[] }).requirements;
    const out: Diagnostic[] = [];
    // api and worker read the same .env line: one finding per line and gap.
    const reported = new Set<string>();
    for (const s of d.services.filter((x) => x.active && (x.component === 'api' || x.component === 'worker'))) {
      for (const r of requirements) {
        if (!holds(r.when, s.env) || (r.unless && holds(r.unless, s.env))) continue;
        const missing = r.require.filter((v) => unusable(v, s.env[v]));
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
    return out;
  },
};
