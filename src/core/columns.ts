/**
 * Per-record columns of the engine's index. A 10M-hcall trace has ten million rows, so each column
 * is paged (growing never copies, and never leaves the half-empty tail a doubling array has) and as
 * narrow as its values allow: a return code or an hcall number takes 2 bytes, not 8.
 */
const PAGE_SHIFT = 16;
const PAGE = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE - 1;

type Narrow = Int8Array | Uint8Array | Int16Array | Uint16Array | Uint32Array;
type NarrowCtor = new (n: number) => Narrow;

const RANGES = new Map<NarrowCtor, [number, number]>([
  [Int8Array, [-128, 127]],
  [Uint8Array, [0, 255]],
  [Int16Array, [-32768, 32767]],
  [Uint16Array, [0, 65535]],
  [Uint32Array, [0, 4294967295]],
]);

/**
 * Integers stored in a narrow typed array. The two highest codes are reserved: one stands for
 * `none` (the column's "no value", e.g. -1 or RET_NONE), the other sends the read to an overflow
 * map, so a rare wide value (an HPT index past 2^32, vcpu 100000) still round-trips exactly.
 */
export class NarrowColumn {
  private readonly pages: Narrow[] = [];
  private readonly overflow = new Map<number, number>();
  private readonly min: number;
  private readonly escape: number;
  private readonly noneCode: number;
  length = 0;

  constructor(
    private readonly ctor: NarrowCtor,
    private readonly none: number,
  ) {
    const [min, max] = RANGES.get(ctor)!;
    this.min = min;
    this.escape = max;
    this.noneCode = max - 1;
  }

  push(v: number): void {
    const i = this.length++;
    const o = i & PAGE_MASK;
    if (o === 0) this.pages.push(new this.ctor(PAGE));
    const page = this.pages[i >>> PAGE_SHIFT];
    if (v >= this.min && v < this.noneCode) page[o] = v;
    else if (v === this.none) page[o] = this.noneCode;
    else {
      page[o] = this.escape;
      this.overflow.set(i, v);
    }
  }

  get(i: number): number {
    const c = this.pages[i >>> PAGE_SHIFT][i & PAGE_MASK];
    if (c < this.noneCode) return c;
    return c === this.noneCode ? this.none : this.overflow.get(i)!;
  }

  get bytes(): number {
    const row = this.pages.length ? this.pages[0].BYTES_PER_ELEMENT : 0;
    return this.pages.length * PAGE * row + this.overflow.size * 40;
  }
}

/**
 * A non-decreasing column (byte offsets, line numbers, journal marks): each page keeps the value of
 * its first row as a double and the rows as uint32 differences from it. A page whose span passes
 * 2^32 (a gigabyte-long run of comments) is kept as doubles instead.
 */
export class MonotoneColumn {
  private readonly bases: number[] = [];
  private readonly pages: (Uint32Array | Float64Array)[] = [];
  length = 0;

  push(v: number): void {
    const i = this.length++;
    const p = i >>> PAGE_SHIFT;
    if (p === this.pages.length) {
      this.pages.push(new Uint32Array(PAGE));
      this.bases.push(v);
    }
    let page = this.pages[p];
    const d = v - this.bases[p];
    if (page instanceof Uint32Array && d > 0xffffffff) {
      const wide = new Float64Array(PAGE);
      for (let k = 0; k < (i & PAGE_MASK); k++) wide[k] = page[k];
      this.pages[p] = page = wide;
    }
    page[i & PAGE_MASK] = d;
  }

  get(i: number): number {
    const p = i >>> PAGE_SHIFT;
    return this.bases[p] + this.pages[p][i & PAGE_MASK];
  }

  /** The last row whose value is <= v, or -1 (rows are non-decreasing). */
  floor(v: number): number {
    let lo = 0;
    let hi = this.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.get(mid) <= v) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  get bytes(): number {
    return this.pages.reduce((s, p) => s + p.byteLength, 0);
  }
}
