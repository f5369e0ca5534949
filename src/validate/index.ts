// validate: load the files into the deployment model, run every rule, return a report.
// Pure apart from reading the inputs; printing is the command's job.
import type { Diagnostic } from './diagnostics.js';
import { loadDeployment, type ValidateInputs } from './load.js';
import { RULES } from './rules/index.js';

export interface ValidationReport {
  ok: boolean;
  errors: number;
  warnings: number;
  release: { version: string; source: string };
  files: string[];
  diagnostics: Diagnostic[];
}

function key(d: Diagnostic): string {
  return `${d.rule}\u0000${d.file ?? ''}\u0000${d.line ?? ''}\u0000${d.message}`;
}

export async function validate(inputs: ValidateInputs, options: { strict?: boolean } = {}): Promise<ValidationReport> {
  const { deployment, findings } = loadDeployment(inputs);
  const diagnostics = [...findings];
  for (const rule of RULES) diagnostics.push(...(await rule.check(deployment)));
  const seen = new Set<string>();
  const unique = diagnostics.filter((d) => {
    const k = key(d);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const errors = unique.filter((d) => d.severity === 'error').length;
  const warnings = unique.length - errors;
  const files = [deployment.specFile, deployment.envFile?.file, deployment.compose?.file, deployment.helmValuesFile].filter((f): f is string => !!f);
  return {
    ok: errors === 0 && !(options.strict && warnings > 0),
    errors,
    warnings,
    release: { version: deployment.release.version, source: deployment.releaseSource },
    files,
    diagnostics: unique,
  };
}
