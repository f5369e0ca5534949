// The wizard's answers as dify-deploy.yaml: only what was chosen, in the order asked, so the
// file stays short and every default the spec fills in keeps following new releases.
import { stringify } from 'yaml';

const HEADER = [
  '# Dify deployment spec, written by `dify-deploy init`.',
  '# Edit it and re-run `dify-deploy render`; every key is described in the dify-deploy README.',
  '# It may hold passwords of external services: keep it private (mode 0600).',
].join('\n');

export function specYaml(data: Record<string, unknown>): string {
  return `${HEADER}\n${stringify(data, { lineWidth: 0 })}`;
}
