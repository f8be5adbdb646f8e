/**
 * Sparse tables of fixed-width entries of uint32 words, allocated in chunks on first write. The HPT
 * (6 words an entry: v, r and the reverse map's guest r, as hi/lo) and each slot's slot_phys array
 * (2 words) live here, so an HPT of order 34 costs memory only where the guest wrote.
 */
const CHUNK_SHIFT = 10;
const CHUNK = 1 << CHUNK_SHIFT;

export class SparseWords {
  private readonly chunks = new Map<number, Uint32Array>();
  /** Entries whose words are not all zero; kept so views can show a count without a scan. */
  private live = 0;

  constructor(readonly width: number) {}

  get nonZeroCount(): number {
    return this.live;
  }

  get(index: number, word: number): number {
    const c = this.chunks.get(Math.floor(index / CHUNK));
    return c === undefined ? 0 : c[(index % CHUNK) * this.width + word];
  }

  /** XORs delta words into an entry; used both to write and to undo/redo a journaled write. */
  xor(index: number, word: number, delta: number): void {
    if (delta === 0) return;
    const key = Math.floor(index / CHUNK);
    let c = this.chunks.get(key);
    if (c === undefined) {
      c = new Uint32Array(CHUNK * this.width);
      this.chunks.set(key, c);
    }
    const base = (index % CHUNK) * this.width;
    const wasZero = this.entryIsZero(c, base);
    c[base + word] ^= delta;
    const isZero = this.entryIsZero(c, base);
    if (wasZero !== isZero) this.live += isZero ? -1 : 1;
  }

  private entryIsZero(c: Uint32Array, base: number): boolean {
    for (let w = 0; w < this.width; w++) if (c[base + w] !== 0) return false;
    return true;
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

  /** Deep copy, for snapshots. */
  clone(): SparseWords {
    const s = new SparseWords(this.width);
    for (const [k, c] of this.chunks) s.chunks.set(k, c.slice());
    s.live = this.live;
    return s;
  }

  /** Bytes held by chunk storage (for memory accounting). */
  get bytes(): number {
    return this.chunks.size * CHUNK * this.width * 4;
  }
}
