/**
 * What a command group receives: the process edges and a way to run an
 * action with the global options resolved into an Output.
 */
import type { Command } from 'commander';
import type { Io } from './io.js';
import { Output, type GlobalOptions } from './output.js';

export interface CliContext {
  io: Io;
  /**
   * Wrap a command action: resolves global flags (--json, --quiet, --verbose,
   * --no-color) into an Output and hands it to the handler with the command's
   * own options and positional arguments. Errors propagate to the runner,
   * which renders them and sets the exit status.
   */
  action<O extends object = Record<string, unknown>>(
    handler: (out: Output, opts: O, args: string[], cmd: Command) => Promise<void> | void,
  ): (...args: unknown[]) => Promise<void>;
}

export function globalOptionsOf(cmd: Command): GlobalOptions {
  const g = cmd.optsWithGlobals() as Partial<GlobalOptions>;
  return { json: Boolean(g.json), quiet: Boolean(g.quiet), verbose: Boolean(g.verbose), color: g.color !== false };
}

/** A group module: registers its command(s) on the root program. */
export interface CommandGroupModule {
  register(program: Command, ctx: CliContext): void;
}

/** The Output of the command that is running (the runner renders errors with it). */
export interface RunState {
  out: Output | undefined;
}

export function makeContext(io: Io, state: RunState): CliContext {
  return {
    io,
    action(handler) {
      return async (...args: unknown[]) => {
        const cmd = args[args.length - 1] as Command;
        const out = new Output(io, globalOptionsOf(cmd));
        state.out = out;
        const positionals = (args.slice(0, -2) as (string | string[] | undefined)[]).flatMap((a) =>
          a === undefined ? [] : Array.isArray(a) ? a : [a],
        );
        await handler(out, cmd.opts(), positionals, cmd);
      };
    },
  };
}
