// The test servers' ports: never one the kernel may give an outgoing connection meanwhile.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, startOnFreePort } from './helpers/free-port.js';

const [ephemeralLow, ephemeralHigh] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);

describe('freePort', () => {
  it('returns distinct ports outside the kernel ephemeral range that a server can bind', async () => {
    const ports = [];
    for (let i = 0; i < 20; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port < ephemeralLow || port > ephemeralHigh, `${port} is inside ${ephemeralLow}–${ephemeralHigh}`).toBe(true);
      const srv = createServer();
      await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(port, '127.0.0.1', resolve));
      await new Promise((resolve) => srv.close(resolve));
    }
  });

  it('startOnFreePort moves on to another port when the server finds its port taken', async () => {
    const tried: number[] = [];
    const port = await startOnFreePort(async (p) => (tried.push(p), tried.length < 3 ? 'port taken' : 'started'));
    expect(tried).toHaveLength(3);
    expect(new Set(tried).size).toBe(3);
    expect(port).toBe(tried[2]);
    await expect(startOnFreePort(async () => 'port taken', 2)).rejects.toThrow(/2 free ports taken/);
  });
});
