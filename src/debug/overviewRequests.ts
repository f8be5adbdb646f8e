/**
 * The Trace Overview's custom requests. Answers are pre-aggregated (bins, picture cells, a
 * comparison): never per-record data, whatever the size of the trace.
 *
 *   hptrace.overview  {fromLine?, toLine?, bins?, maxLanes?, index?}  -> OverviewResponse
 *                     index: read the whole trace first (with the session's progress and cancel)
 *   hptrace.ptegMap   {cells?}                                        -> PtegMap at the current stop
 *   hptrace.findKind  {kind, fromLine, toLine}                        -> {line} of the first such result, or 0
 *   hptrace.state     {line?}                                         -> StateSnapshot (its `final` is
 *                     replay --json's final object); no line: the current stop
 *   hptrace.compare   {fromLine?, toLine}                             -> Comparison and its text; no
 *                     fromLine: the current stop
 *
 * The same function serves the debug adapter (session.ts hooks it in) and the extension without a
 * session (over an engine of its own), through OverviewHost.
 */
import { compareLines, Comparison, comparisonText, snapshotOf, stateAt, StateSnapshot } from '../core/compare';
import { Engine } from '../core/engine';
import { findKind, overviewBins, OverviewBins, ptegMap, PtegMap } from '../core/overview';
import { registerCustomRequest } from './viewRequests';

export const REQUEST_OVERVIEW = 'hptrace.overview';
export const REQUEST_PTEG_MAP = 'hptrace.ptegMap';
export const REQUEST_FIND_KIND = 'hptrace.findKind';
export const REQUEST_STATE = 'hptrace.state';
export const REQUEST_COMPARE = 'hptrace.compare';

const REQUESTS = new Set([REQUEST_OVERVIEW, REQUEST_PTEG_MAP, REQUEST_FIND_KIND, REQUEST_STATE, REQUEST_COMPARE]);

export interface OverviewArgs {
  fromLine?: number;
  toLine?: number;
  bins?: number;
  maxLanes?: number;
  index?: boolean;
}

export interface OverviewResponse extends OverviewBins {
  /** Milliseconds the adapter spent binning (after any reading). */
  elapsedMs: number;
}

export interface CompareResponse extends Comparison {
  text: string;
}

export type { PtegMap, StateSnapshot };

export interface OverviewHost {
  /** The engine, idle (throws when there is none or it is busy). */
  engine(): Engine;
  /** Reads the trace on until enough() or its end; may report progress and be cancelled. */
  index(enough: () => boolean, what: string): Promise<void>;
}

function num(v: unknown, name: string, fallback?: number): number {
  if (v === undefined || v === null) {
    if (fallback === undefined) throw new Error(`${name} is required`);
    return fallback;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${name} must be a number`);
  return Math.floor(v);
}

/** Reads on to the end, leaving the machine where it was. */
async function readAll(host: OverviewHost, e: Engine, what: string): Promise<void> {
  if (e.complete) return;
  const saved = Math.min(e.applied, e.count);
  try {
    await host.index(() => false, what);
  } finally {
    e.seek(Math.min(saved, e.count));
  }
}

/** Reads on past `line`, leaving the machine where it was. */
async function readTo(host: OverviewHost, e: Engine, line: number): Promise<void> {
  if (e.complete || e.lastLine > line) return;
  const saved = Math.min(e.applied, e.count);
  try {
    await host.index(() => e.lastLine > line, `to line ${line}`);
  } finally {
    e.seek(Math.min(saved, e.count));
  }
}

export async function answerOverviewRequest(host: OverviewHost, command: string, raw: unknown): Promise<unknown> {
  const args = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  let e = host.engine();
  switch (command) {
    case REQUEST_OVERVIEW: {
      if (args.index === true) {
        await readAll(host, e, 'for the overview');
        e = host.engine();
      }
      const t0 = performance.now();
      const o = overviewBins(e, {
        fromLine: args.fromLine === undefined ? undefined : num(args.fromLine, 'fromLine'),
        toLine: args.toLine === undefined ? undefined : num(args.toLine, 'toLine'),
        bins: num(args.bins, 'bins', 512),
        maxLanes: args.maxLanes === undefined ? undefined : num(args.maxLanes, 'maxLanes'),
      });
      const r: OverviewResponse = { ...o, elapsedMs: Math.round((performance.now() - t0) * 10) / 10 };
      return r;
    }
    case REQUEST_PTEG_MAP:
      return ptegMap(e, num(args.cells, 'cells', 4096));
    case REQUEST_FIND_KIND: {
      if (typeof args.kind !== 'string') throw new Error('kind is required');
      const i = findKind(e, args.kind, num(args.fromLine, 'fromLine', 1), num(args.toLine, 'toLine', e.lastLine));
      return { line: i < 0 ? 0 : e.line(i), record: i };
    }
    case REQUEST_STATE: {
      if (args.line === undefined) {
        const n = Math.min(e.applied, e.count);
        return snapshotOf(e.m, n > 0 ? e.line(n - 1) : 0, n, n > 0 ? e.line(n - 1) : 0);
      }
      const line = num(args.line, 'line');
      await readTo(host, e, line);
      return stateAt(host.engine(), line);
    }
    case REQUEST_COMPARE: {
      const to = num(args.toLine, 'toLine');
      const n = Math.min(e.applied, e.count);
      const from = args.fromLine === undefined ? (n > 0 ? e.line(n - 1) : 0) : num(args.fromLine, 'fromLine');
      await readTo(host, e, Math.max(from, to));
      const c = compareLines(host.engine(), from, to);
      const r: CompareResponse = { ...c, text: comparisonText(c) };
      return r;
    }
    default:
      throw new Error(`unknown request ${command}`);
  }
}

// In a debug session, each overview request is one entry of the session's handler table.
for (const command of REQUESTS) {
  registerCustomRequest(command, (ctx, args) =>
    answerOverviewRequest({ engine: ctx.engine, index: (f, w) => ctx.runtime.readAhead(f, w) }, command, args),
  );
}
