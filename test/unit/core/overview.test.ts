/** Overview binning and the PTEG map, checked against counts taken from a straight replay. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Engine } from '../../../src/core/engine';
import { Machine } from '../../../src/core/machine';
import { newParserState, parseLine } from '../../../src/core/parser';
import { applyRecord, diverged } from '../../../src/core/replay';
import { findKind, OVERVIEW_KINDS, overviewBins, ptegMap, STACKED_KINDS } from '../../../src/core/overview';
import { returnCodeName } from '../../../src/core/bits';

const SETUP = [
  'hptrace 1',
  'cpu power7',
  'host page=64K',
  'hpt order=18',
  'vma 0x7fff00000000-0x7fff10000000 anon page=16M pfn=0x100000',
  'memslot 0 gpa=0x0 size=256M hva=0x7fff00000000',
  'vma 0x10000000-0x11000000 anon',
  'memslot 2 gpa=0x100000000 size=16M hva=0x10000000',
];

/** A trace with every kind of result, two vcpus, a full PTEG and a memslot/vma added half-way. */
function mixedTrace(): string {
  const out = [...SETUP];
  // Eight entries fill PTEG 0x20 (indices 0x100..0x107); the ninth is H_PTEG_FULL.
  for (let k = 0; k < 9; k++)
    out.push(
      `hcall vcpu=${k % 2} H_ENTER flags=0x0 pte_index=0x100 pteh=0x40000000000${(k + 1).toString(16).padStart(2, '0')}005 ptel=0x1231192`,
    );
  out.push('# a comment line');
  out.push('hcall vcpu=1 H_REMOVE flags=0x0 pte_index=0x200 avpn=0x0'); // H_NOT_FOUND
  out.push('hcall vcpu=0 H_REMOVE flags=0x0 pte_index=0x101 avpn=0x0 -> H_NOT_FOUND'); // diverges (emulated H_SUCCESS)
  out.push('vma 0x3fff80000000-0x3fff80100000 pfnmap pgoff=0x200000 cache=I');
  out.push('memslot 1 gpa=0x200000000 size=1M hva=0x3fff80000000');
  // Cacheable WIMG on the I/O slot: H_PARAMETER with the seed commit.
  out.push('hcall vcpu=2 H_ENTER flags=0x0 pte_index=0x118 pteh=0x4000000000004005 ptel=0x200011012');
  // Inhibited WIMG on RAM: silently made cacheable.
  out.push('hcall vcpu=2 H_ENTER flags=0x0 pte_index=0x120 pteh=0x4000000000005005 ptel=0x201102a');
  out.push('hcall vcpu=0 H_SET_DABR r4=0x0');
  // A 4K guest page on 64K host pages: H_RESOURCE (another failure).
  out.push('hcall vcpu=1 H_ENTER flags=0x0 pte_index=0x0 pteh=0x4000000000001001 ptel=0x100005012');
  out.push('hcall vcpu=0 H_PROTECT flags=0x0 pte_index=0x300 avpn=0x0');
  for (let k = 0; k < 6; k++) out.push(`hcall vcpu=${k % 3} H_READ flags=0x0 pte_index=0x${(0x100 + k).toString(16)}`);
  return out.join('\n') + '\n';
}

/**
 * A long trace (thousands of records, so that bins cover whole 256-record summary blocks) with
 * every kind spread through it, four vcpus, and a vma + memslot added in the middle.
 */
function longTrace(): string {
  const out = [...SETUP];
  let x = 7;
  const rnd = (n: number) => (x = (x * 1103515245 + 12345) % 2147483648) % n;
  for (let k = 0; k < 6000; k++) {
    if (k === 3000) {
      out.push('vma 0x3fff80000000-0x3fff80100000 pfnmap pgoff=0x200000 cache=I');
      out.push('memslot 1 gpa=0x200000000 size=1M hva=0x3fff80000000');
    }
    const v = rnd(4);
    const group = (rnd(64) * 8).toString(16);
    switch (rnd(8)) {
      case 0:
      case 1:
      case 2:
        out.push(
          `hcall vcpu=${v} H_ENTER flags=0x0 pte_index=0x${group} pteh=0x40000000000${(1 + rnd(200)).toString(16).padStart(2, '0')}005 ptel=0x1231192`,
        );
        break;
      case 3:
        out.push(`hcall vcpu=${v} H_REMOVE flags=0x0 pte_index=0x${rnd(512).toString(16)} avpn=0x0`);
        break;
      case 4:
        out.push(`hcall vcpu=${v} H_READ flags=0x0 pte_index=0x${group}`);
        break;
      case 5:
        out.push(`hcall vcpu=${v} H_ENTER flags=0x0 pte_index=0x0 pteh=0x4000000000001001 ptel=0x100005012`);
        break;
      case 6:
        out.push(
          `hcall vcpu=${v} H_ENTER flags=0x0 pte_index=0x120 pteh=0x4000000000005005 ptel=0x201102a -> H_PARAMETER`,
        );
        break;
      default:
        if (k > 3000)
          out.push(`hcall vcpu=${v} H_ENTER flags=0x0 pte_index=0x118 pteh=0x4000000000004005 ptel=0x200011012`);
        else out.push(`hcall vcpu=${v} H_SET_DABR r4=0x0`);
    }
    if (rnd(50) === 0) out.push('# a comment');
  }
  return out.join('\n') + '\n';
}

