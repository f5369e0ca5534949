// Secrets as bytes: every env file dify-deploy writes (.env, .dify-deploy/secrets.env) reads back
// the same string under Docker Compose's parser (an oracle written apart, test/helpers/compose-dotenv.ts)
// and under dotenv; a value neither can carry is refused naming the variable, never its value;
// and through render → re-render, `render --force` over a live .env, and import → render, every
// secret stays identical.
import fc from 'fast-check';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { envFileText, envValue, envValueProblem, parseEnvText } from '../src/io/env-file.js';
import { UserError } from '../src/io/errors.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import { renderDeployment } from '../src/render/index.js';
import { parseComposeEnv } from './helpers/compose-dotenv.js';
import { runCli } from './helpers/cli.js';
import { describeUpstream } from './helpers/upstream.js';
import { userDeployment } from './helpers/user-deployments.js';

/** Strings rich in what env files treat specially, plus arbitrary Unicode. */
const special = fc.constantFrom('#', ' #', "'", '"', '`', '$', '${A}', '$$', '\\', '\\n', '\\"', "\\'", '\n', '\r', '\r\n', '\t', ' ', '=', ':', '\u00a0', '\u0085', '\u2028', '\ufeff', 'é', '😀', 'export ', '\\0123', '\\$');
const anyValue = fc.oneof(
  fc.array(fc.oneof(special, fc.string({ maxLength: 4 }), fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 8 }).map((p) => p.join('')),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ maxLength: 30 }),
);
const ENV_KEY = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,10}$/);

function readsBack(text: string, expected: Record<string, string>): void {
  expect({ ...parseComposeEnv(text) }, 'Docker Compose').toEqual(expected);
  expect(parseDotenv(text), 'dotenv').toEqual(expected);
  expect({ ...parseEnvText(text, '.env').values }, 'dify-deploy').toEqual(expected);
}

describe('the compose oracle reads the documented examples', () => {
  it('quotes, escapes, comments and interpolation as docs.docker.com describes them', () => {
    const text = [
      'A=plain # comment',
      'B=a#b',
      "C='single $A \\n'",
      'D="tab\\there $A \\$A \\\\ \\" end"',
      'E="multi',
      'line"',
      'F=${A:-x}',
      '# G=skipped',
    ].join('\n');
    expect({ ...parseComposeEnv(text) }).toEqual({ A: 'plain', B: 'a#b', C: 'single $A \\n', D: 'tab\there plain $A \\ " end', E: 'multi\nline', F: 'plain' });
  });
});

describe('envValue', () => {
  it('property: a value is either read back identically by Docker Compose, dotenv and dify-deploy, or refused for a reason', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(ENV_KEY, anyValue), { selector: ([k]) => k, maxLength: 6 }), (entries) => {
        const carried = entries.filter(([, v]) => envValueProblem(v) === undefined);
        for (const [k, v] of entries.filter(([, v]) => envValueProblem(v) !== undefined)) {
          // Refused only for NUL, text that is not Unicode, or a mix no quoting carries alike.
          const mix = (/['\r]/.test(v) || v.endsWith('\\')) && /["$\\]/.test(v);
          expect(v.includes('\0') || !Buffer.from(v).toString().includes(v) || mix, JSON.stringify(v)).toBe(true);
          let error: unknown;
          try {
            envValue(v, k);
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(UserError);
          expect((error as UserError).message).toContain(k);
          if (v.length > 3) expect((error as UserError).message).not.toContain(v);
        }
        readsBack(envFileText(['header'], carried), Object.fromEntries(carried));
      }),
      { numRuns: 3000 },
    );
  });

  it('carries the values of the issue: #, spaces, quotes of one kind, newlines, $', () => {
    const values = { A: 'S3cr#t pass word', B: "sk-Long#RandomKey with spaces '…'", C: 'line1\nINJECTED=1', D: 'p$ss"word', E: ' lead and trail ', F: 'back\\slash\\n' };
    const text = envFileText([], Object.entries(values));
    readsBack(text, values);
    expect(text).not.toMatch(/^INJECTED=/m);
  });
});

const spec = (secrets: boolean) =>
  parseSpecData({ tier: '10qps', database: { mode: 'external', host: 'pg.internal', user: 'dify', maxConnections: 500 }, ...(secrets ? {} : {}) }, 'test');
const carriable = anyValue.filter((v) => v.trim() !== '' && envValueProblem(v) === undefined);
// A database password the user gives (an external server's, or a live one adopted) must also pass
// validate's strength rule (render refuses a weak one, issue 26 item 8b): any carriable bytes, inside a
// strong fixed frame.
const givenPassword = carriable.map((v) => `Kx7-Qm2v${v}Rp9-Lz4w`);

