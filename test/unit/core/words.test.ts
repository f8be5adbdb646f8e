/** SparseWords (the HPT and slot_phys tables) against a plain model: reads, writes, counts, scans, clones. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SparseWords, writeDeltas } from '../../../src/core/words';

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

for (const width of [2, 6]) {
  test(`SparseWords(${width}) behaves like a map of entries`, () => {
    const r = rng(width);
    const int = (n: number) => Math.floor((r() / 4294967296) * n);
    // indices near each other, spread over the dense directory, and far past it (Map-held chunks)
    const indices = [
      ...Array.from({ length: 40 }, () => int(4096)),
      ...Array.from({ length: 20 }, () => int(2 ** 30)),
      ...Array.from({ length: 20 }, () => 2 ** 31 + int(2 ** 40)),
    ];
    const t = new SparseWords(width, 1, 1);
    const model = new Map<number, number[]>();
    const word = (i: number, w: number) => model.get(i)?.[w] ?? 0;
    const src = new Uint32Array(8);
    for (let step = 0; step < 20000; step++) {
      const i = indices[int(indices.length)];
      const entry = model.get(i) ?? new Array(width).fill(0);
      const op = int(3);
      if (op === 0) {
        const w = int(width);
        const d = r() & (int(2) ? 0xffffffff : 1);
        t.xor(i, w, d);
        entry[w] = (entry[w] ^ d) >>> 0;
      } else if (op === 1) {
        const first = int(width);
        const count = 1 + int(width - first);
        const before = entry.slice();
        for (let w = first; w < first + count; w++) src[w] = int(3) === 0 ? 0 : r();
        const mask = t.writeFrom(i, first, count, src);
        for (let w = first; w < first + count; w++) entry[w] = src[w];
        for (let w = 0; w < width; w++) {
          const changed = before[w] !== entry[w];
          assert.equal((mask >> w) & 1, changed ? 1 : 0);
          if (changed) assert.equal(writeDeltas[w], (before[w] ^ entry[w]) >>> 0);
        }
      } else {
        const c = t.view(i);
        for (let w = 0; w < width; w++) assert.equal(c[t.at + w], word(i, w), `view ${i}.${w}`);
      }
      model.set(i, entry);
      for (let w = 0; w < width; w++) assert.equal(t.get(i, w), entry[w]);
    }
    const nonZero = [...model]
      .filter(([, e]) => e.some((x) => x !== 0))
      .map(([i]) => i)
      .sort((a, b) => a - b);
    assert.equal(t.nonZeroCount, nonZero.length);
    const seen: number[] = [];
    t.forEachSet(0, 0, (i, c, b) => {
      seen.push(i);
      for (let w = 0; w < width; w++) assert.equal(c[b + w], word(i, w));
    });
    assert.deepEqual(seen, nonZero);
    assert.deepEqual(
      t.scan((_i, c, b) => c[b] !== 0 || c[b + 1] !== 0),
      nonZero.filter((i) => word(i, 0) !== 0 || word(i, 1) !== 0),
    );
    const withBit: number[] = [];
    t.forEachSet(1, 1, (i) => void withBit.push(i));
    assert.deepEqual(
      withBit,
      nonZero.filter((i) => (word(i, 1) & 1) !== 0),
    );
    assert.equal(t.flaggedCount, withBit.length, 'flaggedCount');
    const copy = t.clone();
    for (const i of indices)
      for (let w = 0; w < width; w++) assert.equal(copy.get(i, w), word(i, w), `clone ${i}.${w}`);
    assert.equal(copy.nonZeroCount, t.nonZeroCount);
    assert.equal(copy.flaggedCount, t.flaggedCount);
    copy.xor(indices[0], 0, 1);
    assert.equal(t.get(indices[0], 0), word(indices[0], 0), 'a clone is independent');
  });
}
