/**
 * The process entry: wires signals and the exit status around runCli.
 * Long-running commands (serve) replace the SIGINT/SIGTERM handlers with
 * their own draining ones.
 */
import { runCli } from './program.js';
import { removePendingTempFiles } from '../fsx/atomic.js';

function onSignal(signal: NodeJS.Signals, status: number): void {
  process.once(signal, () => {
    // Leave no partial output behind: remove temp files, then exit.
    void removePendingTempFiles().finally(() => process.exit(status));
  });
}

onSignal('SIGINT', 130);
onSignal('SIGTERM', 143);

// A closed stdout (e.g. `keysmith … | head`) is not an error worth a trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

const status = await runCli(process.argv.slice(2));
process.exitCode = status;
