// The Helm values checker against the real chart files: vendored copies equal upstream,
// Helm's merge rules, quantities, and the chart's own CI value files (no false alarms,
// the dead keys reported).
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { PACKAGE_ROOT } from '../src/core/data.js';
import { chartVersions, loadChart, pathMatches } from '../src/helm/chart.js';
import { checkHelmValues } from '../src/helm/check.js';
import { dotted } from '../src/helm/merge.js';
import { coalesceValues } from '../src/helm/merge.js';
import { cpuQuantity, parseQuantity } from '../src/helm/quantity.js';
import { testUpstream, UPSTREAM, UPSTREAM_REQUIRED } from './helpers/upstream.js';
import { chartDir, helmBinary, runHelm } from './helpers/helm.js';
import { stringifyYaml } from '../src/io/yaml-doc.js';

const VERSIONS = chartVersions();
const ciDir = (v: string) => join(UPSTREAM, `dify-helm-${v}`, 'ci-values');

/** Every key path (maps only; lists are leaves) of a parsed YAML document. */
function keyPaths(value: unknown, path: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [path];
  return Object.entries(value).flatMap(([k, v]) => [[...path, k], ...keyPaths(v, [...path, k]).filter((p) => p.length > path.length + 1)]);
}

test('both chart versions the release table names are vendored', () => {
  expect(VERSIONS.sort()).toEqual(['0.37.0', '0.38.0-rc2']);
});

describe.each(VERSIONS)('vendored dify-helm %s', (v) => {
  testUpstream.each(['values.yaml', 'values.schema.json', 'Chart.yaml'])('%s is byte-identical to upstream', (file) => {
    expect(readFileSync(join(PACKAGE_ROOT, 'schemas', `dify-helm-${v}`, file))).toEqual(readFileSync(join(UPSTREAM, `dify-helm-${v}`, file)));
  });
  testUpstream('LICENSE is the chart repository licence', () => {
    expect(readFileSync(join(PACKAGE_ROOT, 'schemas', `dify-helm-${v}`, 'LICENSE'))).toEqual(readFileSync(join(UPSTREAM, 'dify-helm-LICENSE')));
  });
  test('no dead key is also listed as read by a template, and dead keys are absent from values.yaml', () => {
    const { keys, defaults } = loadChart(v);
    const accepted = [...keys.templateOnly, ...keys.openMaps].map((k) => k.path);
    for (const d of keys.dead) {
      expect(accepted.some((a) => pathMatches(a, d.path.split('.')) || a === d.path)).toBe(false);
      expect(keyPaths(defaults).some((p) => pathMatches(d.path, p))).toBe(false);
    }
  });
  test('the chart defaults alone pass every check', () => {
    expect(checkHelmValues({}, v)).toEqual([]);
    expect(checkHelmValues(null, v)).toEqual([]);
  });

  testUpstream.each(UPSTREAM_REQUIRED ? readdirSync(ciDir(v)) : ['(fixtures missing)'])("the chart's CI file %s: only its dead keys are reported", (file) => {
    const values = parse(readFileSync(join(ciDir(v), file), 'utf8'));
    const { keys } = loadChart(v);
    const expected = keyPaths(values)
      .filter((p) => keys.dead.some((d) => pathMatches(d.path, p)))
      .map((p) => p.join('.'))
      .sort();
    const findings = checkHelmValues(values, v);
    expect(findings.filter((f) => f.rule !== 'helm-dead-key')).toEqual([]);
    expect(findings.map((f) => dotted(f.path)).sort()).toEqual(expected);
  });
});

testUpstream('the dead keys the issue names are reported in 0.37.0 ESO files', () => {
  const values = parse(readFileSync(join(ciDir('0.37.0'), 'values-eso-external-s3-pg-es-redis.yaml'), 'utf8'));
  const reported = checkHelmValues(values, '0.37.0').map((f) => dotted(f.path));
  expect(reported).toEqual(expect.arrayContaining(['externalS3.useSSL', 'proxy.service', 'externalSecret.api.refreshInterval']));
});

