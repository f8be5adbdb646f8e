/**
 * State at a line and the comparison of two states. `hptrace state` / `hptrace compare` on every
 * conformance trace must agree with straight replays (`hptrace replay --json`) of the trace cut at
 * both lines; writer lines come from the journal and are checked on a small trace by hand.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Engine } from '../../../src/core/engine';
import { compareLines, Comparison, diffStates, stateAt } from '../../../src/core/compare';
import { FinalState } from '../../../src/core/replay';
import { CONFORMANCE_DIR, FIXTURES_DIR, ROOT } from '../../helpers/paths';
import { spawnNode } from '../../helpers/spawnNode';

const cli = path.join(ROOT, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-cmp-'));

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnNode([cli, ...args]);
}

/** `replay --json`'s final object for the first `lines` lines of a trace. */
function replayFinal(file: string, lines: number, kernel: string): FinalState {
  const cut = path.join(tmp, `${path.basename(file)}.${lines}.hptrace`);
  fs.writeFileSync(cut, fs.readFileSync(file, 'utf8').split('\n').slice(0, lines).join('\n') + '\n');
  const r = run('replay', cut, '--json', '--kernel', kernel);
  assert.equal(r.status, 0, r.stderr);
  const last = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(last).final;
}

/** Applies a comparison to the first final: must give the second. */
function applyComparison(a: FinalState, c: Comparison): FinalState {
  const hpt = new Map(a.hpt.map((e) => [e.index, e]));
  for (const x of c.hpt.removed) {
    assert.deepEqual(hpt.get(x.index), { index: x.index, ...x.before }, `removed HPT[${x.index}] was there`);
    hpt.delete(x.index);
  }
  for (const x of c.hpt.changed) {
    assert.deepEqual(hpt.get(x.index), { index: x.index, ...x.before });
    hpt.set(x.index, { index: x.index, ...x.after! });
  }
  for (const x of c.hpt.added) {
    assert.ok(!hpt.has(x.index));
    hpt.set(x.index, { index: x.index, ...x.after! });
  }
  const key = (s: number, i: number) => `${s}:${i}`;
  const sp = new Map(a.slot_phys.map((e) => [key(e.slot, e.index), e]));
  for (const x of c.slot_phys.cleared) sp.delete(key(x.slot, x.index));
  for (const x of [...c.slot_phys.changed, ...c.slot_phys.filled])
    sp.set(key(x.slot, x.index), { slot: x.slot, index: x.index, value: x.after! });
  return {
    slot_phys: [...sp.values()].sort((p, q) => p.slot - q.slot || p.index - q.index),
    hpt: [...hpt.values()].sort((p, q) => p.index - q.index),
  };
}

const cases = fs.readdirSync(CONFORMANCE_DIR).filter((f) => f.endsWith('.hptrace'));
test('there are conformance traces', () => assert.ok(cases.length >= 5));

for (const c of cases) {
  for (const kernel of ['io', 'pre-io']) {
    test(`state and compare on ${c} (${kernel}) match straight replays at both lines`, () => {
      const file = path.join(CONFORMANCE_DIR, c);
      const n = fs.readFileSync(file, 'utf8').split('\n').length;
      const points = [0, Math.floor(n / 3), Math.floor((2 * n) / 3), n];
      const finals = new Map<number, FinalState>();
      for (const p of points) {
        const want = p === 0 ? { slot_phys: [], hpt: [] } : replayFinal(file, p, kernel);
        finals.set(p, want);
        const r = run('state', file, '--at', String(p), '--json', '--kernel', kernel);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout), want, `state --at ${p}`);
      }
      for (const [from, to] of [
        [points[1], points[2]],
        [points[2], points[1]],
        [0, n],
        [points[1], points[1]],
      ]) {
        const r = run('compare', file, '--from', String(from), '--to', String(to), '--json', '--kernel', kernel);
        assert.equal(r.status, 0, r.stderr);
        const cmp = JSON.parse(r.stdout) as Comparison;
        assert.equal(cmp.from.line, from);
        assert.equal(cmp.to.line, to);
        assert.deepEqual(applyComparison(finals.get(from)!, cmp), finals.get(to), `compare ${from} -> ${to}`);
        // Every change between two different points names the line that made it, inside the range.
        for (const x of [...cmp.hpt.added, ...cmp.hpt.removed, ...cmp.hpt.changed, ...cmp.slot_phys.filled]) {
          assert.ok(x.line !== null, `a writer line for ${JSON.stringify(x)}`);
          assert.ok(x.line > Math.min(from, to) && x.line <= Math.max(from, to), `writer line ${x.line} in range`);
        }
        if (from === to) assert.equal(cmp.hpt.added.length + cmp.hpt.removed.length + cmp.hpt.changed.length, 0);
      }
    });
  }
}

