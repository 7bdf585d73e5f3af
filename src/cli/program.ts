/**
 * The program factory: builds the commander tree for one invocation and
 * runs it against an Io. Tests call `runCli` in-process.
 */
import { Command, CommanderError, Option } from 'commander';
import { GROUPS, groupFor } from './groups.js';
import { makeContext, type RunState } from './context.js';
import { Output } from './output.js';
import { processIo, type Io } from './io.js';
import { usageError, EXIT_OK, EXIT_USAGE } from '../errors.js';
import { VERSION } from '../version.js';

/** The first token that is not an option: the command the user asked for. */
function requestedCommand(argv: readonly string[]): string | undefined {
  for (const a of argv) {
    if (a === '--') return undefined;
    if (!a.startsWith('-')) return a;
  }
  return undefined;
}

export interface MakeProgramOptions {
  /** Load every group (for completion and docs), not only the one asked for. */
  loadAll?: boolean;
}

export async function makeProgram(io: Io, argv: readonly string[], state: RunState, options: MakeProgramOptions = {}): Promise<Command> {
  const program = new Command('keysmith');
  program
    .description('Content protection from disk to player: storage encryption, CENC/CBCS packaging,\nPSSH and DRM headers, test tokens and key delivery.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--json', 'machine-readable output (one JSON document per command)')
    .option('-q, --quiet', 'print only results and errors')
    .option('-v, --verbose', 'more detail, and stack traces for internal errors')
    .addOption(new Option('--no-color', 'no colours (also NO_COLOR=1)'))
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .addHelpText(
      'after',
      `
Exit status: 0 success, 1 operation failed, 2 usage error, 3 environment error.

Examples:
  keysmith storage keygen -o master.key
  keysmith storage encrypt -k master.key -o movie.mp4.ks movie.mp4
  cat movie.mp4 | keysmith storage encrypt -k master.key - > movie.mp4.ks
  keysmith keys new --count 2 -o keys.json
  keysmith encrypt in.mp4 -o enc.mp4 --scheme cbcs --keys keys.json --drm widevine,playready
  keysmith package in_720.mp4 in_480.mp4 -o out/ --dash --hls --encryption cenc --drm clearkey
  keysmith token issue --type jwt --key-file token.key --issuer https://sts.example/ \\
      --audience urn:example --expires 1h --max-uses 3

Run 'keysmith <command> --help' for a command's options; 'man keysmith' for more.`,
    );

  const ctx = makeContext(io, state);
  const wanted = requestedCommand(argv);
  const helpTarget = wanted === 'help' ? requestedCommand(argv.slice(argv.indexOf('help') + 1)) : undefined;
  const loadAll = options.loadAll || wanted === 'completion';
  for (const row of GROUPS) {
    const needed = loadAll || row.commands.includes(wanted ?? '') || row.commands.includes(helpTarget ?? '');
    if (needed) {
      const mod = await row.load();
      mod.register(program, ctx);
    } else {
      for (const name of row.commands) {
        // A placeholder that carries the summary for the top-level help.
        program.command(name).description(row.summaries[name] ?? '').allowUnknownOption().helpOption(false);
      }
    }
  }
  return program;
}

function applyIo(cmd: Command, io: Io, state: RunState, argv: readonly string[]): void {
  cmd.exitOverride();
  cmd.configureOutput({
    writeOut: (s) => io.stdout.write(s),
    writeErr: (s) => io.stderr.write(s),
    outputError: () => {
      // Rendered by runCli through Output, so --json gets an object.
    },
  });
  for (const sub of cmd.commands) applyIo(sub, io, state, argv);
}

function fallbackOutput(io: Io, argv: readonly string[]): Output {
  return new Output(io, {
    json: argv.includes('--json'),
    quiet: argv.includes('--quiet') || argv.includes('-q'),
    verbose: argv.includes('--verbose') || argv.includes('-v'),
    color: !argv.includes('--no-color'),
  });
}

/** Run keysmith with the given arguments (without `node` and the script). Returns the exit status. */
export async function runCli(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const state: RunState = { out: undefined };
  try {
    const program = await makeProgram(io, argv, state);
    applyIo(program, io, state, argv);
    await program.parseAsync([...argv], { from: 'user' });
    return state.out?.exitStatus ?? EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        return EXIT_OK;
      }
      const message = err.message.replace(/^error:\s*/, '').split('\n')[0] ?? err.message;
      const name = requestedCommand(argv);
      const known = name !== undefined && err.code !== 'commander.unknownCommand';
      const hint = `run 'keysmith ${known ? `${name} ` : ''}--help' for usage`;
      return (state.out ?? fallbackOutput(io, argv)).error(usageError(message, hint));
    }
    const status = (state.out ?? fallbackOutput(io, argv)).error(err);
    return status === EXIT_OK ? EXIT_USAGE : status;
  }
}