describe('findings on broken values (0.38.0-rc2)', () => {
  const check = (values: unknown) => checkHelmValues(values, '0.38.0-rc2');
  test('a misspelt key is an unknown key with a did-you-mean', () => {
    const [f] = check({ api: { replcas: 2 } });
    expect(f).toMatchObject({ rule: 'helm-unknown-key', path: ['api', 'replcas'] });
    expect(f.message).toContain('did you mean "replicas"');
  });
  test('a key like none of the chart\'s points to --chart, for values written for a newer chart', () => {
    const [f] = check({ worker: { newFeatureFlag: true } });
    expect(f).toMatchObject({ rule: 'helm-unknown-key', path: ['worker', 'newFeatureFlag'] });
    expect(f.fix).toContain('--chart PATH');
  });
  test('keys only templates read, and free-form maps, are accepted', () => {
    expect(
      check({
        nameOverride: 'x',
        service: { type: 'LoadBalancer', loadBalancerIP: '10.0.0.1', annotations: { a: 'b' } },
        api: { autoscaling: { targetMemoryUtilizationPercentage: 80 }, nodeSelector: { pool: 'a' }, podSecurityContext: { runAsNonRoot: true } },
        image: { api: { pullSecrets: ['reg'] } },
        redis: { master: { persistence: { size: '20Gi' } } },
      }),
    ).toEqual([]);
  });
  test('a non-string env value', () => {
    const [f] = check({ api: { extraEnv: [{ name: 'SERVER_WORKER_AMOUNT', value: 4 }] } });
    expect(f).toMatchObject({ rule: 'helm-env-value', path: ['api', 'extraEnv', 0, 'value'] });
  });
  test('valueFrom entries are fine', () => {
    expect(check({ api: { extraEnv: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] } })).toEqual([]);
  });
  test('bad quantities and requests above limits, subcharts included', () => {
    const rules = check({
      api: { resources: { limits: { cpu: '2 cores', memory: '4Gi' }, requests: { memory: '8Gi' } } },
      postgresql: { primary: { resources: { requests: { memory: '1GB' } } } },
    }).map((f) => `${f.rule} ${dotted(f.path)}`);
    expect(rules.sort()).toEqual(['helm-quantity api.resources.limits.cpu', 'helm-quantity api.resources.requests.memory', 'helm-quantity postgresql.primary.resources.requests.memory'].sort());
  });
  test('a wrong type fails the chart schema', () => {
    expect(check({ api: { replicas: '3' } })).toEqual([expect.objectContaining({ rule: 'helm-schema', path: ['api', 'replicas'] })]);
  });
  test('HPA bounds and replicas that fight the HPA', () => {
    const rules = check({ web: { replicas: 3, autoscaling: { enabled: true, minReplicas: 4, maxReplicas: 2 } } }).map((f) => `${f.severity} ${dotted(f.path)}`);
    expect(rules.sort()).toEqual(['error web.autoscaling.minReplicas', 'warning web.replicas']);
  });
  test('a values file that is not a mapping', () => {
    expect(check(['a'])[0].rule).toBe('helm-schema');
  });
  test('an unknown chart version is a user error', () => {
    expect(() => checkHelmValues({}, '0.37')).toThrow(/known chart versions/);
  });
});

describe('Helm merge', () => {
  test('maps merge, lists replace, null deletes', () => {
    const merged = coalesceValues({ a: { b: 1, c: [1, 2], d: 'x' }, e: 1 }, { a: { c: [3], d: null }, f: 2 });
    expect(merged).toEqual({ a: { b: 1, c: [3] }, e: 1, f: 2 });
  });
  test('property: every override leaf wins, every untouched default survives, inputs are not mutated', () => {
    const leaf = fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer(), { maxLength: 3 }));
    const tree = fc.letrec((tie) => ({ node: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.oneof({ depthSize: 'small' }, leaf, tie('node')), { maxKeys: 4 }) })).node;
    fc.assert(
      fc.property(tree, tree, (defaults, overrides) => {
        const before = JSON.stringify(defaults);
        const merged = coalesceValues(defaults as Record<string, unknown>, overrides as Record<string, unknown>);
        expect(JSON.stringify(defaults)).toBe(before);
        const get = (o: unknown, p: string[]) => p.reduce<unknown>((n, k) => (n as Record<string, unknown>)?.[k], o);
        for (const p of keyPaths(overrides)) {
          const v = get(overrides, p);
          if (typeof v !== 'object' || Array.isArray(v)) expect(get(merged, p)).toEqual(v);
        }
        for (const p of keyPaths(defaults)) if (get(overrides, p.slice(0, 1)) === undefined) expect(get(merged, p)).toEqual(get(defaults, p));
      }),
    );
  });
});

