/**
 * The debugger's runtime: it owns the position in the trace and moves it, with no DAP in sight (the
 * session translates). It emits `stop` (a StopEvent) after every motion, `output` for text the user
 * should see (log points, errors in conditions, a malformed line met while running) and `progress`
 * during long work.
 *
 * Position semantics (see also session.ts). The runtime stands on one hcall record, `pos`. With
 * `executed` true the machine is in the state AFTER that hcall (its result, output registers and
 * writes are visible); with `executed` false it stands BEFORE it — only at the entry stop, on the
 * first hcall. Stepping back from the first hcall returns to that entry state. Running forward past
 * the last hcall stops on it ("end of trace") instead of ending, so one can still go back. Inside an
 * hcall (step in) an explanation cursor walks its checks; any step that leaves it returns to the
 * trace level at the same position.
 *
 * Motion never replays from the start: the engine moves by its journal and checkpoints. A run first
 * matches breakpoints on the per-record arrays and moves the machine only where a condition, a hit
 * count or a log message needs it. Runs and read-aheads go through runSliced (slices.ts).
 */
import { EventEmitter } from 'events';
import { resultName } from '../../core/bits';
import { Engine, F } from '../../core/engine';
import { HcallResult } from '../../core/handlers';
import { KernelVariant } from '../../core/machine';
import { TraceError } from '../../core/records';
import { describeHit, StopInfo } from '../breakpoints/describe';
import { Bp, Breakpoints } from '../breakpoints/registry';
import { hcallResolver } from '../context';
import { Expr, interpolate, Resolver } from '../expr';
import { Explanation } from '../explanation';
import { notATrace } from '../traceFiles';
import { Interrupt, ProgressReport, runSliced, SlicedWork } from './slices';

export type { StopInfo };

/** A stop: why, and the ids of the (client-visible) breakpoints that caused it. */
export interface StopEvent extends StopInfo {
  hitIds?: number[];
}

/** Text for the user; `line` (1-based) and the trace file name where it comes from, if anywhere. */
export interface OutputEvent {
  text: string;
  category: 'console' | 'stderr';
  line?: number;
}

/** At launch, read ahead this long so that errors early in a trace fail the launch itself. */
const LAUNCH_READ_AHEAD_MS = 150;

class Cancelled extends Error {}

/** The events a runtime emits, with their arguments. */
export interface RuntimeEvents {
  stop: [StopEvent];
  output: [OutputEvent];
  progress: [ProgressReport];
}

export class Runtime extends EventEmitter<RuntimeEvents> {
  readonly bps = new Breakpoints();
  private e: Engine | null = null;
  /** The current hcall record, or -1 when the trace has none. */
  pos = -1;
  /** Whether the machine is after `pos` (true) or before it (the entry stop). */
  executed = false;
  /** The explanation being stepped through (step in), or null at the trace level. */
  expl: Explanation | null = null;
  /** A run or a read-ahead is going on; other motion must wait. */
  running = false;
  private pauseRequested = false;
  private cancelRequested = false;
  private full: { pos: number; res: HcallResult | null } | null = null;
  private reportedError: TraceError | null = null;

  // ---- the engine ------------------------------------------------------------------------

  get loaded(): Engine | null {
    return this.e;
  }

  engine(): Engine {
    if (!this.e) throw new Error('no trace is loaded: launch a trace first');
    return this.e;
  }

  /** The engine, when nothing is running. */
  idle(): Engine {
    const e = this.engine();
    if (this.running) throw new Error('the replay is running; pause it first');
    return e;
  }

  /** The thread (vcpu + 1) of a record; 1 when it has none. */
  threadOf(record: number): number {
    return record >= 0 && this.e && this.e.isHcall(record) ? this.e.vcpu(record) + 1 : 1;
  }

  /** The re-run result of the current hcall, with its checks (cached per position). */
  fullResult(): HcallResult | null {
    if (!this.e || this.pos < 0) return null;
    if (!this.full || this.full.pos !== this.pos) this.full = { pos: this.pos, res: this.e.explain(this.pos) };
    return this.full.res;
  }

  /** Names about the current hcall for expressions, or null when there is none. */
  resolver(): Resolver | null {
    if (!this.e || this.pos < 0) return null;
    return hcallResolver(this.e, this.pos, this.executed, () => this.fullResult());
  }

