/**
 * Checkpoints of the machine for the engine: a jump restores the checkpoint nearest its target and
 * replays the journal only from there, so its cost is bounded by the checkpoint spacing instead of
 * growing with the distance travelled.
 *
 * Spacing adapts to a memory budget: checkpoints are taken every `interval` records as the trace is
 * explored, plus one where reading last stopped (the end of the trace, or where a goto sent it); when they hold more than the budget, every other one
 * is dropped and the interval doubles.
 * A checkpoint holds the non-zero HPT and slot_phys entries (tables unchanged since the previous
 * checkpoint are shared), so a sparse HPT costs little even when its order is large.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MachineState } from './machine';
import { ChunkSpill, WordsDump } from './words';

/**
 * The checkpoints' spill file: well-filled tables (a full HPT is 24 MB) go here instead of the heap.
 * It is unlinked as soon as it is open where the system allows it, so nothing is left behind even
 * if the process dies; its pages sit in the page cache (not in the process's RSS) while memory is
 * plentiful. Space of released dumps is reused by later ones of the same size.
 */
export class SpillFile implements ChunkSpill {
  private fd: number;
  private file: string | null;
  private end = 0;
  private readonly freeBySize = new Map<number, number[]>();
  /** Bytes of live (not released) dumps in the file. */
  liveBytes = 0;

  constructor(dir = os.tmpdir()) {
    const d = fs.mkdtempSync(path.join(dir, 'hptrace-'));
    this.file = path.join(d, 'checkpoints.bin');
    this.fd = fs.openSync(this.file, 'w+');
    try {
      fs.unlinkSync(this.file);
      fs.rmdirSync(d);
      this.file = null;
    } catch {
      /* not on this system: removed by close() */
    }
  }

  write(chunks: readonly Uint32Array[]): number {
    const size = chunks.reduce((s, c) => s + c.byteLength, 0);
    const offset = this.freeBySize.get(size)?.pop() ?? this.end;
    if (offset === this.end) this.end += size;
    let at = offset;
    for (const c of chunks) {
      const b = new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
      for (let done = 0; done < b.length;) done += fs.writeSync(this.fd, b, done, b.length - done, at + done);
      at += c.byteLength;
    }
    this.liveBytes += size;
    return offset;
  }

  read(offset: number, into: Uint32Array): void {
    const b = new Uint8Array(into.buffer, into.byteOffset, into.byteLength);
    for (let done = 0; done < b.length;) {
      const n = fs.readSync(this.fd, b, done, b.length - done, offset + done);
      if (n === 0) throw new Error(`checkpoint spill file: short read at ${offset + done}`);
      done += n;
    }
  }

  /** Gives a released dump's space back for reuse. */
  release(d: WordsDump): void {
    if (d.spillOffset < 0 || d.dead) return;
    d.dead = true;
    const list = this.freeBySize.get(d.diskBytes) ?? [];
    list.push(d.spillOffset);
    this.freeBySize.set(d.diskBytes, list);
    this.liveBytes -= d.diskBytes;
  }

  /** Size of the file (live dumps and reusable space). */
  get fileBytes(): number {
    return this.end;
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* closed */
    }
    if (this.file) {
      try {
        fs.rmSync(path.dirname(this.file), { recursive: true, force: true });
      } catch {
        /* best effort */
      }
      this.file = null;
    }
  }
}

function dumpsOf(s: MachineState): WordsDump[] {
  return [s.hpt, ...s.phys];
}

export interface Checkpoint {
  /** The state is "before record `record`". */
  readonly record: number;
  readonly state: MachineState;
  readonly bytes: number;
  readonly diskBytes: number;
  /** Off the interval grid: where reading stopped (one at a time) or the end of the trace; kept when the grid thins. */
  readonly pinned: boolean;
}

/** Bytes of a state's own tables in memory, not counting those shared with `prev`. */
function stateBytes(s: MachineState, prev: MachineState | null): number {
  let n = s.hpt === prev?.hpt ? 0 : s.hpt.bytes;
  s.phys.forEach((d, k) => {
    if (prev && k < prev.phys.length && prev.phys[k] === d) return;
    n += d.bytes;
  });
  return n + 64 * (s.vmas.length + s.memslots.length + s.phys.length);
}

