/**
 * Per-record columns of the engine's index. A 10M-hcall trace has ten million rows, so each column
 * is paged (growing never copies) and each full page is packed as narrow as its values allow.
 *
 * Rows are pushed into one Float64Array page (every push is the same monomorphic store, whatever
 * the column). When that page is full it is frozen: its rows are stored as unsigned residuals from
 * a line base + k * slope (k the row in the page), in the narrowest of Uint8/Uint16/Uint32/Float64
 * arrays that holds them. A non-decreasing column (byte offsets, line numbers, journal marks) gets
 * the page's average step as its slope, so lines take 1 byte a row and offsets and marks 2; other
 * columns use slope 0 (a return code or an hcall number takes 1 byte). One residual code of a page
 * may stand for the column's `none`, so a column mixing -1 or RET_NONE with small values stays narrow.
 */
const PAGE_SHIFT = 16;
const PAGE = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE - 1;

type Packed = Uint8Array | Uint16Array | Uint32Array | Float64Array;
const MAX_EXACT = 2 ** 52;
const lohi = new Float64Array(2);

// The two loops of freezing a page, each in its own small function: freeze() runs once every 65,536
// rows, too rarely for V8 to learn its branches, and as one function its loops were deoptimized again
// and again (about 2 ms a page); on their own they are optimized once and stay so.

/** Lowest and highest residual v - k * slope of the page's values other than `none`, into out; whether `none` occurs. */
function range(c: Float64Array, none: number, slope: number, out: Float64Array): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  let hasNone = false;
  for (let k = 0; k < PAGE; k++) {
    const v = c[k];
    if (v === none) {
      hasNone = true;
      continue;
    }
    const x = v - k * slope;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  out[0] = lo;
  out[1] = hi;
  return hasNone;
}

/** r[k] = the residual of c[k] above lo, or `code` for `none` (code -1: the page has no none). */
function residuals(
  c: Float64Array,
  r: Uint8Array | Uint16Array | Uint32Array | Float64Array,
  none: number,
  code: number,
  slope: number,
  lo: number,
): void {
  if (code >= 0) for (let k = 0; k < PAGE; k++) r[k] = c[k] === none ? code : c[k] - k * slope - lo;
  else for (let k = 0; k < PAGE; k++) r[k] = c[k] - k * slope - lo;
}

class PackedColumn {
  private readonly packed: Packed[] = [];
  /** Per frozen page: the value of row 0's residual 0, the step per row, the code of `none` (or -1). */
  private readonly base: number[] = [];
  private readonly slope: number[] = [];
  private readonly noneCode: number[] = [];
  private cur = new Float64Array(PAGE);
  length = 0;

  constructor(
    private readonly none: number | null,
    private readonly linear: boolean,
  ) {}

  push(v: number): void {
    this.cur[this.length & PAGE_MASK] = v;
    if ((++this.length & PAGE_MASK) === 0) this.freeze();
  }

  get(i: number): number {
    const p = i >>> PAGE_SHIFT;
    const k = i & PAGE_MASK;
    if (p === this.packed.length) return this.cur[k];
    const r = this.packed[p][k];
    if (r === this.noneCode[p]) return this.none!;
    return this.base[p] + k * this.slope[p] + r;
  }

  private freeze(): void {
    const c = this.cur;
    const none = this.none ?? NaN;
    const slope = this.linear ? Math.max(0, Math.floor((c[PAGE - 1] - c[0]) / (PAGE - 1))) : 0;
    const hasNone = range(c, none, slope, lohi);
    let lo = lohi[0];
    let hi = lohi[1];
    if (lo === Infinity) lo = hi = 0;
    const top = hi - lo + (hasNone ? 1 : 0);
    // Values are integers; a page reaching past 2^53 (never, for offsets in a file) keeps doubles.
    const exact = lo >= -MAX_EXACT && hi <= MAX_EXACT;
    const ctor = !exact
      ? Float64Array
      : top <= 0xff
        ? Uint8Array
        : top <= 0xffff
          ? Uint16Array
          : top <= 0xffffffff
            ? Uint32Array
            : Float64Array;
    const out = new ctor(PAGE);
    if (ctor === Float64Array) {
      // Doubles keep the values themselves (none included); NaN matches no code.
      out.set(c);
      this.base.push(0);
      this.slope.push(0);
      this.noneCode.push(NaN);
    } else {
      const code = hasNone ? top : -1;
      residuals(c, out, none, code, slope, lo);
      this.base.push(lo);
      this.slope.push(slope);
      this.noneCode.push(code);
    }
    this.packed.push(out);
  }

  get bytes(): number {
    return this.packed.reduce((s, p) => s + p.byteLength, 0) + this.cur.byteLength;
  }
}

/** Integers with a `none` value (e.g. -1 or RET_NONE), packed per page. */
export class NarrowColumn extends PackedColumn {
  constructor(none: number) {
    super(none, false);
  }
}

/** A non-decreasing column (byte offsets, line numbers, journal marks). */
export class MonotoneColumn extends PackedColumn {
  constructor() {
    super(null, true);
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
}
