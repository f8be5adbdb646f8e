/**
 * The whole trace at once, for the Trace Overview: results binned along the line axis, and the HPT
 * as a picture of PTEG occupancy. Everything here reads the engine's per-record index columns
 * (return code, flags, vcpu, line) and never re-executes or re-reads a record, except the rare
 * host records (vma, munmap, memslot) that become markers. Outputs are bounded by the requested
 * bin / cell counts, whatever the size of the trace.
 */
import { H_NOT_FOUND, H_PARAMETER, H_PTEG_FULL, H_SUCCESS } from './bits';
import { Engine, F, RET_NONE } from './engine';

/** Result kinds, in stacking order. The first six partition the hcalls; the last two overlap them. */
export const OVERVIEW_KINDS = [
  'success',
  'H_PARAMETER',
  'H_PTEG_FULL',
  'H_NOT_FOUND',
  'failure',
  'unmodelled',
  'diverged',
  'madeCacheable',
] as const;
export type OverviewKind = (typeof OVERVIEW_KINDS)[number];
export const K_SUCCESS = 0;
export const K_PARAMETER = 1;
export const K_PTEG_FULL = 2;
export const K_NOT_FOUND = 3;
export const K_FAILURE = 4;
export const K_UNMODELLED = 5;
export const K_DIVERGED = 6;
export const K_MADE_CACHEABLE = 7;
/** Kinds that partition the hcalls (stacked); the others are counted on top. */
export const STACKED_KINDS = 6;
const NK = OVERVIEW_KINDS.length;

/** Lane counts per bin: hcalls of that vcpu, and those of them that failed (any code but H_SUCCESS). */
export const LANE_FIELDS = ['hcalls', 'failures'] as const;

export interface OverviewLane {
  /** The vcpu, or -1 for the lane that gathers the vcpus past the lane limit. */
  vcpu: number;
  /** bins × LANE_FIELDS.length, row-major by bin. */
  counts: number[];
}

export interface OverviewMarker {
  bin: number;
  /** Line of the first such record in the bin. */
  line: number;
  kind: 'memslot' | 'vma';
  /** How many such records the bin holds. */
  count: number;
  /** The first one's text (trimmed). */
  text: string;
}

export interface OverviewBins {
  /** Inclusive line range the bins cover. */
  fromLine: number;
  toLine: number;
  bins: number;
  /** bins + 1 line boundaries: bin b covers lines [edges[b], edges[b+1]). */
  edges: number[];
  kinds: readonly string[];
  /** bins × kinds.length counts, row-major by bin. */
  counts: number[];
  /** The largest stacked total of a bin (the first STACKED_KINDS kinds). */
  maxStack: number;
  lanes: OverviewLane[];
  laneFields: readonly string[];
  markers: OverviewMarker[];
  /** Totals over the range, by kind. */
  totals: number[];
  /** Records and hcalls explored in the whole trace, its last explored line, whether it is all read. */
  records: number;
  hcalls: number;
  lastLine: number;
  complete: boolean;
}

export interface OverviewOptions {
  fromLine?: number;
  toLine?: number;
  bins?: number;
  /** At most this many vcpu lanes; the rest share one lane (vcpu -1). */
  maxLanes?: number;
}

export const MAX_BINS = 4096;
export const MAX_LANES = 16;

/** Kind of a return code (RET_NONE: an hcall the emulation passes over). */
export function kindOfRet(ret: number): number {
  switch (ret) {
    case H_SUCCESS:
      return K_SUCCESS;
    case H_PARAMETER:
      return K_PARAMETER;
    case H_PTEG_FULL:
      return K_PTEG_FULL;
    case H_NOT_FOUND:
      return K_NOT_FOUND;
    case RET_NONE:
      return K_UNMODELLED;
    default:
      return K_FAILURE;
  }
}

/** Markers' record kinds, remembered per engine (records never change once explored). */
const markerKinds = new WeakMap<Engine, Map<number, { kind: 'memslot' | 'vma' | null; text: string }>>();

