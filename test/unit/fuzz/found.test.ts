/**
 * What `npm run fuzz` found, as the minimal sequences fast-check shrank them to (test-artifacts/fuzz/),
 * kept as tests against the real adapter process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { newDapStats, runSequence, Sequence, seedFiles } from './dapFuzz';

async function run(s: Sequence): Promise<string[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-found-'));
  try {
    // A capped heap: a runaway request fails the test quickly instead of taking the machine's memory.
    return await runSequence(s, work, seedFiles(work), newDapStats(), ['--max-old-space-size=256']);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

const base = {
  initialize: { adapterID: 'hptrace' },
  trace: { kind: 'corpus' as const, index: 0 },
  launch: {},
  early: [],
  disconnectAt: null,
};

// seed 424242: setBreakpoints on /dev/zero read it for ever (the adapter's breakpoint check reads the
// file line by line); the shared line reader now refuses anything but a regular file.
test('fuzz find: setBreakpoints on /dev/zero is answered at once, and so is everything after it', async () => {
  const problems = await run({
    ...base,
    steps: [
      {
        command: 'setBreakpoints',
        args: { source: { path: '/dev/zero' }, breakpoints: [{ line: 1000000000 }] },
        wait: false,
      },
      { command: 'breakpointLocations', args: { source: { path: 'TRACE' }, line: 38, endLine: 17 }, wait: true },
    ],
  });
  assert.deepEqual(problems, []);
});

// seeds 424243 and 777: issue 11 B1, the expression language's unbounded shift (fixed in src/debug/expr.ts
// by worker runtime); shrunk to an evaluate before the launch.
test('fuzz find: evaluate "1 >> -1000000000" is answered within 5 s and memory stays bounded', async () => {
  for (const early of [true, false]) {
    const ev = { command: 'evaluate', args: { expression: '1 >> -1000000000', context: 'watch' }, wait: true };
    const problems = await run({ ...base, early: early ? [ev] : [], steps: early ? [] : [ev] });
    assert.deepEqual(problems, [], early ? 'before launch' : 'after launch');
  }
});