describe('Kubernetes quantities', () => {
  test.each([
    ['500m', 0.5],
    ['2', 2],
    [2, 2],
    ['1.5', 1.5],
    ['512Mi', 512 * 2 ** 20],
    ['4Gi', 4 * 2 ** 30],
    ['1G', 1e9],
    ['1e3', 1000],
  ])('%s parses', (raw, n) => expect(parseQuantity(raw)).toBeCloseTo(n as number));
  test.each(['', '2 cores', '1GB', '4gi', ' 1', 'Mi', '1.2.3', null, true])('%s is not a quantity', (raw) => expect(parseQuantity(raw)).toBeNull());
  test('property: cpuQuantity writes a quantity that reads back to the milli-core', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 256_000 }), (milli) => {
      expect(parseQuantity(cpuQuantity(milli / 1000))).toBeCloseTo(milli / 1000, 6);
    }));
  });
});

// checkHelmValues mirrors what Helm itself checks (values.schema.json) so validate works on
// machines without Helm. Real Helm is the reference: on random type mutations of the chart's
// own values, Helm's schema complaints and the checker's helm-schema findings name the same keys.
describe.skipIf(!helmBinary() || !UPSTREAM_REQUIRED)('the chart-schema findings agree with real Helm', () => {
  const leaves = (value: unknown, path: string[] = []): string[][] =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]))
      : [path];
  const mutate = (v: unknown): unknown => (typeof v === 'string' ? 7 : typeof v === 'number' ? 'seven' : typeof v === 'boolean' ? 'maybe' : Array.isArray(v) ? 'a-list' : v === null ? { x: 1 } : 'text');
  const setIn = (target: Record<string, any>, path: string[], value: unknown) => {
    let node = target;
    for (const k of path.slice(0, -1)) node = node[k] ??= {};
    node[path[path.length - 1]] = value;
  };
  /** The key paths of Helm's "values don't meet the specifications of the schema(s)" list. */
  const helmSchemaPaths = (out: string) =>
    [...new Set([...out.matchAll(/^- ([^:\s]+): /gm)].map((m) => m[1]))].sort();

  test.each(VERSIONS)('%s', async (v) => {
    const { defaults, keys } = loadChart(v);
    const candidates = leaves(defaults).filter((p) => p.length > 0 && !(p[0] in keys.subcharts) && p[0] !== 'externalSecret');
    const dir = mkdtempSync(join(tmpdir(), 'dd-diff-'));
    let schemaCases = 0;
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.constantFrom(...candidates), { minLength: 1, maxLength: 3, selector: (p) => p.join('.') }), async (paths) => {
        const values: Record<string, any> = {};
        for (const p of paths) setIn(values, p, mutate(p.reduce<any>((n, k) => n?.[k], defaults)));
        const file = join(dir, 'values.yaml');
        writeFileSync(file, stringifyYaml(values));
        const lint = await runHelm(['lint', chartDir(v), '-f', file]);
        const helm = helmSchemaPaths(lint.stdout + lint.stderr);
        const ours = [...new Set(checkHelmValues(values, v).filter((f) => f.rule === 'helm-schema').map((f) => dotted(f.path)))].sort();
        if (helm.length) schemaCases++;
        expect(ours, `mutated ${paths.map((p) => p.join('.')).join(', ')}`).toEqual(helm);
      }),
      { numRuns: 15, seed: 13 },
    );
    expect(schemaCases, 'some mutations break the schema').toBeGreaterThan(0);
  });
});

// `api:` with every key under it commented out: real Helm deletes the block and its templates fail.
describe.skipIf(!helmBinary() || !UPSTREAM_REQUIRED)('an empty (null) block of the chart agrees with real helm template', () => {
  // Component, backend and global blocks; subcharts and empty maps (which render without their defaults). Each is a Helm run.
  const BLOCKS = ['api', 'worker', 'web', 'pluginDaemon', 'externalRedis', 'global', 'postgresql', 'weaviate', 'nodeSelector', 'tolerations'];
  test.each(VERSIONS)('%s', async (v) => {
    const dir = mkdtempSync(join(tmpdir(), 'dd-null-'));
    const results = await Promise.all(
      BLOCKS.map(async (key) => {
        const file = join(dir, `${key}.yaml`);
        writeFileSync(file, `${key}:\n  # replicas: 2\n`);
        const rendered = (await runHelm(['template', 'dify', chartDir(v), '-f', file])).code === 0;
        const flagged = checkHelmValues({ [key]: null }, v).some((f) => f.rule === 'helm-null-block' && f.severity === 'error' && dotted(f.path) === key);
        return { key, rendered, flagged };
      }),
    );
    // Flagged exactly where Helm fails to render.
    expect(results.filter((r) => r.flagged === r.rendered)).toEqual([]);
    expect(results.filter((r) => r.flagged).map((r) => r.key)).toEqual(['api', 'worker', 'web', 'pluginDaemon', 'externalRedis', 'global']);
  });
});