  /**
   * Opens a trace and reads ahead a little; a malformed trace throws its positioned error, a file
   * that is not a trace (or not a regular file) is refused without quoting it.
   */
  open(file: string, kernel: KernelVariant, breakOn: readonly string[]): void {
    const why = notATrace(file);
    if (why) throw new Error(why);
    this.close();
    const e = new Engine(file, kernel);
    const t0 = performance.now();
    let first = -1;
    while (e.explore()) {
      if (first < 0 && e.isHcall(e.count - 1)) first = e.count - 1;
      if (first >= 0 && (e.count & 255) === 0 && performance.now() - t0 > LAUNCH_READ_AHEAD_MS) break;
    }
    if (e.error) {
      this.reportedError = e.error;
      e.close();
      this.output(e.error.message, 'stderr');
      throw e.error;
    }
    this.e = e;
    this.full = null;
    this.bps.seedExceptions(breakOn);
    this.bps.resetHits();
    this.reportedError = null;
  }

  close(): void {
    this.cancelRequested = true;
    this.e?.close();
    this.e = null;
  }

  pause(): void {
    this.pauseRequested = true;
  }

  cancel(): void {
    if (this.running) this.cancelRequested = true;
  }

  private output(text: string, category: OutputEvent['category'] = 'console', line?: number): void {
    this.emit('output', { text, category, line } satisfies OutputEvent);
  }

  // ---- stops -----------------------------------------------------------------------------

  /** Reports a stop at the current position. */
  private report(info: StopInfo, hitIds?: number[]): void {
    this.emit('stop', hitIds?.length ? { ...info, hitIds } : info);
  }

  /** Moves to "after hcall k" and stops there. */
  private stopAt(k: number, info: StopInfo, hitIds?: number[]): void {
    this.engine().seek(k + 1);
    this.pos = k;
    this.executed = true;
    this.expl = null;
    this.report(info, hitIds);
  }

  /** Moves to "before the first hcall" and stops there (the entry state). */
  private stopAtEntry(description: string): void {
    const e = this.engine();
    const first = e.nextHcall(-1);
    if (first < 0) return this.report({ reason: 'step', description });
    e.seek(first);
    this.pos = first;
    this.executed = false;
    this.expl = null;
    this.report({
      reason: 'entry',
      description: `${description}: before the first hcall (line ${e.line(first)}) executes`,
    });
  }

  private reportTraceError(): void {
    const e = this.engine();
    const err = e.error!;
    if (this.reportedError !== err) {
      this.output(err.message, 'stderr');
      this.reportedError = err;
    }
    const last = e.prevHcall(e.count);
    const info: StopInfo = {
      reason: 'exception',
      description: `Malformed trace: ${err.message}`,
      text: err.message,
      exception: {
        exceptionId: 'malformed-trace',
        description: err.message,
        breakMode: 'always',
        details: { message: err.message, typeName: 'TraceError' },
      },
    };
    if (last >= 0) this.stopAt(last, info);
    else this.report(info);
  }

  /** "H_ENTER → H_SUCCESS (diverged …)" for step stops. */
  stepInfo(k: number): StopInfo {
    const e = this.engine();
    let d = `${e.hcall(k)!.name} → ${resultName(e.ret(k))}`;
    if (e.flags(k) & F.DIVERGED) d += ' (diverged from the recording)';
    if (e.flags(k) & F.MADE_CACHEABLE) d += ' (made cacheable)';
    return { reason: 'step', description: d };
  }

  // ---- motion ----------------------------------------------------------------------------

  /** Goes to the entry state, then stops there or runs, as the launch configuration says. */
  start(stopOnEntry: boolean): void {
    const e = this.engine();
    const first = e.nextHcall(-1);
    this.expl = null;
    if (first < 0) {
      e.seek(e.count);
      this.pos = -1;
      this.executed = false;
      if (e.error) return this.reportTraceError();
      return this.report({ reason: 'entry', description: 'the trace has no hcall' });
    }
    e.seek(first);
    this.pos = first;
    this.executed = false;
    if (!stopOnEntry) {
      void this.run(1);
      return;
    }
    this.report({
      reason: 'entry',
      description: `Stopped on entry: before the first hcall (line ${e.line(first)}) executes`,
    });
  }

  /** Step over: the next hcall (or the next check inside an explanation). */
  next(): void {
    const e = this.idle();
    if (this.expl) return this.moveInExplanation(1);
    if (!this.executed && this.pos >= 0) return this.stopAt(this.pos, this.stepInfo(this.pos));
    const k = e.nextHcall(this.pos);
    if (k < 0) {
      if (e.error) return this.reportTraceError();
      return this.report({ reason: 'step', description: 'End of trace: no hcall after this one' });
    }
    this.stopAt(k, this.stepInfo(k));
  }

