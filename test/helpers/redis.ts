// A throwaway Debian redis-server for tests, and a minimal RESP client over net sockets
// (enough for AUTH, PING, lists, strings, INFO and CONFIG: no client library needed).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { Socket } from 'node:net';
import { freePort } from './free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function findRedisServer(): string | undefined {
  for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    try {
      execFileSync(p, ['--version'], { stdio: 'ignore' });
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Under CI a missing redis-server fails the test (.ci/run installs it); elsewhere it skips. */
export function requireRedis(): boolean {
  if (findRedisServer()) return true;
  if (process.env.CI) throw new Error('redis-server not found: .ci/run installs it (apt-get install redis-server)');
  return false;
}

export interface RedisServerProcess {
  port: number;
  stop(): Promise<void>;
}

/** Starts redis-server with the given arguments plus a loopback port and a scratch directory. */
export async function startRedis(args: string[]): Promise<RedisServerProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'dd-redis-'));
  // The soft file-descriptor limit raised to the hard one, as a container's ulimits would: Redis needs maxclients + 32.
  const child: ChildProcess = spawn(
    'sh',
    ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', findRedisServer()!, ...args, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no', '--save', ''],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout!.on('data', (b) => (log += b));
  child.stderr!.on('data', (b) => (log += b));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${log}`);
    if (/Ready to accept connections/.test(log)) break;
    if (Date.now() > deadline) throw new Error(`redis-server did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    stop: () => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGKILL')))),
  };
}

type Reply = string | number | null | Reply[] | Error;

/** One connection; commands are answered in order. */
export class RespClient {
  private buf = Buffer.alloc(0);
  private waiting: ((r: Reply) => void)[] = [];
  private closed = false;
  readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const parsed = parse(this.buf, 0);
        if (!parsed) break;
        this.buf = this.buf.subarray(parsed.end);
        this.waiting.shift()?.(parsed.value);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w(new Error('connection closed'));
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const s = new Socket();
      s.once('error', reject);
      s.connect(port, '127.0.0.1', () => resolve(new RespClient(s)));
    });
  }

  command(...args: (string | number)[]): Promise<Reply> {
    if (this.closed) return Promise.resolve(new Error('connection closed'));
    const parts = args.map(String);
    this.socket.write(`*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  close(): void {
    this.socket.destroy();
  }
}

function parse(b: Buffer, at: number): { value: Reply; end: number } | undefined {
  const nl = b.indexOf('\r\n', at);
  if (nl < 0) return undefined;
  const head = b.toString('utf8', at + 1, nl);
  switch (String.fromCharCode(b[at])) {
    case '+':
      return { value: head, end: nl + 2 };
    case '-':
      return { value: new Error(head), end: nl + 2 };
    case ':':
      return { value: Number(head), end: nl + 2 };
    case '$': {
      const n = Number(head);
      if (n < 0) return { value: null, end: nl + 2 };
      if (b.length < nl + 2 + n + 2) return undefined;
      return { value: b.toString('utf8', nl + 2, nl + 2 + n), end: nl + 2 + n + 2 };
    }
    case '*': {
      const n = Number(head);
      const out: Reply[] = [];
      let end = nl + 2;
      for (let i = 0; i < n; i++) {
        const item = parse(b, end);
        if (!item) return undefined;
        out.push(item.value);
        end = item.end;
      }
      return { value: out, end };
    }
    default:
      throw new Error(`unexpected RESP byte ${b[at]}`);
  }
}

/** Splits a command line the way compose does for a string `command:` (shell-like quotes). */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}
