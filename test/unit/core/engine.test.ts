/** The seekable engine must land on exactly the state a straight replay produces, whichever way it got there. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Engine, F } from '../../../src/core/engine';
import { Machine } from '../../../src/core/machine';
import { newParserState, parseLine } from '../../../src/core/parser';
import { applyRecord, finalState, FinalState } from '../../../src/core/replay';
import { forEachLine } from '../../../src/core/lines';
import { TraceError } from '../../../src/core/records';
import { returnCodeName } from '../../../src/core/bits';
import { CONFORMANCE_DIR } from '../../helpers/paths';

const CONFORMANCE = CONFORMANCE_DIR;
const conformance = fs
  .readdirSync(CONFORMANCE)
  .filter((f) => f.endsWith('.hptrace'))
  .map((f) => path.join(CONFORMANCE, f));

/** Straight replay of the first `records` records (all when undefined). */
function straight(file: string, records = Infinity): FinalState {
  const st = newParserState(file);
  const m = new Machine('io', file);
  let n = 0;
  forEachLine(file, (line, no) => {
    if (n >= records) return false;
    const rec = parseLine(st, no, line);
    if (!rec) return;
    applyRecord(m, rec);
    n++;
  });
  return finalState(m);
}

/** The set-up both generated traces start from: a RAM slot and a PFNMAP I/O slot. */
const TWO_SLOTS = [
  'hptrace 1',
  'host page=64K',
  'hpt order=18',
  'vma 0x10000000-0x11000000 anon pfn=0x5000',
  'memslot 0 gfn=0x0 npages=0x100 hva=0x10000000',
  'vma 0x20000000-0x20100000 pfnmap pgoff=0x9000 cache=I',
  'memslot 1 gpa=0x200000000 size=1M hva=0x20000000',
];

/** A deterministic pseudo-random trace that redefines and deletes memslots and munmaps between hcalls. */
function synthetic(seed: number, hcalls: number): string {
  let s = seed;
  const rnd = (n: number) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % n;
  };
  const out = [...TWO_SLOTS];
  for (let i = 0; i < hcalls; i++) {
    const r = rnd(100);
    const idx = rnd(64);
    if (r < 50) {
      const io = rnd(3) === 0;
      const page = rnd(16);
      const ptel = io
        ? `0x2000${page.toString(16)}002a`
        : `0x${page.toString(16)}1${rnd(2) ? '0' : '2'}2`.replace(/^0x0+(?=.)/, '0x');
      out.push(
        `hcall H_ENTER flags=0x0 pte_index=0x${idx.toString(16)} pteh=0x4000000000${(i % 4096).toString(16).padStart(3, '0')}005 ptel=${ptel}`,
      );
    } else if (r < 70) out.push(`hcall vcpu=${rnd(2)} H_REMOVE flags=0x0 pte_index=0x${idx.toString(16)} avpn=0x0`);
    else if (r < 80) out.push(`hcall H_PROTECT flags=0x3 pte_index=0x${idx.toString(16)} avpn=0x0`);
    else if (r < 88) out.push(`hcall H_READ flags=0x4000000000 pte_index=0x${idx.toString(16)}`);
    else if (r < 92)
      out.push(
        `hcall H_BULK_REMOVE 0x40000000000000${(idx % 256).toString(16).padStart(2, '0')} 0x0 0xc000000000000000 0x0 0x0 0x0 0x0 0x0`,
      );
    else if (r < 95) out.push('memslot 0 gfn=0x0 npages=0x100 hva=0x10000000   # redefinition forgets slot_phys');
    else if (r < 97) out.push('memslot 1 delete', 'memslot 1 gpa=0x200000000 size=1M hva=0x20000000');
    else
      out.push(
        'munmap 0x20000000-0x20100000',
        'vma 0x20000000-0x20100000 pfnmap pgoff=0x9000 cache=I',
        '# comment line',
        '',
      );
  }
  return out.join('\n') + '\n';
}