  stepBack(): void {
    const e = this.idle();
    if (this.expl) return this.moveInExplanation(-1);
    if (!this.executed) return this.stopAtEntry('Already at the start of the trace');
    const k = e.prevHcall(this.pos);
    if (k < 0) return this.stopAtEntry('Stepped back to the start');
    this.stopAt(k, this.stepInfo(k));
  }

  /** Into the current hcall's checks (or on to the next check). */
  stepIn(): void {
    const e = this.idle();
    if (this.expl) return this.moveInExplanation(1);
    if (this.pos < 0 || !(e.flags(this.pos) & F.EMULATED))
      return this.report({ reason: 'step', description: 'Nothing to step into: this hcall is not emulated' });
    const res = e.explain(this.pos)!;
    const rec = e.hcall(this.pos)!;
    const x = new Explanation(this.pos, rec.line, rec.name, res, e.kernel);
    if (!x.checks.length) return this.report({ reason: 'step', description: 'This hcall evaluated no checks' });
    this.expl = x;
    this.report({ reason: 'step', description: x.describe() });
  }

  stepOut(): void {
    this.idle();
    if (this.expl) {
      this.expl = null;
      return this.report({ reason: 'step', description: 'Back in the trace' });
    }
    this.report({ reason: 'step', description: 'Already at the trace level' });
  }

  private moveInExplanation(d: 1 | -1): void {
    const x = this.expl!;
    x.cursor += d;
    if (x.cursor < 0 || x.cursor >= x.checks.length) {
      this.expl = null;
      return this.report({ reason: 'step', description: 'Back in the trace' });
    }
    this.report({ reason: 'step', description: x.describe() });
  }

  /** Jumps to "after hcall k" (a goto target). */
  goto(k: number): void {
    const e = this.idle();
    if (!Number.isInteger(k) || k < 0 || k >= e.count || !e.isHcall(k))
      throw new Error(`goto: unknown target ${k + 1}; ask gotoTargets for a line first`);
    this.stopAt(k, { reason: 'goto', description: `Jumped to line ${e.line(k)}: ${this.stepInfo(k).description}` });
  }

  continue(): Promise<string> {
    this.idle();
    return this.run(1);
  }

  reverseContinue(): Promise<string> {
    this.idle();
    return this.run(-1);
  }

  /** Runs forward to the first hcall where `x` holds; resolves with where it stopped. */
  find(x: Expr): Promise<string> {
    this.idle();
    return this.run(1, x);
  }

  // ---- hit evaluation --------------------------------------------------------------------

  /** The first breakpoint that stops at record k, after conditions, hit counts and logpoints. */
  hitAt(k: number): Bp | null {
    const e = this.engine();
    const cands = this.bps.candidates(e, k);
    if (!cands.length) return null;
    let resolve: Resolver | null = null;
    let fullRes: { r: HcallResult | null } | null = null;
    const names = () => {
      if (!resolve) {
        e.seek(k + 1);
        resolve = hcallResolver(e, k, true, () => (fullRes ??= { r: e.explain(k) }).r);
      }
      return resolve;
    };
    for (const bp of cands) {
      const g = bp.guard;
      if (g.condition) {
        let ok: boolean;
        try {
          ok = g.condition.test(names());
        } catch (err) {
          this.output(
            `breakpoint condition ${JSON.stringify(g.condition.source)} at line ${e.line(k)}: ${(err as Error).message}`,
            'stderr',
            e.line(k),
          );
          ok = true;
        }
        if (!ok) continue;
      }
      g.hits++;
      if (g.hit && !g.hit(g.hits)) continue;
      if (g.logMessage) {
        this.output(interpolate(g.logMessage, names()), 'console', e.line(k));
        continue;
      }
      return bp;
    }
    return null;
  }

  // ---- running ---------------------------------------------------------------------------

