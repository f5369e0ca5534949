// insecure-secret: a secret of a component that runs is empty, an upstream default or
// placeholder anyone can read, or too short to resist guessing. The value is never printed.
import { at, type Diagnostic } from '../diagnostics.js';
import { compareVersions } from '../release.js';
import { holds, secretData, type SecretFact } from '../secret-data.js';
import type { Deployment, ServiceModel } from '../deployment.js';
import type { Rule } from './rule.js';

function emptyIsFine(fact: SecretFact, d: Deployment, s: ServiceModel): boolean {
  if (fact.emptyOk) return true;
  if (fact.emptyOkFrom && compareVersions(d.release.version, fact.emptyOkFrom) >= 0) return true;
  return fact.emptyOkWhen !== undefined && holds(fact.emptyOkWhen, s.env);
}

/** Why a value is no secret, or undefined when it is fine. */
export function weakness(value: string, minLength: number): string | undefined {
  const data = secretData();
  if (data.knownDefaults.includes(value)) return "is an upstream default published in Dify's repository";
  if (data.placeholderPatterns.some((p) => new RegExp(p, 'i').test(value))) return 'is a placeholder';
  if (value.length < minLength) return `is only ${value.length} characters (use ≥ ${minLength} random characters)`;
  if (new Set(value).size < 6) return 'repeats too few distinct characters';
  return undefined;
}

export const insecureSecretRule: Rule = {
  id: 'insecure-secret',
  summary: 'secrets of running components that are empty, upstream defaults, placeholders or weak',
  check(d) {
    const out: Diagnostic[] = [];
    // Several services fed by one .env line give one finding, not one each.
    const reported = new Set<string>();
    for (const fact of secretData().secrets) {
      for (const s of d.services) {
        if (!s.active || s.component !== fact.component || !holds(fact.when, s.env)) continue;
        const value = s.env[fact.var];
        const origin = s.origin[fact.var] ?? (s.line !== undefined && d.compose ? { file: d.compose.file, line: s.line } : d.envFile && { file: d.envFile.file });
        let problem: string | undefined;
        if (value === undefined || value.trim() === '') {
          if (emptyIsFine(fact, d, s)) continue;
          problem = value === undefined ? 'is not set' : 'is empty';
        } else {
          problem = weakness(value, fact.minLength);
        }
        if (!problem) continue;
        const assignment = s.origin[fact.var];
        if (assignment?.line !== undefined) {
          const where = `${assignment.file}:${assignment.line}`;
          if (reported.has(where)) continue;
          reported.add(where);
        }
        out.push({
          rule: this.id,
          severity: 'error',
          ...at(origin),
          message: `${s.name}: ${fact.var} (${fact.why}) ${problem}`,
          fix: `set a long random value, e.g. \`openssl rand -base64 42\`; keep it in a secret store, not in git${fact.var === 'SECRET_KEY' ? ' (changing SECRET_KEY later logs everyone out)' : ''}`,
          data: { service: s.name, variable: fact.var },
        });
      }
    }
    return out;
  },
};
