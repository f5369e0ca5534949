// A throwaway PostgreSQL server from the machine's own binaries, on a loopback port.
// PostgreSQL refuses to run as root, so under root it runs as the unprivileged user
// `difytest` (created by .ci/run). Under CI a missing server is a failure, not a skip.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOnFreePort } from './free-port.js';

export interface PgServer {
  host: string;
  port: number;
  /** The bootstrap superuser (trust auth on loopback). */
  superuser: string;
  binDir: string;
  dataDir: string;
  /** Runs a PostgreSQL client binary (psql, pg_dump, …) from the same installation. */
  bin(name: string): string;
  stop(): void;
}

export function findPgBinDir(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath.replace(/\/initdb$/, '');
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'initdb')));
}

/** True when the test may run here; throws under CI when PostgreSQL is missing. */
export function requirePostgres(): boolean {
  if (findPgBinDir()) return true;
  if (process.env.CI) throw new Error('PostgreSQL server binaries (initdb, pg_ctl, postgres) are required under CI: install Debian\'s postgresql');
  return false;
}

export async function startPostgres(settings: Record<string, string | number> = {}): Promise<PgServer> {
  const binDir = findPgBinDir();
  if (!binDir) throw new Error('PostgreSQL binaries not found');
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? 'difytest' : undefined;
  const runArgs = (cmd: string, args: string[]) => [user ? 'runuser' : cmd, user ? ['-u', user, '--', cmd, ...args] : args] as const;
  const run = (cmd: string, args: string[]) => execFileSync(...runArgs(cmd, args), { stdio: 'pipe', encoding: 'utf8' });
  // initdb and the start wait without blocking this worker's event loop: under load they can take longer than
  // vitest's 60 s worker RPC timeout, which a blocked loop turns into an error of a green run.
  const runAsync = (cmd: string, args: string[]) => promisify(execFile)(...runArgs(cmd, args), { encoding: 'utf8' });
  const base = mkdtempSync(join(tmpdir(), 'dd-pg-'));
  chmodSync(base, 0o755);
  const dataDir = join(base, 'data');
  if (user) {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
    chownSync(base, uid, gid);
  }
  const superuser = 'postgres';
  await runAsync(join(binDir, 'initdb'), ['-D', dataDir, '-U', superuser, '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const log = join(base, 'server.log');
  const port = await startOnFreePort(async (port) => {
    const options = [`-p ${port}`, `-k ${base}`, "-c listen_addresses=127.0.0.1", '-c fsync=off', ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)];
    rmSync(log, { force: true });
    try {
      await runAsync(join(binDir, 'pg_ctl'), ['-D', dataDir, '-o', options.join(' '), '-l', log, '-w', '-t', '60', 'start']);
      return 'started';
    } catch (err) {
      const serverLog = existsSync(log) ? readFileSync(log, 'utf8') : '(no server log)';
      if (/could not bind .*Address already in use/.test(serverLog)) return 'port taken';
      throw new Error(`${(err as Error).message.trim()}\nserver.log:\n${serverLog}`);
    }
  });
  return {
    host: '127.0.0.1',
    port,
    superuser,
    binDir,
    dataDir,
    bin: (name) => (existsSync(join(binDir, name)) ? join(binDir, name) : name),
    stop() {
      try {
        run(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    },
  };
}
