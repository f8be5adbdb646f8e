/**
 * Sparse tables of fixed-width entries of uint32 words, allocated in chunks on first write. The HPT
 * (6 words an entry: v, r and the reverse map's guest r, as hi/lo) and each slot's slot_phys array
 * (2 words) live here, so an HPT of order 34 costs memory only where the guest wrote.
 *
 * Hot path (millions of reads and writes per replay): chunks are found through a plain array (a Map
 * only for chunk numbers past 2^20), the chunk of the last access is cached, view() hands the
 * handlers a chunk to read an entry or a PTEG without a call per word, and writeFrom changes several
 * words of an entry at once and reports the XOR deltas for the journal. Indices may pass 2^31, so
 * they are doubles to V8, and `%` on doubles is a C call (fmod): the offset in a chunk is computed as
 * index - key * CHUNK instead (exact, CHUNK being a power of two).
 */
const CHUNK_SHIFT = 10;
const CHUNK = 1 << CHUNK_SHIFT;
const SLAB_MAX = 64;
/** Keys (chunk numbers) below this go in the dense directory too (2^30 entries; 8 MB of pointers at most). */
const DENSE_MAX = 1 << 20;

/**
 * A table's contents at one moment, for a checkpoint. A mostly empty table is kept sparse (its
 * non-zero entries in ascending order; indices uint32 unless the table reaches past 2^32 entries);
 * a well-filled one as copies of its chunks, which restore at memory-copy speed.
 */
export interface WordsDump {
  readonly index: Uint32Array | Float64Array;
  readonly words: Uint32Array;
  readonly chunkKeys: readonly number[];
  /** The chunk copies in memory, or empty when they were spilled (then spillOffset >= 0). */
  readonly chunkCopies: readonly Uint32Array[];
  readonly live: number;
  readonly flagged: number;
  /** Bytes held in memory. */
  readonly bytes: number;
  /** Where the chunk copies are in the spill file (-1: in memory), and how many bytes they take there. */
  readonly spillOffset: number;
  readonly diskBytes: number;
  /** Set when its spilled copies were released: the table never hands it out again. */
  dead?: boolean;
}

/** The dump of an empty table. */
export const EMPTY_DUMP: WordsDump = {
  index: new Uint32Array(0),
  words: new Uint32Array(0),
  chunkKeys: [],
  chunkCopies: [],
  live: 0,
  flagged: 0,
  bytes: 0,
  spillOffset: -1,
  diskBytes: 0,
};

/**
 * A file that takes a table's chunk copies instead of the heap (the engine's checkpoints): a restore
 * reads them back straight into the table's chunks, from the page cache while memory is plentiful.
 */
export interface ChunkSpill {
  /** Writes the chunks one after the other; returns the offset of the first. */
  write(chunks: readonly Uint32Array[]): number;
  /** Reads into.byteLength bytes at offset into `into`. */
  read(offset: number, into: Uint32Array): void;
}

/** Deltas of the last writeFrom, by word of the entry (valid where its mask bit is set). */
export const writeDeltas = new Uint32Array(8);

export class SparseWords {
  private readonly chunks = new Map<number, Uint32Array>();
  /** Entries whose words are not all zero; kept so views can show a count without a scan. */
  private live = 0;
  /** chunks by key below DENSE_MAX, as a plain array: a lookup is a load, not a hash. */
  private dense: (Uint32Array | undefined)[] = [];
  private lastKey = -1;
  private lastChunk: Uint32Array | undefined = undefined;
  /** Chunks are cut from slabs of up to SLAB_MAX chunks: fewer, bigger allocations as a table grows. */
  private slab: Uint32Array | null = null;
  private slabUsed = 0;
  private slabChunks = 0;

  /** Entries with a bit of flagMask set in word flagWord (the HPT: valid entries), kept like `live`. */
  private flagged = 0;
  /** The dump the table equals (made by dump() or restored by load()); any write clears it. */
  private same: WordsDump | null = null;
  /** Where dump() puts well-filled tables' chunk copies (null: in memory). */
  spill: ChunkSpill | null = null;

  constructor(
    readonly width: number,
    private readonly flagWord = 0,
    private readonly flagMask = 0,
  ) {}

  /** Set by journal replay, which does not keep `live` (it is the jump hot path); recounted on demand. */
  private liveStale = false;

