#!/usr/bin/env node
// Generates releases/known-env/<version>.json: every environment variable a Dify release
// documents for docker compose — the keys of docker/.env.example, docker/envs/**/*.env.example
// (active or commented-out assignments) and the ${VAR} names its compose template interpolates —
// and releases/env-defaults/<version>.json: each variable's upstream default with the file and
// line it comes from (.env.example first, then envs/**, then the template's ${VAR:-default}),
// which `import` (what counts as a user's setting) and `upgrade` (changed defaults) read.
// Reads the unmodified upstream copies (default ../shared/upstream); rerun when a release is added:
//   node scripts/known-env.mjs [UPSTREAM_DIR]
import { readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const upstream = process.argv[2] ?? join(root, '..', 'shared', 'upstream');

/** Variable names assigned in an env file, including commented-out examples (`# VAR=value`). */
export function envFileKeys(text) {
  const keys = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*#?\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=/.exec(line);
    if (m) keys.push(m[1]);
  }
  return keys;
}

/** Variable names a compose file interpolates: ${VAR}, ${VAR:-default}, ${VAR:?err}. */
export function composeKeys(text) {
  // `$${VAR}` is an escaped dollar (a shell variable inside a command), not interpolation.
  return [...text.matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]);
}

function envExampleFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...envExampleFiles(path));
    else if (name.endsWith('.env.example')) out.push(path);
  }
  return out;
}

/** Active assignments (`VAR=value`, not commented out) with their 1-based line, values as dotenv reads them. */
export function envFileDefaults(text) {
  const out = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const m = /^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) return;
    let value = m[2].trim();
    const quoted = /^(['"`])([\s\S]*)\1$/.exec(value);
    value = quoted ? quoted[2] : value.replace(/#.*$/, '').trim(); // dotenv: an unquoted # starts a comment
    out.push({ name: m[1], value, line: i + 1 });
  });
  return out;
}

/** `${VAR:-default}` / `${VAR-default}` defaults of a compose file (the first one per variable), with lines. */
export function composeDefaults(text) {
  const out = [];
  text.split(/\r?\n/).forEach((line, i) => {
    for (const m of line.matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*):?-([^}$]*)\}/g)) out.push({ name: m[1], value: m[2], line: i + 1 });
  });
  return out;
}

export function envDefaultsFor(releaseDir) {
  const docker = join(releaseDir, 'docker');
  const files = [join(docker, '.env.example')];
  if (existsSync(join(docker, 'envs'))) files.push(...envExampleFiles(join(docker, 'envs')));
  const defaults = {};
  const add = (file, entries) => {
    for (const { name, value, line } of entries) defaults[name] ??= { value, source: `${relative(upstream, file)}:${line}` };
  };
  for (const file of files) if (existsSync(file)) add(file, envFileDefaults(readFileSync(file, 'utf8')));
  const template = join(docker, 'docker-compose-template.yaml');
  add(template, composeDefaults(readFileSync(template, 'utf8')));
  return Object.fromEntries(Object.keys(defaults).sort().map((k) => [k, defaults[k]]));
}

export function knownEnvFor(releaseDir) {
  const docker = join(releaseDir, 'docker');
  const sources = [join(docker, '.env.example')];
  if (existsSync(join(docker, 'envs'))) sources.push(...envExampleFiles(join(docker, 'envs')));
  const names = new Set();
  for (const file of sources) if (existsSync(file)) envFileKeys(readFileSync(file, 'utf8')).forEach((k) => names.add(k));
  const template = join(docker, 'docker-compose-template.yaml');
  composeKeys(readFileSync(template, 'utf8')).forEach((k) => names.add(k));
  return { sources: [...sources, template].filter(existsSync).map((f) => relative(upstream, f)), variables: [...names].sort() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const index = JSON.parse(readFileSync(join(root, 'releases', 'index.json'), 'utf8'));
  for (const version of index.releases) {
    const dir = join(upstream, `dify-${version}`);
    if (!existsSync(dir)) throw new Error(`no upstream copy of Dify ${version} at ${dir}`);
    const { sources, variables } = knownEnvFor(dir);
    const out = { version, generatedBy: 'scripts/known-env.mjs', sources, variables };
    writeFileSync(join(root, 'releases', 'known-env', `${version}.json`), `${JSON.stringify(out, null, 2)}\n`);
    const defaults = envDefaultsFor(dir);
    const defaultsOut = { version, generatedBy: 'scripts/known-env.mjs', source: `langgenius/dify ${version} docker/ (file:line per variable)`, defaults };
    writeFileSync(join(root, 'releases', 'env-defaults', `${version}.json`), `${JSON.stringify(defaultsOut, null, 2)}\n`);
    console.log(`releases/known-env/${version}.json: ${variables.length} variables; env-defaults: ${Object.keys(defaults).length}`);
  }
}
