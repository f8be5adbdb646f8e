/**
 * The emulated host: machine configuration, the VMM's mappings (vmas), KVM memory slots with their
 * slot_phys arrays, and the hashed page table with its reverse map. Every change goes through the
 * journal so the replay engine can move backwards.
 */
import { Journal, JOURNAL_PAGE_MASK, JTag, Reversible, SHORT_HPT, SHORT_INDEX_LIMIT, SHORT_PHYS } from './journal';
import { CpuRecord, HostRecord, HptRecord, MemslotRecord, MunmapRecord, TraceError, VmaRecord } from './records';
import { EMPTY_DUMP, SparseWords, WordsDump, writeDeltas } from './words';

export type KernelVariant = 'io' | 'pre-io';
export const KERNEL_VARIANTS: readonly KernelVariant[] = ['io', 'pre-io'];

export interface Vma {
  readonly start: number;
  readonly end: number;
  readonly type: 'anon' | 'pfnmap' | 'other';
  /** anon: backing page size in bytes (host page or hugetlbfs page). */
  readonly pageSize: number;
  /** anon: host frame of the first page. */
  readonly pfn: number;
  /** pfnmap: vm_pgoff. */
  readonly pgoff: number;
  /** pfnmap: HPTE_R_I / HPTE_R_W bits of vm_page_prot. */
  readonly cache: number;
  readonly line: number;
}

export interface Memslot {
  readonly id: number;
  readonly baseGfn: number;
  readonly npages: number;
  readonly userspaceAddr: number;
  readonly flags: number;
  readonly line: number;
  /** slot_phys entries: word 0 = hi, word 1 = lo of `(pfn << PAGE_SHIFT) | low bits`. */
  readonly physp: SparseWords;
}

/** KVM_MEMSLOT_INVALID as include/linux/kvm.h had it then (1UL << 1; later kernels moved it to 1UL << 16): slot being deleted or moved. */
export const KVM_MEMSLOT_INVALID = 1 << 1;
export const KVM_MEM_SLOTS = 32;

/** HPT words: v hi/lo, r hi/lo, the reverse map's guest r hi/lo. */
export const HPT_WIDTH = 6;

/** Values for Machine.hptStore, by word (a typed array: words past 2^31 stay unboxed on the hot path). */
export const hptValues = new Uint32Array(HPT_WIDTH + 6);
const physValues = new Uint32Array(2);
/** The longest journal entry: an HPT tag, two index words and six deltas. */
const MAX_ENTRY = 3 + HPT_WIDTH;
const journalScratch = new Uint32Array(MAX_ENTRY);

/**
 * The whole machine at one moment, for the engine's checkpoints. Vmas and memslots are immutable
 * objects, so the arrays of references are enough; the tables are copied. `phys` has the slot_phys
 * of every memslot object made so far (Machine.slotObjects), live or not: a deleted slot comes
 * back through the journal with the entries it had.
 */
export interface MachineState {
  readonly arch206: boolean;
  readonly pageShift: number;
  readonly hptOrder: number;
  readonly vmas: readonly Vma[];
  readonly memslots: readonly (Memslot | null)[];
  readonly hpt: WordsDump;
  readonly phys: readonly WordsDump[];
}

export class Machine {
  arch206 = true;
  private shift = 16;
  private order = 24;
  /** 2^pageShift, kept with it (the handlers read it on every hcall). */
  private size = 65536;
  /** 2^(hptOrder - 4), kept with it. */
  private entries = 2 ** 20;
  /** The memslot gfnToMemslot found last (checked again before use). */
  private lastSlot: Memslot | null = null;
  readonly vmas: Vma[] = []; // sorted by start
  readonly memslots: (Memslot | null)[] = new Array(KVM_MEM_SLOTS).fill(null);
  /** Counts its valid entries (HPTE_V_VALID, bit 0 of word 1) as it goes: see validHptes. */
  readonly hpt = new SparseWords(HPT_WIDTH, 1, 1);
  /** Swappable so a re-run for an explanation can be recorded aside and rolled back. */
  journal = new Journal();
  /** Every memslot object made so far, in order: a restored state must set the slot_phys of each. */
  readonly slotObjects: Memslot[] = [];

  constructor(
    readonly kernel: KernelVariant = 'io',
    readonly file = '<trace>',
  ) {}

  get pageShift(): number {
    return this.shift;
  }
  set pageShift(v: number) {
    this.shift = v;
    this.size = 2 ** v;
  }

