// Credentials never printed: `plan` (text and JSON) shows the env it sets without a URL's
// password, and a spec error does not echo the bad value of a field that may hold a credential
// or a value carrying a URL password. Planted marker strings must not appear in any output.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runCli } from './helpers/cli.js';

const SPECS: Record<string, string> = {
  'OTLP and Sentry URLs with a password (plan runs)': 'tier: 10qps\nobservability: { sentryDsn: "https://pub:SEKRETpw1@sentry.example.com/1", otlpEndpoint: "https://u:SEKRETpw2@otel.example.com" }\n',
  'a bad event-bus URL with a password': 'tier: 10qps\nredis: { eventBus: { mode: external, url: "http://:SEKRETpw5@x" } }\n',
  'a bad Sentry DSN': 'tier: 10qps\nobservability: { sentryDsn: "not a url SEKRETpw6" }\n',
  'a password of the wrong type': 'tier: 10qps\ndatabase: { mode: external, host: db, maxConnections: 50, password: [SEKRETpw7] }\n',
};

test.each(Object.entries(SPECS))('%s: no credential in plan output or errors', async (_, text) => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-redact-'));
  writeFileSync(join(dir, 'spec.yaml'), text);
  for (const extra of [[], ['--json']]) {
    const r = await runCli(['plan', '--config', join(dir, 'spec.yaml'), ...extra]);
    expect(r.stdout + r.stderr).not.toMatch(/SEKRETpw/);
    expect(r.stdout + r.stderr).toMatch(/sentry|otel|eventBus|database|error/i);
  }
});
