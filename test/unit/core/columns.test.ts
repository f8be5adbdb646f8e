import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MonotoneColumn, NarrowColumn } from '../../../src/core/columns';

/** A seeded generator (mulberry32), so a failure repeats. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ROWS = 3 * 65536 + 123; // three frozen pages and a partial one

test('NarrowColumn: every row reads back exactly, none included, whatever width its page packs to', () => {
  const r = rng(7);
  for (const [none, gen] of [
    [-1, () => (r() < 0.2 ? -1 : Math.floor(r() * 200))], // fits a byte with the none code
    [0x7fffffff, () => (r() < 0.5 ? 0x7fffffff : 0 - Math.floor(r() * 20) || 0)], // RET_NONE and small negatives
    [-1, () => (r() < 0.1 ? -1 : Math.floor(r() * 2 ** 20))], // 4 bytes
    [-1, () => (r() < 0.001 ? 2 ** 40 + Math.floor(r() * 1000) : Math.floor(r() * 300))], // past 2^32: doubles
    [-1, () => 255], // a constant page
  ] as [number, () => number][]) {
    const col = new NarrowColumn(none);
    const want: number[] = [];
    for (let i = 0; i < ROWS; i++) {
      const v = gen();
      want.push(v);
      col.push(v);
    }
    for (let i = 0; i < ROWS; i++) assert.equal(col.get(i), want[i], `row ${i}`);
  }
});

test('MonotoneColumn: rows and floor() round-trip through packing, with jumps past 2^32', () => {
  const r = rng(11);
  const col = new MonotoneColumn();
  const want: number[] = [];
  let v = 5;
  for (let i = 0; i < ROWS; i++) {
    v += r() < 0.0001 ? 2 ** 33 : Math.floor(r() * 180);
    want.push(v);
    col.push(v);
  }
  for (let i = 0; i < ROWS; i++) assert.equal(col.get(i), want[i], `row ${i}`);
  for (let k = 0; k < 2000; k++) {
    const i = Math.floor(r() * ROWS);
    const f = col.floor(want[i]);
    assert.equal(want[f], want[i]);
    assert.ok(f + 1 >= ROWS || want[f + 1] > want[i]);
  }
  assert.equal(col.floor(want[0] - 1), -1);
  // A page of lines one apart packs to one byte a row.
  const lines = new MonotoneColumn();
  for (let i = 0; i < 65536; i++) lines.push(i * 1 + 3 + (i > 30000 ? 7 : 0));
  assert.ok(lines.bytes <= 65536 + 65536 * 8, `bytes ${lines.bytes}`);
  assert.equal(lines.get(30001), 30011);
});
