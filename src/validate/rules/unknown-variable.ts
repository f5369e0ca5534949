// unknown-variable: a .env variable the release does not know (releases/known-env) is
// most often a typo that silently leaves the default in force.
import { didYouMean } from '../../core/errors.js';
import { knownEnvVariables } from '../../render/known-env.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Rule } from './rule.js';

export const unknownVariableRule: Rule = {
  id: 'unknown-variable',
  summary: 'a .env variable the release does not know, with a did-you-mean',
  check(d) {
    if (!d.envFile) return [];
    const known = knownEnvVariables(d.release.version);
    const candidates = [...known];
    const out: Diagnostic[] = [];
    for (const name of Object.keys(d.envFile.values)) {
      if (known.has(name) || d.compose?.referenced.has(name)) continue;
      const hint = didYouMean(name, candidates);
      out.push({
        rule: this.id,
        severity: 'warning',
        file: d.envFile.file,
        line: d.envFile.lines[name],
        message: `${name} is not a variable Dify ${d.release.version} reads${hint}`,
        fix: hint ? `rename it to ${hint.replace(/^ \(did you mean "(.*)"\?\)$/, '$1')}` : 'remove it, or check the name against the release\'s .env.example',
        data: { variable: name },
      });
    }
    return out;
  },
};