  get nonZeroCount(): number {
    if (this.liveStale) this.recountLive();
    return this.live;
  }

  private recountLive(): void {
    const width = this.width;
    let n = 0;
    for (const c of this.chunks.values()) {
      for (let b = 0; b < c.length; b += width) {
        for (let w = 0; w < width; w++) {
          if (c[b + w] !== 0) {
            n++;
            break;
          }
        }
      }
    }
    this.live = n;
    this.liveStale = false;
  }

  /** How many entries have a bit of the constructor's flagMask set in word flagWord. */
  get flaggedCount(): number {
    return this.flagged;
  }

  private flagChange(before: number, after: number): void {
    const was = (before & this.flagMask) !== 0;
    const is = (after & this.flagMask) !== 0;
    if (was !== is) this.flagged += is ? 1 : -1;
  }

  private chunkOf(key: number): Uint32Array | undefined {
    if (key === this.lastKey) return this.lastChunk;
    const c = key < this.dense.length ? this.dense[key] : key < DENSE_MAX ? undefined : this.chunks.get(key);
    // Only existing chunks are cached: a miss stays a miss until a write creates the chunk.
    if (c !== undefined) {
      this.lastKey = key;
      this.lastChunk = c;
    }
    return c;
  }

  private chunkForWrite(key: number): Uint32Array {
    let c = this.chunkOf(key);
    if (c === undefined) {
      c = this.newChunk();
      this.put(key, c);
      this.lastKey = key;
      this.lastChunk = c;
    }
    return c;
  }

  private put(key: number, c: Uint32Array): void {
    this.chunks.set(key, c);
    if (key < DENSE_MAX) {
      // grown in order, so the array stays a fast (not dictionary-mode) one
      while (this.dense.length <= key) this.dense.push(undefined);
      this.dense[key] = c;
    }
  }

  private newChunk(): Uint32Array {
    const size = CHUNK * this.width;
    if (this.slab === null || this.slabUsed === this.slabChunks) {
      this.slabChunks = Math.min(SLAB_MAX, Math.max(1, this.slabChunks * 2));
      this.slab = new Uint32Array(size * this.slabChunks);
      // Touch it now, in one sequential write: fresh pages then cost one write fault each, instead of
      // a zero-page read fault and a copy-on-write fault apiece at scattered first accesses.
      this.slab.fill(0);
      this.slabUsed = 0;
    }
    return this.slab.subarray(size * this.slabUsed, size * ++this.slabUsed);
  }

  /** Offset of the entry in the chunk the last view() returned. */
  at = 0;
  private zeros: Uint32Array | null = null;

  /**
   * The chunk holding entry `index`, with the entry's first word at `this.at`: for runs of reads
   * without a call per word. Past the written part it is a shared all-zero chunk, so read it only,
   * and view again after any write. The CHUNK entries from a multiple of CHUNK share a chunk.
   */
  view(index: number): Uint32Array {
    const key = Math.floor(index / CHUNK);
    this.at = (index - key * CHUNK) * this.width;
    const c = this.chunkOf(key);
    if (c !== undefined) return c;
    if (this.zeros === null) this.zeros = new Uint32Array(CHUNK * this.width);
    return this.zeros;
  }

  get(index: number, word: number): number {
    const key = Math.floor(index / CHUNK);
    const c = this.chunkOf(key);
    return c === undefined ? 0 : c[(index - key * CHUNK) * this.width + word];
  }

  /** XORs delta words into an entry; used both to write and to undo/redo a journaled write. */
  xor(index: number, word: number, delta: number): void {
    if (delta === 0) return;
    const key = Math.floor(index / CHUNK);
    const c = this.chunkForWrite(key);
    const base = (index - key * CHUNK) * this.width;
    const old = c[base + word];
    const now = (old ^ delta) >>> 0;
    c[base + word] = now;
    this.same = null;
    if (word === this.flagWord) this.flagChange(old, now);
    // The entry changes between zero and non-zero only when this word does and the others are zero.
    if (old === 0 || now === 0) {
      for (let w = 0; w < this.width; w++) if (w !== word && c[base + w] !== 0) return;
      this.live += now === 0 ? -1 : 1;
    }
  }

