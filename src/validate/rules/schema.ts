// schema: the compose file against the Compose Specification's JSON schema, and Helm values
// against the dify-helm chart (its values.schema.json, unknown and dead keys: the helm
// checker in src/helm/check.ts). Spec schema errors are found while loading (load.ts).
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../../core/data.js';
import { requireGenerated } from '../../core/generated-code.js';
import type { Finding } from '../../helm/check.js';
import { dotted } from '../../helm/merge.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Deployment } from '../deployment.js';
import type { Rule } from './rule.js';

interface CompiledValidator {
  (data: unknown): boolean;
  errors?: { instancePath: string; keyword: string; params: Record<string, unknown>; message?: string }[] | null;
}

/** The compose-spec schema compiled ahead of time (scripts/compose-validator.mjs): compiling it here costs ~250 ms a run. */
function composeSchema(): CompiledValidator {
  return requireGenerated(join(PACKAGE_ROOT, 'schemas', 'compose-spec-validator.cjs')) as CompiledValidator;
}

function composeFindings(d: Deployment): Diagnostic[] {
  const compose = d.compose;
  if (!compose) return [];
  const validate = composeSchema();
  if (validate(compose.data ?? {})) return [];
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const e of validate.errors ?? []) {
    // oneOf/anyOf branches repeat one mistake several times; keep the first per path.
    if (seen.has(e.instancePath)) continue;
    seen.add(e.instancePath);
    const path = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const extra = e.keyword === 'additionalProperties' ? ` "${String(e.params.additionalProperty)}"` : '';
    out.push({
      rule: 'schema',
      severity: 'error',
      file: compose.file,
      line: compose.lineAt(e.keyword === 'additionalProperties' ? [...path, String(e.params.additionalProperty)] : path) ?? compose.lineAt(path),
      message: `${dotted(path) || '(top level)'} ${e.message ?? 'is invalid'}${extra} (Compose Specification)`,
      fix: 'correct the compose file; `docker compose config` shows how Compose reads it',
      data: { kind: 'compose-schema', path },
    });
  }
  return out;
}

/**
 * Bind mounts whose host side is the project folder or a folder above it: the container then
 * sees .env with every secret (an empty certificate path once rendered `./:/etc/nginx/ssl/dify.crt`).
 */
function projectFolderMounts(d: Deployment): Diagnostic[] {
  const compose = d.compose;
  if (!compose) return [];
  const project = dirname(resolve(compose.file));
  const services = (compose.data as { services?: Record<string, { volumes?: unknown }> } | undefined)?.services ?? {};
  const out: Diagnostic[] = [];
  for (const [name, svc] of Object.entries(services)) {
    if (!Array.isArray(svc?.volumes)) continue;
    svc.volumes.forEach((v, i) => {
      const source = typeof v === 'string' ? v.split(':')[0] : (v as { type?: unknown; source?: unknown } | null)?.type === 'bind' ? (v as { source?: unknown }).source : undefined;
      // A bare name is a named volume; `$` needs the shell's environment to resolve.
      if (typeof source !== 'string' || !/^(\.|\/|~)/.test(source) || source.includes('$') || source.startsWith('~')) return;
      const host = resolve(project, source);
      const rel = relative(host, project);
      if (rel.startsWith('..') || isAbsolute(rel)) return;
      out.push({
        rule: 'schema',
        severity: 'error',
        file: compose.file,
        line: compose.lineAt(['services', name, 'volumes', i]),
        message: `services.${name}.volumes[${i}] mounts ${source}, the project folder${rel ? ' or one above it' : ''}, into the container: it sees .env with every secret`,
        fix: 'mount only the file or subfolder the service needs (e.g. ./certs/fullchain.pem for a certificate)',
      });
    });
  }
  return out;
}

function helmDiagnostic(d: Deployment, f: Finding, chart: string): Diagnostic {
  return {
    rule: 'schema',
    severity: f.severity,
    file: d.helmValuesFile,
    ...(d.helmLineAt?.(f.path) !== undefined ? { line: d.helmLineAt!(f.path) } : {}),
    message: `${f.message} (dify-helm ${chart})`,
    fix: f.fix ?? 'correct the key or value (see the chart values.yaml)',
    data: { kind: f.rule, path: f.path, chart },
  };
}

async function helmFindings(d: Deployment): Promise<Diagnostic[]> {
  if (d.helmValues === undefined) return [];
  // The chart data and its ajv schema are loaded only when there are Helm values to check.
  const { checkHelmValues } = await import('../../helm/check.js');
  const { chartVersions } = await import('../../helm/chart.js');
  const check = (chart: string) => ({ chart, findings: checkHelmValues(d.helmValues, chart) });
  const own = d.release.helm.version;
  // A guessed release does not pin the chart: judge by the chart version that explains the file best.
  const charts = d.releaseStated ? [own] : chartVersions();
  // The release's own chart first: values it finds nothing in need no other chart's schema loaded.
  const first = charts.includes(own) ? check(own) : undefined;
  if (first && first.findings.length === 0) return [];
  const results = charts.map((chart) => (chart === first?.chart ? first : check(chart)));
  const errors = (r: (typeof results)[number]) => r.findings.filter((f) => f.severity === 'error').length;
  const best = results.reduce((a, b) => (errors(b) < errors(a) || (errors(b) === errors(a) && b.findings.length < a.findings.length) ? b : a));
  // An env value YAML 1.1 and 1.2 read apart (`yes`, `010`) is the yaml-1.1 rule's finding, which names the text as written.
  const readApart = new Set((d.helmTraps ?? []).filter((t) => !t.sameIn12).map((t) => dotted(t.path)));
  return best.findings.filter((f) => !(f.rule === 'helm-env-value' && readApart.has(dotted(f.path)))).map((f) => helmDiagnostic(d, f, best.chart));
}

export const schemaRule: Rule = {
  id: 'schema',
  summary: 'the spec, the compose file (Compose Specification) and Helm values (chart schema, unknown and dead keys)',
  async check(d) {
    return [...composeFindings(d), ...projectFolderMounts(d), ...(await helmFindings(d))];
  },
};
