// A free loopback TCP port for a real server under test (tests never use fixed ports).
//
// Ports come from outside the kernel's ephemeral range. A port from inside it (what listen(0) returns) can be
// handed by the kernel to any outgoing connection — a test's pool, wrk, a client of another server — between
// this check and the server's own bind, and the server then fails to start: PostgreSQL logs "could not bind
// IPv4 address: Address already in use" and pg_ctl says "could not start server" (a CI run failed so). Each
// vitest pool slot takes its own slice of ports, so two test files running at once never pick the same one.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Below this are the well-known and registered ports of services the machine itself may run. */
const LOWEST_PORT = 10_000;
const HIGHEST_PORT = 65_535;
/** Ports per vitest pool slot. */
const SLICE = 1_000;

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low, high];
  } catch {
    // not Linux: IANA's dynamic range, which other systems use
  }
  return [49_152, 65_535];
}

/** This worker's slice of the larger non-ephemeral span, or undefined when the machine leaves no span that wide. */
function workerSlice(): { first: number; size: number } | undefined {
  const [low, high] = ephemeralRange();
  const spans = [
    { first: LOWEST_PORT, size: low - LOWEST_PORT },
    { first: high + 1, size: HIGHEST_PORT - high },
  ].sort((a, b) => b.size - a.size);
  const slices = Math.floor(spans[0].size / SLICE);
  if (slices < 1) return undefined;
  const slot = Number(process.env.VITEST_POOL_ID ?? 0) % slices;
  return { first: spans[0].first + slot * SLICE, size: SLICE };
}

const slice = workerSlice();
/** Where the next search starts: a random place, so a file does not retry the ports the slot's previous file used. */
let cursor = Math.floor(Math.random() * SLICE);

/** Resolves with the port if nothing listens on 127.0.0.1:port, undefined if something does. */
function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(undefined) : reject(err)));
    srv.listen(port, '127.0.0.1', () => {
      const { port: bound } = srv.address() as { port: number };
      srv.close(() => resolve(bound));
    });
  });
}

export async function freePort(): Promise<number> {
  if (!slice) return (await tryListen(0))!;
  for (let tried = 0; tried < slice.size; tried++) {
    const port = slice.first + (cursor++ % slice.size);
    if ((await tryListen(port)) !== undefined) return port;
  }
  throw new Error(`no free loopback port in ${slice.first}–${slice.first + slice.size - 1}`);
}

/** Tries start on free ports until it starts: a process outside the tests may still take a port between check and bind. */
export async function startOnFreePort(start: (port: number) => Promise<'started' | 'port taken'>, attempts = 5): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    if ((await start(port)) === 'started') return port;
    if (attempt === attempts) throw new Error(`the server found ${attempts} free ports taken when it bound them`);
  }
}