function markerOf(e: Engine, i: number): { kind: 'memslot' | 'vma' | null; text: string } {
  let m = markerKinds.get(e);
  if (!m) markerKinds.set(e, (m = new Map()));
  let k = m.get(i);
  if (!k) {
    const rec = e.record(i);
    const kind = rec.kind === 'memslot' ? 'memslot' : rec.kind === 'vma' || rec.kind === 'munmap' ? 'vma' : null;
    const text = kind ? e.readLineAt(e.offset(i)).trim().slice(0, 120) : '';
    k = { kind, text };
    m.set(i, k);
  }
  return k;
}

/**
 * Bins the explored records whose lines are in [fromLine, toLine] (default: the whole explored
 * trace) into at most `bins` bins of equal line width.
 */
export function overviewBins(e: Engine, opts: OverviewOptions = {}): OverviewBins {
  const last = Math.max(e.lastLine, 1);
  let from = Math.max(1, Math.floor(opts.fromLine ?? 1));
  let to = Math.floor(opts.toLine ?? last);
  if (!(to >= from)) to = from;
  if (!Number.isFinite(from)) from = 1;
  const span = to - from + 1;
  const nb = Math.max(1, Math.min(Math.floor(opts.bins ?? 512), MAX_BINS, span));
  const edges = new Array<number>(nb + 1);
  for (let b = 0; b <= nb; b++) edges[b] = from + Math.floor((b * span) / nb);

  // Lanes: the smallest vcpu numbers get their own lane, the others share the last one.
  const maxLanes = Math.max(1, Math.min(opts.maxLanes ?? MAX_LANES, 256));
  const vcpus = [...e.vcpus].sort((a, b) => a - b);
  const own = vcpus.length <= maxLanes ? vcpus : vcpus.slice(0, maxLanes - 1);
  const laneOf = new Map<number, number>(own.map((v, k) => [v, k]));
  const nLanes = own.length + (vcpus.length > own.length ? 1 : 0);
  const LF = LANE_FIELDS.length;
  const lanes = new Array<Uint32Array>(nLanes);
  for (let k = 0; k < nLanes; k++) lanes[k] = new Uint32Array(nb * LF);
  const counts = new Uint32Array(nb * NK);
  const markers: OverviewMarker[] = [];

  const laneOfVcpu = (v: number) => laneOf.get(v) ?? nLanes - 1;
  const sum = summaryOf(e);
  const sumLanes = sum ? [...sum.lanes].map(([v, g]) => [laneOfVcpu(v), g.a] as const) : [];
  const sumKinds = sum?.kinds.a;
  const sumObjects = sum?.objects.a;
  let i = e.recordFromLine(edges[0]);
  for (let b = 0; b < nb; b++) {
    const end = e.recordFromLine(edges[b + 1]);
    const base = b * NK;
    let memslotMarker: OverviewMarker | null = null;
    let vmaMarker: OverviewMarker | null = null;
    while (i < end) {
      // Whole summarised blocks at once, unless they hold host records (markers need those).
      const blk = i >>> BLOCK_SHIFT;
      if (sum && (i & BLOCK_MASK) === 0 && i + BLOCK <= end && blk < sum.blocks && sumObjects![blk] === 0) {
        for (let k = 0; k < NK; k++) counts[base + k] += sumKinds![blk * NK + k];
        for (const [lane, arr] of sumLanes) {
          lanes[lane][b * LF] += arr[blk * 2];
          lanes[lane][b * LF + 1] += arr[blk * 2 + 1];
        }
        i += BLOCK;
        continue;
      }
      const f = e.flags(i);
      if (f & F.HCALL) {
        const ret = e.ret(i);
        const k = kindOfRet(ret);
        counts[base + k]++;
        if (f & F.DIVERGED) counts[base + K_DIVERGED]++;
        if (f & F.MADE_CACHEABLE) counts[base + K_MADE_CACHEABLE]++;
        const lc = lanes[laneOfVcpu(e.vcpu(i))];
        lc[b * LF]++;
        if (ret !== H_SUCCESS && ret !== RET_NONE) lc[b * LF + 1]++;
      } else if (f & F.OBJECT) {
        const mk = markerOf(e, i);
        if (mk.kind === 'memslot') {
          if (memslotMarker) memslotMarker.count++;
          else markers.push((memslotMarker = { bin: b, line: e.line(i), kind: 'memslot', count: 1, text: mk.text }));
        } else if (mk.kind === 'vma') {
          if (vmaMarker) vmaMarker.count++;
          else markers.push((vmaMarker = { bin: b, line: e.line(i), kind: 'vma', count: 1, text: mk.text }));
        }
      }
      i++;
    }
  }
  let maxStack = 0;
  const totals = new Array<number>(NK).fill(0);
  for (let b = 0; b < nb; b++) {
    let s = 0;
    for (let k = 0; k < NK; k++) {
      totals[k] += counts[b * NK + k];
      if (k < STACKED_KINDS) s += counts[b * NK + k];
    }
    if (s > maxStack) maxStack = s;
  }
  return {
    fromLine: from,
    toLine: to,
    bins: nb,
    edges,
    kinds: OVERVIEW_KINDS,
    counts: Array.from(counts),
    maxStack,
    lanes: lanes.map((c, k) => ({ vcpu: k < own.length ? own[k] : -1, counts: Array.from(c) })),
    laneFields: LANE_FIELDS,
    markers,
    totals,
    records: e.count,
    hcalls: e.hcallCount,
    lastLine: e.lastLine,
    complete: e.complete,
  };
}

