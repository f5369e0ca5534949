// Adopting an existing deployment's .env: live secrets are kept, but a value anyone can read
// (upstream's published defaults and placeholders) never is. A SECRET_KEY already in use is not
// rotated behind the operator's back: the render stops and says how to rotate it safely.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { releaseVersions } from '../src/core/data.js';
import { parseSpecData } from '../src/core/spec-parse.js';
import { renderDeployment } from '../src/render/index.js';
import { SECRETS } from '../src/render/secrets.js';
import { describeUpstream, UPSTREAM, UPSTREAM_REQUIRED } from './helpers/upstream.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'dify-adopt-'));
const envExample = (v: string) => join(UPSTREAM, `dify-${v}`, 'docker', '.env.example');

describeUpstream('render --force over an adopted upstream .env', () => {
  for (const version of UPSTREAM_REQUIRED ? releaseVersions() : []) {
    const upstream = () => parseDotenv(readFileSync(envExample(version), 'utf8'));
    const ships = () => SECRETS.filter((d) => (upstream()[d.name] ?? '') !== '').map((d) => d.name);

    if (upstream().SECRET_KEY) {
      it(`${version}: the published SECRET_KEY of a live .env is refused with the rotation procedure; nothing written`, async () => {
        const dir = fresh();
        copyFileSync(envExample(version), join(dir, '.env'));
        const spec = parseSpecData({ tier: '10qps', release: version }, 'test');
        await expect(renderDeployment({ spec, outDir: dir, target: 'compose', force: true })).rejects.toThrow(/SECRET_KEY.*published.*rotat/is);
        expect(readdirSync(dir)).toEqual(['.env']);
      });
      continue;
    }
    it(`${version}: every published default secret is replaced and reported`, async () => {
      const dir = fresh();
      copyFileSync(envExample(version), join(dir, '.env'));
      const spec = parseSpecData({ tier: '10qps', release: version }, 'test');
      const report = await renderDeployment({ spec, outDir: dir, target: 'compose', force: true });
      expect(report.written).toBe(true);
      const ours = parseDotenv(readFileSync(join(dir, '.env'), 'utf8'));
      const replaced = ships().filter((name) => ours[name] !== undefined);
      expect(replaced.length).toBeGreaterThan(3);
      for (const name of replaced) {
        expect(ours[name], name).not.toBe(upstream()[name]);
        expect(report.notices.join('\n')).toContain(name);
      }
      // No value of the adopted file's secrets survives anywhere in .env.
      const published = new Set(ships().map((n) => upstream()[n]));
      for (const [k, v] of Object.entries(ours)) if (v.length >= 8) expect(published.has(v), k).toBe(false);
    });
  }
});

describe('adopted secrets that are not published', () => {
  it('a strong live SECRET_KEY is kept and nothing is reported', async () => {
    const dir = fresh();
    writeFileSync(join(dir, '.env'), 'SECRET_KEY=sk-my-live-key-0123456789abcdef\nDB_PASSWORD=live-db-password-xyz\n');
    const spec = parseSpecData({ tier: '10qps' }, 'test');
    const report = await renderDeployment({ spec, outDir: dir, target: 'compose', force: true });
    expect(report.notices).toEqual([]);
    expect(parseDotenv(readFileSync(join(dir, '.env'), 'utf8')).SECRET_KEY).toBe('sk-my-live-key-0123456789abcdef');
    expect(existsSync(join(dir, '.dify-deploy/secrets.env'))).toBe(true);
  });
});

describeUpstream('adopting a 1.14+ .env whose SECRET_KEY is empty (Dify generated and stored its own)', () => {
  const adopt = (edits: Record<string, string>, keyFile?: string) => {
    const dir = fresh();
    let env = readFileSync(envExample('1.16.1'), 'utf8');
    for (const [k, v] of Object.entries(edits)) env = env.replace(new RegExp(`^${k}=.*$`, 'm'), `${k}=${v}`);
    writeFileSync(join(dir, '.env'), env);
    if (keyFile !== undefined) {
      mkdirSync(join(dir, 'volumes/app/storage'), { recursive: true });
      writeFileSync(join(dir, 'volumes/app/storage/.dify_secret_key'), keyFile);
    }
    return dir;
  };

  it('local storage: the generated key in the storage volume is kept, not replaced', async () => {
    const dir = adopt({}, 'live-generated-key-0123456789abcdefghijkl\n');
    await renderDeployment({ spec: parseSpecData({ tier: '10qps', release: '1.16.1' }, 'test'), outDir: dir, target: 'compose', force: true });
    expect(parseDotenv(readFileSync(join(dir, '.env'), 'utf8')).SECRET_KEY).toBe('live-generated-key-0123456789abcdefghijkl');
  });

  it('object storage: the key is not readable here, so the render stops saying where it is; nothing written', async () => {
    const dir = adopt({ STORAGE_TYPE: 's3' });
    const spec = parseSpecData({ tier: '10qps', release: '1.16.1', storage: { type: 's3', bucket: 'b', region: 'r', useIam: true } }, 'test');
    await expect(renderDeployment({ spec, outDir: dir, target: 'compose', force: true })).rejects.toThrow(/SECRET_KEY: .*\.dify_secret_key in its s3 storage/);
    expect(readdirSync(dir)).toEqual(['.env']);
  });
});

describe('overrides.env with a published default secret', () => {
  it('is refused like any other path, naming the key and not the value; nothing written', async () => {
    const published = parseDotenv(readFileSync(envExample('1.16.1'), 'utf8'));
    for (const [where, overrides] of [
      ['overrides.env.DB_PASSWORD', { env: { DB_PASSWORD: 'difyai123456' } }],
      ['overrides.env.SECRET_KEY', { env: { SECRET_KEY: published.SECRET_KEY || 'sk-9f73s3ljTXVcMT3Blb3ljTqtsKiGHXVcMT3BlbkFJLK7U' } }],
      ['overrides.components.api.env.WEAVIATE_API_KEY', { components: { api: { env: { WEAVIATE_API_KEY: 'WVF5YThaHlkYwhGUSmCRgsX3tD5ngdN8pkih' } } } }],
    ] as const) {
      const dir = fresh();
      const spec = parseSpecData({ tier: '10qps', overrides }, 'test');
      const error = await renderDeployment({ spec, outDir: dir, target: 'compose' }).catch((e: Error) => e);
      expect(String(error)).toContain(`${where}: is a published upstream default`);
      expect(String(error)).not.toMatch(/difyai123456|WVF5YTha|sk-9f73/);
      expect(readdirSync(dir)).toEqual([]);
    }
    // A value of the operator's own is kept.
    const own = parseSpecData({ tier: '10qps', overrides: { env: { DB_PASSWORD: 'an-own-strong-db-password-0123' } } }, 'test');
    expect((await renderDeployment({ spec: own, outDir: fresh(), target: 'compose' })).written).toBe(true);
  });
});
