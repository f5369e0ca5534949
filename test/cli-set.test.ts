// --set key.path=value: every spec key from the command line, read as its schema expects it and
// judged by the spec's own validation; an unknown key or a bad value is bad input (exit 2).
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

describe('--set', () => {
  it('the storage a Helm tier needs, from flags alone; the refusal says how', async () => {
    const refused = await runCli(['plan', '--tier', '500qps', '--target', 'helm']);
    expect(refused.stdout + refused.stderr).toMatch(/--set storage\.type=s3/);
    const r = await runCli(['plan', '--tier', '500qps', '--target', 'helm', '--set', 'storage.type=s3', '--set', 'storage.bucket=dify-files', '--set', 'storage.region=us-east-1', '--set', 'storage.useIam=true',
      // and the state choices a 500qps Helm plan asks for (docs/state-sizing.md), from flags too
      '--set', 'observability.workflowLogs.acceptLargeDatabase=true', '--set', 'redis.eventBus.mode=external', '--set', 'redis.eventBus.url=redis://bus.internal:6379', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).problems).toEqual([]);
  });

  it('numbers, booleans and lists are read by the key\'s type; the result is validated like the file', async () => {
    const r = await runCli(['plan', '--tier', '10qps', '--set', 'database.reservedConnections=7', '--set', 'redis.useSsl=false', '--set', 'ssrfProxy.allowPrivate.domains=a.internal,.corp', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).database.reserved).toBe(7);
    const bad = await runCli(['plan', '--tier', '10qps', '--set', 'database.reservedConnections=many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/database\.reservedConnections/);
  });

  it('an unknown key or a missing "=" is bad input naming the flag', async () => {
    const unknown = await runCli(['plan', '--tier', '10qps', '--set', 'storage.tpye=s3']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--set storage\.tpye=s3: storage\.tpye is not a spec key/);
    const noValue = await runCli(['plan', '--tier', '10qps', '--set', 'storage.type']);
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toMatch(/expected key\.path=value/);
  });
});