// ---- block summaries: counts per 64 records, so a bin over millions of records sums blocks -------

const BLOCK_SHIFT = 6;
const BLOCK = 1 << BLOCK_SHIFT;
const BLOCK_MASK = BLOCK - 1;
/** Above this many vcpus, per-vcpu block counts would cost too much memory: bins scan records. */
const SUMMARY_MAX_VCPUS = 32;

/** A Uint32Array that grows by doubling (the summaries of a 10M-record trace: ~6 MB). */
class Grow {
  a = new Uint32Array(1024);
  need(n: number): Uint32Array {
    if (n > this.a.length) {
      const b = new Uint32Array(Math.max(n, this.a.length * 2));
      b.set(this.a);
      this.a = b;
    }
    return this.a;
  }
}

interface Summary {
  /** Complete blocks summarised. */
  blocks: number;
  /** blocks × NK counts by kind. */
  kinds: Grow;
  /** Host records (markers) per block. */
  objects: Grow;
  /** Per vcpu: blocks × 2 (hcalls, failures). */
  lanes: Map<number, Grow>;
}

const summaries = new WeakMap<Engine, Summary | null>();

/** The engine's block summary, extended to its explored records (records never change once explored). */
function summaryOf(e: Engine): Summary | null {
  if (e.vcpus.size > SUMMARY_MAX_VCPUS) {
    summaries.set(e, null);
    return null;
  }
  let s = summaries.get(e);
  if (s === null) return null;
  if (!s) summaries.set(e, (s = { blocks: 0, kinds: new Grow(), objects: new Grow(), lanes: new Map() }));
  const full = Math.floor(e.count / BLOCK);
  if (full <= s.blocks) return s;
  const kinds = s.kinds.need(full * NK);
  const objects = s.objects.need(full);
  for (const g of s.lanes.values()) g.need(full * 2);
  for (let blk = s.blocks; blk < full; blk++) {
    const k0 = blk * NK;
    for (let i = blk * BLOCK, end = i + BLOCK; i < end; i++) {
      const f = e.flags(i);
      if (f & F.HCALL) {
        const ret = e.ret(i);
        kinds[k0 + kindOfRet(ret)]++;
        if (f & F.DIVERGED) kinds[k0 + K_DIVERGED]++;
        if (f & F.MADE_CACHEABLE) kinds[k0 + K_MADE_CACHEABLE]++;
        const v = e.vcpu(i);
        let g = s.lanes.get(v);
        if (!g) {
          s.lanes.set(v, (g = new Grow()));
          g.need(full * 2);
        }
        g.a[blk * 2]++;
        if (ret !== H_SUCCESS && ret !== RET_NONE) g.a[blk * 2 + 1]++;
      } else if (f & F.OBJECT) objects[blk]++;
    }
  }
  s.blocks = full;
  return s;
}

