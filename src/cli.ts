// Entry point. Command modules are imported only when their command runs, so
// `--help` and `plan` start without loading what they do not use.
import { Command, CommanderError } from 'commander';
import { packageVersion } from './core/data.js';
import { UserError } from './io/errors.js';
import { processIo, type Io } from './cli/io.js';

// The launcher hands its code-cache loader to the bundle through this (bin/dify-deploy.cjs).
export { loadGeneratedWith } from './core/generated-code.js';

function specOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'spec file (default: ./dify-deploy.yaml when present)')
    .option('-t, --tier <tier>', 'traffic tier, e.g. 500qps (see `dify-deploy tiers`)')
    .option('-r, --release <version>', 'Dify release, e.g. 1.16.1 (default: the newest known)')
    .option('--qps <n>', 'the load to size for, e.g. 10 × the p99 minute `dify-deploy measure` found (the tier stays the base)')
    .option('--chart <path>', 'a pulled dify-helm chart (.tgz or directory) to render Helm values for, instead of the release\'s shipped chart')
    .option('--set <key=value>', 'any spec key by its path, e.g. --set storage.type=s3 --set storage.bucket=dify (repeatable; wins over the file)', (v: string, all: string[] = []) => [...all, v]);
}

export function buildProgram(io: Io, setExit: (code: number) => void, json = false): Command {
  const program = new Command('dify-deploy')
    .description('Size, render and validate production deployments of Dify')
    .version(packageVersion())
    // One line and a pointer, not the whole help under the error.
    .showHelpAfterError(json ? false : "(add --help for the command's options)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      // A bad flag under --json is a JSON error like every other exit 2.
      outputError: json ? (s: string) => io.out(jsonError(2, [s.trim().replace(/^error: /, '')])) : (s: string, write: (s: string) => void) => write(withSpecFileHint(s)),
    });

  program
    .command('tiers')
    .description('list the traffic tiers, their latency assumptions and sources')
    .option('--json', 'machine-readable output')
    .action(async (opts) => setExit(await (await import('./commands/tiers.js')).runTiers(opts, io)));

  specOptions(program.command('plan'))
    .description('explain the sizing: per-process connection table, budget, capacity')
    .option('--target <target>', 'compose or helm (default: the spec\'s first target)')
    .option('--json', 'machine-readable output')
    .action(async (opts) => setExit(await (await import('./commands/plan.js')).runPlan(opts, io)));

  specOptions(program.command('render'))
    .description('write docker-compose.yaml, .env, nginx config (and/or Helm values) sized by the plan')
    .option('--target <target>', 'compose, helm or all (default: the spec\'s targets)')
    .option('-o, --out <dir>', 'output directory (default: the spec file\'s directory, else ./dify)')
    .option('--force', 'overwrite files you edited since dify-deploy wrote them')
    .option('--dry-run', 'list the files and what would change; write nothing')
    .option('--json', 'machine-readable report')
    .action(async (opts) => setExit(await (await import('./commands/render.js')).runRender(opts, io)));

  program
    .command('init')
    .description('the wizard: ask the deployment\'s choices, show the plan, write dify-deploy.yaml and render')
    .option('-t, --tier <tier>', 'traffic tier, e.g. 100qps (skips the question)')
    .option('-r, --release <version>', 'Dify release, e.g. 1.16.1 (skips the question)')
    .option('--target <target>', 'compose, helm or all (skips the question)')
    .option('-o, --out <dir>', 'output directory (default: ./dify)')
    .option('-y, --yes', 'no questions: every default (with the flags above)')
    .option('--answers <file>', 'no questions: a partial dify-deploy.yaml, the rest defaults')
    .option('--force', 'write into a non-empty directory and over files you edited')
    .action(async (opts) => setExit(await (await import('./commands/init.js')).runInit(opts, io)));

  program
    .command('validate [dir]')
    .description('check a deployment (our output, or your own .env / compose file / Helm values) for CI')
    .option('-c, --config <file>', 'dify-deploy.yaml to check (default: DIR/dify-deploy.yaml when present)')
    .option('--env <file>', '.env file (default: DIR/.env, or the one beside --compose)')
    .option('--compose <file>', 'docker-compose file (default: DIR/docker-compose.yaml)')
    .option('--helm-values <file>', 'values file for the dify-helm chart (default: DIR/helm/values.yaml)')
    .option('-r, --release <version>', 'Dify release the files are for (default: inferred from image tags or variables)')
    .option('--chart <path>', 'a pulled dify-helm chart (.tgz or directory): check Helm values against its own values and schema')
    .option('--db-max-connections <n>', "an external metadata database's max_connections (SHOW max_connections;), to check the budget against it")
    .option('--format <format>', 'text, json or github (workflow annotations)', 'text')
    .option('--json', 'the same as --format json')
    .option('--strict', 'exit 1 on warnings too')
    .action(async (dir, opts) => setExit(await (await import('./commands/validate.js')).runValidate({ ...opts, dir }, io)));

  program
    .command('import [dir]')
    .description('adopt an existing deployment (upstream docker/ folder with its .env) as dify-deploy.yaml and the secrets store')
    .option('--env <file>', '.env file (default: DIR/.env, or the one beside --compose)')
    .option('--compose <file>', 'docker-compose file (default: DIR/docker-compose.yaml)')
    .option('--helm-values <file>', 'values file for the dify-helm chart')
    .option('-r, --release <version>', 'Dify release the files are for (default: from image tags, else guessed from the variables)')
    .option('--db-max-connections <n>', "an external metadata database's max_connections (SHOW max_connections;)")
    .option('-o, --out <dir>', 'where to write dify-deploy.yaml and .dify-deploy/ (default: ./dify; never the imported folder unless given)')
    .option('--force', 'replace an existing dify-deploy.yaml or secrets store there')
    .option('--dry-run', 'show what would be written; write nothing')
    .option('--json', 'machine-readable report')
    .action(async (dir, opts) => setExit(await (await import('./commands/import.js')).runImport({ ...opts, dir }, io)));

  program
    .command('measure')
    .description("measure the workload (mix, latency, bursts, code nodes, stored bytes) from a running Dify's database, read-only")
    .option('--db <url>', 'the metadata database: postgresql://USER[:PASSWORD]@HOST:PORT/DATABASE[?sslmode=…] (no password: PGPASSWORD)')
    .option('--from <dir>', "a deployment directory (or its .env): its DB_* variables")
    .option('--host <host>', 'connect here instead (e.g. 127.0.0.1 for a kubectl port-forward or a published port)')
    .option('--port <port>', 'and this port')
    .option('--since <window>', 'the window: 14d, 36h, 2w or an ISO date (default: 7d)')
    .option('--until <time>', 'the window ends here (ISO; default: now)')
    .option('--timeout <seconds>', 'statement timeout per query (default: 60)')
    .option('--sample-runs <n>', 'read the node executions of at most this many runs (default: 20000)')
    .option('--service-api-workflows <mode>', 'streaming or blocking: how your API clients call workflows (Dify does not record it; default: the plan\'s default split)')
    .option('-c, --config <file>', 'the spec --write merges into (default: ./dify-deploy.yaml)')
    .option('--write', 'merge the measured workload: block into the spec (comments kept, never a password)')
    .option('--json', 'machine-readable report')
    .action(async (opts) => setExit(await (await import('./commands/measure.js')).runMeasure(opts, io)));

  program
    .command('upgrade')
    .description('re-plan the deployment for another Dify release: a typed diff, then the write (after a confirmation or --yes)')
    .option('--to <version>', 'the Dify release to move to, e.g. 1.16.1')
    .option('-c, --config <file>', 'the spec file (default: ./dify-deploy.yaml); its directory is the deployment')
    .option('--dry-run', 'show the diff and the files; write nothing')
    .option('-y, --yes', 'write without asking (needed without a terminal)')
    .option('--force', 'allow a downgrade (only after restoring the backup taken before the upgrade)')
    .option('--json', 'machine-readable diff and report')
    .action(async (opts) => setExit(await (await import('./commands/upgrade.js')).runUpgrade(opts, io)));

  const release = program.command('release').description('the Dify releases dify-deploy knows: add one from its own files, list them');
  release
    .command('add <path>')
    .description('read a Dify release from its files (a checkout at the tag, or its docker/ folder) and keep its data for later runs')
    .option('--here', 'store it beside the spec (.dify-deploy/releases/) instead of your user config directory')
    .option('-c, --config <file>', 'the spec whose directory --here stores into (default: the current directory)')
    .option('--entrypoint <file>', "Dify's api/docker/entrypoint.sh, when PATH is a docker/ folder without the checkout around it")
    .option('--json', 'machine-readable report')
    .action(async (path, opts) => setExit(await (await import('./commands/release.js')).runReleaseAdd({ ...opts, path }, io)));
  release
    .command('list')
    .description('the releases dify-deploy knows and where each came from')
    .option('--json', 'machine-readable output')
    .action(async (opts) => setExit(await (await import('./commands/release.js')).runReleaseList(opts, io)));

  refuseRepeatedOptions(program);
  return program;
}

