/**
 * Seekable replay over a trace file, for the debugger.
 *
 * Records are read and executed lazily, from the file in chunks: only as far as someone has asked
 * ("explored"). Hcall lines go from bytes to a reused record (parseHcallBytes): no string or objects
 * per line. Per explored record the engine keeps an index row (columns.ts, ~17 bytes packed): byte
 * offset, line, journal mark (Machine.journal length before the record) and a compact result
 * (return code, flags, the memslot / slot_phys / HPT indices it used). A record is re-read from its
 * byte offset when its arguments are needed; the whole file is never held as one string.
 *
 * Moving inside the explored range replays the journal (XOR deltas: the same entries undo and redo),
 * starting from the current state or from the nearest checkpoint (checkpoints.ts), whichever is
 * cheaper, so a jump costs at most about half a checkpoint interval of journal wherever it goes: the
 * engine never replays from the start. Moving past the frontier parses and executes.
 *
 * Memory: whole-table checkpoint copies and all but the newest JOURNAL_PAGES journal pages go to an
 * unlinked temporary file (the spill file; its bytes sit in the page cache, not in the heap), so the
 * heap holds the index, a bounded journal window, the machine and at most CHECKPOINT_BUDGET of
 * small checkpoints.
 */
import * as fs from 'fs';
import { RET_NONE, RET_UNKNOWN } from './bits';
import { MonotoneColumn, NarrowColumn } from './columns';
import { executeHcall, HcallResult, reusableResult } from './handlers';
import { Journal, JTag, SHORT_HPT, SHORT_INDEX_LIMIT, SHORT_PHYS } from './journal';
import { Checkpoints, SpillFile } from './checkpoints';
import { KernelVariant, Machine, MachineState } from './machine';
import { ByteLines, LineKind } from './lines';
import { emptyTrace, newParserState, ParserState, parseHcallBytes, parseLine, reusableHcallRecord } from './parser';
import { HcallRecord, TraceError, TraceRecord } from './records';
import { applyRecord, diverged, resultUnknown } from './replay';

/** Per-record flag bits. */
export const F = {
  HCALL: 1,
  DIVERGED: 2,
  MADE_CACHEABLE: 4,
  VIRTUAL_MODE: 8,
  /** A configuration/host record: its journal entry is an object, so it bounds XOR batches. */
  OBJECT: 16,
  RECORDED: 32,
  EMULATED: 64,
  /** Format 2: the emulated result is unknown (the hcall needed a `?` argument). */
  UNKNOWN: 128,
} as const;

/** ret of a record that has no return code (not an hcall, or an hcall the emulation passes over). */
export { RET_NONE } from './bits';

/**
 * Memory the checkpoints may use together on the heap, in the spill file, and the spacing they
 * start from (records). A full HPT of order 24 is a 24 MB checkpoint: it goes to the spill file,
 * so 4 GiB hold about 170 of them (every 2^17 records at 10M hcalls, every 2^20 at 100M).
 */
const CHECKPOINT_BUDGET = 64 << 20;
const CHECKPOINT_DISK_BUDGET = 2 ** 32;
const CHECKPOINT_INTERVAL = 1 << 17;
/**
 * Journal pages (1 MB, about 55k records each) kept in memory: a walk between checkpoints spans a
 * few, so 64 keep several walks' worth and the rest of the journal goes to the spill file.
 */
const JOURNAL_PAGES = 64;

/**
 * What restoring a checkpoint costs, in journal words (replaying one is a random access into the
 * HPT, ~20 ns): clearing the tables and copying chunks back run at memory speed (~0.1 ns a byte),
 * writing sparse entries back at ~3 ns a word.
 */
function restoreCost(m: Machine, s: MachineState): number {
  let bytes = m.hpt.bytes;
  let sparse = s.hpt.words.length;
  for (const o of m.slotObjects) bytes += o.physp.bytes;
  for (const d of s.phys) sparse += d.words.length;
  // Reading spilled copies back from the page cache costs about as much again as copying them.
  return 64 + (bytes >>> 8) + (s.hpt.diskBytes >>> 8) + (sparse >>> 3);
}

