/**
 * Breakpoints of every kind, and the cheap test that says which of them could stop at a record.
 * The cheap test reads only the engine's per-record arrays (and, for data breakpoints, the record's
 * journal entries), so scanning a million records in either direction needs no re-execution; the
 * machine is moved to a record only when a candidate has a condition, a hit count or a log message.
 *
 * Hit counts count the times a breakpoint's location and condition matched while running (continue,
 * reverse continue, in either direction) since it was set; a bare `N` means ">= N", as in gdb's ignore
 * count. `== N`, `> N`, `>= N`, `< N`, `<= N` and `% N` are accepted too.
 */
import { DebugProtocol } from '@vscode/debugprotocol';
import { H_NOT_FOUND, H_PARAMETER, H_PTEG_FULL, hcallByNameOrUndefined, hcallByNum } from '../core/bits';
import { Engine, F, RET_NONE } from '../core/engine';
import { unknownName } from './context';
import { Expr, ExprError } from './expr';

export interface Guard {
  condition?: Expr;
  hit?: (n: number) => boolean;
  hits: number;
  logMessage?: string;
}

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
  watch?: { kind: 'hpt'; index: number } | { kind: 'slot_phys'; slot: number; index: number };
  line?: number;
  hcall?: number;
}

export interface FilterDef {
  readonly filter: string;
  readonly label: string;
  readonly description: string;
  readonly default: boolean;
  readonly test: (e: Engine, i: number) => boolean;
}

const emulated = (e: Engine, i: number) => (e.flags(i) & F.EMULATED) !== 0 && e.ret(i) !== RET_NONE;

export const FILTERS: readonly FilterDef[] = [
  {
    filter: 'H_PARAMETER',
    label: 'H_PARAMETER',
    description: 'an hcall returns H_PARAMETER',
    default: true,
    test: (e, i) => emulated(e, i) && e.ret(i) === H_PARAMETER,
  },
  {
    filter: 'failure',
    label: 'Any failure',
    description: 'an hcall returns anything but H_SUCCESS',
    default: false,
    test: (e, i) => emulated(e, i) && e.ret(i) !== 0,
  },
  {
    filter: 'H_PTEG_FULL',
    label: 'H_PTEG_FULL',
    description: 'an H_ENTER finds its PTEG (or exact slot) full',
    default: false,
    test: (e, i) => emulated(e, i) && e.ret(i) === H_PTEG_FULL,
  },
  {
    filter: 'H_NOT_FOUND',
    label: 'H_NOT_FOUND',
    description: 'an hcall returns H_NOT_FOUND',
    default: false,
    test: (e, i) => emulated(e, i) && e.ret(i) === H_NOT_FOUND,
  },
  {
    filter: 'divergence',
    label: 'Divergence',
    description: 'the emulation differs from the recorded result',
    default: true,
    test: (e, i) => (e.flags(i) & F.DIVERGED) !== 0,
  },
  {
    filter: 'made-cacheable',
    label: 'Made cacheable',
    description: "H_ENTER silently made a non-cacheable RAM mapping cacheable (the seed's fix-up)",
    default: false,
    test: (e, i) => (e.flags(i) & F.MADE_CACHEABLE) !== 0,
  },
];

export function exceptionFilters(): DebugProtocol.ExceptionBreakpointsFilter[] {
  return FILTERS.map((f) => ({
    filter: f.filter,
    label: f.label,
    description: f.description,
    default: f.default,
    supportsCondition: true,
    conditionDescription: 'e.g. ptel.I && slot.io',
  }));
}

function parseHit(s: string): (n: number) => boolean {
  const m = /^\s*(==|>=|<=|>|<|%)?\s*(\d+)\s*$/.exec(s);
  if (!m) throw new ExprError(`hit count ${JSON.stringify(s)}: expected N, == N, > N, >= N, < N, <= N or % N`);
  const n = Number(m[2]);
  switch (m[1]) {
    case '==':
      return (h) => h === n;
    case '>':
      return (h) => h > n;
    case '<':
      return (h) => h < n;
    case '<=':
      return (h) => h <= n;
    case '%':
      if (n === 0) throw new ExprError('hit count % 0');
      return (h) => h % n === 0;
    default:
      return (h) => h >= n;
  }
}

function checkedExpr(src: string): Expr {
  const x = Expr.parse(src);
  for (const p of x.names()) {
    const why = unknownName(p);
    if (why) throw new ExprError(why);
  }
  return x;
}

/** Builds a guard; throws ExprError with the reason a condition or hit count is not usable. */
export function makeGuard(condition?: string, hitCondition?: string, logMessage?: string): Guard {
  const g: Guard = { hits: 0 };
  if (condition && condition.trim()) g.condition = checkedExpr(condition);
  if (hitCondition && hitCondition.trim()) g.hit = parseHit(hitCondition);
  if (logMessage) {
    for (const m of logMessage.matchAll(/\{([^{}]+)\}/g)) checkedExpr(m[1]);
    g.logMessage = logMessage;
  }
  return g;
}

export class Breakpoints {
  private nextId = 1;
  lines = new Map<number, Bp>();
  functions: Bp[] = [];
  exceptions: Bp[] = [];
  data: Bp[] = [];
  /** Filters from the launch configuration's breakOn, added to those the client enables. */
  launchFilters: string[] = [];

  newId(): number {
    return this.nextId++;
  }

  /** Function breakpoints by hcall name (or number); returns the hcall number or throws. */
  static hcallOf(name: string): number {
    const t = name.trim();
    const def = hcallByNameOrUndefined(t);
    if (def) return def.number;
    if (/^(0x[0-9a-f]+|\d+)$/i.test(t)) return Number(t);
    throw new ExprError(`unknown hcall ${JSON.stringify(t)}; expected a name such as H_ENTER or a number`);
  }

  static hcallLabel(n: number): string {
    return hcallByNum(n)?.name ?? '0x' + n.toString(16);
  }

  setExceptions(list: { filter: string; condition?: string }[]): void {
    const merged = [...list];
    for (const f of this.launchFilters) if (!merged.some((x) => x.filter === f)) merged.push({ filter: f });
    this.exceptions = merged.map((x) => ({
      id: this.newId(),
      kind: 'exception' as const,
      filter: x.filter,
      label: x.filter,
      guard: makeGuard(x.condition),
    }));
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
    for (const x of this.exceptions) {
      const def = FILTERS.find((f) => f.filter === x.filter);
      if (def && def.test(e, i)) out.push(x);
    }
    return out;
  }

  /** Clears hit counts (restart). */
  resetHits(): void {
    for (const b of [...this.lines.values(), ...this.functions, ...this.exceptions, ...this.data]) b.guard.hits = 0;
  }
}
