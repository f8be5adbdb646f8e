/**
 * The undo/redo journal behind reverse stepping. Every state change the machine makes is recorded as
 * an XOR delta (for table words) or as an object with undo/redo (for the rare structural changes:
 * vmas, memslots). XOR deltas are their own inverse and commute, so the same entries move the state
 * backwards and forwards, and a replay of millions of hcalls costs a few uint32 per write.
 */
export const enum JTag {
  Hpt = 1,
  SlotPhys = 2,
  Object = 3,
}

/**
 * Short forms of the two table entries, for indices below 2^24 (every HPT up to order 28, every
 * memslot up to 2^24 pages): the index lives in the tag word instead of two words of its own.
 *   HPT:       SHORT_HPT  | mask << 24 | index, then one delta per mask bit (mask: 6 bits)
 *   slot_phys: SHORT_PHYS | slot << 24 | index, then the two deltas (slot: 5 bits)
 * The long forms' tags are below 2^14, so bit 31 or 30 tells the forms apart.
 */
export const SHORT_HPT = 0x80000000;
export const SHORT_PHYS = 0x40000000;
export const SHORT_INDEX_LIMIT = 1 << 24;

export interface Reversible {
  undo(): void;
  redo(): void;
}

const PAGE_SHIFT = 18;
const PAGE = 1 << PAGE_SHIFT;
/** i & JOURNAL_PAGE_MASK is the offset of entry word i in pageOf(i). */
export const JOURNAL_PAGE_MASK = PAGE - 1;

/** Where full journal pages can go when memory is short (the engine's spill file). */
export interface PageStore {
  /** Writes the arrays one after the other; returns the offset of the first. */
  write(arrays: readonly Uint32Array[]): number;
  /** Reads into.byteLength bytes at offset into `into`. */
  read(offset: number, into: Uint32Array): void;
}

export class Journal {
  /** null: a full page that lives only in the page store (at storedAt[p]). */
  private pages: (Uint32Array | null)[] = [];
  private len = 0;
  readonly objects: Reversible[] = [];
  /** Per page, its offset in the store once written there (-1: not yet). Full pages never change. */
  private readonly storedAt: number[] = [];
  /** Full pages in memory, oldest loaded first. */
  private readonly resident: number[] = [];
  private store: PageStore | null = null;
  private maxResident = Infinity;
  /** Page loads from the store (for tests and the bench). */
  loads = 0;

  /**
   * A journal that records nothing (length stays 0), for a replay that only goes forwards (the CLI):
   * it saves the journal's memory and the writes to it, a third of a replay's time.
   */
  constructor(readonly enabled = true) {}

  get length(): number {
    return this.len;
  }

  /**
   * Keeps at most `maxPages` full pages in memory (plus the one being written): the others go to
   * `store` (each written once) and come back on demand, into the buffer of the page loaded longest ago.
   */
  spillTo(store: PageStore, maxPages: number): void {
    this.store = store;
    this.maxResident = Math.max(1, maxPages);
  }

  push(v: number): void {
    if (!this.enabled) return;
    const p = this.len >>> PAGE_SHIFT;
    if (p === this.pages.length) this.newPage();
    this.pages[p]![this.len & (PAGE - 1)] = v;
    this.len++;
  }

  private newPage(): void {
    const full = this.pages.length - 1;
    let buf: Uint32Array | null = null;
    if (full >= 0) this.resident.push(full);
    if (this.store !== null && this.resident.length > this.maxResident) buf = this.evict();
    this.pages.push(buf ?? new Uint32Array(PAGE));
    this.storedAt.push(-1);
    if (buf) buf.fill(0);
  }

  /** Drops the full page loaded longest ago (writing it to the store the first time); returns its buffer. */
  private evict(): Uint32Array {
    const victim = this.resident.shift()!;
    const buf = this.pages[victim]!;
    if (this.storedAt[victim] < 0) this.storedAt[victim] = this.store!.write([buf]);
    this.pages[victim] = null;
    return buf;
  }

  private load(p: number): Uint32Array {
    const buf = this.resident.length >= this.maxResident ? this.evict() : new Uint32Array(PAGE);
    this.store!.read(this.storedAt[p], buf);
    this.pages[p] = buf;
    this.resident.push(p);
    this.loads++;
    return buf;
  }

  /** Three words at once (one page check in the common case). */
  push3(a: number, b: number, c: number): void {
    if (!this.enabled) return;
    const len = this.len;
    const off = len & (PAGE - 1);
    if (off <= PAGE - 3 && len >>> PAGE_SHIFT < this.pages.length) {
      const pg = this.pages[len >>> PAGE_SHIFT]!;
      pg[off] = a;
      pg[off + 1] = b;
      pg[off + 2] = c;
      this.len = len + 3;
    } else {
      this.push(a);
      this.push(b);
      this.push(c);
    }
  }

  at(i: number): number {
    return this.pageOf(i)[i & (PAGE - 1)];
  }

  /**
   * The page holding word i (for readers that walk many words: read it at i & JOURNAL_PAGE_MASK).
   * Use it before the next call: a page from the store may reuse its buffer.
   */
  pageOf(i: number): Uint32Array {
    const p = i >>> PAGE_SHIFT;
    return this.pages[p] ?? this.load(p);
  }

  pushObject(o: Reversible): void {
    if (!this.enabled) return;
    this.push(JTag.Object);
    this.push(this.objects.length);
    this.objects.push(o);
  }

  /** Bytes in memory. */
  get bytes(): number {
    return (this.resident.length + (this.pages.length > 0 ? 1 : 0)) * PAGE * 4;
  }

  /** Bytes of the whole journal (in memory or in the store). */
  get totalBytes(): number {
    return this.pages.length * PAGE * 4;
  }
}