export interface EngineOptions {
  /** Bytes the checkpoints may hold together. */
  checkpointBudget?: number;
  /** Records between checkpoints to start with (a power of two). */
  checkpointInterval?: number;
  /**
   * Where well-filled tables of a checkpoint go: a temporary file (the default; its bytes live in the
   * page cache, not the heap), or null to keep them in memory.
   */
  spillDir?: string | null;
  /** Bytes the checkpoints may hold together in the spill file. */
  checkpointDiskBudget?: number;
  /** Full journal pages (1 MB each) kept in memory when there is a spill file; the rest go there. */
  journalPages?: number;
}

/** First index in a sorted array whose value is >= v. */
function lowerBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Words of the journal entry whose tag is `tag` (journal.ts has the layouts). */
function entryLength(tag: number): number {
  let n = 0;
  if (tag >= SHORT_HPT) {
    for (let w = 24; w < 30; w++) if (tag & (1 << w)) n++;
    return 1 + n;
  }
  if (tag >= SHORT_PHYS) return 3;
  const kind = tag & 0xff;
  if (kind === JTag.Hpt) {
    for (let w = 8; w < 14; w++) if (tag & (1 << w)) n++;
    return 3 + n;
  }
  return kind === JTag.SlotPhys ? 6 : 2;
}

export class Engine {
  readonly m: Machine;
  /** Number of records whose effects are in the machine (the state is "before record `applied`"). */
  applied = 0;
  /** Records read and executed at least once. */
  count = 0;
  hcallCount = 0;
  /** Set when the end of the file (or the first malformed line) has been reached. */
  complete = false;
  error: TraceError | null = null;
  readonly vcpus = new Set<number>();

  private readonly fd: number;
  private readonly reader: ByteLines;
  private readonly st: ParserState;
  // The index: one row per explored record (~28 bytes).
  private readonly offsets = new MonotoneColumn();
  private readonly lines = new MonotoneColumn();
  private readonly marks = new MonotoneColumn();
  private readonly rets = new NarrowColumn(RET_NONE);
  private readonly flagCol = new NarrowColumn(-1);
  private readonly vcpuCol = new NarrowColumn(-1);
  private readonly numbers = new NarrowColumn(-1);
  private readonly slots = new NarrowColumn(-1);
  private readonly physIdx = new NarrowColumn(-1);
  private readonly hptIdx = new NarrowColumn(-1);
  readonly checkpoints: Checkpoints;
  /** The checkpoints' spill file, or null when they are kept in memory. */
  readonly spill: SpillFile | null = null;
  /** How many seeks restored a checkpoint (for tests and the bench). */
  restores = 0;
  /** Records whose journal entry is an object (host records): rare, and they bound XOR batches. */
  private readonly objectRecords: number[] = [];
  /** The record parsed last at the frontier, so a caller checking it does not re-read the file. */
  private lastParsed: { index: number; rec: TraceRecord } | null = null;
  private readonly lineBuf = Buffer.allocUnsafe(4096);
  private readonly hrec = reusableHcallRecord();
  private readonly hres = reusableResult();

  constructor(
    readonly file: string,
    readonly kernel: KernelVariant = 'io',
    opts: EngineOptions = {},
  ) {
    this.m = new Machine(kernel, file);
    this.fd = fs.openSync(file, 'r');
    try {
      this.reader = new ByteLines(this.fd, { file });
    } catch (e) {
      fs.closeSync(this.fd); // a refused file (not a regular file) must not leak its descriptor
      throw e;
    }
    this.st = newParserState(file);
    if (opts.spillDir !== null) {
      try {
        this.spill = new SpillFile(opts.spillDir);
      } catch {
        this.spill = null; // no temporary directory: checkpoints stay in memory
      }
    }
    this.m.hpt.spill = this.spill;
    if (this.spill) this.m.journal.spillTo(this.spill, opts.journalPages ?? JOURNAL_PAGES);
    this.checkpoints = new Checkpoints(
      opts.checkpointBudget ?? CHECKPOINT_BUDGET,
      opts.checkpointInterval ?? CHECKPOINT_INTERVAL,
      this.spill ? (opts.checkpointDiskBudget ?? CHECKPOINT_DISK_BUDGET) : Infinity,
      this.spill,
    );
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    this.spill?.close();
  }

  /** File size and the byte offset reached, for progress. */
  get fileSize(): number {
    return this.reader.size;
  }
  get bytesRead(): number {
    return this.reader.nextOffset;
  }

  // ---- per-record facts ------------------------------------------------------------------

