// Paths to the unmodified upstream fixtures in ../shared/upstream.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'dotenv';

export const UPSTREAM = fileURLToPath(new URL('../../../shared/upstream/', import.meta.url));

export function upstreamEnvExample(release: string): Record<string, string> {
  return parse(readFileSync(`${UPSTREAM}dify-${release}/docker/.env.example`, 'utf8'));
}
