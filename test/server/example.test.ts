/** examples/serve.sh runs as is (keys new → token issue → serve → curl → SIGHUP → SIGTERM). Spawns bin/keysmith: needs `npm run build`. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { requireTool } from '../helpers/tools.js';

const SCRIPT = fileURLToPath(new URL('../../examples/serve.sh', import.meta.url));

test('examples/serve.sh runs end to end', (t) => {
  if (!requireTool(t, 'curl')) return;
  const r = spawnSync('bash', [SCRIPT], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /"kty":"oct"/);
  assert.match(r.stdout, /401 \{"error":\{"code":"ERR_TOKEN_MAXUSES_EXCEEDED"/);
  assert.match(r.stdout, /401 \{"error":\{"code":"ERR_TOKEN_MISSING"/);
  assert.match(r.stdout, /"event":"reload","ok":true/);
  assert.match(r.stdout, /^done$/m);
});
