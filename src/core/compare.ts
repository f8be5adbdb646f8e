/**
 * The machine state after a given line, and the comparison of two such states: HPT entries added,
 * removed and changed (decoded, with the line of the record that last wrote each), slot_phys
 * entries filled, changed and cleared, memslots and vmas that changed. A state's `final` has the
 * shape of the `final` object of `hptrace replay --json` (replay.ts finalState), so a script can
 * read either.
 */
import { CACHE_MODES } from './bits';
import { summarizeR, summarizeSlotPhys, summarizeV } from './decode';
import { Engine } from './engine';
import { hexn, Machine } from './machine';
import { FinalState, finalState } from './replay';
import { parseU64, U64 } from './u64';

export interface MemslotSummary {
  id: number;
  gpa: string;
  size: string;
  hva: string;
  flags: string;
  line: number;
}

export interface VmaSummary {
  start: string;
  end: string;
  type: 'anon' | 'pfnmap' | 'other';
  /** anon: backing page size in bytes and first pfn; pfnmap: pgoff and cache mode. */
  pageSize?: number;
  pfn?: string;
  pgoff?: string;
  cache?: string;
  line: number;
}

/** The machine after a line: `final` is replay --json's shape; memslots and vmas for the comparison. */
export interface StateSnapshot {
  /** The line asked for, and how many records are applied (those on lines <= line). */
  line: number;
  records: number;
  /** Line of the last record applied (0 when none). */
  lastRecordLine: number;
  pageSize: number;
  arch206: boolean;
  final: FinalState;
  memslots: MemslotSummary[];
  vmas: VmaSummary[];
}

export interface HptWords {
  v: string;
  r: string;
  guest_r: string;
}

export interface HptChange {
  index: number;
  /** The PTEG (index / 8). */
  pteg: number;
  before?: HptWords;
  after?: HptWords;
  /** The entry decoded (after, or before when removed). */
  decoded: string;
  /** Line of the record between the two points that last wrote this entry (null: none found). */
  line: number | null;
}

export interface SlotPhysChange {
  slot: number;
  index: number;
  before?: string;
  after?: string;
  decoded: string;
  line: number | null;
}

export interface Comparison {
  from: { line: number; records: number; lastRecordLine: number };
  to: { line: number; records: number; lastRecordLine: number };
  hpt: { added: HptChange[]; removed: HptChange[]; changed: HptChange[] };
  slot_phys: { filled: SlotPhysChange[]; changed: SlotPhysChange[]; cleared: SlotPhysChange[] };
  memslots: {
    added: MemslotSummary[];
    removed: MemslotSummary[];
    changed: { before: MemslotSummary; after: MemslotSummary }[];
  };
  vmas: { added: VmaSummary[]; removed: VmaSummary[] };
}

/** Memslots and vmas of a machine, as plain data. */
export function mappingsOf(m: Machine): { memslots: MemslotSummary[]; vmas: VmaSummary[] } {
  const memslots: MemslotSummary[] = [];
  for (const s of m.memslots) {
    if (!s) continue;
    memslots.push({
      id: s.id,
      gpa: hexn(s.baseGfn * m.pageSize),
      size: hexn(s.npages * m.pageSize),
      hva: hexn(s.userspaceAddr),
      flags: hexn(s.flags),
      line: s.line,
    });
  }
  const vmas: VmaSummary[] = m.vmas.map((v) => ({
    start: hexn(v.start),
    end: hexn(v.end),
    type: v.type,
    ...(v.type === 'anon' ? { pageSize: v.pageSize, pfn: hexn(v.pfn) } : {}),
    ...(v.type === 'pfnmap'
      ? { pgoff: hexn(v.pgoff), cache: CACHE_MODES.find((c) => c.bits === v.cache)?.name ?? hexn(v.cache) }
      : {}),
    line: v.line,
  }));
  return { memslots, vmas };
}

/** The machine as it is now (no engine motion). */
export function snapshotOf(m: Machine, line: number, records: number, lastRecordLine: number): StateSnapshot {
  return {
    line,
    records,
    lastRecordLine,
    pageSize: m.pageSize,
    arch206: m.arch206,
    final: finalState(m),
    ...mappingsOf(m),
  };
}