  /**
   * Runs forward (dir 1) or backward (dir -1) until a breakpoint, a `find` condition, the end or the
   * start, a pause or a cancel. Resolves when it has stopped (and reported the stop) with where.
   */
  private async run(dir: 1 | -1, find?: Expr): Promise<string> {
    const e = this.engine();
    this.running = true;
    this.pauseRequested = false;
    this.cancelRequested = false;
    this.expl = null;
    const startK = this.pos;
    // k is the last record examined; the next one is k + dir.
    let k = dir > 0 ? (this.executed ? this.pos : this.pos - 1) : this.executed ? this.pos : -1;
    let lastHcall = this.executed ? this.pos : -1;
    const work: SlicedWork<string> = {
      slice: (overdue) => {
        while (!overdue()) {
          const next = k + dir;
          if (dir > 0) {
            if (next >= e.count && !e.explore()) {
              if (e.error) {
                this.reportTraceError();
                return 'error';
              }
              if (lastHcall < 0) lastHcall = e.prevHcall(e.count);
              this.stopAt(lastHcall, {
                reason: 'step',
                description: `End of trace: the last hcall (line ${e.line(lastHcall)}) has run`,
              });
              return 'end';
            }
          } else if (next < 0) {
            this.stopAtEntry('Reached the start of the trace');
            return 'start';
          }
          k = next;
          if (!e.isHcall(k)) continue;
          lastHcall = k;
          if (find) {
            e.seek(k + 1);
            if (find.test(hcallResolver(e, k, true, () => e.explain(k)))) {
              this.stopAt(k, { reason: 'step', description: `Found: ${find.source} holds at line ${e.line(k)}` });
              return `line ${e.line(k)}`;
            }
            continue;
          }
          const bp = this.hitAt(k);
          if (bp) {
            // Exception filters have no id the client was given: their stops name none.
            this.stopAt(k, describeHit(e, bp, k), bp.kind === 'exception' ? undefined : [bp.id]);
            return `line ${e.line(k)}`;
          }
        }
        return undefined;
      },
      status: () => ({
        title: dir > 0 ? 'Replaying the trace' : 'Replaying the trace backwards',
        message: `line ${e.line(Math.max(k, 0))}${dir < 0 ? ' (backwards)' : ''}`,
        percentage:
          dir > 0
            ? k < e.count - 1
              ? (100 * k) / Math.max(1, e.count)
              : (100 * e.bytesRead) / Math.max(1, e.fileSize)
            : (100 * (startK - k)) / Math.max(1, startK),
      }),
      interrupted: () => this.interruption(e),
    };
    try {
      if (dir < 0 && k < 0) {
        this.stopAtEntry('Already at the start of the trace');
        return 'start';
      }
      const r = await runSliced(work, (p) => this.emit('progress', p));
      if ('done' in r) return r.done;
      if (r.interrupted === 'gone') throw new Cancelled();
      const why = r.interrupted === 'cancel' ? 'Cancelled' : 'Paused';
      if (lastHcall >= 0)
        this.stopAt(lastHcall, { reason: 'pause', description: `${why} at line ${e.line(lastHcall)}` });
      else this.stopAtEntry(why);
      return why.toLowerCase();
    } catch (err) {
      if (err instanceof Cancelled) return 'cancelled';
      this.output(`hptrace: internal error while running: ${(err as Error).stack ?? err}`, 'stderr');
      if (this.e === e && lastHcall >= 0)
        this.stopAt(lastHcall, { reason: 'exception', description: `internal error: ${(err as Error).message}` });
      return 'error';
    } finally {
      this.running = false;
    }
  }

  private interruption(e: Engine): Interrupt | null {
    if (this.e !== e) return 'gone';
    if (this.cancelRequested) return 'cancel';
    if (this.pauseRequested) return 'pause';
    return null;
  }

  /** The hcall record on `line` (1-based), or the first one after it, reading the trace as far as needed. */
  async recordForLine(line: number): Promise<number> {
    const e = this.idle();
    await this.readAhead(() => e.lastLine >= line, `to line ${line}`);
    // A line that holds no record means the next record after it.
    const k = e.recordFromLine(line);
    if (k >= e.count) return -1;
    return e.isHcall(k) ? k : e.nextHcall(k);
  }

  /**
   * Reads (indexes) the trace until `enough()` or its end; a pause or a cancel stops it where it got
   * to (and throws). Other motion waits meanwhile (running).
   */
  async readAhead(enough: () => boolean, what: string): Promise<void> {
    const e = this.engine();
    if (enough() || e.complete) return;
    this.running = true;
    this.pauseRequested = false;
    this.cancelRequested = false;
    try {
      const r = await runSliced<true>(
        {
          slice: (overdue) => {
            for (;;) {
              if (enough() || e.complete || !e.explore()) {
                e.settle();
                return true;
              }
              if (overdue()) return undefined;
            }
          },
          status: () => ({
            title: `Reading the trace ${what}`,
            message: `line ${e.lastLine}, ${(e.bytesRead / 1048576).toFixed(0)} of ${(e.fileSize / 1048576).toFixed(0)} MB`,
            percentage: (100 * e.bytesRead) / Math.max(1, e.fileSize),
          }),
          interrupted: () => this.interruption(e),
        },
        (p) => this.emit('progress', p),
      );
      if ('interrupted' in r) {
        if (r.interrupted === 'gone') throw new Error('the session was restarted');
        throw new Error(`cancelled: the trace has been read up to line ${e.lastLine}`);
      }
    } finally {
      this.running = false;
    }
  }
}
