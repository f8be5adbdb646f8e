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
import { MachineState } from './machine';

export interface Checkpoint {
  /** The state is "before record `record`". */
  readonly record: number;
  readonly state: MachineState;
  readonly bytes: number;
  /** Off the interval grid: where reading stopped (one at a time) or the end of the trace; kept when the grid thins. */
  readonly pinned: boolean;
}

/** Bytes of a state's own tables, not counting those shared with `prev`. */
function stateBytes(s: MachineState, prev: MachineState | null): number {
  let n = s.hpt === prev?.hpt ? 0 : s.hpt.bytes;
  s.phys.forEach((d, k) => {
    if (prev && k < prev.phys.length && prev.phys[k] === d) return;
    n += d.bytes;
  });
  return n + 64 * (s.vmas.length + s.memslots.length + s.phys.length);
}

export class Checkpoints {
  private list: Checkpoint[] = [];
  private total = 0;

  constructor(
    /** Bytes the checkpoints may hold together. */
    readonly budget: number,
    /** Records between checkpoints at the start (a power of two); doubles as the budget demands. */
    public interval: number,
  ) {}

  get count(): number {
    return this.list.length;
  }
  get bytes(): number {
    return this.total;
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
    if (k >= 0 && pinned) {
      this.total -= this.list[k].bytes;
      this.list.splice(k, 1);
    }
    const last = this.list.length ? this.list[this.list.length - 1] : null;
    if (last && last.record >= record) return;
    const bytes = stateBytes(state, last?.state ?? null);
    this.list.push({ record, state, bytes, pinned });
    this.total += bytes;
    while (this.total > this.budget && this.list.length > 2) this.thin();
  }

  /** Keeps every other checkpoint (those on the doubled interval, and the pinned) and recounts their bytes. */
  private thin(): void {
    this.interval *= 2;
    this.list = this.list.filter((c) => c.pinned || c.record % this.interval === 0);
    this.total = 0;
    let prev: MachineState | null = null;
    this.list = this.list.map((c) => {
      const bytes = stateBytes(c.state, prev);
      prev = c.state;
      this.total += bytes;
      return { ...c, bytes };
    });
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