/**
 * How many records are on lines <= line, reading the trace as far as needed. Throws the trace's
 * error (a TraceError) when a malformed line comes at or before `line`.
 */
export function recordsThroughLine(e: Engine, line: number): number {
  while (!e.complete && e.lastLine <= line) e.explore();
  if (e.error && e.error.line <= line) throw e.error;
  return e.recordFromLine(line + 1);
}

/** The state after `line` (after every record on lines <= line). The engine ends where it was. */
export function stateAt(e: Engine, line: number): StateSnapshot {
  const saved = Math.min(e.applied, e.count);
  const n = recordsThroughLine(e, line);
  e.seek(n);
  try {
    return snapshotOf(e.m, line, n, n > 0 ? e.line(n - 1) : 0);
  } finally {
    e.seek(saved);
  }
}

function u(s: string): U64 {
  return parseU64(s) ?? { hi: 0, lo: 0 };
}

function decodeHpt(w: HptWords, s: StateSnapshot): string {
  const v = u(w.v);
  const r = u(w.r);
  return `${summarizeV(v, r, { pageSize: s.pageSize, arch206: s.arch206 })} | ${summarizeR(r)}`;
}

const sameHpt = (a: HptWords, b: HptWords) => a.v === b.v && a.r === b.r && a.guest_r === b.guest_r;
const words = (x: { v: string; r: string; guest_r: string }): HptWords => ({ v: x.v, r: x.r, guest_r: x.guest_r });

/** The comparison of two states, without writer lines (line: null everywhere). */
export function diffStates(a: StateSnapshot, b: StateSnapshot): Comparison {
  const pos = (s: StateSnapshot) => ({ line: s.line, records: s.records, lastRecordLine: s.lastRecordLine });
  const out: Comparison = {
    from: pos(a),
    to: pos(b),
    hpt: { added: [], removed: [], changed: [] },
    slot_phys: { filled: [], changed: [], cleared: [] },
    memslots: { added: [], removed: [], changed: [] },
    vmas: { added: [], removed: [] },
  };
  // Both lists are sorted by index: merge them.
  const ha = a.final.hpt;
  const hb = b.final.hpt;
  for (let i = 0, j = 0; i < ha.length || j < hb.length;) {
    const x = ha[i];
    const y = hb[j];
    if (y === undefined || (x !== undefined && x.index < y.index)) {
      out.hpt.removed.push({
        index: x.index,
        pteg: Math.floor(x.index / 8),
        before: words(x),
        decoded: decodeHpt(x, a),
        line: null,
      });
      i++;
    } else if (x === undefined || y.index < x.index) {
      out.hpt.added.push({
        index: y.index,
        pteg: Math.floor(y.index / 8),
        after: words(y),
        decoded: decodeHpt(y, b),
        line: null,
      });
      j++;
    } else {
      if (!sameHpt(x, y))
        out.hpt.changed.push({
          index: y.index,
          pteg: Math.floor(y.index / 8),
          before: words(x),
          after: words(y),
          decoded: decodeHpt(y, b),
          line: null,
        });
      i++;
      j++;
    }
  }
  const key = (e: { slot: number; index: number }) => `${e.slot}:${e.index}`;
  const pa = new Map(a.final.slot_phys.map((e) => [key(e), e]));
  const pb = new Map(b.final.slot_phys.map((e) => [key(e), e]));
  for (const y of b.final.slot_phys) {
    const x = pa.get(key(y));
    const decoded = summarizeSlotPhys(u(y.value), b.pageSize);
    if (!x) out.slot_phys.filled.push({ slot: y.slot, index: y.index, after: y.value, decoded, line: null });
    else if (x.value !== y.value)
      out.slot_phys.changed.push({
        slot: y.slot,
        index: y.index,
        before: x.value,
        after: y.value,
        decoded,
        line: null,
      });
  }
  for (const x of a.final.slot_phys)
    if (!pb.has(key(x)))
      out.slot_phys.cleared.push({
        slot: x.slot,
        index: x.index,
        before: x.value,
        decoded: summarizeSlotPhys(u(x.value), a.pageSize),
        line: null,
      });
  const byCmp = (p: SlotPhysChange, q: SlotPhysChange) => p.slot - q.slot || p.index - q.index;
  out.slot_phys.filled.sort(byCmp);
  out.slot_phys.changed.sort(byCmp);
  out.slot_phys.cleared.sort(byCmp);

  const ma = new Map(a.memslots.map((s) => [s.id, s]));
  const mb = new Map(b.memslots.map((s) => [s.id, s]));
  for (const s of b.memslots) {
    const o = ma.get(s.id);
    if (!o) out.memslots.added.push(s);
    else if (JSON.stringify(o) !== JSON.stringify(s)) out.memslots.changed.push({ before: o, after: s });
  }
  for (const s of a.memslots) if (!mb.has(s.id)) out.memslots.removed.push(s);
  const vk = (v: VmaSummary) => JSON.stringify(v);
  const va = new Set(a.vmas.map(vk));
  const vb = new Set(b.vmas.map(vk));
  out.vmas.added = b.vmas.filter((v) => !va.has(vk(v)));
  out.vmas.removed = a.vmas.filter((v) => !vb.has(vk(v)));
  return out;
}

