/** test/helpers/spawnNode.ts: every child gets the exit-deadlock guard and a timeout that fails the test readably. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NODE_GUARD_FLAGS, spawnNode, SpawnNodeError } from '../../helpers/spawnNode';

test('the child runs with --no-concurrent-recompilation before its script, and its result is spawnSync’s', () => {
  assert.deepEqual(NODE_GUARD_FLAGS, ['--no-concurrent-recompilation']);
  const r = spawnNode(['-e', 'console.log(JSON.stringify(process.execArgv)); process.exit(3)']);
  assert.equal(r.status, 3);
  assert.equal(r.signal, null);
  assert.equal(r.error, undefined);
  assert.ok(JSON.parse(r.stdout).includes('--no-concurrent-recompilation'), r.stdout);
  assert.equal(r.stderr, '');
});

test('node options given before the script are kept, after the guard', () => {
  const r = spawnNode(['--max-old-space-size=200', '-p', 'process.execArgv.join(" ")']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^--no-concurrent-recompilation --max-old-space-size=200 -p /);
});

test('a child that never exits is killed at the timeout and the call throws, saying so', () => {
  const t0 = Date.now();
  assert.throws(
    () => spawnNode(['-e', 'console.log("started"); setInterval(() => {}, 1000)'], { timeout: 1000 }),
    (e: unknown) => {
      assert.ok(e instanceof SpawnNodeError);
      assert.equal(e.code, 'ETIMEDOUT');
      assert.equal(e.result.signal, 'SIGKILL');
      assert.equal(e.result.status, null);
      assert.match(e.message, /^node -e .*: timed out after 1 s and was killed \(SIGKILL\)\n/);
      assert.match(e.message, /--- stdout \(end\) ---\nstarted\n/);
      return true;
    },
  );
  assert.ok(Date.now() - t0 < 30_000, 'killed at the timeout');
});

test('output over maxBuffer throws too, instead of a truncated result', () => {
  assert.throws(
    () => spawnNode(['-e', 'process.stdout.write("x".repeat(4096))'], { maxBuffer: 1024 }),
    (e: unknown) => e instanceof SpawnNodeError && e.code === 'ENOBUFS' && /more than maxBuffer/.test(e.message),
  );
});

test('a timeout is always there', () => {
  assert.throws(() => spawnNode(['-e', '0'], { timeout: 0 }), /a timeout is required/);
});
