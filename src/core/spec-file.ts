// Reading dify-deploy.yaml: YAML syntax errors with their line; schema errors via spec-parse.
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { useProjectReleases } from '../releases/store.js';
import { UserError } from './errors.js';
import { parseYamlDocument } from './yaml-doc.js';
import { describe, parseSpecData } from './spec-parse.js';
import type { Spec } from './spec.js';

export interface YamlMapping {
  data: Record<string, unknown>;
  /** The 1-based line of the value at a path, when the text has it. */
  lineOf: (path: (string | number)[]) => number | undefined;
}

/** Parses YAML text that must hold a mapping (or nothing); errors name `file` and the line. */
export function parseYamlMapping(text: string, file: string): YamlMapping {
  const { data, lineAt } = parseYamlDocument(text, file, 'spec file');
  if (data !== null && (typeof data !== 'object' || Array.isArray(data)))
    throw new UserError([`${file}: expected a mapping of settings (release:, tier:, database: …), got ${Array.isArray(data) ? 'a list' : describe(data)}`]);
  return { data: (data ?? {}) as Record<string, unknown>, lineOf: lineAt };
}

/** Parses spec YAML text; errors name `file`. */
export function parseSpecYaml(text: string, file: string): Spec {
  const { data, lineOf } = parseYamlMapping(text, file);
  return parseSpecData(data, file, lineOf);
}

export function readSpecFile(path: string): Spec {
  const { data, lineOf } = readSpecMapping(path);
  return parseSpecData(data, path, lineOf);
}

/** Reads a spec file's YAML without validating it, so flags can be layered on first. */
export function readSpecMapping(path: string): YamlMapping {
  const name = path;
  // Releases added beside this spec (`release add --here`) are known while it is in use.
  useProjectReleases(dirname(path));
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new UserError([`${name}: is a directory; pass the spec file (dify-deploy.yaml) with --config`]);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError([
      code === 'ENOENT'
        ? `${name}: file not found; create it with \`dify-deploy init\` or pass --tier`
        : `${name}: cannot read (${code ?? 'error'}); check the path and its permissions`,
    ]);
  }
  return parseYamlMapping(text, name);
}