  /**
   * Sets words [first, first + count) of an entry to src[first], src[first + 1], … Returns the mask
   * of the words that changed (bit w for word w) and leaves their XOR deltas in writeDeltas[w].
   * The values come in a typed array so that none is boxed on the way.
   */
  writeFrom(index: number, first: number, count: number, src: Uint32Array): number {
    const key = Math.floor(index / CHUNK);
    const width = this.width;
    const base = (index - key * CHUNK) * width;
    let c = this.chunkOf(key);
    if (c === undefined) {
      let any = 0;
      for (let w = first; w < first + count; w++) any |= src[w];
      if (any === 0) return 0;
      c = this.chunkForWrite(key);
    }
    let wasZero = true;
    for (let w = 0; w < width; w++) {
      if (c[base + w] !== 0) {
        wasZero = false;
        break;
      }
    }
    let mask = 0;
    const flagBefore = c[base + this.flagWord];
    for (let w = first; w < first + count; w++) {
      const v = src[w];
      const d = (c[base + w] ^ v) >>> 0;
      if (d !== 0) {
        mask |= 1 << w;
        writeDeltas[w] = d;
        c[base + w] = v;
      }
    }
    if (mask !== 0) {
      this.same = null;
      this.flagChange(flagBefore, c[base + this.flagWord]);
      let isZero = true;
      for (let w = 0; w < width; w++) {
        if (c[base + w] !== 0) {
          isZero = false;
          break;
        }
      }
      if (wasZero !== isZero) this.live += isZero ? -1 : 1;
    }
    return mask;
  }

  /**
   * XORs deltas into the words of an entry whose bits are set in mask, taking them in order from
   * src[off..] (a journal record). Returns how many deltas it took.
   */
  xorFrom(index: number, mask: number, src: Uint32Array, off: number): number {
    const key = Math.floor(index / CHUNK);
    const width = this.width;
    const c = this.chunkForWrite(key);
    const base = (index - key * CHUNK) * width;
    let p = off;
    this.same = null;
    this.liveStale = true;
    const flagBefore = c[base + this.flagWord];
    for (let w = 0; w < width; w++) if (mask & (1 << w)) c[base + w] ^= src[p++];
    this.flagChange(flagBefore, c[base + this.flagWord]);
    return p - off;
  }

  /** Indices of entries for which pred holds, ascending, from `from` on, at most `limit`. */
  scan(pred: (index: number, words: Uint32Array, base: number) => boolean, from = 0, limit = Infinity): number[] {
    const out: number[] = [];
    const keys = [...this.chunks.keys()].sort((a, b) => a - b);
    for (const key of keys) {
      if ((key + 1) * CHUNK <= from) continue;
      const c = this.chunks.get(key)!;
      for (let i = 0; i < CHUNK; i++) {
        const index = key * CHUNK + i;
        if (index < from) continue;
        if (pred(index, c, i * this.width)) {
          out.push(index);
          if (out.length >= limit) return out;
        }
      }
    }
    return out;
  }

  /**
   * Calls fn for every entry whose word `word` has a bit of `mask` set (mask 0: every non-zero
   * entry), in ascending index order, with the chunk and the entry's base offset in it. No closure
   * per entry and no index array: the final-state dump walks ~10^6 entries through it.
   */
  forEachSet(word: number, mask: number, fn: (index: number, words: Uint32Array, base: number) => void): void {
    const keys = [...this.chunks.keys()].sort((a, b) => a - b);
    const width = this.width;
    for (const key of keys) {
      const c = this.chunks.get(key)!;
      for (let i = 0, b = 0; i < CHUNK; i++, b += width) {
        let hit: boolean;
        if (mask !== 0) hit = (c[b + word] & mask) !== 0;
        else {
          hit = false;
          for (let w = 0; w < width; w++) {
            if (c[b + w] !== 0) {
              hit = true;
              break;
            }
          }
        }
        if (hit) fn(key * CHUNK + i, c, b);
      }
    }
  }