test('writer lines: the record that last wrote each entry between the two points', () => {
  const e = new Engine(path.join(FIXTURES_DIR, 'vcpus.hptrace'));
  try {
    // Lines 7, 8: H_ENTER 0x40 and 0x41; 10: H_REMOVE 0x41; 12: H_ENTER 0x41 again; 13: H_PROTECT 0x40.
    let c = compareLines(e, 6, 8);
    assert.deepEqual(
      c.hpt.added.map((x) => [x.index, x.line]),
      [
        [0x40, 7],
        [0x41, 8],
      ],
    );
    assert.match(c.hpt.added[0].decoded, /V \| RPN/);
    c = compareLines(e, 8, 10);
    assert.deepEqual(
      c.hpt.removed.map((x) => [x.index, x.line]),
      [[0x41, 10]],
    );
    c = compareLines(e, 8, 13);
    assert.deepEqual(
      c.hpt.changed.map((x) => [x.index, x.line]),
      [
        [0x40, 13],
        [0x41, 12],
      ],
    );
    // Backwards: the same changes, seen from the later state.
    const back = compareLines(e, 13, 8);
    assert.deepEqual(
      back.hpt.changed.map((x) => [x.index, x.line]),
      [
        [0x40, 13],
        [0x41, 12],
      ],
    );
    assert.deepEqual(back.hpt.changed[0].before, c.hpt.changed[0].after);
    // The engine is left where it was.
    assert.equal(e.applied, 0);
  } finally {
    e.close();
  }
});

test('memslots and vmas that change between two points', () => {
  const file = path.join(tmp, 'slots.hptrace');
  fs.writeFileSync(
    file,
    [
      'hptrace 1',
      'host page=64K',
      'hpt order=18',
      'vma 0x10000000-0x11000000 anon pfn=0x5000',
      'memslot 0 gfn=0x0 npages=0x100 hva=0x10000000',
      'vma 0x20000000-0x20100000 pfnmap pgoff=0x9000 cache=I',
      'memslot 1 gfn=0x1000 npages=0x10 hva=0x20000000',
      'memslot 1 delete',
      'munmap 0x20000000-0x20100000',
      'memslot 0 gfn=0x0 npages=0x80 hva=0x10000000',
    ].join('\n') + '\n',
  );
  const e = new Engine(file);
  try {
    const c = diffStates(stateAt(e, 7), stateAt(e, 10));
    assert.deepEqual(
      c.memslots.removed.map((s) => s.id),
      [1],
    );
    assert.deepEqual(c.memslots.added, []);
    assert.equal(c.memslots.changed.length, 1);
    assert.equal(c.memslots.changed[0].before.size, '0x1000000');
    assert.equal(c.memslots.changed[0].after.size, '0x800000');
    assert.equal(c.memslots.changed[0].after.line, 10);
    assert.deepEqual(
      c.vmas.removed.map((v) => [v.start, v.type, v.cache]),
      [['0x20000000', 'pfnmap', 'I']],
    );
    assert.deepEqual(c.vmas.added, []);
  } finally {
    e.close();
  }
});

test('bad input: usage errors exit 2, a malformed line before the point exits 1 with its position', () => {
  const file = path.join(CONFORMANCE_DIR, cases[0]);
  let r = run('state', file);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--at LINE is required/);
  r = run('state', file, '--at', '-3');
  assert.equal(r.status, 2);
  r = run('compare', file, '--from', '1', '--to', 'x');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--to must be a line number/);
  r = run('compare', file, '--from', '1', '--to', '2', '--kernel', 'nope');
  assert.equal(r.status, 2);
  r = run('state', path.join(tmp, 'missing.hptrace'), '--at', '1');
  assert.equal(r.status, 2);
  const bad = path.join(tmp, 'bad.hptrace');
  fs.writeFileSync(bad, 'hptrace 1\nhost page=64K\nhpt order=18\nbogus record\nhpt order=20\n');
  r = run('state', bad, '--at', '5');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.hptrace:4:\d+: /);
  // Before the bad line, the state is there.
  r = run('state', bad, '--at', '3', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { slot_phys: [], hpt: [] });
  r = run('state', '--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /usage: hptrace state FILE --at LINE/);
});

test('state and compare leave the engine where it was, even when they read on', () => {
  const e = new Engine(path.join(FIXTURES_DIR, 'vcpus.hptrace'));
  try {
    e.ensure(3);
    e.seek(1);
    const before = JSON.stringify(e.m.hpt.dump().words);
    compareLines(e, 6, 12);
    assert.equal(e.applied, 1);
    stateAt(e, 13);
    assert.equal(e.applied, 1);
    assert.equal(JSON.stringify(e.m.hpt.dump().words), before);
  } finally {
    e.close();
  }
});

test('the readable comparison: decoded entries, writer lines, runs of slot_phys entries on one line', () => {
  const r = run('compare', path.join(CONFORMANCE_DIR, 'io-bar.hptrace'), '--from', '12', '--to', '14');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /state after line 12 \(\d+ records applied\) -> state after line 14/);
  assert.match(
    r.stdout,
    /HPT entries added: 1\n {2}\+ HPT\[0x100\] v=0x4000000000001005 r=0x1001000192 {2}16M .*V \| RPN 0x1001000000 WIMG --M- PP 2 {2}\(line 14\)/,
  );
  assert.match(
    r.stdout,
    /slot_phys entries filled: 256\n {2}\+ slot_phys\[0\]\[0x100\.\.0x1ff\] 256 entries: 0x1001000088 .* \(line 14\)\n/,
  );
  assert.match(r.stdout, /memslots changed: none/);
});
