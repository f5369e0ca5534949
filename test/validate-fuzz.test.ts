// Robustness: malformed inputs of every kind through the real CLI entry (run() from
// src/cli.ts). Whatever arrives, validate answers with exit 1 (findings) or 2 (bad input)
// and a message — never an internal error, never a stack trace.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const ROOT = mkdtempSync(join(tmpdir(), 'dd-fuzz-'));
let counter = 0;
function place(name: string, content: string | Uint8Array): string {
  const dir = join(ROOT, String(counter++));
  mkdirSync(dir);
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** `validInputPossible`: the generator can produce a well-formed file (e.g. empty Helm values), which may pass. */
async function expectHandled(args: string[], validInputPossible = false) {
  const r = await runCli(['validate', ...args]);
  const all = r.stdout + r.stderr;
  expect(all).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
  if (validInputPossible && r.code === 0) {
    expect(r.stdout).toMatch(/0 error\(s\)/);
    return;
  }
  expect([1, 2]).toContain(r.code);
  if (r.code === 2) expect(r.stderr).toMatch(/^error: \S/);
  else expect(r.stdout.length).toBeGreaterThan(0);
}

const name = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,20}$/);
const nasty = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('#', '"a#b"', "'q # not a comment'", '${', '${UNCLOSED', '$$', '\\', '"', "'", '=', '`x`', 'redis://:p@h:6379/1', '-1', '0', '1e309', 'NaN'),
  fc.integer().map(String),
  fc.string({ maxLength: 5 }).map((s) => s.repeat(2000)),
);
const envLine = fc.oneof(
  fc.tuple(name, nasty).map(([k, v]) => `${k}=${v}`),
  fc.tuple(name, nasty).map(([k, v]) => `export ${k}=${v}`),
  fc.tuple(name, nasty).map(([k, v]) => `${k}="${v} # inside quotes"`),
  fc.constantFrom('', '# comment', '=novalue', 'NOEQUALS', '   ', 'SQLALCHEMY_POOL_SIZE=abc', 'SERVER_WORKER_AMOUNT=-5', 'POSTGRES_MAX_CONNECTIONS=', 'DB_MAX_OPEN_CONNS=0', 'CELERY_WORKER_CLASS=prefork', 'VECTOR_STORE=pgvector'),
  fc.string({ maxLength: 80 }),
);
const envText = fc
  .tuple(fc.array(envLine, { maxLength: 30 }), fc.boolean(), fc.boolean())
  .map(([lines, crlf, bom]) => (bom ? '\uFEFF' : '') + lines.join(crlf ? '\r\n' : '\n'));

// Mappings whose keys are names JavaScript objects already have: String() or `${}` of one
// throws or lies ("Cannot convert object to primitive value" from `toString: ""`).
const objectMethodKeys = fc.constantFrom('toString', 'valueOf', 'toJSON', 'constructor', '__proto__', 'hasOwnProperty', 'length', 'then');
const jsonish = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(objectMethodKeys, fc.jsonValue({ maxDepth: 2 }), { minKeys: 1 }) },
);
const composeDoc = fc.oneof(
  jsonish,
  fc.record({ services: fc.oneof(jsonish, fc.dictionary(fc.constantFrom('api', 'worker', 'db_postgres', 'plugin_daemon', 'nginx', 'x'), jsonish)) }),
  fc.record({
    services: fc.dictionary(
      fc.constantFrom('api', 'worker', 'worker_beat', 'db_postgres', 'plugin_daemon', 'redis'),
      fc.record(
        {
          image: fc.oneof(fc.constantFrom('langgenius/dify-api:1.13.3', 'langgenius/dify-api:9.9.9', 'postgres:15', 'langgenius/dify-plugin-daemon:x'), jsonish),
          environment: fc.oneof(fc.dictionary(name, fc.oneof(nasty, jsonish)), fc.array(fc.oneof(nasty, jsonish)), jsonish),
          env_file: fc.oneof(fc.constantFrom('./.env', './missing.env'), fc.array(fc.oneof(fc.string(), jsonish)), jsonish),
          deploy: fc.oneof(fc.record({ replicas: fc.oneof(fc.integer(), nasty) }), jsonish),
          command: fc.oneof(fc.constantFrom("postgres -c 'max_connections=${POSTGRES_MAX_CONNECTIONS:-100}'", 'redis-server --requirepass x'), jsonish),
          profiles: fc.oneof(fc.array(fc.string()), jsonish),
        },
        { requiredKeys: [] },
      ),
    ),
  }),
);
const yamlText = (doc: fc.Arbitrary<unknown>) =>
  fc.oneof(
    doc.map((d) => stringify(d)),
    fc.string({ maxLength: 200 }),
    fc.constantFrom('a: [1, 2', 'key: value\n  bad: indent', '- just\n- a list', '&a x: *b', 'a: &x 1\nb: *x\nc: *nope', 'services:\n  api:\n    <<: *missing', '\t\tservices: {', '"unterminated', 'x: !!binary zzz'),
  );
const binary = fc.uint8Array({ minLength: 1, maxLength: 300 });

describe('validate never crashes on malformed input (≥ 1,000 cases through run())', () => {
  it('.env files: CRLF, BOM, export, quotes with #, long values, junk (400 cases)', async () => {
    await fc.assert(fc.asyncProperty(envText, async (text) => expectHandled(['--env', place('.env', text)])), { numRuns: 400 });
  });

  it('compose files: broken YAML, wrong types, odd anchors, beside a junk .env (300 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(yamlText(composeDoc), envText, async (compose, env) => {
        const path = place('docker-compose.yaml', compose);
        writeFileSync(join(path, '..', '.env'), env);
        await expectHandled(['--compose', path]);
      }),
      { numRuns: 300 },
    );
  });

  it('spec files and Helm values: any YAML, wrong types (200 cases)', async () => {
    const specDoc = fc.oneof(jsonish, fc.record({ tier: fc.oneof(fc.constantFrom('10qps', '7qps'), jsonish), database: jsonish, release: fc.oneof(fc.constantFrom('1.13.3', '0.0.1'), jsonish) }, { requiredKeys: [] }));
    await fc.assert(
      fc.asyncProperty(yamlText(specDoc), yamlText(jsonish), fc.boolean(), async (spec, values, which) =>
        expectHandled(which ? ['--config', place('dify-deploy.yaml', spec)] : ['--helm-values', place('values.yaml', values)], true),
      ),
      // The first: a spec's `release` as a mapping with a `toString` key crashed the error message (stop 25's CI).
      { numRuns: 200, examples: [['release:\n  toString: ""\n', 'a: [1, 2', true]] },
    );
  });

  it('binary junk, missing files, directories where files belong, files where a directory belongs (150 cases)', async () => {
    const flag = fc.constantFrom('--env', '--compose', '--config', '--helm-values');
    await fc.assert(
      fc.asyncProperty(flag, fc.constantFrom('binary', 'missing', 'directory', 'file-as-dir', 'bad-flag'), binary, async (f, kind, bytes) => {
        const args = {
          binary: () => [f, place('input', bytes)],
          missing: () => [f, join(ROOT, 'does-not-exist', String(counter++))],
          directory: () => [f, join(place('x', ''), '..')],
          'file-as-dir': () => [place('not-a-dir', 'x')],
          'bad-flag': () => [f, place('.env', 'A=1'), '--format', 'yaml'],
        }[kind]();
        await expectHandled(args);
      }),
      { numRuns: 150 },
    );
  });
});
