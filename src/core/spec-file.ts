// Reading dify-deploy.yaml: YAML syntax errors with their line; schema errors via spec-parse.
import { readUserText } from '../io/user-file.js';
import { dirname } from 'node:path';
import { useProjectReleases } from './releases/store.js';
import { UserError } from '../io/errors.js';
import { parseYamlDocument } from '../io/yaml-doc.js';
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
  // Releases added beside this spec (`release add --here`) are known while it is in use.
  useProjectReleases(dirname(path));
  const text = readUserText(path, { what: 'spec file', hint: 'pass the spec file (dify-deploy.yaml) with --config; create one with `dify-deploy init` or pass --tier' });
  return parseYamlMapping(text, path);
}