function tmpTrace(text: string, name = 't.hptrace'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-engine-'));
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

function exploreAll(e: Engine): void {
  while (e.explore());
}

for (const file of conformance) {
  test(`engine: ${path.basename(file)} seeks back and forth to the straight replay's states`, () => {
    const e = new Engine(file);
    exploreAll(e);
    assert.equal(e.error, null);
    const end = e.count;
    assert.deepEqual(finalState(e.m), straight(file));
    e.seek(0);
    assert.deepEqual(finalState(e.m), straight(file, 0));
    for (const k of [Math.floor(end / 2), 1, end - 1, 3, end]) {
      e.seek(k);
      assert.deepEqual(finalState(e.m), straight(file, k), `at record ${k}`);
    }
    e.close();
  });
}

test('engine: synthetic trace with memslot redefinitions, deletes and munmaps, random seeks', () => {
  const file = tmpTrace(synthetic(7, 600));
  const e = new Engine(file);
  exploreAll(e);
  assert.equal(e.error, null);
  let s = 3;
  for (let n = 0; n < 40; n++) {
    s = (s * 48271) % 2147483647;
    const k = s % (e.count + 1);
    e.seek(k);
    assert.deepEqual(finalState(e.m), straight(file, k), `at record ${k}`);
  }
  e.seek(e.count);
  assert.deepEqual(finalState(e.m), straight(file));
  e.close();
});

test('engine: jumps through checkpoints land on the straight replay states, memslot changes included', () => {
  const file = tmpTrace(synthetic(5, 3000));
  // Checkpoints every 64 records, and a budget small enough that they get thinned out.
  const e = new Engine(file, 'io', { checkpointInterval: 64, checkpointBudget: 256 << 10 });
  exploreAll(e);
  assert.equal(e.error, null);
  assert.ok(e.checkpoints.count > 4, `${e.checkpoints.count} checkpoints`);
  assert.ok(e.checkpoints.interval > 64, 'the budget made the checkpoints thin out');
  let s = 11;
  for (let n = 0; n < 60; n++) {
    s = (s * 48271) % 2147483647;
    const k = s % (e.count + 1);
    e.seek(k);
    assert.deepEqual(finalState(e.m), straight(file, k), `at record ${k}`);
    // A step either way from a restored state goes through the journal again.
    if (k > 0) {
      e.seek(k - 1);
      assert.deepEqual(finalState(e.m), straight(file, k - 1), `at record ${k - 1}`);
    }
  }
  assert.ok(e.restores > 10, `${e.restores} restores`);
  e.close();
});

test('engine: a jump across a large trace costs at most the checkpoint spacing in journal words', () => {
  const file = tmpTrace(synthetic(9, 20000));
  const e = new Engine(file, 'io', { checkpointInterval: 1024 });
  exploreAll(e);
  e.seek(0);
  const before = e.restores;
  e.seek(e.count - 5);
  assert.equal(e.restores, before + 1, 'the far jump restored a checkpoint');
  assert.deepEqual(finalState(e.m), straight(file, e.count - 5));
  e.close();
});

test('engine: explores lazily — the first hcall is reached without reading the whole trace', () => {
  const file = tmpTrace(synthetic(11, 60000));
  const e = new Engine(file);
  const t0 = performance.now();
  const first = e.nextHcall(-1);
  const ms = performance.now() - t0;
  assert.ok(first > 0 && e.isHcall(first));
  assert.ok(e.count < 100, `explored ${e.count} records`);
  assert.ok(e.bytesRead < e.fileSize, 'read only part of the file');
  assert.ok(ms < 500, `first hcall took ${ms} ms`);
  e.close();
});

test('engine: explain re-runs an hcall with checks and leaves the state untouched', () => {
  const file = path.join(CONFORMANCE, 'io-bar.hptrace');
  const e = new Engine(file);
  exploreAll(e);
  const before = finalState(e.m);
  const at = e.applied;
  const bad = [...Array(e.count).keys()].find((i) => e.isHcall(i) && e.ret(i) === -4)!;
  const res = e.explain(bad)!;
  assert.equal(returnCodeName(res.ret!), 'H_PARAMETER');
  assert.ok(res.checks!.checks.some((c) => !c.ok && /WIMG/.test(c.detail)));
  assert.equal(e.applied, at);
  assert.deepEqual(finalState(e.m), before);
  // A journal-only scan finds the writer of an HPT slot.
  const first = e.nextHcall(-1);
  assert.ok(e.wroteHpt(first, 0x100));
  assert.ok(!e.wroteHpt(first, 0x101));
  assert.ok(e.wroteSlotPhys(first, 0, 0x100));
  assert.equal(e.flags(first) & F.HCALL, F.HCALL);
  e.close();
});

test('engine: re-reads records from byte offsets, CRLF and multi-byte comments included', () => {
  const file = tmpTrace(
    'hptrace 1\r\n# é ü — comment\r\nhost page=64K\r\nvma 0x10000000-0x11000000 anon\r\nmemslot 0 gfn=0x0 npages=0x100 hva=0x10000000\r\nhcall H_ENTER flags=0x0 pte_index=0x40 pteh=0x4000000000010005 ptel=0x1012 # ü\r\nhcall H_READ 0x0 0x40',
  );
  const e = new Engine(file);
  exploreAll(e);
  assert.equal(e.count, 6);
  const rec = e.hcall(4)!;
  assert.equal(rec.name, 'H_ENTER');
  assert.equal(rec.line, 6);
  assert.equal(e.record(5).line, 7);
  assert.equal(e.hcall(4)!.argLo[1], 0x40);
  e.close();
});

test('engine: a malformed line stops exploration with a positioned TraceError', () => {
  const file = tmpTrace(
    'hptrace 1\nhost page=64K\nhcall H_ENTER flags=0x0 pte_index=zz pteh=0x1 ptel=0x2\n',
    'bad.hptrace',
  );
  const e = new Engine(file);
  exploreAll(e);
  assert.ok(e.error instanceof TraceError);
  assert.equal(e.error!.line, 3);
  assert.match(e.error!.message, /bad\.hptrace:3:\d+: /);
  assert.equal(e.count, 2);
  e.close();
});

/**
 * Like synthetic() but the H_ENTERs succeed (64K pages in RAM and in the PFNMAP BAR) and spread over
 * a whole order-18 HPT, so it fills: checkpoints then hold whole-table copies.
 */
function dense(seed: number, hcalls: number): string {
  let s = seed;
  const rnd = (n: number) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return Math.floor((s / 2147483648) * n); // the high bits: the low ones of this LCG repeat quickly
  };
  const hex = (n: number) => '0x' + n.toString(16);
  const out = [...TWO_SLOTS];
  for (let i = 0; i < hcalls; i++) {
    const r = rnd(1000);
    const idx = rnd(16384);
    if (r < 500) {
      const page = rnd(16);
      const ptel =
        rnd(4) === 0 ? 0x200000000 + page * 0x10000 + 0x102a : page * 0x10000 + 0x1000 + (rnd(2) ? 0x190 : 0x102);
      // pteh: V | L and an AVPN that varies
      out.push(
        `hcall H_ENTER flags=0x0 pte_index=${hex(idx)} pteh=0x40000000${(i % 65536).toString(16).padStart(4, '0')}0005 ptel=${hex(ptel)}`,
      );
    } else if (r < 850) out.push(`hcall vcpu=${rnd(2)} H_REMOVE flags=0x0 pte_index=${hex(idx)} avpn=0x0`);
    else if (r < 900) out.push(`hcall H_PROTECT flags=0x3 pte_index=${hex(idx)} avpn=0x0`);
    else if (r < 960) out.push(`hcall H_READ flags=0x4000000000 pte_index=${hex(idx)}`);
    else if (r < 996)
      out.push(
        `hcall H_BULK_REMOVE 0x4${idx.toString(16).padStart(15, '0')} 0x0 0xc000000000000000 0x0 0x0 0x0 0x0 0x0`,
      );
    else if (r < 997) out.push('memslot 0 gfn=0x0 npages=0x100 hva=0x10000000   # redefinition forgets slot_phys');
    else if (r < 998) out.push('memslot 1 delete', 'memslot 1 gpa=0x200000000 size=1M hva=0x20000000');
    else
      out.push(
        'munmap 0x20000000-0x20100000',
        'vma 0x20000000-0x20100000 pfnmap pgoff=0x9000 cache=I',
        '# comment',
        '',
      );
  }
  return out.join('\n') + '\n';
}

