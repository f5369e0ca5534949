// validate: load the files into the deployment model, run every rule, return a report.
// Pure apart from reading the inputs; printing is the command's job.
import type { Diagnostic } from './diagnostics.js';
import { loadDeployment, type ValidateInputs } from './load.js';
import { RULES } from './rules/index.js';
import { assumedNotice } from '../core/data.js';

export interface ValidationReport {
  ok: boolean;
  errors: number;
  warnings: number;
  /** `assumed`: the curated facts this release took from an older one (src/core/data.ts assumedNotice). */
  release: { version: string; source: string; assumed?: string };
  files: string[];
  /** With a compose file: which services `docker compose up` starts with the project's COMPOSE_PROFILES, and which not. */
  services?: { running: string[]; notRunning: string[] };
  diagnostics: Diagnostic[];
}

function key(d: Diagnostic): string {
  return `${d.rule}\u0000${d.file ?? ''}\u0000${d.line ?? ''}\u0000${d.message}`;
}

export async function validate(inputs: ValidateInputs, options: { strict?: boolean } = {}): Promise<ValidationReport> {
  const { deployment, findings } = loadDeployment(inputs);
  const diagnostics = [...findings];
  const compose = deployment.compose;
  const services = compose ? { running: deployment.services.filter((s) => s.active).map((s) => s.name), notRunning: deployment.services.filter((s) => !s.active).map((s) => s.name) } : undefined;
  // Every rule judges what runs: a compose file whose Dify api does not run would pass them all unjudged.
  if (compose && !deployment.services.some((s) => s.active && s.component === 'api')) {
    const idle = deployment.services.filter((s) => !s.active && s.component === 'api');
    diagnostics.push({
      rule: 'schema',
      severity: 'error',
      file: compose.file,
      ...(idle[0]?.line !== undefined ? { line: idle[0].line } : {}),
      message: `no Dify api runs with COMPOSE_PROFILES=${deployment.vars.COMPOSE_PROFILES || '(unset)'}: ${idle.map((s) => s.name).join(', ') || 'the api'} only in an inactive profile; running: ${services!.running.join(', ') || 'nothing'} — nothing about Dify was judged`,
      fix: "add the api's profile to COMPOSE_PROFILES in .env, or drop `profiles:` from the api service",
    });
  }
  // Not push(...list): a rule may find more than a call takes arguments (a .env of 300k unknown variables).
  for (const rule of RULES) for (const d of await rule.check(deployment)) diagnostics.push(d);
  const seen = new Set<string>();
  const unique = diagnostics.filter((d) => {
    const k = key(d);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const errors = unique.filter((d) => d.severity === 'error').length;
  const warnings = unique.length - errors;
  const files = [deployment.specFile, deployment.envFile?.file, deployment.compose?.file, ...(deployment.compose?.files.slice(1) ?? []), deployment.helmValuesFile].filter((f): f is string => !!f);
  return {
    ok: errors === 0 && !(options.strict && warnings > 0),
    errors,
    warnings,
    release: { version: deployment.release.version, source: deployment.releaseSource, ...(assumedNotice(deployment.release) ? { assumed: assumedNotice(deployment.release) } : {}) },
    files,
    ...(services ? { services } : {}),
    diagnostics: unique,
  };
}