  line(i: number): number {
    return this.lines.get(i);
  }
  offset(i: number): number {
    return this.offsets.get(i);
  }
  flags(i: number): number {
    return this.flagCol.get(i);
  }
  isHcall(i: number): boolean {
    return (this.flagCol.get(i) & F.HCALL) !== 0;
  }
  ret(i: number): number {
    return this.rets.get(i);
  }
  vcpu(i: number): number {
    return this.vcpuCol.get(i);
  }
  hcallNumber(i: number): number {
    return this.numbers.get(i);
  }
  slot(i: number): number {
    return this.slots.get(i);
  }
  physIndex(i: number): number {
    return this.physIdx.get(i);
  }
  hptIndex(i: number): number {
    return this.hptIdx.get(i);
  }
  /** Journal offset before record i (i may be `count`: the end of the explored journal). */
  mark(i: number): number {
    return i < this.count ? this.marks.get(i) : this.m.journal.length;
  }

  /** Index of the record on a 1-based line among explored records, or -1. */
  recordAtLine(line: number): number {
    const i = this.lines.floor(line);
    return i >= 0 && this.lines.get(i) === line ? i : -1;
  }

  /** Index of the first explored record on or after a line (`count` when there is none). */
  recordFromLine(line: number): number {
    const i = this.lines.floor(line);
    return i >= 0 && this.lines.get(i) === line ? i : i + 1;
  }

  /** Line of the last explored record, or 0. */
  get lastLine(): number {
    return this.count ? this.lines.get(this.count - 1) : 0;
  }

  // ---- moving ----------------------------------------------------------------------------

  /**
   * Reads and executes the next record at the frontier. Returns false at the end of the trace or at
   * a malformed line (then `error` holds it, positioned).
   */
  explore(): boolean {
    if (this.complete) return false;
    this.seek(this.count);
    if (this.checkpoints.due(this.count)) this.checkpoints.add(this.count, this.m.saveState());
    for (;;) {
      const r = this.reader;
      const kind = r.next();
      if (kind === LineKind.TooLong) {
        this.complete = true;
        this.error = r.tooLongError(this.file);
        return false;
      }
      if (kind === LineKind.End) {
        this.complete = true;
        // The end is where a user jumps most; it is rarely on the interval grid.
        this.settle();
        if (!this.st.sawHeader) this.error = emptyTrace(this.file);
        return false;
      }
      let rec: TraceRecord | null;
      let res: HcallResult | null;
      const mark = this.m.journal.length;
      let reused = false;
      try {
        // Hcall lines go from bytes to a reused record and result (no string, no objects per line);
        // anything else (or anything unusual) through parseLine.
        const k = parseHcallBytes(this.st, r.lineNo, r.buf, r.start, r.end, this.hrec);
        if (k === 0) continue;
        if (k === 1) {
          rec = this.hrec;
          res = executeHcall(this.m, this.hrec, false, this.hres);
          reused = true;
        } else {
          rec = parseLine(this.st, r.lineNo, r.buf.toString('utf8', r.start, r.end));
          if (!rec) continue;
          // The machine validates a record before it changes anything, so a throw leaves no partial state.
          res = applyRecord(this.m, rec, false);
        }
      } catch (e) {
        if (!(e instanceof TraceError)) throw e;
        this.complete = true;
        this.error = e;
        return false;
      }
      const i = this.count;
      this.offsets.push(r.offset);
      this.lines.push(r.lineNo);
      this.marks.push(mark);
      if (rec.kind === 'hcall' && res) {
        let f = F.HCALL;
        if (res.ret !== null) f |= F.EMULATED;
        if (rec.recorded !== null) f |= F.RECORDED;
        if (diverged(rec, res)) f |= F.DIVERGED;
        if (res.madeCacheable) f |= F.MADE_CACHEABLE;
        if (res.virtualMode) f |= F.VIRTUAL_MODE;
        if (resultUnknown(rec, res)) f |= F.UNKNOWN;
        this.flagCol.push(f);
        this.rets.push(res.ret === null ? (f & F.UNKNOWN ? RET_UNKNOWN : RET_NONE) : res.ret);
        const vcpu = rec.vcpu < 0 ? 0 : rec.vcpu;
        this.vcpuCol.push(vcpu);
        this.vcpus.add(vcpu);
        this.numbers.push(rec.number);
        this.slots.push(res.slot);
        this.physIdx.push(res.physIndex);
        this.hptIdx.push(res.hptIndex);
        this.hcallCount++;
      } else {
        const object = this.m.journal.length > mark;
        if (object) this.objectRecords.push(i);
        this.flagCol.push(object ? F.OBJECT : 0);
        this.rets.push(RET_NONE);
        this.vcpuCol.push(-1);
        this.numbers.push(-1);
        this.slots.push(-1);
        this.physIdx.push(-1);
        this.hptIdx.push(-1);
      }
      this.count++;
      this.applied = this.count;
      // A reused record is overwritten by the next line: record(i) reads that one again.
      this.lastParsed = reused ? null : { index: i, rec };
      return true;
    }
  }

