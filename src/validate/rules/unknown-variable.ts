// unknown-variable: a .env variable the release does not know (releases/known-env) is
// most often a typo that silently leaves the default in force.
import { Suggester, suggestionText } from '../../io/did-you-mean.js';
import { knownEnvVariables, readBesideSettings } from '../../core/known-env.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Rule } from './rule.js';

/**
 * Candidates weighed for did-you-means in one run (≈ 125 ms on a cold start on the bench's 2-core
 * machine; the bag bound leaves about one in eighty to the edit distance): a few hundred unknown
 * variables get theirs, and a generated 100k-line .env stays linear instead of 812 candidates a line.
 */
export const SUGGESTION_BUDGET = 200_000;

export const unknownVariableRule: Rule = {
  id: 'unknown-variable',
  summary: 'a .env variable the release does not know, with a did-you-mean',
  check(d) {
    if (!d.envFile) return [];
    const known = knownEnvVariables(d.release.version);
    const suggester = new Suggester([...known], SUGGESTION_BUDGET);
    const out: Diagnostic[] = [];
    const unsuggested = "remove it, or check the name against the release's .env.example";
    let searched = 0;
    let unsearched: string | undefined; // one string for every finding past the budget
    for (const name of Object.keys(d.envFile.values)) {
      if (known.has(name) || readBesideSettings(name) || d.compose?.referenced.has(name)) continue;
      const best = suggester.suggest(name);
      if (best !== undefined) searched++;
      out.push({
        rule: this.id,
        severity: 'warning',
        file: d.envFile.file,
        line: d.envFile.lines[name],
        message: `${name} is not a variable Dify ${d.release.version} reads${suggestionText(best)}`,
        fix: best
          ? `rename it to ${best}`
          : best === null
            ? unsuggested
            : (unsearched ??= `${unsuggested} (no did-you-mean searched: the search stops after the first ${searched} unknown variables)`),
        data: { variable: name },
      });
    }
    return out;
  },
};