test('engine at scale: spilled checkpoints and journal pages give the same states as memory and a straight replay', () => {
  // An order-18 HPT (16384 entries) that the hcalls fill, so checkpoints hold whole-table copies and
  // spill them; memslot redefinitions, deletes and munmaps in between. Enough records for three
  // journal pages (1 MB each), with one kept in memory, so walks read pages back from the file.
  const file = tmpTrace(dense(13, 700_000));
  const spilled = new Engine(file, 'io', { checkpointInterval: 1 << 14, journalPages: 1 });
  const memory = new Engine(file, 'io', { checkpointInterval: 1 << 14, spillDir: null });
  exploreAll(spilled);
  exploreAll(memory);
  assert.equal(spilled.error, null);
  assert.ok(spilled.spill, 'a spill file');
  assert.ok(spilled.checkpoints.diskBytes > 0, 'whole-table checkpoints went to the spill file');
  assert.equal(memory.checkpoints.diskBytes, 0);
  assert.ok(spilled.m.journal.totalBytes >= 3 * (1 << 20), `journal ${spilled.m.journal.totalBytes} bytes`);
  assert.ok(spilled.m.journal.bytes < spilled.m.journal.totalBytes, 'journal pages went to the spill file');
  assert.deepEqual(finalState(spilled.m), finalState(memory.m));
  let s = 17;
  const straightAt = new Set<number>();
  for (let n = 0; n < 50; n++) {
    s = (s * 48271) % 2147483647;
    const k = s % (spilled.count + 1);
    spilled.seek(k);
    memory.seek(k);
    assert.deepEqual(finalState(spilled.m), finalState(memory.m), `at record ${k}`);
    if (n % 25 === 0) straightAt.add(k);
    if (k > 0) {
      spilled.seek(k - 1);
      memory.seek(k - 1);
      assert.deepEqual(finalState(spilled.m), finalState(memory.m), `at record ${k - 1}`);
    }
  }
  assert.ok(spilled.restores > 20, `${spilled.restores} restores`);
  assert.ok(spilled.m.journal.loads > 0, 'journal pages were read back');
  for (const k of straightAt) {
    spilled.seek(k);
    assert.deepEqual(finalState(spilled.m), straight(file, k), `at record ${k} against a straight replay`);
  }
  spilled.close();
  memory.close();
});
