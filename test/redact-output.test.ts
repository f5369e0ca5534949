// Credentials never printed: `plan` (text and JSON) shows the env it sets without a URL's
// password, and a spec error does not echo the bad value of a field that may hold a credential
// or a value carrying a URL password. Planted marker strings must not appear in any output.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { redactUrlPasswords } from '../src/core/redact.js';
import { runCli } from './helpers/cli.js';

const SPECS: Record<string, string> = {
  'OTLP and Sentry URLs with a password (plan runs)': 'tier: 10qps\nobservability: { sentryDsn: "https://pub:SEKRETpw1@sentry.example.com/1", otlpEndpoint: "https://u:SEKRETpw2@otel.example.com" }\n',
  'a bad event-bus URL with a password': 'tier: 10qps\nredis: { eventBus: { mode: external, url: "http://:SEKRETpw5@x" } }\n',
  'a bad Sentry DSN': 'tier: 10qps\nobservability: { sentryDsn: "not a url SEKRETpw6" }\n',
  'a password of the wrong type': 'tier: 10qps\ndatabase: { mode: external, host: db, maxConnections: 50, password: [SEKRETpw7] }\n',
  // Passwords typed without percent-encoding: the plan's event-bus URL went through a second, Redis-only redactor.
  ...Object.fromEntries(
    ['SEKRETpw8@SEKRETpw8', 'SEKRETpw9/SEKRETpw9', 'SEKRETpw10?SEKRETpw10', 'SEKRETpw11#SEKRETpw11', 'SEKRETpw12"SEKRETpw12'].map((pw) => [
      `an external event bus whose password is ${pw}`,
      `tier: 10qps\nredis: { eventBus: { mode: external, url: ${JSON.stringify(`redis://user:${pw}@bus.example.com:6379/0`)} } }\n`,
    ]),
  ),
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

// What the one redactor gives, written out by hand: the password (to the last `@` of the
// whitespace-free run) replaced, everything else kept.
test.each([
  ['redis://:pw@h:6379/0', 'redis://:***@h:6379/0'],
  ['rediss://user:pw@h', 'rediss://user:***@h'],
  ['https://pub:pw@sentry.example.com/1', 'https://pub:***@sentry.example.com/1'],
  ['redis://:p@ss@h/0', 'redis://:***@h/0'],
  ['redis://:p/ss@h', 'redis://:***@h'],
  ['redis://:p?ss@h', 'redis://:***@h'],
  ['redis://:p#ss@h', 'redis://:***@h'],
  ["redis://:p'ss@h", 'redis://:***@h'],
  ['redis://:@h', 'redis://:@h'],
  ['redis://h:6379/0', 'redis://h:6379/0'],
  ['redis://user@h', 'redis://user@h'],
  ['  "url": "redis://:pw@h:6379/0",\n  "dsn": "https://k:pw@s/1"', '  "url": "redis://:***@h:6379/0",\n  "dsn": "https://k:***@s/1"'],
  ['bus redis://:a@b (and mail@example.com)', 'bus redis://:***@b (and mail@example.com)'],
])('redactUrlPasswords(%j) = %j', (text, want) => {
  expect(redactUrlPasswords(text)).toBe(want);
});