/**
 * Fills in, for each HPT and slot_phys change, the line of the last record in [lo, hi) that wrote
 * the entry, from the engine's journal (no re-execution).
 */
export function attachWriters(e: Engine, c: Comparison, lo: number, hi: number): void {
  const hptWanted = new Map<number, HptChange[]>();
  for (const list of [c.hpt.added, c.hpt.removed, c.hpt.changed])
    for (const x of list) hptWanted.set(x.index, [...(hptWanted.get(x.index) ?? []), x]);
  const physWanted = new Map<string, SlotPhysChange>();
  for (const list of [c.slot_phys.filled, c.slot_phys.changed, c.slot_phys.cleared])
    for (const x of list) physWanted.set(`${x.slot}:${x.index}`, x);
  if (hptWanted.size === 0 && physWanted.size === 0) return;
  for (let i = lo; i < hi; i++) {
    let line = -1;
    e.forEachWrite(i, (slot, index) => {
      if (slot < 0) {
        const hit = hptWanted.get(index);
        if (hit) {
          if (line < 0) line = e.line(i);
          for (const x of hit) x.line = line;
        }
      } else {
        const hit = physWanted.get(`${slot}:${index}`);
        if (hit) hit.line = line < 0 ? (line = e.line(i)) : line;
      }
    });
  }
}

/** The comparison of the states after two lines, with writer lines. The engine ends where it was. */
export function compareLines(e: Engine, fromLine: number, toLine: number): Comparison {
  const a = stateAt(e, fromLine);
  const b = stateAt(e, toLine);
  const c = diffStates(a, b);
  attachWriters(e, c, Math.min(a.records, b.records), Math.max(a.records, b.records));
  return c;
}

