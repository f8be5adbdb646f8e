/** `dist/debugAdapter.js --server=PORT` listens on the loopback interface unless --host= widens it, with a warning. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { spawn } from 'child_process';
import { ROOT } from '../helpers/paths';
import { NODE_GUARD_FLAGS } from '../helpers/spawnNode';
import { serverAddress } from '../../src/debug/server';

const ADAPTER = path.join(ROOT, 'dist', 'debugAdapter.js');

/** Starts the adapter as a server and resolves with what it printed once it listens. */
function listen(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...NODE_GUARD_FLAGS, ADAPTER, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => (p.kill(), reject(new Error(`no listening line: ${err}`))), 5000);
    p.stderr.on('data', (d) => {
      err += String(d);
      if (/listening on/.test(err)) {
        clearTimeout(timer);
        p.kill();
        resolve(err);
      }
    });
  });
}

test('--server binds 127.0.0.1 by default', async () => {
  const out = await listen(['--server=0']);
  assert.match(out, /listening on 127\.0\.0\.1:\d+/);
  assert.doesNotMatch(out, /warning/);
});

test('--host widens the server with a warning', async () => {
  assert.deepEqual(serverAddress(['--server=4711']), { port: 4711, host: '127.0.0.1', warning: undefined });
  const wide = serverAddress(['--server=4711', '--host=0.0.0.0'])!;
  assert.equal(wide.host, '0.0.0.0');
  assert.match(wide.warning!, /without authentication/);
  assert.throws(() => serverAddress(['--server=http']), /bad port/);
  assert.equal(serverAddress(['x']), null);
});