  get hptOrder(): number {
    return this.order;
  }
  set hptOrder(v: number) {
    this.order = v;
    this.entries = 2 ** (v - 4);
  }

  get pageSize(): number {
    return this.size;
  }

  /** Valid HPTEs now, without a scan of the table. */
  get validHptes(): number {
    return this.hpt.flaggedCount;
  }

  /** Number of HPTEs: 2^(order - 4) (16 bytes each). */
  get hptEntries(): number {
    return this.entries;
  }

  // ---- configuration records -------------------------------------------------------------

  applyCpu(r: CpuRecord): void {
    const old = this.arch206;
    this.record({ undo: () => (this.arch206 = old), redo: () => (this.arch206 = r.arch206) });
  }

  applyHost(r: HostRecord): void {
    const old = this.pageShift;
    this.record({ undo: () => (this.pageShift = old), redo: () => (this.pageShift = r.pageShift) });
  }

  applyHpt(r: HptRecord): void {
    const old = this.hptOrder;
    this.record({ undo: () => (this.hptOrder = old), redo: () => (this.hptOrder = r.order) });
  }

  private fail(r: { line: number; col: number; endCol: number }, msg: string): never {
    throw new TraceError(this.file, r.line, r.col, r.endCol, msg);
  }

  applyVma(r: VmaRecord): void {
    const ps = this.pageSize;
    if (r.start % ps || r.end % ps)
      this.fail(r, `vma ${hexn(r.start)}-${hexn(r.end)} is not aligned to the host page size (${ps / 1024}K)`);
    let pageSize = ps;
    let pfn = r.pfn;
    if (r.type === 'anon') {
      if (r.pageSize) {
        if (r.pageSize < ps)
          this.fail(r, `anon page=${r.pageSize / 1024}K is smaller than the host page (${ps / 1024}K)`);
        pageSize = r.pageSize;
        if (r.start % pageSize || r.end % pageSize)
          this.fail(r, `a hugetlbfs vma must be aligned to its page size (${sizeName(pageSize)})`);
      }
      if (pfn < 0) pfn = Math.floor(r.start / ps);
      const perPage = pageSize / ps;
      if (pfn % perPage)
        this.fail(r, `pfn=${hexn(pfn)} is not aligned to the ${sizeName(pageSize)} huge page (${perPage} host pages)`);
    }
    for (const v of this.vmas) {
      if (v.start < r.end && r.start < v.end)
        this.fail(
          r,
          `vma ${hexn(r.start)}-${hexn(r.end)} overlaps the live vma ${hexn(v.start)}-${hexn(v.end)} from line ${v.line}`,
        );
    }
    const vma: Vma = {
      start: r.start,
      end: r.end,
      type: r.type,
      pageSize,
      pfn: Math.max(pfn, 0),
      pgoff: r.pgoff,
      cache: r.cache,
      line: r.line,
    };
    this.record({
      undo: () => this.vmas.splice(this.vmas.indexOf(vma), 1),
      redo: () => insertSorted(this.vmas, vma),
    });
  }

  applyMunmap(r: MunmapRecord): void {
    const ps = this.pageSize;
    if (r.start % ps || r.end % ps) this.fail(r, `munmap range is not aligned to the host page size (${ps / 1024}K)`);
    const gone: Vma[] = [];
    for (const v of this.vmas) {
      if (v.start < r.end && r.start < v.end) {
        if (v.start < r.start || v.end > r.end)
          this.fail(
            r,
            `munmap ${hexn(r.start)}-${hexn(r.end)} would split the vma ${hexn(v.start)}-${hexn(v.end)} from line ${v.line}; only whole mappings can be removed`,
          );
        gone.push(v);
      }
    }
    if (gone.length === 0) this.fail(r, `munmap ${hexn(r.start)}-${hexn(r.end)}: no mapping in this range`);
    this.record({
      undo: () => gone.forEach((v) => insertSorted(this.vmas, v)),
      redo: () => gone.forEach((v) => this.vmas.splice(this.vmas.indexOf(v), 1)),
    });
  }