/** A comparison as readable text (the CLI's output and the editor's document). */
export function comparisonText(c: Comparison, title = ''): string {
  const out: string[] = [];
  const at = (p: Comparison['from']) => `line ${p.line} (${p.records} records applied)`;
  out.push(`${title ? title + ': ' : ''}state after ${at(c.from)} -> state after ${at(c.to)}`);
  const by = (l: number | null) => (l === null ? '' : `  (line ${l})`);
  const sec = (name: string, n: number) => {
    out.push('');
    out.push(`${name}: ${n === 0 ? 'none' : n}`);
  };
  const h = c.hpt;
  sec('HPT entries added', h.added.length);
  for (const x of h.added)
    out.push(`  + HPT[${hexn(x.index)}] v=${x.after!.v} r=${x.after!.r}  ${x.decoded}${by(x.line)}`);
  sec('HPT entries removed', h.removed.length);
  for (const x of h.removed)
    out.push(`  - HPT[${hexn(x.index)}] v=${x.before!.v} r=${x.before!.r}  ${x.decoded}${by(x.line)}`);
  sec('HPT entries changed', h.changed.length);
  for (const x of h.changed) {
    out.push(`  ~ HPT[${hexn(x.index)}] ${x.decoded}${by(x.line)}`);
    for (const w of ['v', 'r', 'guest_r'] as const)
      if (x.before![w] !== x.after![w]) out.push(`      ${w}: ${x.before![w]} -> ${x.after![w]}`);
  }
  const s = c.slot_phys;
  sec('slot_phys entries filled', s.filled.length);
  // Runs of consecutive entries filled by one record (a huge page pins hundreds) take one line.
  for (let i = 0; i < s.filled.length;) {
    const x = s.filled[i];
    let j = i + 1;
    while (
      j < s.filled.length &&
      s.filled[j].slot === x.slot &&
      s.filled[j].index === x.index + (j - i) &&
      s.filled[j].line === x.line
    )
      j++;
    if (j - i >= 4) {
      const y = s.filled[j - 1];
      out.push(
        `  + slot_phys[${x.slot}][${hexn(x.index)}..${hexn(y.index)}] ${j - i} entries: ${x.after} (${x.decoded}) .. ${y.after}${by(x.line)}`,
      );
    } else
      for (let k = i; k < j; k++) {
        const z = s.filled[k];
        out.push(`  + slot_phys[${z.slot}][${hexn(z.index)}] = ${z.after}  ${z.decoded}${by(z.line)}`);
      }
    i = j;
  }
  sec('slot_phys entries changed', s.changed.length);
  for (const x of s.changed)
    out.push(`  ~ slot_phys[${x.slot}][${hexn(x.index)}] ${x.before} -> ${x.after}  ${x.decoded}${by(x.line)}`);
  sec('slot_phys entries cleared', s.cleared.length);
  for (const x of s.cleared) out.push(`  - slot_phys[${x.slot}][${hexn(x.index)}] was ${x.before}${by(x.line)}`);
  const ms = (m: MemslotSummary) => `memslot ${m.id} gpa=${m.gpa} size=${m.size} hva=${m.hva} (line ${m.line})`;
  const m = c.memslots;
  sec('memslots changed', m.added.length + m.removed.length + m.changed.length);
  for (const x of m.added) out.push(`  + ${ms(x)}`);
  for (const x of m.removed) out.push(`  - ${ms(x)}`);
  for (const x of m.changed) out.push(`  ~ ${ms(x.before)} -> ${ms(x.after)}`);
  const vs = (v: VmaSummary) =>
    `vma ${v.start}-${v.end} ${v.type}${v.cache ? ' cache=' + v.cache : ''}${v.pfn ? ' pfn=' + v.pfn : ''} (line ${v.line})`;
  sec('vmas changed', c.vmas.added.length + c.vmas.removed.length);
  for (const x of c.vmas.added) out.push(`  + ${vs(x)}`);
  for (const x of c.vmas.removed) out.push(`  - ${vs(x)}`);
  return out.join('\n') + '\n';
}

/** A state as readable text. */
export function stateText(s: StateSnapshot): string {
  const out: string[] = [];
  out.push(
    `state after line ${s.line}: ${s.records} records applied${s.lastRecordLine ? ` (last on line ${s.lastRecordLine})` : ''}`,
  );
  out.push('');
  out.push(`memslots: ${s.memslots.length}`);
  for (const m of s.memslots)
    out.push(`  memslot ${m.id} gpa=${m.gpa} size=${m.size} hva=${m.hva} flags=${m.flags} (line ${m.line})`);
  out.push(`vmas: ${s.vmas.length}`);
  for (const v of s.vmas)
    out.push(
      `  vma ${v.start}-${v.end} ${v.type}${v.pageSize ? ' page=' + v.pageSize : ''}${v.pfn ? ' pfn=' + v.pfn : ''}${v.pgoff ? ' pgoff=' + v.pgoff : ''}${v.cache ? ' cache=' + v.cache : ''} (line ${v.line})`,
    );
  out.push(`valid HPT entries: ${s.final.hpt.length}`);
  for (const h of s.final.hpt)
    out.push(`  HPT[${hexn(h.index)}] v=${h.v} r=${h.r} guest_r=${h.guest_r}  ${decodeHpt(h, s)}`);
  out.push(`slot_phys entries: ${s.final.slot_phys.length}`);
  for (const p of s.final.slot_phys)
    out.push(`  slot_phys[${p.slot}][${hexn(p.index)}] = ${p.value}  ${summarizeSlotPhys(u(p.value), s.pageSize)}`);
  return out.join('\n') + '\n';
}