  /** The non-zero entries now (shared with the last dump when nothing was written since). */
  dump(): WordsDump {
    if (this.same !== null && !this.same.dead) return this.same;
    const width = this.width;
    const n = this.nonZeroCount;
    const keys = [...this.chunks.keys()].sort((x, y) => x - y);
    let d: WordsDump;
    // Chunk copies when at least ~40 % full (~10 % when they go to the spill file, which costs no
    // memory: reading them back beats writing back entries one by one).
    const dense = (this.spill !== null ? 8 : 2) * n * (width + 1) >= keys.length * CHUNK * width;
    if (dense) {
      const size = keys.length * CHUNK * width * 4;
      if (this.spill !== null) {
        // Straight from the chunks to the file: no copy on the heap.
        const spillOffset = this.spill.write(keys.map((k) => this.chunks.get(k)!));
        d = { ...EMPTY_DUMP, chunkKeys: keys, live: n, flagged: this.flagged, spillOffset, diskBytes: size };
      } else {
        const copies = keys.map((k) => this.chunks.get(k)!.slice());
        d = { ...EMPTY_DUMP, chunkKeys: keys, chunkCopies: copies, live: n, flagged: this.flagged, bytes: size };
      }
    } else {
      const wide = keys.length > 0 && (keys[keys.length - 1] + 1) * CHUNK > 4294967296;
      const index = wide ? new Float64Array(n) : new Uint32Array(n);
      const words = new Uint32Array(n * width);
      let k = 0;
      for (const key of keys) {
        const c = this.chunks.get(key)!;
        for (let i = 0, b = 0; i < CHUNK; i++, b += width) {
          let any = 0;
          for (let w = 0; w < width; w++) any |= c[b + w];
          if (any === 0) continue;
          index[k] = key * CHUNK + i;
          for (let w = 0; w < width; w++) words[k * width + w] = c[b + w];
          k++;
        }
      }
      d = { ...EMPTY_DUMP, index, words, live: n, flagged: this.flagged, bytes: index.byteLength + words.byteLength };
    }
    this.same = d;
    return d;
  }

  /** Makes the table equal to a dump (of a table of the same width). */
  load(d: WordsDump): void {
    if (this.same === d) return;
    const width = this.width;
    if (d.chunkKeys.length > 0) {
      const keep = new Set(d.chunkKeys);
      for (const [key, c] of this.chunks) if (!keep.has(key)) c.fill(0);
      if (d.spillOffset >= 0) {
        // One read per run of chunks that sit next to each other in a slab (64 at most), not per chunk.
        const chunkBytes = CHUNK * width * 4;
        let run: Uint32Array | null = null;
        let runStart = 0;
        const flush = () => {
          if (run) this.spillRead(d, d.spillOffset + runStart * chunkBytes, run);
        };
        d.chunkKeys.forEach((key, k) => {
          const c = this.chunkForWrite(key);
          if (run && c.buffer === run.buffer && c.byteOffset === run.byteOffset + run.byteLength)
            run = new Uint32Array(run.buffer, run.byteOffset, run.length + c.length);
          else {
            flush();
            run = c;
            runStart = k;
          }
        });
        flush();
      } else d.chunkKeys.forEach((key, k) => this.chunkForWrite(key).set(d.chunkCopies[k]));
    } else {
      for (const c of this.chunks.values()) c.fill(0);
      const { index, words } = d;
      let key = -1;
      let c: Uint32Array | undefined;
      for (let k = 0; k < index.length; k++) {
        const i = index[k];
        if (i >= (key + 1) * CHUNK || key < 0) {
          key = Math.floor(i / CHUNK);
          c = this.chunkForWrite(key);
        }
        const base = (i - key * CHUNK) * width;
        for (let w = 0; w < width; w++) c![base + w] = words[k * width + w];
      }
    }
    this.live = d.live;
    this.liveStale = false;
    this.flagged = d.flagged;
    this.same = d;
  }

  private spillRead(d: WordsDump, offset: number, into: Uint32Array): void {
    if (this.spill === null || d.dead) throw new Error('a spilled table dump is no longer readable');
    this.spill.read(offset, into);
  }

  /** Deep copy, for snapshots. */
  clone(): SparseWords {
    const s = new SparseWords(this.width, this.flagWord, this.flagMask);
    for (const [k, c] of this.chunks) s.put(k, c.slice());
    s.live = this.nonZeroCount;
    s.flagged = this.flagged;
    return s;
  }

  /** Bytes held by chunk storage (for memory accounting). */
  get bytes(): number {
    return this.chunks.size * CHUNK * this.width * 4;
  }
}
