/**
 * Every command a user can type is documented: a man page, and a --help that
 * teaches with an example.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { GROUPS } from '../../src/cli/groups.js';
import { runInProcess } from '../helpers/cli.js';

/** Commands documented in another command's page. */
const MAN_PAGE: Record<string, string> = { decrypt: 'encrypt', inspect: 'encrypt', completion: '' };

const commands = GROUPS.flatMap((g) => g.commands);

for (const name of commands) {
  test(`${name}: a man page, listed in keysmith(1)`, () => {
    const page = MAN_PAGE[name] ?? name;
    const main = readFileSync(new URL('../../man/keysmith.1', import.meta.url), 'utf8');
    assert.match(main, new RegExp(`\\.B(?:R)? ${name}\\b|\\b${name}\\b`), `keysmith.1 mentions ${name}`);
    if (page === '') return;
    const path = new URL(`../../man/keysmith-${page}.1`, import.meta.url);
    assert.ok(existsSync(path), `man/keysmith-${page}.1 exists`);
    const text = readFileSync(path, 'utf8');
    assert.match(text, /^\.TH /m, 'a roff man page');
    assert.match(text, new RegExp(name), `keysmith-${page}.1 covers ${name}`);
  });

  test(`${name} --help shows usage and an example`, async () => {
    const r = await runInProcess([name, '--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Usage: keysmith /m);
    assert.match(r.stdout, /example/i, `${name} --help has examples`);
  });
}

test('the README shows the two set-up commands and the main job', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  assert.match(readme, /npm ci/);
  assert.match(readme, /npm test/);
  assert.match(readme, /keysmith storage encrypt/);
});
