/**
 * A tiny run of the benchmark (scripts/bench.mjs, `npm run bench`) so that it cannot rot: every
 * figure line is printed and is a number. The speed itself is not checked here (that is the bench's
 * job, on a quiet machine); adapter figures may be n/a only when the adapter is not built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnNode } from '../../helpers/spawnNode';

const root = path.resolve(__dirname, '..', '..', '..', '..');

test('bench smoke run: every figure, numeric', { timeout: 180_000 }, () => {
  const cache = path.join(os.tmpdir(), 'hptrace-bench-smoke');
  const r = spawnNode([path.join(root, 'scripts', 'bench.mjs'), '--hcalls', '10000', '--runs', '1', '--steps', '2'], {
    env: { ...process.env, HPTRACE_BENCH_CACHE: cache },
    timeout: 170_000,
  });
  assert.equal(r.status, 0, `bench failed:\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  const figures = new Map(
    lines.map((l) => {
      const m = /^([a-z0-9_]+): (.+)$/.exec(l);
      assert.ok(m, `not a NAME: VALUE line: ${JSON.stringify(l)}`);
      return [m[1], m[2]] as [string, string];
    }),
  );
  const cli = ['floor_s', 'replay_s', 'replay_ratio', 'cli_rss_mb'];
  const dap = [
    'first_stop_entry_ms',
    'first_stop_param_ms',
    'next_ms',
    'stepback_ms',
    'goto_end_ms',
    'reverse_continue_ms',
    'goto_max_ms',
    'adapter_rss_mb',
    'overview_ms', // scripts/bench-overview.mjs (n/a without the e2e host's chromium)
    'index_s',
    'index_ratio',
  ];
  const other = ['grammar_us_per_line']; // scripts/bench-grammar.mjs, on the 10k trace here
  assert.deepEqual(
    [...figures.keys()].sort(),
    [...[...cli, ...dap].map((n) => `${n}_10k`), ...other].sort(),
    'the figure names',
  );
  const adapterBuilt = fs.existsSync(path.join(root, 'dist', 'debugAdapter.js'));
  for (const [name, value] of figures) {
    const isDap = dap.some((n) => name.startsWith(n + '_'));
    if (isDap && !adapterBuilt && /^n\/a \(.+\)$/.test(value)) continue;
    if (name.startsWith('overview_ms_') && /^n\/a \(no playwright-core|chromium did not start/.test(value)) continue;
    assert.match(value, /^\d+(\.\d+)?$/, `${name}: ${value}\n${r.stderr}`);
    assert.ok(Number(value) > 0, `${name}: ${value}`);
  }
});
