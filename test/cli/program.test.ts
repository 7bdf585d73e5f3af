import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBinary, runInProcess } from '../helpers/cli.js';

test('--version prints the package version and exits 0', async () => {
  const r = await runInProcess(['--version']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('--help teaches: commands, exit statuses and examples', async () => {
  const r = await runInProcess(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Exit status: 0 success, 1 operation failed, 2 usage error, 3 environment error/);
  assert.match(r.stdout, /completion/);
});

test('an unknown command is a usage error (exit 2) with a hint, in text and --json', async () => {
  const text = await runInProcess(['frobnicate']);
  assert.equal(text.status, 2);
  assert.equal(text.stderr, "keysmith: error: unknown command 'frobnicate'\nhint: run 'keysmith --help' for usage\n");
  const json = await runInProcess(['--json', 'frobnicate']);
  assert.equal(json.status, 2);
  assert.deepEqual(JSON.parse(json.stdout), {
    error: { code: 'ERR_USAGE', message: "unknown command 'frobnicate'", hint: "run 'keysmith --help' for usage" },
  });
});

for (const shell of ['bash', 'zsh', 'fish']) {
  test(`completion ${shell} lists the command groups`, async () => {
    const r = await runInProcess(['completion', shell]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /keysmith/);
    assert.match(r.stdout, /completion/);
  });
}

test('completion for an unknown shell is a usage error', async () => {
  const r = await runInProcess(['completion', 'tcsh']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown shell 'tcsh'/);
});

test('the bash completion script is valid bash', async () => {
  const r = await runBinary(['completion', 'bash']);
  assert.equal(r.status, 0);
  const { spawnSync } = await import('node:child_process');
  const check = spawnSync('bash', ['-n'], { input: r.stdout });
  assert.equal(check.status, 0, check.stderr.toString());
});

test('the installed binary runs the compiled CLI with real exit codes', async () => {
  const r = await runBinary(['--version']);
  assert.equal(r.status, 0);
  const bad = await runBinary(['--nope']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^keysmith: error: unknown option '--nope'/);
  assert.ok(!bad.stderr.includes('    at '), 'no stack trace');
});