/** The same for the bytes in the spill file. */
function stateDiskBytes(s: MachineState, prev: MachineState | null): number {
  let n = s.hpt === prev?.hpt ? 0 : s.hpt.diskBytes;
  s.phys.forEach((d, k) => {
    if (prev && k < prev.phys.length && prev.phys[k] === d) return;
    n += d.diskBytes;
  });
  return n;
}

export class Checkpoints {
  private list: Checkpoint[] = [];
  private total = 0;
  private disk = 0;

  constructor(
    /** Bytes the checkpoints may hold together in memory. */
    readonly budget: number,
    /** Records between checkpoints at the start (a power of two); doubles as the budgets demand. */
    public interval: number,
    /** Bytes they may hold together in the spill file. */
    readonly diskBudget = Infinity,
    /** Where spilled dumps live; released when no checkpoint holds them any more. */
    private readonly spill: SpillFile | null = null,
  ) {}

  get count(): number {
    return this.list.length;
  }
  /** Bytes held in memory. */
  get bytes(): number {
    return this.total;
  }
  /** Bytes held in the spill file. */
  get diskBytes(): number {
    return this.disk;
  }
  /** Records of the checkpoints, in order (for tests and the bench). */
  get records(): number[] {
    return this.list.map((c) => c.record);
  }

  /** Records from the newest checkpoint to `record`. */
  gap(record: number): number {
    return this.list.length ? record - this.list[this.list.length - 1].record : record;
  }

  /** Whether the engine should save the state before record `record` (it explores in order). */
  due(record: number): boolean {
    const last = this.list.length ? this.list[this.list.length - 1].record : -1;
    return record > last && record % this.interval === 0;
  }

  add(record: number, state: MachineState, pinned = false): void {
    // Only the newest off-grid checkpoint is kept: it marks where reading last stopped.
    const k = this.list.findIndex((c) => c.pinned);
    if (k >= 0 && pinned) this.recount(this.list.splice(k, 1));
    const prev = this.list.length ? this.list[this.list.length - 1] : null;
    if (prev && prev.record >= record) {
      this.recount([], state);
      return;
    }
    const bytes = stateBytes(state, prev?.state ?? null);
    const diskBytes = stateDiskBytes(state, prev?.state ?? null);
    this.list.push({ record, state, bytes, diskBytes, pinned });
    this.total += bytes;
    this.disk += diskBytes;
    while ((this.total > this.budget || this.disk > this.diskBudget) && this.list.length > 2) this.thin();
  }

  /** Keeps every other checkpoint (those on the doubled interval, and the pinned). */
  private thin(): void {
    this.interval *= 2;
    const dropped = this.list.filter((c) => !(c.pinned || c.record % this.interval === 0));
    this.list = this.list.filter((c) => c.pinned || c.record % this.interval === 0);
    this.recount(dropped);
  }

  /**
   * Recounts the bytes of the list (a shared table counts once) and releases the spilled tables of
   * `dropped` checkpoints (and of a state never added) that no kept checkpoint shares.
   */
  private recount(dropped: Checkpoint[], unused: MachineState | null = null): void {
    this.total = 0;
    this.disk = 0;
    let prev: MachineState | null = null;
    this.list = this.list.map((c) => {
      const bytes = stateBytes(c.state, prev);
      const diskBytes = stateDiskBytes(c.state, prev);
      prev = c.state;
      this.total += bytes;
      this.disk += diskBytes;
      return { ...c, bytes, diskBytes };
    });
    if (!this.spill) return;
    const kept = new Set<WordsDump>();
    for (const c of this.list) for (const d of dumpsOf(c.state)) kept.add(d);
    const gone = dropped.map((c) => c.state);
    if (unused) gone.push(unused);
    for (const s of gone) for (const d of dumpsOf(s)) if (!kept.has(d)) this.spill.release(d);
  }

  /** The checkpoint whose record is nearest to `record` (either side), or null. */
  nearest(record: number): Checkpoint | null {
    const l = this.list;
    if (!l.length) return null;
    let lo = 0;
    let hi = l.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (l[mid].record <= record) lo = mid;
      else hi = mid - 1;
    }
    const below = l[lo];
    const above = lo + 1 < l.length ? l[lo + 1] : null;
    if (below.record > record) return below;
    return above && above.record - record < record - below.record ? above : below;
  }
}
