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

const PAGE_SHIFT = 20;
const PAGE = 1 << PAGE_SHIFT;
/** i & JOURNAL_PAGE_MASK is the offset of entry word i in pageOf(i). */
export const JOURNAL_PAGE_MASK = PAGE - 1;

export class Journal {
  private pages: Uint32Array[] = [];
  private len = 0;
  readonly objects: Reversible[] = [];

  /**
   * A journal that records nothing (length stays 0), for a replay that only goes forwards (the CLI):
   * it saves the journal's memory and the writes to it, a third of a replay's time.
   */
  constructor(readonly enabled = true) {}

  get length(): number {
    return this.len;
  }

  push(v: number): void {
    if (!this.enabled) return;
    const p = this.len >>> PAGE_SHIFT;
    if (p === this.pages.length) this.pages.push(new Uint32Array(PAGE));
    this.pages[p][this.len & (PAGE - 1)] = v;
    this.len++;
  }

  /** Three words at once (one page check in the common case). */
  push3(a: number, b: number, c: number): void {
    if (!this.enabled) return;
    const len = this.len;
    const off = len & (PAGE - 1);
    if (off <= PAGE - 3 && len >>> PAGE_SHIFT < this.pages.length) {
      const pg = this.pages[len >>> PAGE_SHIFT];
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
    return this.pages[i >>> PAGE_SHIFT][i & (PAGE - 1)];
  }

  /** The page holding word i (for readers that walk many words: read it at i & JOURNAL_PAGE_MASK). */
  pageOf(i: number): Uint32Array {
    return this.pages[i >>> PAGE_SHIFT];
  }

  pushObject(o: Reversible): void {
    if (!this.enabled) return;
    this.push(JTag.Object);
    this.push(this.objects.length);
    this.objects.push(o);
  }

  get bytes(): number {
    return this.pages.length * PAGE * 4;
  }
}
