// insecure-secret on Helm values: a credential left at the chart's sample value (or a
// published Dify default) is public. Warnings, because the chart's own CI files carry them
// by design; never for a block that is off, reads an existingSecret, or under ESO.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { describeUpstream, UPSTREAM, UPSTREAM_REQUIRED } from './helpers/upstream.js';

type Diag = { rule: string; severity: string; line?: number; message: string };
async function secretFindings(file: string): Promise<Diag[]> {
  const r = await runCli(['validate', '--helm-values', file, '--format', 'json']);
  return (JSON.parse(r.stdout).diagnostics as Diag[]).filter((d) => d.rule === 'insecure-secret');
}

const ciFiles = (UPSTREAM_REQUIRED ? ['dify-helm-0.37.0', 'dify-helm-0.38.0-rc2'] : []).flatMap((chart) =>
  readdirSync(`${UPSTREAM}${chart}/ci-values`).map((f) => ({ chart, file: `${UPSTREAM}${chart}/ci-values/${f}` })),
);

describeUpstream("the chart's own CI value files", () => {
  it.each(ciFiles)('$file: sample credentials are warnings (and none under ESO)', async ({ file }) => {
    const findings = await secretFindings(file);
    expect(findings.every((d) => d.severity === 'warning')).toBe(true);
    if (file.includes('values-eso')) expect(findings).toEqual([]);
    else {
      // The chart's sample SECRET_KEY is used whenever the values do not replace it.
      expect(findings.map((d) => d.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^global\.appSecretKey is a sample value/)]));
      expect(findings.some((d) => /^pluginDaemon\.auth\.serverKey /.test(d.message))).toBe(true);
    }
  });
});

describe("a user's values", () => {
  const file = (text: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'dd-helm-secret-')), 'values.yaml');
    writeFileSync(path, text);
    return path;
  };

  it('names the line of a published default the user wrote, and stays quiet for real secrets', async () => {
    const findings = await secretFindings(
      file('image:\n  api:\n    tag: 1.16.1\nglobal:\n  appSecretKey: sk-9f73s3ljTXVcMT3Blb3ljTqtsKiGHXVcMT3BlbkFJLK7U\nredis:\n  auth:\n    password: difyai123456\n'),
    );
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ line: 5, message: expect.stringMatching(/^global\.appSecretKey is a sample value/) }),
        expect.objectContaining({ line: 8, message: expect.stringMatching(/^redis\.auth\.password is a sample value/) }),
      ]),
    );
    const strong = await secretFindings(
      file(
        'image:\n  api:\n    tag: 1.16.1\nglobal:\n  appSecretKey: sk-Zq3nR8vLx2Kp9Tf4Wm7Yb1Hc6Jd0Ge5Us\napi:\n  auth:\n    internalApiKey: Vn4Rk8Lq2Xz6Bm0Tc9Pw3Yh7Js1Df5Ga\nsandbox:\n  auth:\n    apiKey: Qm2Wn6Er0Ty4Ui8Op3As7Df1Gh5Jk9Lz\npluginDaemon:\n  auth:\n    serverKey: Hx5Cv9Bn3Mq7Wr1Ety6Ui0Op4As8Df2G\nredis:\n  auth:\n    existingSecret: dify-redis\npostgresql:\n  global:\n    postgresql:\n      auth:\n        postgresPassword: Pk7Lm3Nb9Vc1Xz5As2Df8Gh4Jk0Qw6Er\nagentBackend:\n  auth:\n    serverSecretKey: Rt8Yu2Io6Pa0Sd4Fg9Hj3Kl7Zx1Cv5Bn\n',
      ),
    );
    expect(strong).toEqual([]);
  });
});
