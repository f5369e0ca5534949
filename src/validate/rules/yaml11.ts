// yaml-1.1: values that read as strings to YAML 1.2 but not to the YAML 1.1 readers that
// consume the file — Helm and Kubernetes for Helm values (an annotation `off` becomes false and
// the API server rejects the object), docker-compose v1 / PyYAML tools for compose files.
import { dotted } from '../../helm/merge.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Rule } from './rule.js';
import type { YamlTrap } from '../yaml-traps.js';

function diagnostic(file: string | undefined, t: YamlTrap, readers: string, consequence: string): Diagnostic {
  return {
    rule: 'yaml-1.1',
    severity: 'error',
    ...(file ? { file } : {}),
    ...(t.line !== undefined ? { line: t.line } : {}),
    message: `${dotted(t.path)}: \`${t.text}\` is ${t.reading} to YAML 1.1 readers (${readers}), not the string "${t.text}"; ${consequence}`,
    fix: `quote it: "${t.text}"`,
    data: { path: t.path, text: t.text, reading: t.reading },
  };
}

export const yaml11Rule: Rule = {
  id: 'yaml-1.1',
  summary: 'Helm annotation/label/env values and compose restart/environment/label values that YAML 1.1 reads as booleans, numbers, null or timestamps',
  check(d) {
    // restart must be a string for every reader; an env or label value only where the readers disagree (`yes`, `0755`), not `5001`.
    const compose = (d.compose?.traps ?? []).filter((t) => t.path[2] === 'restart' || !t.sameIn12).map((t) =>
      diagnostic(d.compose!.file, t, 'docker-compose v1, PyYAML, Ansible', t.path[2] === 'restart' ? 'the Compose Specification wants a string there' : 'the container gets another value (e.g. "True", "493")'),
    );
    // An env value both readings take for the same number (`5001`) is the schema rule's finding
    // (helm-env-value); one they read apart (`yes`, `010`) is this rule's, naming the text.
    const helm = (d.helmTraps ?? [])
      .filter((t) => !(t.sameIn12 && t.path.at(-1) === 'value'))
      .map((t) => diagnostic(d.helmValuesFile, t, 'Helm, Kubernetes', 'the API server rejects the object, whose field must be a string'));
    return [...compose, ...helm];
  },
};