  /**
   * Saves a checkpoint at the frontier when it is far from the last one: where a long read stopped is
   * where the user is, and jumps back to it should not replay half an interval.
   */
  settle(): void {
    if (this.checkpoints.gap(this.count) < this.checkpoints.interval / 8) return;
    this.seek(this.count);
    this.checkpoints.add(this.count, this.m.saveState(), true);
  }

  /** Explores until at least `n` records are known (or the trace ends). */
  ensure(n: number): boolean {
    while (this.count < n) if (!this.explore()) return false;
    return true;
  }

  /**
   * Moves the machine to "before record `target`" within the explored range: from where it is, or
   * from the nearest checkpoint when that is cheaper, then by journal replay.
   */
  seek(target: number): void {
    if (target < 0 || target > this.count)
      throw new RangeError(`seek(${target}) outside the explored range 0..${this.count}`);
    if (target === this.applied) return;
    const cp = this.checkpoints.nearest(target);
    if (cp && cp.record !== this.applied) {
      const fromHere = Math.abs(this.mark(this.applied) - this.mark(target));
      const fromCheckpoint = Math.abs(this.mark(cp.record) - this.mark(target)) + restoreCost(this.m, cp.state);
      if (fromCheckpoint < fromHere) {
        this.m.restoreState(cp.state);
        this.applied = cp.record;
        this.restores++;
      }
    }
    this.walk(target);
  }

  /**
   * Journal replay to `target`. Runs of hcall records are replayed as one XOR batch; object
   * records (vma, memslot …) one at a time, because a slot_phys delta applies to whichever memslot
   * object is current.
   */
  private walk(target: number): void {
    const objs = this.objectRecords;
    while (this.applied < target) {
      const o = objs[lowerBound(objs, this.applied)] ?? Infinity;
      const e = o === this.applied ? o + 1 : Math.min(o, target);
      this.m.replayJournal(this.mark(this.applied), this.mark(e), true);
      this.applied = e;
    }
    while (this.applied > target) {
      const k = lowerBound(objs, this.applied) - 1;
      const o = k >= 0 ? objs[k] : -1;
      const s = o === this.applied - 1 ? o : Math.max(o + 1, target);
      this.m.replayJournal(this.mark(s), this.mark(this.applied), false);
      this.applied = s;
    }
  }

  /**
   * Calls fn(slot, index) for each table entry record i wrote, in journal order: slot -1 for an HPT
   * entry, else slot_phys[slot][index]. Reads the journal only (its layouts are in journal.ts).
   */
  forEachWrite(i: number, fn: (slot: number, index: number) => void): void {
    const j = this.m.journal;
    const end = this.mark(i + 1);
    for (let p = this.mark(i); p < end; p += entryLength(j.at(p))) {
      const tag = j.at(p);
      if (tag >= SHORT_HPT) fn(-1, tag & (SHORT_INDEX_LIMIT - 1));
      else if (tag >= SHORT_PHYS) fn((tag >>> 24) & 0x1f, tag & (SHORT_INDEX_LIMIT - 1));
      else if ((tag & 0xff) === JTag.Hpt) fn(-1, j.at(p + 1) * 4294967296 + j.at(p + 2));
      else if ((tag & 0xff) === JTag.SlotPhys) fn(j.at(p + 1), j.at(p + 2) * 4294967296 + j.at(p + 3));
    }
  }