function tmpTrace(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-ov-'));
  const f = path.join(dir, 't.hptrace');
  fs.writeFileSync(f, text);
  return f;
}

/** Kind index of each hcall by straight replay: [line, kinds[], vcpu]. */
function straightKinds(file: string): { line: number; kinds: number[]; vcpu: number; failed: boolean }[] {
  const st = newParserState(file);
  const m = new Machine('io', file);
  const rows: { line: number; kinds: number[]; vcpu: number; failed: boolean }[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const rec = parseLine(st, i + 1, text);
      if (!rec) return;
      const res = applyRecord(m, rec);
      if (!res || rec.kind !== 'hcall') return;
      const name = res.ret === null ? 'unmodelled' : returnCodeName(res.ret);
      let k = OVERVIEW_KINDS.indexOf(name as (typeof OVERVIEW_KINDS)[number]);
      if (name === 'H_SUCCESS') k = 0;
      else if (k < 0) k = OVERVIEW_KINDS.indexOf('failure');
      const kinds = [k];
      if (diverged(rec, res)) kinds.push(OVERVIEW_KINDS.indexOf('diverged'));
      if (res.madeCacheable) kinds.push(OVERVIEW_KINDS.indexOf('madeCacheable'));
      rows.push({ line: rec.line, kinds, vcpu: rec.vcpu, failed: res.ret !== null && res.ret !== 0 });
    });
  return rows;
}

function loaded(file: string): Engine {
  const e = new Engine(file);
  while (e.explore());
  return e;
}

test('every kind occurs in the mixed trace', () => {
  const rows = straightKinds(tmpTrace(mixedTrace()));
  const seen = new Set(rows.flatMap((r) => r.kinds));
  for (let k = 0; k < OVERVIEW_KINDS.length; k++) assert.ok(seen.has(k), `kind ${OVERVIEW_KINDS[k]} occurs`);
});

for (const [name, make, bins] of [
  ...[1, 3, 7, 40, 1000].map((n) => ['mixed', mixedTrace, n] as const),
  ...[1, 5, 33, 700, 4096].map((n) => ['long', longTrace, n] as const),
]) {
  test(`${name} trace, bins=${bins}: each hcall is counted once, in the bin holding its line, by kind and by lane`, () => {
    const file = tmpTrace(make());
    const rows = straightKinds(file);
    const e = loaded(file);
    const o = overviewBins(e, { bins });
    const lines = fs.readFileSync(file, 'utf8').split('\n').length - 1;
    assert.equal(o.fromLine, 1);
    assert.equal(o.toLine, e.lastLine);
    assert.equal(o.bins, Math.min(bins, e.lastLine));
    assert.ok(lines >= e.lastLine);
    const K = o.kinds.length;
    const want = new Array(o.bins * K).fill(0);
    for (const r of rows) {
      const b = o.edges.findIndex((_, i) => i < o.bins && r.line >= o.edges[i] && r.line < o.edges[i + 1]);
      assert.ok(b >= 0, `line ${r.line} is in a bin`);
      for (const k of r.kinds) want[b * K + k]++;
    }
    assert.deepEqual(o.counts, want);
    assert.equal(
      o.totals.slice(0, STACKED_KINDS).reduce((s, x) => s + x, 0),
      rows.length,
    );
    // Lanes: one per vcpu, hcalls and failures.
    assert.deepEqual(
      o.lanes.map((l) => l.vcpu),
      [...new Set(rows.map((r) => r.vcpu))].sort((p, q) => p - q),
    );
    for (const lane of o.lanes) {
      const mine = rows.filter((r) => r.vcpu === lane.vcpu);
      assert.equal(
        lane.counts.filter((_, i) => i % 2 === 0).reduce((s, x) => s + x, 0),
        mine.length,
      );
      assert.equal(
        lane.counts.filter((_, i) => i % 2 === 1).reduce((s, x) => s + x, 0),
        mine.filter((r) => r.failed).length,
      );
    }
  });
}