  applyMemslot(r: MemslotRecord): void {
    const old = this.memslots[r.id];
    if (r.delete) {
      if (!old) this.fail(r, `memslot ${r.id} does not exist`);
      this.record({ undo: () => (this.memslots[r.id] = old), redo: () => (this.memslots[r.id] = null) });
      return;
    }
    const ps = this.pageSize;
    let baseGfn = r.gfn;
    let npages = r.npages;
    if (r.gpa >= 0) {
      if (r.gpa % ps) this.fail(r, `gpa=${hexn(r.gpa)} is not a multiple of the host page size (${ps / 1024}K)`);
      if (r.size % ps) this.fail(r, `size=${hexn(r.size)} is not a multiple of the host page size (${ps / 1024}K)`);
      baseGfn = r.gpa / ps;
      npages = r.size / ps;
    }
    if (r.hva % ps) this.fail(r, `hva=${hexn(r.hva)} is not aligned to the host page size (KVM refuses such a slot)`);
    for (const s of this.memslots) {
      if (!s || s.id === r.id) continue;
      if (s.baseGfn < baseGfn + npages && baseGfn < s.baseGfn + s.npages) {
        this.fail(
          r,
          `memslot ${r.id} (gfn ${hexn(baseGfn)}..${hexn(baseGfn + npages - 1)}) overlaps memslot ${s.id} (gfn ${hexn(s.baseGfn)}..${hexn(s.baseGfn + s.npages - 1)}) from line ${s.line}`,
        );
      }
    }
    const slot: Memslot = {
      id: r.id,
      baseGfn,
      npages,
      userspaceAddr: r.hva,
      flags: r.flags,
      line: r.line,
      physp: new SparseWords(2),
    };
    this.slotObjects.push(slot);
    this.record({ undo: () => (this.memslots[r.id] = old), redo: () => (this.memslots[r.id] = slot) });
  }

  /** A copy of the state now (tables unchanged since the last copy are shared with it). */
  saveState(): MachineState {
    return {
      arch206: this.arch206,
      pageShift: this.pageShift,
      hptOrder: this.hptOrder,
      vmas: this.vmas.slice(),
      memslots: this.memslots.slice(),
      hpt: this.hpt.dump(),
      phys: this.slotObjects.map((s) => s.physp.dump()),
    };
  }

  /** Returns to a saved state; memslot objects made after it get empty slot_phys, as when new. */
  restoreState(s: MachineState): void {
    this.arch206 = s.arch206;
    this.pageShift = s.pageShift;
    this.hptOrder = s.hptOrder;
    this.vmas.splice(0, this.vmas.length, ...s.vmas);
    for (let i = 0; i < this.memslots.length; i++) this.memslots[i] = s.memslots[i];
    this.lastSlot = null;
    this.hpt.load(s.hpt);
    this.slotObjects.forEach((o, k) => o.physp.load(k < s.phys.length ? s.phys[k] : EMPTY_DUMP));
  }

  private record(o: Reversible): void {
    o.redo();
    this.journal.pushObject(o);
  }

  // ---- lookups used by the handlers ------------------------------------------------------

