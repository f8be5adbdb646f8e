/** H_REMOVE, H_READ, H_PROTECT and H_BULK_REMOVE as of the seed commit's kernel. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rig } from '../../helpers/trace';

const SETUP =
  'host page=64K\nhpt order=18\nvma 0x10000000-0x11000000 anon pfn=0x5000\nmemslot 0 gfn=0x0 npages=0x100 hva=0x10000000\n';
function filled(): Rig {
  const rig = new Rig(SETUP);
  rig.call('hcall H_ENTER flags=0x0 pte_index=0x80 pteh=0x4000000000abc005 ptel=0x11192');
  rig.call('hcall H_ENTER flags=0x0 pte_index=0x80 pteh=0x4000000000abd005 ptel=0x21192');
  rig.call('hcall H_ENTER flags=0x0 pte_index=0x80 pteh=0x4000000000abe005 ptel=0x31192');
  return rig;
}

test('H_REMOVE: pte_index out of range -> H_PARAMETER', () => {
  const r = filled().call('hcall H_REMOVE flags=0x0 pte_index=0x4000 avpn=0x0');
  assert.equal(r.name, 'H_PARAMETER');
  assert.equal(r.decided, 'remove.index');
});

test('H_REMOVE: not valid -> H_NOT_FOUND', () => {
  assert.equal(filled().call('hcall H_REMOVE flags=0x0 pte_index=0x90 avpn=0x0').decided, 'remove.match');
});

test('H_REMOVE with H_AVPN: (v & ~0x7f) must equal avpn', () => {
  const rig = filled();
  assert.equal(rig.call('hcall H_REMOVE flags=0x80000000 pte_index=0x81 avpn=0x4000000000abc000').name, 'H_NOT_FOUND');
  const ok = rig.call('hcall H_REMOVE flags=0x80000000 pte_index=0x81 avpn=0x4000000000abd000');
  assert.equal(ok.name, 'H_SUCCESS');
  assert.equal(rig.out(ok, 0), '0x4000000000abd005');
  assert.equal(rig.out(ok, 1), '0x50021192');
});

test('H_REMOVE with H_ANDCOND: refuses when v & avpn != 0; the lock bit 0x40 is set while testing', () => {
  const rig = filled();
  assert.equal(rig.call('hcall H_REMOVE flags=0x40000000 pte_index=0x80 avpn=0x4').name, 'H_NOT_FOUND');
  assert.equal(rig.call('hcall H_REMOVE flags=0x40000000 pte_index=0x80 avpn=0x40').name, 'H_NOT_FOUND');
  assert.equal(rig.call('hcall H_REMOVE flags=0x40000000 pte_index=0x80 avpn=0x8').name, 'H_SUCCESS');
});

test('H_REMOVE clears only the first doubleword: H_READ then gives v 0 and the old r', () => {
  const rig = filled();
  rig.call('hcall H_REMOVE flags=0x0 pte_index=0x80 avpn=0x0');
  const r = rig.call('hcall H_READ flags=0x0 pte_index=0x80');
  assert.equal(rig.out(r, 0), '0x0');
  assert.equal(rig.out(r, 1), '0x50011192');
  assert.equal(rig.hpt(0x80), undefined);
});

test('H_READ: host address hidden (all RPN bits set) unless H_R_XLATE gives the guest view', () => {
  const rig = filled();
  const a = rig.call('hcall H_READ flags=0x0 pte_index=0x80');
  assert.equal(rig.out(a, 1), '0xffffffffffff192');
  const b = rig.call('hcall H_READ flags=0x4000000000 pte_index=0x80');
  assert.equal(rig.out(b, 1), '0x11192');
});

test('H_READ_4: index aligned down to 4, four pairs in r4..r11', () => {
  const rig = filled();
  const r = rig.call('hcall H_READ flags=0x2000000000 pte_index=0x83');
  assert.equal(r.outCount, 8);
  assert.equal(rig.out(r, 0), '0x4000000000abc005');
  assert.equal(rig.out(r, 6), '0x0');
});

test('H_READ: out of range -> H_PARAMETER', () => {
  assert.equal(filled().call('hcall H_READ flags=0x0 pte_index=0x4000').decided, 'read.index');
});

test('H_PROTECT: PP0 from flags bit 8, KEY_HI from bits 12-13, PP/N/KEY_LO from the low bits, in both views', () => {
  const rig = filled();
  const r = rig.call('hcall H_PROTECT flags=0x3107 pte_index=0x81 avpn=0x0');
  assert.equal(r.name, 'H_SUCCESS');
  assert.deepEqual(rig.hpt(0x81), {
    index: 0x81,
    v: '0x4000000000abd005',
    r: '0xb000000050021197',
    guest_r: '0xb000000000021197',
  });
});

test('H_PROTECT: not valid or AVPN mismatch -> H_NOT_FOUND; out of range -> H_PARAMETER', () => {
  const rig = filled();
  assert.equal(rig.call('hcall H_PROTECT flags=0x1 pte_index=0x90 avpn=0x0').name, 'H_NOT_FOUND');
  assert.equal(rig.call('hcall H_PROTECT flags=0x80000001 pte_index=0x81 avpn=0x1234').name, 'H_NOT_FOUND');
  assert.equal(rig.call('hcall H_PROTECT flags=0x1 pte_index=0x4000 avpn=0x0').decided, 'protect.index');
});

test('H_BULK_REMOVE: found (R and C moved into the response), not found goes on, end of list stops', () => {
  const rig = filled();
  const r = rig.call(
    'hcall H_BULK_REMOVE 0x4000000000000080 0x0 0x4200000000000081 0x1234500 0xc000000000000000 0x0 0x4000000000000082 0x0',
  );
  assert.equal(r.name, 'H_SUCCESS');
  assert.equal(rig.out(r, 0), '0x8c00000000000080');
  assert.equal(rig.out(r, 2), '0x9200000000000081');
  assert.equal(rig.out(r, 6), '0x4000000000000082');
  assert.equal(rig.hpt(0x82)?.index, 0x82);
});

test('H_BULK_REMOVE: andcond sees the lock bit; AVPN match removes', () => {
  const rig = filled();
  const r = rig.call(
    'hcall H_BULK_REMOVE 0x4100000000000080 0x40 0x4200000000000081 0x4000000000abd000 0xc000000000000000 0x0 0x0 0x0',
  );
  assert.equal(rig.out(r, 0), '0x9100000000000080');
  assert.equal(rig.out(r, 2), '0x8e00000000000081');
});

test('H_BULK_REMOVE: parameter error (type not request, mode 3, index out of range) stops with H_PARAMETER', () => {
  for (const [w, resp] of [
    ['0x8000000000000080', '0xa000000000000080'],
    ['0x4300000000000080', '0xa300000000000080'],
    ['0x4000000000004000', '0xa000000000004000'],
  ]) {
    const rig = filled();
    const r = rig.call(`hcall H_BULK_REMOVE 0x4000000000000081 0x0 ${w} 0x0 0x4000000000000082 0x0 0x0 0x0`);
    assert.equal(r.name, 'H_PARAMETER');
    assert.equal(r.decided, 'bulk.param');
    assert.equal(rig.out(r, 2), resp);
    assert.equal(rig.out(r, 4), '0x4000000000000082', 'the pair after the error is left as it was');
    assert.equal(rig.hpt(0x82)?.index, 0x82);
  }
});
