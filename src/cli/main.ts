/**
 * The process entry: wires signals and the exit status around runCli.
 * Long-running commands (serve) replace the SIGINT/SIGTERM handlers with
 * their own draining ones.
 *
 * `keysmith --version` is answered before commander, chalk or any command
 * group is loaded, so it costs little more than starting node.
 */
const argv = process.argv.slice(2);

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  const { VERSION } = await import('../version.js');
  process.stdout.write(`${VERSION}\n`);
} else {
  const [{ runCli }, { removePendingTempFiles }] = await Promise.all([import('./program.js'), import('../fsx/atomic.js')]);

  const onSignal = (signal: NodeJS.Signals, status: number): void => {
    process.once(signal, () => {
      // Leave no partial output behind: remove temp files, then exit.
      void removePendingTempFiles().finally(() => process.exit(status));
    });
  };
  onSignal('SIGINT', 130);
  onSignal('SIGTERM', 143);
  onSignal('SIGHUP', 129); // the terminal went away mid-way

  // A closed stdout (e.g. `keysmith … | head`) is not an error worth a trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });

  process.exitCode = await runCli(argv);
}