  /** Whether record i wrote (a non-zero delta to) HPT entry `index`. Reads the journal only. */
  wroteHpt(i: number, index: number): boolean {
    const j = this.m.journal;
    const end = this.mark(i + 1);
    for (let p = this.mark(i); p < end; p += entryLength(j.at(p))) {
      const tag = j.at(p);
      if (
        tag >= SHORT_HPT
          ? (tag & (SHORT_INDEX_LIMIT - 1)) === index
          : (tag & 0xff) === JTag.Hpt && j.at(p + 1) * 4294967296 + j.at(p + 2) === index
      )
        return true;
    }
    return false;
  }

  /** Whether record i wrote slot_phys[slot][index]. */
  wroteSlotPhys(i: number, slot: number, index: number): boolean {
    const j = this.m.journal;
    const end = this.mark(i + 1);
    for (let p = this.mark(i); p < end; p += entryLength(j.at(p))) {
      const tag = j.at(p);
      if (tag >= SHORT_HPT) continue;
      if (tag >= SHORT_PHYS) {
        if (((tag >>> 24) & 0x1f) === slot && (tag & (SHORT_INDEX_LIMIT - 1)) === index) return true;
      } else if (
        (tag & 0xff) === JTag.SlotPhys &&
        j.at(p + 1) === slot &&
        j.at(p + 2) * 4294967296 + j.at(p + 3) === index
      )
        return true;
    }
    return false;
  }

  // ---- reading records again -------------------------------------------------------------

  /** The parsed record i, re-read from its byte offset (the frontier's last record is cached). */
  record(i: number): TraceRecord {
    if (i < 0 || i >= this.count) throw new RangeError(`record ${i} is not explored`);
    if (this.lastParsed && this.lastParsed.index === i) return this.lastParsed.rec;
    const text = this.readLineAt(this.offsets.get(i));
    // Only hcalls are re-read in practice; a fresh state past the header parses any record kind alone.
    const st: ParserState = { file: this.file, sawHeader: i > 0, sawHcall: false, sawHostObject: false };
    const rec = parseLine(st, this.lines.get(i), text);
    if (!rec) throw new Error(`record ${i} at line ${this.lines.get(i)} no longer parses as a record`);
    this.lastParsed = { index: i, rec };
    return rec;
  }

  hcall(i: number): HcallRecord | null {
    if (!this.isHcall(i)) return null;
    return this.record(i) as HcallRecord;
  }

  /** Text of the line at a byte offset, via fs.readSync (growing the read for long lines). */
  readLineAt(offset: number): string {
    let buf = this.lineBuf;
    for (;;) {
      const n = fs.readSync(this.fd, buf, 0, buf.length, offset);
      let e = buf.subarray(0, n).indexOf(10);
      if (e < 0 && n === buf.length) {
        buf = Buffer.allocUnsafe(buf.length * 4);
        continue;
      }
      if (e < 0) e = n;
      if (e > 0 && buf[e - 1] === 13) e--;
      return buf.toString('utf8', 0, e);
    }
  }

  /**
   * The full result of hcall i with its explanation (checks), computed by re-running it on the state
   * before it against a scratch journal that is rolled back; the machine ends where it was.
   */
  explain(i: number): HcallResult | null {
    const rec = this.hcall(i);
    if (!rec) return null;
    const saved = this.applied;
    this.seek(i);
    const orig = this.m.journal;
    const scratch = new Journal();
    this.m.journal = scratch;
    try {
      return executeHcall(this.m, rec, true);
    } finally {
      this.m.replayJournal(0, scratch.length, false, scratch);
      this.m.journal = orig;
      this.seek(saved);
    }
  }

  /** Previous / next explored hcall index from i (exclusive), or -1. */
  prevHcall(i: number): number {
    const fl = this.flagCol;
    for (let k = Math.min(i, this.count) - 1; k >= 0; k--) if (fl.get(k) & F.HCALL) return k;
    return -1;
  }
  nextHcall(i: number): number {
    for (let k = i + 1; ; k++) {
      if (k >= this.count && !this.ensure(k + 1)) return -1;
      if (this.flagCol.get(k) & F.HCALL) return k;
    }
  }

  /** Memory held by the index, the journal and the checkpoints, in bytes. */
  get bytes(): number {
    const columns = [
      this.offsets,
      this.lines,
      this.marks,
      this.rets,
      this.flagCol,
      this.vcpuCol,
      this.numbers,
      this.slots,
      this.physIdx,
      this.hptIdx,
    ];
    return columns.reduce((s, x) => s + x.bytes, 0) + this.m.journal.bytes + this.checkpoints.bytes;
  }
}