test('markers: the memslot and the vma added half-way, in the bins of their lines', () => {
  const text = mixedTrace();
  const file = tmpTrace(text);
  const e = loaded(file);
  const all = text.split('\n');
  const vmaLine = all.findIndex((l) => l.startsWith('vma 0x3fff')) + 1;
  const slotLine = all.findIndex((l) => l.startsWith('memslot 1')) + 1;
  const o = overviewBins(e, { bins: 1000 });
  const at = (line: number) => o.edges.findIndex((x, i) => i < o.bins && line >= x && line < o.edges[i + 1]);
  // The setup's memslot 0 and vma come first; then the two added later.
  const late = o.markers.filter((m) => m.line > SETUP.length);
  assert.deepEqual(
    late.map((m) => [m.kind, m.line, m.bin, m.count]),
    [
      ['vma', vmaLine, at(vmaLine), 1],
      ['memslot', slotLine, at(slotLine), 1],
    ],
  );
  assert.match(late[1].text, /^memslot 1 gpa=0x200000000/);
  // One bin for everything: markers of a kind merge, counted.
  const one = overviewBins(e, { bins: 1 });
  assert.deepEqual(
    one.markers.map((m) => [m.kind, m.count]),
    [
      ['vma', 3],
      ['memslot', 3],
    ],
  );
});

test('a line range bins only the records in it', () => {
  const file = tmpTrace(mixedTrace());
  const rows = straightKinds(file);
  const e = loaded(file);
  const from = rows[3].line;
  const to = rows[12].line;
  const o = overviewBins(e, { fromLine: from, toLine: to, bins: 5 });
  assert.equal(o.edges[0], from);
  assert.equal(o.edges[o.bins], to + 1);
  const inRange = rows.filter((r) => r.line >= from && r.line <= to).length;
  assert.equal(
    o.totals.slice(0, STACKED_KINDS).reduce((s, x) => s + x, 0),
    inRange,
  );
  // Nonsense ranges are clamped, never thrown.
  const odd = overviewBins(e, { fromLine: 50, toLine: 3, bins: -4 });
  assert.equal(odd.bins, 1);
});

test('findKind returns the first record with that result in the range', () => {
  const file = tmpTrace(mixedTrace());
  const rows = straightKinds(file);
  const e = loaded(file);
  for (const kind of ['H_PTEG_FULL', 'H_PARAMETER', 'H_NOT_FOUND', 'diverged', 'madeCacheable', 'unmodelled']) {
    const k = OVERVIEW_KINDS.indexOf(kind as (typeof OVERVIEW_KINDS)[number]);
    const first = rows.find((r) => r.kinds.includes(k))!;
    const i = findKind(e, kind, 1, e.lastLine);
    assert.equal(e.line(i), first.line, kind);
    assert.equal(findKind(e, kind, 1, first.line - 1), -1, `no ${kind} before line ${first.line}`);
  }
  assert.equal(findKind(e, 'nonsense', 1, 100), -1);
});

test('PTEG map: the full group, and the H_PTEG_FULL mark only once that hcall has run', () => {
  const file = tmpTrace(mixedTrace());
  const rows = straightKinds(file);
  const e = loaded(file);
  // order 18: 2^14 entries, 2^11 PTEGs; 2048 cells of one group each.
  const p = ptegMap(e, 4096);
  assert.equal(p.groups, 2048);
  assert.equal(p.cells, 2048);
  assert.equal(p.groupsPerCell, 1);
  assert.equal(p.max[0x20], 7, 'one of the eight was removed by the H_REMOVE of 0x101');
  assert.equal(p.pegFull[0x20], 1);
  assert.equal(
    p.valid.reduce((s, x) => s + x, 0),
    e.m.validHptes,
  );
  // Just after the ninth H_ENTER: the group is full and marked; just before it, full but unmarked.
  const fullLine = rows.find((r) => r.kinds[0] === OVERVIEW_KINDS.indexOf('H_PTEG_FULL'))!.line;
  const k = e.recordAtLine(fullLine);
  e.seek(k + 1);
  let q = ptegMap(e, 4096);
  assert.equal(q.max[0x20], 8);
  assert.equal(q.full[0x20], 1);
  assert.equal(q.pegFull[0x20], 1);
  e.seek(k);
  q = ptegMap(e, 4096);
  assert.equal(q.full[0x20], 1);
  assert.equal(q.pegFull[0x20], 0);
  // Aggregated to 16 cells: 128 groups a cell, the fullest group's count kept.
  const small = ptegMap(e, 16);
  assert.equal(small.cells, 16);
  assert.equal(small.groupsPerCell, 128);
  assert.equal(small.max[0], 8);
  assert.equal(small.full[0], 1);
});