describe('secrets survive renders byte for byte', () => {
  it('property: the store (SECRET_KEY, an external DB_PASSWORD, an operator entry) through render → re-render', async () => {
    await fc.assert(
      fc.asyncProperty(carriable, givenPassword, carriable, async (secretKey, dbPassword, extra) => {
        const dir = mkdtempSync(join(tmpdir(), 'dd-bytes-'));
        mkdirSync(join(dir, '.dify-deploy'));
        const stored = { DB_PASSWORD: dbPassword, OPERATOR_NOTE: extra, SECRET_KEY: secretKey };
        writeFileSync(join(dir, '.dify-deploy/secrets.env'), envFileText([], Object.entries(stored)), { mode: 0o600 });
        for (let i = 0; i < 2; i++) {
          const report = await renderDeployment({ spec: spec(true), outDir: dir, target: 'compose' });
          expect(report.written).toBe(true);
          const env = parseComposeEnv(readFileSync(join(dir, '.env'), 'utf8'));
          expect(env.SECRET_KEY).toBe(secretKey);
          expect(env.DB_PASSWORD).toBe(dbPassword);
          expect(parseDotenv(readFileSync(join(dir, '.env'), 'utf8')).DB_PASSWORD).toBe(dbPassword);
          const store = parseComposeEnv(readFileSync(join(dir, '.dify-deploy/secrets.env'), 'utf8'));
          expect({ DB_PASSWORD: store.DB_PASSWORD, OPERATOR_NOTE: store.OPERATOR_NOTE, SECRET_KEY: store.SECRET_KEY }).toEqual(stored);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('property: `render --force` over a live .env keeps its secrets', async () => {
    await fc.assert(
      fc.asyncProperty(carriable, givenPassword, async (secretKey, dbPassword) => {
        const dir = mkdtempSync(join(tmpdir(), 'dd-bytes-'));
        writeFileSync(join(dir, '.env'), envFileText(['a live deployment'], [['SECRET_KEY', secretKey], ['DB_PASSWORD', dbPassword]]));
        await renderDeployment({ spec: spec(true), outDir: dir, target: 'compose', force: true });
        await renderDeployment({ spec: spec(true), outDir: dir, target: 'compose' });
        const env = parseComposeEnv(readFileSync(join(dir, '.env'), 'utf8'));
        expect([env.SECRET_KEY, env.DB_PASSWORD]).toEqual([secretKey, dbPassword]);
      }),
      { numRuns: 25 },
    );
  });

  it('a value the format cannot carry stops the render with exit 2, naming the variable, writing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dd-bytes-'));
    mkdirSync(join(dir, '.dify-deploy'));
    writeFileSync(join(dir, '.dify-deploy/secrets.env'), `DB_PASSWORD=" it's \\"both\\" "\n`);
    const specPath = join(dir, 'spec.yaml');
    writeFileSync(specPath, 'tier: 10qps\ndatabase: {mode: external, host: pg.internal, user: dify, maxConnections: 500}\n');
    const r = await runCli(['render', '--config', specPath, '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/DB_PASSWORD: its value holds both ' and "/);
    expect(r.stderr + r.stdout).not.toContain('both\\');
    expect(existsSync(join(dir, '.env'))).toBe(false);
  });
});

describeUpstream('import → render keeps the live secrets byte for byte', () => {
  it('property: SECRET_KEY and DB_PASSWORD of an upstream .env with any carriable value', async () => {
    await fc.assert(
      fc.asyncProperty(carriable, givenPassword, async (secretKey, dbPassword) => {
        const src = userDeployment('1.16.1', [], { envOnly: true });
        const text = readFileSync(join(src, '.env'), 'utf8')
          .replace(/^SECRET_KEY=.*$/m, () => `SECRET_KEY=${envValue(secretKey, 'SECRET_KEY')}`)
          .replace(/^DB_PASSWORD=.*$/m, () => `DB_PASSWORD=${envValue(dbPassword, 'DB_PASSWORD')}`);
        writeFileSync(join(src, '.env'), text);
        const out = `${src}-adopted`;
        const imported = await runCli(['import', src, '--out', out, '--json']);
        expect(imported.code, imported.stdout).toBe(0);
        const rendered = await runCli(['render', '--config', join(out, 'dify-deploy.yaml')]);
        expect(rendered.code, rendered.stdout + rendered.stderr).toBe(0);
        const env = parseComposeEnv(readFileSync(join(out, '.env'), 'utf8'));
        expect([env.SECRET_KEY, env.DB_PASSWORD]).toEqual([secretKey, dbPassword]);
        expect(parseDotenv(readFileSync(join(out, '.env'), 'utf8')).SECRET_KEY).toBe(secretKey);
      }),
      { numRuns: 10 },
    );
  });
});