  /** gfn_to_memslot: the slot holding gfn, or null. */
  gfnToMemslot(gfn: number): Memslot | null {
    // Slots do not overlap, so the slot found last is the answer whenever it is still live and holds gfn.
    const last = this.lastSlot;
    if (last !== null && this.memslots[last.id] === last && gfn >= last.baseGfn && gfn < last.baseGfn + last.npages)
      return last;
    const slots = this.memslots;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      if (s !== null && gfn >= s.baseGfn && gfn < s.baseGfn + s.npages) {
        this.lastSlot = s;
        return s;
      }
    }
    return null;
  }

  /** find_vma: the first vma whose end is above addr (it may start above addr too). */
  findVma(addr: number): Vma | null {
    for (const v of this.vmas) if (v.end > addr) return v;
    return null;
  }

  /** The vma that holds addr (start <= addr < end), or null: findVma with the start checked. */
  vmaHolding(addr: number): Vma | null {
    const v = this.findVma(addr);
    return v && v.start <= addr ? v : null;
  }

  // ---- journaled writes ------------------------------------------------------------------

  hptWord(index: number, word: number): number {
    return this.hpt.get(index, word);
  }

  /** Writes words [first, first+count) of HPT entry `index`. */
  hptWrite(index: number, first: number, values: readonly number[]): void {
    const v = (k: number) => (k < values.length ? values[k] : 0);
    this.hptSet(index, first, values.length, v(0), v(1), v(2), v(3), v(4), v(5));
  }

  /** Writes words [first, first+count) of HPT entry `index` from hptValues[first..]. */
  hptStore(index: number, first: number, count: number): void {
    const mask = this.hpt.writeFrom(index, first, count, hptValues);
    const j = this.journal;
    if (mask === 0 || !j.enabled) return;
    if (index < SHORT_INDEX_LIMIT) j.push((SHORT_HPT | (mask << 24) | index) >>> 0);
    else j.push3(JTag.Hpt | (mask << 8), Math.floor(index / 4294967296), index >>> 0);
    for (let w = 0; w < HPT_WIDTH; w++) if (mask & (1 << w)) j.push(writeDeltas[w]);
  }

  /** hptWrite without an array: words [first, first+count) of HPT entry `index` = v0, v1, … */
  hptSet(index: number, first: number, count: number, v0: number, v1 = 0, v2 = 0, v3 = 0, v4 = 0, v5 = 0): void {
    const v = hptValues;
    v[first] = v0;
    v[first + 1] = v1;
    v[first + 2] = v2;
    v[first + 3] = v3;
    v[first + 4] = v4;
    v[first + 5] = v5;
    this.hptStore(index, first, count);
  }

  slotPhysWrite(slot: Memslot, index: number, hi: number, lo: number): void {
    const v = physValues;
    v[0] = hi;
    v[1] = lo;
    const mask = slot.physp.writeFrom(index, 0, 2, v);
    const j = this.journal;
    if (mask === 0 || !j.enabled) return;
    const d0 = mask & 1 ? writeDeltas[0] : 0;
    const d1 = mask & 2 ? writeDeltas[1] : 0;
    if (index < SHORT_INDEX_LIMIT && slot.id < 32) j.push3((SHORT_PHYS | (slot.id << 24) | index) >>> 0, d0, d1);
    else {
      j.push3(JTag.SlotPhys, slot.id, Math.floor(index / 4294967296));
      j.push3(index >>> 0, d0, d1);
    }
  }

  /**
   * Applies the journal entries in [from, to) in the given direction. XOR entries are their own
   * inverse; object entries are undone in reverse order (the caller passes whole records, and a
   * record's entries are either all XOR or a single object).
   */
  replayJournal(from: number, to: number, forward: boolean, j: Journal = this.journal): void {
    // Jumps replay millions of entries: read them straight from the journal's pages, and apply each
    // table entry's deltas with one chunk lookup (SparseWords.xorFrom). An entry that straddles two
    // pages is copied to a scratch array first.
    let i = from;
    const objs: Reversible[] = [];
    const scratch = journalScratch;
    while (i < to) {
      let a = j.pageOf(i);
      let o = i & JOURNAL_PAGE_MASK;
      if (o + MAX_ENTRY > a.length) {
        const n = Math.min(MAX_ENTRY, to - i);
        for (let k = 0; k < n; k++) scratch[k] = j.at(i + k);
        a = scratch;
        o = 0;
      }
      const tag = a[o];
      const kind = tag & 0xff;
      if (tag >= SHORT_HPT) {
        i += 1 + this.hpt.xorFrom(tag & (SHORT_INDEX_LIMIT - 1), (tag >>> 24) & 0x3f, a, o + 1);
      } else if (tag >= SHORT_PHYS) {
        const slot = this.memslots[(tag >>> 24) & 0x1f];
        if (slot) slot.physp.xorFrom(tag & (SHORT_INDEX_LIMIT - 1), 3, a, o + 1);
        i += 3;
      } else if (kind === JTag.Hpt) {
        const index = a[o + 1] * 4294967296 + a[o + 2];
        i += 3 + this.hpt.xorFrom(index, tag >>> 8, a, o + 3);
      } else if (kind === JTag.SlotPhys) {
        const slot = this.memslots[a[o + 1]];
        const index = a[o + 2] * 4294967296 + a[o + 3];
        if (slot) slot.physp.xorFrom(index, 3, a, o + 4);
        i += 6;
      } else {
        objs.push(j.objects[a[o + 1]]);
        i += 2;
      }
    }
    if (forward) objs.forEach((o) => o.redo());
    else objs.reverse().forEach((o) => o.undo());
  }
}

function insertSorted(vmas: Vma[], v: Vma): void {
  let i = 0;
  while (i < vmas.length && vmas[i].start < v.start) i++;
  vmas.splice(i, 0, v);
}

export function hexn(n: number): string {
  return '0x' + n.toString(16);
}

export function sizeName(bytes: number): string {
  if (bytes >= 1 << 30 && bytes % (1 << 30) === 0) return `${bytes / (1 << 30)}G`;
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)}M`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024}K`;
  return `${bytes}`;
}