/** The first record in [fromLine, toLine] whose result is of `kind` (a name of OVERVIEW_KINDS), or -1. */
export function findKind(e: Engine, kind: string, fromLine: number, toLine: number): number {
  const k = OVERVIEW_KINDS.indexOf(kind as OverviewKind);
  if (k < 0) return -1;
  const end = e.recordFromLine(toLine + 1);
  for (let i = e.recordFromLine(fromLine); i < end; i++) {
    const f = e.flags(i);
    if (!(f & F.HCALL)) continue;
    if (k === K_DIVERGED ? f & F.DIVERGED : k === K_MADE_CACHEABLE ? f & F.MADE_CACHEABLE : kindOfRet(e.ret(i)) === k)
      return i;
  }
  return -1;
}

// ---- PTEG occupancy ------------------------------------------------------------------------------

export interface PtegMap {
  /** PTEGs in the HPT (8 entries each). */
  groups: number;
  /** Cells of the picture, and how many consecutive PTEGs each cell stands for. */
  cells: number;
  groupsPerCell: number;
  /** Per cell: the fullest PTEG's valid entries (0..8). */
  max: number[];
  /** Per cell: valid entries in all its PTEGs. */
  valid: number[];
  /** Per cell: PTEGs with all 8 entries valid. */
  full: number[];
  /** Per cell: H_PTEG_FULL results on its PTEGs among the records applied so far. */
  pegFull: number[];
  validHptes: number;
  /** Records applied (the state is "before record `applied`"). */
  applied: number;
}

export const MAX_CELLS = 16384;

/** H_PTEG_FULL results found so far, by engine: record indices and their PTEG numbers, ascending. */
const fullScans = new WeakMap<Engine, { scanned: number; records: number[]; groups: number[] }>();

/** H_PTEG_FULL results among records [0, upTo): their PTEG numbers (scans each record once per engine). */
export function ptegFullGroups(e: Engine, upTo: number): number[] {
  let s = fullScans.get(e);
  if (!s) fullScans.set(e, (s = { scanned: 0, records: [], groups: [] }));
  for (let i = s.scanned; i < e.count; i++) {
    if (e.ret(i) === H_PTEG_FULL && e.flags(i) & F.HCALL) {
      const h = e.hptIndex(i);
      if (h >= 0) {
        s.records.push(i);
        s.groups.push(Math.floor(h / 8));
      }
    }
  }
  s.scanned = e.count;
  let n = 0;
  while (n < s.records.length && s.records[n] < upTo) n++;
  return s.groups.slice(0, n);
}

/** PTEG occupancy of the machine's HPT now, in at most `maxCells` cells. */
export function ptegMap(e: Engine, maxCells = 4096): PtegMap {
  const m = e.m;
  const groups = m.hptEntries / 8;
  const cells = Math.max(1, Math.min(Math.floor(maxCells), MAX_CELLS, groups));
  const groupsPerCell = Math.ceil(groups / cells);
  const max = new Array<number>(cells).fill(0);
  const valid = new Array<number>(cells).fill(0);
  const full = new Array<number>(cells).fill(0);
  const pegFull = new Array<number>(cells).fill(0);
  let group = -1;
  let n = 0;
  const flush = () => {
    if (group < 0) return;
    const c = Math.floor(group / groupsPerCell);
    valid[c] += n;
    if (n > max[c]) max[c] = n;
    if (n === 8) full[c]++;
  };
  // Valid entries in ascending index order: a PTEG's entries come together.
  m.hpt.forEachSet(1, 1, (index) => {
    const g = Math.floor(index / 8);
    if (g !== group) {
      flush();
      group = g;
      n = 0;
    }
    n++;
  });
  flush();
  for (const g of ptegFullGroups(e, e.applied)) pegFull[Math.min(cells - 1, Math.floor(g / groupsPerCell))]++;
  return { groups, cells, groupsPerCell, max, valid, full, pegFull, validHptes: m.validHptes, applied: e.applied };
}
