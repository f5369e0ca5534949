// Issue 26 item 8b: render and validate judge a user-given secret by one rule. Whatever
// credential the spec hands to an external service (database, Redis, vector store), render
// either refuses it naming the spec field (exit 2, nothing written), or writes files that
// `validate` passes without an insecure-secret finding — never files its own validate rejects.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { writeFileSync } from 'node:fs';
import { runCli } from './helpers/cli.js';

/** A random-looking value of `n` characters (distinct enough to pass any repetition check). */
const valueOf = (n: number) => 'Zq7-xW2_pR9kLm4vB8nT3yHs6dFg5jCe'.repeat(2).slice(0, n);

const cases: { field: string; variable: string; spec: (v: string) => Record<string, unknown> }[] = [
  { field: 'vectorStore.apiKey', variable: 'QDRANT_API_KEY', spec: (v) => ({ vectorStore: { type: 'qdrant', mode: 'external', url: 'https://qdrant.internal:6333', apiKey: v } }) },
  { field: 'vectorStore.apiKey', variable: 'WEAVIATE_API_KEY', spec: (v) => ({ vectorStore: { type: 'weaviate', mode: 'external', url: 'http://weaviate.internal:8080', apiKey: v } }) },
  { field: 'vectorStore.password', variable: 'PGVECTOR_PASSWORD', spec: (v) => ({ vectorStore: { type: 'pgvector', mode: 'external', host: 'pgv.internal', user: 'u', password: v, database: 'vec' } }) },
  { field: 'database.password', variable: 'DB_PASSWORD', spec: (v) => ({ database: { mode: 'external', host: 'pg.internal', user: 'dify', password: v, maxConnections: 1000 } }) },
  { field: 'redis.password', variable: 'REDIS_PASSWORD', spec: (v) => ({ redis: { mode: 'external', host: 'redis.internal', password: v } }) },
];

describe('render and validate agree on user-given secrets', () => {
  for (const c of cases)
    for (const length of [8, 11, 12, 14, 15, 16, 24])
      it(`${c.variable} of ${length} characters from ${c.field}`, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'dd-spec-secret-'));
        const specPath = join(dir, 'dify-deploy.yaml');
        const value = valueOf(length);
        writeFileSync(specPath, stringify({ tier: '10qps', ...c.spec(value) }));
        const out = join(dir, 'out');
        const rendered = await runCli(['render', '--config', specPath, '--out', out, '--target', 'compose']);
        expect(rendered.stdout + rendered.stderr).not.toContain(value);
        if (rendered.code === 0) {
          const validated = await runCli(['validate', out, '--format', 'json']);
          const insecure = (JSON.parse(validated.stdout).diagnostics as { rule: string; data?: { variable?: string } }[]).filter((d) => d.rule === 'insecure-secret');
          expect(insecure, 'render wrote files its own validate rejects').toEqual([]);
        } else {
          expect(rendered.code).toBe(2);
          expect(rendered.stderr).toMatch(new RegExp(`${c.field.replace('.', '\\.')}: ${c.variable} .* is only ${length} characters`));
          expect(existsSync(out)).toBe(false);
        }
      });
});