/** `dify-deploy render dify-deploy.yaml`: plan and render take the spec file as an option, not an argument. */
const withSpecFileHint = (message: string) =>
  /too many arguments for '(plan|render)'/.test(message) ? `${message.trimEnd()} The spec file is given with --config FILE.\n` : message;

/** What to do instead of repeating a flag, where giving it twice has a likely reason. */
const REPEAT_HINTS: Record<string, string> = {
  'helm-values': 'dify-deploy reads one values file and does not layer several as `helm -f a -f b` does: merge them into one (a deployed release\'s own: `helm get values RELEASE -o yaml > values.yaml`)',
};

/**
 * A flag that takes one value, given twice, is bad input: commander keeps the last silently, so
 * `--helm-values base.yaml --helm-values prod.yaml` checked prod.yaml alone. Values are not echoed
 * (one may be a database URL with its password). Repeatable flags (--set) collect and are left alone.
 */
function refuseRepeatedOptions(cmd: Command): void {
  for (const opt of cmd.options) {
    if (!(opt.required || opt.optional) || opt.parseArg) continue;
    let seen = 0;
    cmd.on(`option:${opt.name()}`, () => {
      if (++seen === 2) throw new UserError([`${opt.long ?? opt.flags} given more than once: it takes one value; ${REPEAT_HINTS[opt.name()] ?? 'give it once'}`]);
    });
  }
  for (const sub of cmd.commands) refuseRepeatedOptions(sub);
}

const jsonError = (exitCode: number, errors: string[]) => JSON.stringify({ ok: false, exitCode, errors }, null, 2);

/** --json, or validate's --format json. */
function wantsJson(argv: string[]): boolean {
  return argv.includes('--json') || argv.some((a, i) => a === '--format=json' || (a === '--format' && argv[i + 1] === 'json'));
}

export async function run(argv: string[], io: Io = processIo): Promise<number> {
  let code = 0;
  const program = buildProgram(
    io,
    (c) => {
      code = c;
    },
    wantsJson(argv),
  );
  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UserError) {
      // A caller that asked for JSON gets its errors as JSON too, on stdout where it reads.
      if (wantsJson(argv)) io.out(jsonError(e.exitCode, e.lines));
      else for (const line of e.lines) io.err(`error: ${line}`);
      return e.exitCode;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.err(`error: internal error: ${message}\nThis is a bug in dify-deploy; please report it with the command you ran.`);
    return 70;
  }
}
