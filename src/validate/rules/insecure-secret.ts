// insecure-secret: a secret of a component that runs is empty, an upstream default or
// placeholder anyone can read, or too short to resist guessing. The value is never printed.
import { dotted, isMap, type Values } from '../../helm/merge.js';
import { at, type Diagnostic } from '../diagnostics.js';
import { factApplies, formatOn, formatRecipe, isCredentialKey, publishedValue, secretData, secretProblem } from '../../core/secret-data.js';
import type { Deployment } from '../deployment.js';
import type { Rule } from './rule.js';

/**
 * Helm values, merged onto the chart's defaults as Helm does: a credential left at the chart's
 * sample value (or a published Dify default, or a placeholder) is public. A warning, since the
 * chart's own example files carry them by design; a block that is off, or that reads an
 * existingSecret, is skipped, and so is everything when the chart's externalSecret is on.
 */
function helmFindings(d: Deployment): Diagnostic[] {
  if (!isMap(d.helmValues) || !d.helm) return [];
  const { merged } = d.helm;
  // With the chart's External Secrets Operator support on, its Secrets come from the store, not values.
  if (isMap(merged.externalSecret) && merged.externalSecret.enabled === true) return [];
  const out: Diagnostic[] = [];
  const walk = (node: Values, path: string[]) => {
    if (node.enabled === false || (typeof node.existingSecret === 'string' && node.existingSecret !== '')) return;
    for (const [key, value] of Object.entries(node)) {
      if (isMap(value)) walk(value, [...path, key]);
      else if (typeof value === 'string' && value !== '' && isCredentialKey(key)) {
        // Only what is public for certain: a published default or a placeholder (length rules
        // need to know the secret's role, which a free-form values tree does not say).
        const published = publishedValue(value);
        const problem =
          published === 'default' ? "is a sample value published in the chart's values.yaml or Dify's repository" : published === 'placeholder' ? 'is a placeholder' : undefined;
        if (!problem) continue;
        const keyPath = [...path, key];
        const line = d.helmLineAt?.(keyPath);
        out.push({
          rule: 'insecure-secret',
          severity: 'warning',
          file: d.helmValuesFile,
          ...(line !== undefined ? { line } : {}),
          message: `${dotted(keyPath)} ${problem}${line === undefined ? ' (the chart default: the values do not set it)' : ''}`,
          fix: 'set a long random value (`openssl rand -base64 42`), or keep secrets out of values.yaml: dify-deploy\'s helm.existingSecret or the chart\'s externalSecret',
          data: { path: keyPath },
        });
      }
    }
  };
  walk(merged, []);
  return out;
}

export const insecureSecretRule: Rule = {
  id: 'insecure-secret',
  summary: 'secrets of running components that are empty, upstream defaults, placeholders or weak',
  async check(d) {
    const out: Diagnostic[] = helmFindings(d);
    // Several services fed by one .env line give one finding, not one each.
    const reported = new Set<string>();
    const version = d.release.version;
    for (const fact of secretData().secrets) {
      for (const s of d.services) {
        if (!s.active || !s.component || !factApplies(fact, version, s.component, s.env)) continue;
        const origin = s.origin[fact.var] ?? (s.line !== undefined && d.compose ? { file: d.compose.file, line: s.line } : d.envFile && { file: d.envFile.file });
        const problem = secretProblem(fact, version, s.env);
        const format = formatOn(fact, version);
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
          fix: `set a long random value, e.g. \`${format ? formatRecipe(format) : 'openssl rand -base64 42'}\`; keep it in a secret store, not in git${fact.var === 'SECRET_KEY' ? ' (changing SECRET_KEY later logs everyone out)' : ''}`,
          data: { service: s.name, variable: fact.var },
        });
      }
    }
    return out;
  },
};
