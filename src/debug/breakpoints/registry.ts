/**
 * The breakpoint registry: every kind (line, function, exception filter, data), and the cheap test
 * that says which of them could stop at a record. The cheap test reads only the engine's per-record
 * arrays (and, for data breakpoints, the record's journal entries), so scanning a million records in
 * either direction needs no re-execution; the machine is moved to a record only when a candidate has
 * a condition, a hit count or a log message (see the runtime's hit evaluation).
 */
import { hcallByNameOrUndefined, hcallByNum } from '../../core/bits';
import { Engine, F } from '../../core/engine';
import { DataWatch } from '../protocol';
import { ExprError } from '../expr';
import { defaultFilters, filterDef } from './exceptions';
import { Guard, makeGuard } from './guards';

export type BpKind = 'line' | 'function' | 'exception' | 'data';

export interface Bp {
  id: number;
  kind: BpKind;
  guard: Guard;
  /** What it is, for stop descriptions ("line 12", "H_ENTER", "H_PARAMETER", "HPT[0x100]"). */
  label: string;
  /** exception: the filter id. */
  filter?: string;
  /** data: what it watches. */
  watch?: DataWatch;
  /** line: the trace line (1-based, as the engine counts). */
  line?: number;
  /** function: the hcall number. */
  hcall?: number;
}

export interface FilterSetting {
  filter: string;
  condition?: string;
}

/** Function breakpoints by hcall name (or number); returns the hcall number or throws. */
export function hcallOf(name: string): number {
  const t = String(name).trim();
  const def = hcallByNameOrUndefined(t);
  if (def) return def.number;
  if (/^(0x[0-9a-f]{1,8}|\d{1,9})$/i.test(t)) return Number(t);
  throw new ExprError(`unknown hcall ${JSON.stringify(t)}; expected a name such as H_ENTER or a number`);
}

export function hcallLabel(n: number): string {
  return hcallByNum(n)?.name ?? '0x' + n.toString(16);
}

export class Breakpoints {
  private nextId = 1;
  lines = new Map<number, Bp>();
  functions: Bp[] = [];
  exceptions: Bp[] = [];
  data: Bp[] = [];
  /** The exception filters in force: the defaults, seeded by a launch's breakOn, replaced by the client. */
  private filterSettings: FilterSetting[] = defaultFilters();

  constructor() {
    this.setExceptions(this.filterSettings);
  }

  newId(): number {
    return this.nextId++;
  }

  /** The client's exception filters: they replace whatever was in force (defaults or a launch's seeds). */
  setExceptions(list: FilterSetting[]): void {
    this.filterSettings = list.filter((x) => filterDef(x.filter));
    this.exceptions = this.filterSettings.map((x) => ({
      id: this.newId(),
      kind: 'exception' as const,
      filter: x.filter,
      label: x.filter,
      guard: makeGuard(x.condition),
    }));
  }

  /** A launch's breakOn: turns these filters on in the current state, once; the client may turn them off. */
  seedExceptions(filters: readonly string[]): void {
    const merged = [...this.filterSettings];
    for (const f of filters) if (!merged.some((x) => x.filter === f)) merged.push({ filter: f });
    this.setExceptions(merged);
  }

  /**
   * The breakpoints whose location matches record i, most specific first: data (the record wrote the
   * watched entry), line, function, exception filters. Conditions are not evaluated here.
   */
  candidates(e: Engine, i: number): Bp[] {
    const out: Bp[] = [];
    const fl = e.flags(i);
    for (const d of this.data) {
      const w = d.watch!;
      if (w.kind === 'hpt' ? e.wroteHpt(i, w.index) : e.wroteSlotPhys(i, w.slot, w.index)) {
        // Only hcalls stop; a memslot redefinition that forgets entries is not reported.
        if (fl & F.HCALL) out.push(d);
      }
    }
    if (!(fl & F.HCALL)) return out;
    const l = this.lines.get(e.line(i));
    if (l) out.push(l);
    const n = e.hcallNumber(i);
    for (const f of this.functions) if (f.hcall === n) out.push(f);
    for (const x of this.exceptions) if (filterDef(x.filter!)?.test(e, i)) out.push(x);
    return out;
  }

  /** Clears hit counts (restart). */
  resetHits(): void {
    for (const b of [...this.lines.values(), ...this.functions, ...this.exceptions, ...this.data]) b.guard.hits = 0;
  }
}
