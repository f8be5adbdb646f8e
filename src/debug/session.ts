/**
 * The hptrace debug session: DAP only (no vscode import), usable as its own process or inline.
 *
 * Position semantics. The debugger stands on one hcall record at a time. When stopped at an hcall
 * the machine shows the state AFTER that hcall executed: its result, output registers, the slot_phys
 * entries and HPT slots it wrote are all visible. The one exception is the entry stop: it stands on
 * the first hcall BEFORE it executes (the stop description says so; its result reads "not executed").
 * Stepping back from the first hcall returns to that entry state. Running forward past the last hcall
 * stops on it ("end of trace") instead of terminating, so one can still go back.
 *
 * Motion never replays from the start: inside the explored part of the trace the engine moves by its
 * journal (see engine.ts), and breakpoints are first matched on the per-record arrays, so a run over
 * a million records touches the machine only where a condition needs it. Long runs go in slices of
 * ~20 ms that yield to the event loop, so pause, cancel and progress work.
 *
 * Threads: one per vcpu seen so far (vcpu N is thread N+1; records without vcpu= count as vcpu 0).
 * The trace is one total order, so next/continue move through all vcpus' hcalls; a stop reports the
 * thread of the hcall it stands on, and other threads show their latest earlier hcall.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  Breakpoint,
  InitializedEvent,
  Logger,
  logger,
  LoggingDebugSession,
  OutputEvent,
  ProgressEndEvent,
  ProgressStartEvent,
  ProgressUpdateEvent,
  Scope,
  Source,
  StackFrame,
  StoppedEvent,
  TerminatedEvent,
  Thread,
  Event,
} from '@vscode/debugadapter';
import { DebugProtocol } from '@vscode/debugprotocol';
import { CACHE_MODES, CPUS, returnCodeName } from '../core/bits';
import { Engine, F, RET_NONE } from '../core/engine';
import { decidingCheck } from '../core/explain';
import { HcallResult } from '../core/handlers';
import { forEachLine } from '../core/lines';
import { hexn, KERNEL_VARIANTS, KernelVariant } from '../core/machine';
import { divergenceDetails } from '../core/replay';
import { TraceError } from '../core/records';
import { hexOf } from '../core/u64';
import { Bp, Breakpoints, exceptionFilters, FILTERS, makeGuard } from './breakpoints';
import { hcallResolver } from './context';
import { evaluateText } from './evaluate';
import { Expr, interpolate, Resolver } from './expr';
import { Explanation } from './explanation';
import {
  EVENT_STATE_CHANGED,
  HptraceLaunchArguments,
  MachineStateResponse,
  MemslotInfo,
  REQUEST_MACHINE_STATE,
  REQUEST_SLOT_PHYS,
  SlotPhysArgs,
  SlotPhysResponse,
  StateChangedEvent,
} from './protocol';
import { hcallScope, machineScope, memslotScope, ptegScope, slotPhysScope, StopView, vmaAt } from './scopes';
import { VarStore, VNode, leaf } from './variables';

type LaunchArgs = DebugProtocol.LaunchRequestArguments & HptraceLaunchArguments;

interface FrameInfo {
  record: number;
  executed: boolean;
  explainFn?: string;
}

interface StopInfo {
  reason: string;
  description: string;
  text?: string;
  exception?: DebugProtocol.ExceptionInfoResponse['body'];
}

/** Work per slice of a long run before yielding to the event loop. */
const SLICE_MS = 20;
/** A run longer than this reports progress. */
const PROGRESS_AFTER_MS = 300;
/** At launch, read ahead this long so that errors early in a trace fail the launch itself. */
const LAUNCH_READ_AHEAD_MS = 150;

class Cancelled extends Error {}

export class HptraceDebugSession extends LoggingDebugSession {
  private e: Engine | null = null;
  private launchArgs: LaunchArgs | null = null;
  private pos = -1;
  private executed = false;
  private expl: Explanation | null = null;
  private full: { pos: number; res: HcallResult | null } | null = null;
  private readonly vars = new VarStore();
  private frames = new Map<number, FrameInfo>();
  private nextFrame = 1;
  private sources = new Map<number, { expl: Explanation; fn: string }>();
  private nextSource = 1;
  private readonly bps = new Breakpoints();
  private clientFilters: { filter: string; condition?: string }[] = FILTERS.filter((f) => f.default).map((f) => ({
    filter: f.filter,
  }));
  private running = false;
  private pauseRequested = false;
  private cancelRequested = false;
  private lastStop: StopInfo | null = null;
  private supportsProgress = false;
  private configDone!: Promise<void>;
  private resolveConfigDone!: () => void;
  private reportedError: TraceError | null = null;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.resetConfigDone();
    this.bps.setExceptions(this.clientFilters);
  }

  private resetConfigDone(): void {
    this.configDone = new Promise((r) => (this.resolveConfigDone = r));
  }

  // ---- plumbing --------------------------------------------------------------------------

  /** Runs a handler so that any failure, sync or async, becomes an error response. */
  private guard(response: DebugProtocol.Response, fn: () => void | Promise<void>): void {
    let p: void | Promise<void>;
    try {
      p = fn();
    } catch (err) {
      this.fail(response, err);
      return;
    }
    if (p instanceof Promise) p.catch((err) => this.fail(response, err));
  }

  private fail(response: DebugProtocol.Response, err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err);
    this.sendErrorResponse(response, {
      id: 1000,
      format: msg.replace(/[{}]/g, (c) => (c === '{' ? '(' : ')')),
      showUser: response.command === 'launch' || response.command === 'restart',
    });
  }

  private engine(): Engine {
    if (!this.e) throw new Error('no trace is loaded: launch a trace first');
    return this.e;
  }

  private idle(): Engine {
    const e = this.engine();
    if (this.running) throw new Error('the replay is running; pause it first');
    return e;
  }

  private threadOf(record: number): number {
    return record >= 0 && this.e && this.e.isHcall(record) ? this.e.vcpu(record) + 1 : 1;
  }

  private output(text: string, category: 'console' | 'stderr' | 'stdout' = 'console'): void {
    this.sendEvent(new OutputEvent(text.endsWith('\n') ? text : text + '\n', category));
  }

  private fullResult(): HcallResult | null {
    if (!this.e || this.pos < 0) return null;
    if (!this.full || this.full.pos !== this.pos) this.full = { pos: this.pos, res: this.e.explain(this.pos) };
    return this.full.res;
  }

  private resolver(): Resolver | null {
    if (!this.e || this.pos < 0) return null;
    return hcallResolver(this.e, this.pos, this.executed, () => this.fullResult());
  }

  // ---- initialize / launch ---------------------------------------------------------------

  protected override initializeRequest(
    response: DebugProtocol.InitializeResponse,
    args: DebugProtocol.InitializeRequestArguments,
  ): void {
    this.supportsProgress = !!args.supportsProgressReporting;
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsStepBack: true,
      supportsGotoTargetsRequest: true,
      supportsRestartRequest: true,
      supportsBreakpointLocationsRequest: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsFunctionBreakpoints: true,
      supportsExceptionInfoRequest: true,
      supportsExceptionFilterOptions: true,
      exceptionBreakpointFilters: exceptionFilters(),
      supportsDataBreakpoints: true,
      supportsEvaluateForHovers: true,
      supportsCancelRequest: true,
      supportsTerminateRequest: true,
      supportsDelayedStackTraceLoading: false,
      supportsValueFormattingOptions: false,
      supportsSingleThreadExecutionRequests: false,
    };
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.resolveConfigDone();
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArgs): void {
    this.guard(response, async () => {
      if (this.running) throw new Error('the replay is running');
      logger.setup(args?.logging ? Logger.LogLevel.Verbose : Logger.LogLevel.Stop, false);
      this.open(args);
      this.sendResponse(response);
      // Breakpoints arrive between initialized and configurationDone; wait for them (bounded).
      await Promise.race([this.configDone, new Promise((r) => setTimeout(r, 2000))]);
      this.begin();
    });
  }

  /** Opens the trace and reads ahead a little; a malformed trace throws its positioned error. */
  private open(args: LaunchArgs): void {
    if (!args || typeof args.trace !== 'string' || !args.trace)
      throw new Error('launch: "trace" (the path of an .hptrace file) is required');
    const kernel = (args.kernel ?? 'io') as KernelVariant;
    if (!KERNEL_VARIANTS.includes(kernel))
      throw new Error(`launch: "kernel" must be one of ${KERNEL_VARIANTS.join(', ')}`);
    const file = path.resolve(args.trace);
    if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) throw new Error(`launch: cannot open trace ${file}`);
    for (const f of args.breakOn ?? [])
      if (!FILTERS.some((x) => x.filter === f))
        throw new Error(
          `launch: unknown breakOn filter ${JSON.stringify(f)}; expected ${FILTERS.map((x) => x.filter).join(', ')}`,
        );
    this.e?.close();
    this.e = null;
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
    this.launchArgs = args;
    this.e = e;
    this.bps.launchFilters = args.breakOn ?? [];
    this.bps.setExceptions(this.clientFilters);
    this.bps.resetHits();
    this.reportedError = null;
  }

  /** Goes to the entry state, then stops there or runs, as the launch configuration says. */
  private begin(): void {
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
    if (this.launchArgs?.stopOnEntry === false) {
      void this.run({ dir: 1 });
      return;
    }
    this.report({
      reason: 'entry',
      description: `Stopped on entry: before the first hcall (line ${e.line(first)}) executes`,
    });
  }

  protected override restartRequest(
    response: DebugProtocol.RestartResponse,
    args: DebugProtocol.RestartArguments,
  ): void {
    this.guard(response, () => {
      if (this.running) this.cancelRequested = true;
      const a = (args.arguments as LaunchArgs | undefined) ?? this.launchArgs;
      if (!a) throw new Error('restart: nothing was launched');
      this.open(a);
      this.sendResponse(response);
      this.begin();
    });
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.cancelRequested = true;
    this.e?.close();
    this.e = null;
    this.sendResponse(response);
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.cancelRequested = true;
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  // ---- stops -----------------------------------------------------------------------------

  private report(info: StopInfo, hitIds?: number[]): void {
    this.vars.clear();
    this.frames.clear();
    this.lastStop = info;
    const ev = new StoppedEvent(info.reason, this.threadOf(this.pos), info.text) as DebugProtocol.StoppedEvent;
    ev.body.description = info.description;
    if (!info.text) ev.body.text = info.description;
    ev.body.allThreadsStopped = true;
    if (hitIds?.length) ev.body.hitBreakpointIds = hitIds;
    this.sendEvent(ev);
    const body: StateChangedEvent = { record: this.pos, line: this.pos >= 0 && this.e ? this.e.line(this.pos) : 0 };
    this.sendEvent(new Event(EVENT_STATE_CHANGED, body));
  }

  /** Moves to "after hcall k" and stops there. */
  private stopAt(k: number, info: StopInfo, hitIds?: number[]): void {
    const e = this.engine();
    e.seek(k + 1);
    this.pos = k;
    this.executed = true;
    this.expl = null;
    this.report(info, hitIds);
  }

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

  /** Describes why a breakpoint stopped at record k (the machine is after k). */
  private describeHit(bp: Bp, k: number): StopInfo {
    const e = this.engine();
    const rec = e.hcall(k)!;
    const ret = e.ret(k);
    const retName = ret === RET_NONE ? 'not emulated' : returnCodeName(ret);
    const at = `${rec.name} at line ${rec.line}`;
    switch (bp.kind) {
      case 'line':
        return { reason: 'breakpoint', description: `Breakpoint: ${at} returned ${retName}` };
      case 'function':
        return {
          reason: 'function breakpoint',
          description: `Function breakpoint ${bp.label}: line ${rec.line} returned ${retName}`,
        };
      case 'data': {
        const w = bp.watch!;
        const what = w.kind === 'hpt' ? `HPT[${hexn(w.index)}]` : `slot_phys[${w.slot}][${hexn(w.index)}]`;
        return { reason: 'data breakpoint', description: `${what} changed: written by ${at} (${retName})` };
      }
      case 'exception': {
        const res = e.explain(k);
        const c = res?.checks ? decidingCheck(res.checks.checks, res.ret === 0) : undefined;
        let why: string;
        if (bp.filter === 'divergence')
          why = `diverged from the recording: ${res ? divergenceDetails(rec, res).join('; ') : ''}`;
        else if (bp.filter === 'made-cacheable')
          why = `made cacheable: ${res?.checks?.checks.find((x) => x.note)?.detail ?? ''}`;
        else why = `${retName}: ${c?.detail ?? ''}`;
        const description = why;
        const stack = res?.checks?.checks
          .map((x) => `${x.ok ? '✓' : '✗'} ${x.fn}: ${x.detail}${x.result ? ' → ' + x.result : ''}`)
          .join('\n');
        return {
          reason: 'exception',
          description,
          text: `${at} returned ${retName}${c ? ` — ${c.fn}: ${c.detail}` : ''}`,
          exception: {
            exceptionId: bp.filter === 'divergence' || bp.filter === 'made-cacheable' ? bp.filter : retName,
            description: `${rec.name} (line ${rec.line}) returned ${retName}${c ? `; deciding check ${c.fn} (${c.id}): ${c.detail}` : ''}${bp.filter === 'divergence' ? `; ${why}` : ''}`,
            breakMode: 'always',
            details: { message: why, typeName: rec.name, fullTypeName: `${rec.name} → ${retName}`, stackTrace: stack },
          },
        };
      }
    }
  }

  // ---- running ---------------------------------------------------------------------------

  /** The first breakpoint that stops at record k, after conditions, hit counts and logpoints. */
  private hitAt(k: number): Bp | null {
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
          );
          ok = true;
        }
        if (!ok) continue;
      }
      g.hits++;
      if (g.hit && !g.hit(g.hits)) continue;
      if (g.logMessage) {
        this.output(interpolate(g.logMessage, names()));
        continue;
      }
      return bp;
    }
    return null;
  }

  /** Starts (id null) or updates a cancellable progress report; returns its id. */
  private progress(id: string | null, title: string, message: string, percentage: number): string {
    if (id === null) {
      id = `hptrace-progress-${Date.now()}`;
      const ev = new ProgressStartEvent(id, title, message) as DebugProtocol.ProgressStartEvent;
      ev.body.cancellable = true;
      ev.body.percentage = percentage;
      this.sendEvent(ev);
    } else {
      const ev = new ProgressUpdateEvent(id, message) as DebugProtocol.ProgressUpdateEvent;
      ev.body.percentage = percentage;
      this.sendEvent(ev);
    }
    return id;
  }

  /**
   * Runs forward (dir 1) or backward (dir -1) until a breakpoint, a `find` condition, the end or the
   * start, a pause or a cancel. Resolves when it has stopped (and reported the stop).
   */
  private async run(opts: { dir: 1 | -1; find?: Expr }): Promise<string> {
    const e = this.engine();
    this.running = true;
    this.pauseRequested = false;
    this.cancelRequested = false;
    this.expl = null;
    const t0 = performance.now();
    const startK = this.pos;
    let progressId: string | null = null;
    // k is the last record examined; the next one is k + dir.
    let k = opts.dir > 0 ? (this.executed ? this.pos : this.pos - 1) : this.executed ? this.pos : -1;
    let lastHcall = this.executed ? this.pos : -1;
    try {
      if (opts.dir < 0 && k < 0) {
        this.stopAtEntry('Already at the start of the trace');
        return 'start';
      }
      for (;;) {
        const sliceEnd = performance.now() + SLICE_MS;
        for (let n = 0; ; n++) {
          if ((n & 127) === 127 && performance.now() > sliceEnd) break;
          const next = k + opts.dir;
          if (opts.dir > 0) {
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
          if (opts.find) {
            e.seek(k + 1);
            if (opts.find.test(hcallResolver(e, k, true, () => e.explain(k)))) {
              this.stopAt(k, { reason: 'step', description: `Found: ${opts.find.source} holds at line ${e.line(k)}` });
              return `line ${e.line(k)}`;
            }
            continue;
          }
          const bp = this.hitAt(k);
          if (bp) {
            this.stopAt(k, this.describeHit(bp, k), [bp.id]);
            return `line ${e.line(k)}`;
          }
        }
        const elapsed = performance.now() - t0;
        if (this.supportsProgress && elapsed > PROGRESS_AFTER_MS) {
          const pct =
            opts.dir > 0
              ? k < e.count - 1
                ? (100 * k) / Math.max(1, e.count)
                : (100 * e.bytesRead) / Math.max(1, e.fileSize)
              : (100 * (startK - k)) / Math.max(1, startK);
          const msg = `line ${e.line(Math.max(k, 0))}${opts.dir < 0 ? ' (backwards)' : ''}`;
          progressId = this.progress(
            progressId,
            opts.dir > 0 ? 'Replaying the trace' : 'Replaying the trace backwards',
            msg,
            pct,
          );
        }
        await new Promise((r) => setImmediate(r));
        if (!this.e || this.e !== e) throw new Cancelled();
        if (this.pauseRequested || this.cancelRequested) {
          const why = this.cancelRequested ? 'Cancelled' : 'Paused';
          if (lastHcall >= 0)
            this.stopAt(lastHcall, { reason: 'pause', description: `${why} at line ${e.line(lastHcall)}` });
          else this.stopAtEntry(why);
          return why.toLowerCase();
        }
      }
    } catch (err) {
      if (err instanceof Cancelled) return 'cancelled';
      this.output(`hptrace: internal error while running: ${(err as Error).stack ?? err}`, 'stderr');
      if (this.e === e && lastHcall >= 0)
        this.stopAt(lastHcall, { reason: 'exception', description: `internal error: ${(err as Error).message}` });
      return 'error';
    } finally {
      this.running = false;
      if (progressId) this.sendEvent(new ProgressEndEvent(progressId));
    }
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    this.guard(response, () => {
      this.idle();
      response.body = { allThreadsContinued: true };
      this.sendResponse(response);
      void this.run({ dir: 1 });
    });
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    this.guard(response, () => {
      this.idle();
      this.sendResponse(response);
      void this.run({ dir: -1 });
    });
  }

  protected override nextRequest(response: DebugProtocol.NextResponse): void {
    this.guard(response, () => {
      const e = this.idle();
      this.sendResponse(response);
      if (this.expl) return this.moveInExplanation(1);
      if (!this.executed && this.pos >= 0) return this.stopAt(this.pos, this.stepInfo(this.pos));
      const k = e.nextHcall(this.pos);
      if (k < 0) {
        if (e.error) return this.reportTraceError();
        return this.report({ reason: 'step', description: 'End of trace: no hcall after this one' });
      }
      this.stopAt(k, this.stepInfo(k));
    });
  }

  private stepInfo(k: number): StopInfo {
    const e = this.engine();
    const r = e.ret(k);
    const rec = e.hcall(k)!;
    let d = `${rec.name} → ${r === RET_NONE ? 'not emulated' : returnCodeName(r)}`;
    if (e.flags(k) & F.DIVERGED) d += ' (diverged from the recording)';
    if (e.flags(k) & F.MADE_CACHEABLE) d += ' (made cacheable)';
    return { reason: 'step', description: d };
  }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse): void {
    this.guard(response, () => {
      const e = this.idle();
      this.sendResponse(response);
      if (this.expl) return this.moveInExplanation(-1);
      if (!this.executed) return this.stopAtEntry('Already at the start of the trace');
      const k = e.prevHcall(this.pos);
      if (k < 0) return this.stopAtEntry('Stepped back to the start');
      this.stopAt(k, this.stepInfo(k));
    });
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse): void {
    this.guard(response, () => {
      const e = this.idle();
      this.sendResponse(response);
      if (this.expl) return this.moveInExplanation(1);
      if (this.pos < 0 || !(e.flags(this.pos) & F.EMULATED))
        return this.report({ reason: 'step', description: 'Nothing to step into: this hcall is not emulated' });
      const res = e.explain(this.pos)!;
      const rec = e.hcall(this.pos)!;
      this.expl = new Explanation(this.pos, rec.line, rec.name, res, e.kernel);
      if (!this.expl.checks.length) {
        this.expl = null;
        return this.report({ reason: 'step', description: 'This hcall evaluated no checks' });
      }
      this.stopInExplanation();
    });
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    this.guard(response, () => {
      this.idle();
      this.sendResponse(response);
      if (this.expl) {
        this.expl = null;
        return this.report({ reason: 'step', description: 'Back in the trace' });
      }
      this.report({ reason: 'step', description: 'Already at the trace level' });
    });
  }

  private moveInExplanation(d: 1 | -1): void {
    const x = this.expl!;
    x.cursor += d;
    if (x.cursor < 0 || x.cursor >= x.checks.length) {
      this.expl = null;
      return this.report({ reason: 'step', description: 'Back in the trace' });
    }
    this.stopInExplanation();
  }

  private stopInExplanation(): void {
    const x = this.expl!;
    // report() clears the frames, not the explanation: it stays until a step leaves it.
    this.report({ reason: 'step', description: x.describe() });
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.pauseRequested = true;
    this.sendResponse(response);
  }

  protected override cancelRequest(response: DebugProtocol.CancelResponse): void {
    if (this.running) this.cancelRequested = true;
    this.sendResponse(response);
  }

  // ---- goto ------------------------------------------------------------------------------

  /** The hcall record on `line`, or the first one after it, reading the trace as far as needed. */
  private async recordForLine(line: number): Promise<number> {
    const e = this.engine();
    await this.index(() => e.lastLine >= line, `to line ${line}`);
    // A line that holds no record means the next record after it.
    const k = e.recordFromLine(line);
    if (k >= e.count) return -1;
    return e.isHcall(k) ? k : e.nextHcall(k);
  }

  /**
   * Reads (indexes) the trace in slices until `enough()` or its end, with progress events after a
   * moment; a pause or a cancel stops it where it got to. Other motion waits meanwhile (running).
   */
  private async index(enough: () => boolean, what: string): Promise<void> {
    const e = this.engine();
    if (enough() || e.complete) return;
    this.running = true;
    this.pauseRequested = false;
    this.cancelRequested = false;
    const t0 = performance.now();
    let progressId: string | null = null;
    try {
      for (;;) {
        const end = performance.now() + SLICE_MS;
        for (let n = 0; !enough() && e.explore(); n++) if ((n & 63) === 63 && performance.now() > end) break;
        if (enough() || e.complete) {
          e.settle();
          return;
        }
        if (this.supportsProgress && performance.now() - t0 > PROGRESS_AFTER_MS) {
          const pct = (100 * e.bytesRead) / Math.max(1, e.fileSize);
          const msg = `line ${e.lastLine}, ${(e.bytesRead / 1048576).toFixed(0)} of ${(e.fileSize / 1048576).toFixed(0)} MB`;
          progressId = this.progress(progressId, `Reading the trace ${what}`, msg, pct);
        }
        await new Promise((r) => setImmediate(r));
        if (this.e !== e) throw new Error('the session was restarted');
        if (this.cancelRequested || this.pauseRequested)
          throw new Error(`cancelled: the trace has been read up to line ${e.lastLine}`);
      }
    } finally {
      this.running = false;
      if (progressId) this.sendEvent(new ProgressEndEvent(progressId));
    }
  }

  protected override gotoTargetsRequest(
    response: DebugProtocol.GotoTargetsResponse,
    args: DebugProtocol.GotoTargetsArguments,
  ): void {
    this.guard(response, async () => {
      const e = this.idle();
      const k = await this.recordForLine(args.line);
      response.body = {
        targets: k < 0 ? [] : [{ id: k + 1, label: `line ${e.line(k)}: ${e.hcall(k)!.name}`, line: e.line(k) }],
      };
      this.sendResponse(response);
    });
  }

  protected override gotoRequest(response: DebugProtocol.GotoResponse, args: DebugProtocol.GotoArguments): void {
    this.guard(response, () => {
      const e = this.idle();
      const k = args.targetId - 1;
      if (!Number.isInteger(k) || k < 0 || k >= e.count || !e.isHcall(k))
        throw new Error(`goto: unknown target ${args.targetId}; ask gotoTargets for a line first`);
      this.sendResponse(response);
      this.stopAt(k, { reason: 'goto', description: `Jumped to line ${e.line(k)}: ${this.stepInfo(k).description}` });
    });
  }

  // ---- breakpoints -----------------------------------------------------------------------

  /** For each asked line: whether it holds an hcall record (read from the file, not the index). */
  private hcallLines(file: string, lines: number[]): Set<number> {
    const want = new Set(lines);
    const max = Math.max(0, ...lines);
    const out = new Set<number>();
    if (!max || !fs.existsSync(file)) return out;
    forEachLine(file, (text, no) => {
      if (no > max) return false;
      if (want.has(no) && /^\s*hcall(\s|$)/.test(text)) out.add(no);
    });
    return out;
  }

  private isTrace(p: string | undefined): boolean {
    return !!p && (!this.launchArgs || path.resolve(p) === path.resolve(this.launchArgs.trace));
  }

  protected override breakpointLocationsRequest(
    response: DebugProtocol.BreakpointLocationsResponse,
    args: DebugProtocol.BreakpointLocationsArguments,
  ): void {
    this.guard(response, () => {
      const p = args.source.path;
      const end = args.endLine ?? args.line;
      const lines = Array.from(
        { length: Math.max(0, Math.min(end - args.line + 1, 100000)) },
        (_x, k) => args.line + k,
      );
      const ok = p && this.isTrace(p) ? this.hcallLines(p, lines) : new Set<number>();
      response.body = { breakpoints: [...ok].sort((a, b) => a - b).map((line) => ({ line })) };
      this.sendResponse(response);
    });
  }

  protected override setBreakPointsRequest(
    response: DebugProtocol.SetBreakpointsResponse,
    args: DebugProtocol.SetBreakpointsArguments,
  ): void {
    this.guard(response, () => {
      const p = args.source.path;
      const asked = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }) as DebugProtocol.SourceBreakpoint);
      const trace = this.isTrace(p);
      const ok =
        p && trace
          ? this.hcallLines(
              p,
              asked.map((b) => b.line),
            )
          : new Set<number>();
      this.bps.lines = new Map();
      const result: DebugProtocol.Breakpoint[] = asked.map((b) => {
        const id = this.bps.newId();
        const bp = new Breakpoint(false, b.line) as DebugProtocol.Breakpoint;
        bp.id = id;
        if (!trace) bp.message = 'not the trace being debugged';
        else if (!ok.has(b.line)) bp.message = 'not an hcall record: breakpoints go on hcall lines';
        else {
          try {
            const guard = makeGuard(b.condition, b.hitCondition, b.logMessage);
            this.bps.lines.set(b.line, { id, kind: 'line', guard, label: `line ${b.line}`, line: b.line });
            bp.verified = true;
          } catch (err) {
            bp.message = (err as Error).message;
          }
        }
        return bp;
      });
      response.body = { breakpoints: result };
      this.sendResponse(response);
    });
  }

  protected override setFunctionBreakPointsRequest(
    response: DebugProtocol.SetFunctionBreakpointsResponse,
    args: DebugProtocol.SetFunctionBreakpointsArguments,
  ): void {
    this.guard(response, () => {
      this.bps.functions = [];
      response.body = {
        breakpoints: args.breakpoints.map((b) => {
          const id = this.bps.newId();
          try {
            const n = Breakpoints.hcallOf(b.name);
            this.bps.functions.push({
              id,
              kind: 'function',
              guard: makeGuard(b.condition, b.hitCondition),
              label: Breakpoints.hcallLabel(n),
              hcall: n,
            });
            return { id, verified: true };
          } catch (err) {
            return { id, verified: false, message: (err as Error).message };
          }
        }),
      };
      this.sendResponse(response);
    });
  }

  protected override setExceptionBreakPointsRequest(
    response: DebugProtocol.SetExceptionBreakpointsResponse,
    args: DebugProtocol.SetExceptionBreakpointsArguments,
  ): void {
    this.guard(response, () => {
      const list: { filter: string; condition?: string }[] = [
        ...(args.filters ?? []).map((f) => ({ filter: f })),
        ...(args.filterOptions ?? []).map((o) => ({ filter: o.filterId, condition: o.condition })),
      ];
      const results: DebugProtocol.Breakpoint[] = [];
      const good: { filter: string; condition?: string }[] = [];
      for (const x of list) {
        if (!FILTERS.some((f) => f.filter === x.filter)) {
          results.push({ verified: false, message: `unknown filter ${x.filter}` });
          continue;
        }
        try {
          makeGuard(x.condition);
          good.push(x);
          results.push({ verified: true });
        } catch (err) {
          results.push({ verified: false, message: (err as Error).message });
        }
      }
      this.clientFilters = good;
      this.bps.setExceptions(good);
      response.body = { breakpoints: results };
      this.sendResponse(response);
    });
  }

  protected override dataBreakpointInfoRequest(
    response: DebugProtocol.DataBreakpointInfoResponse,
    args: DebugProtocol.DataBreakpointInfoArguments,
  ): void {
    this.guard(response, () => {
      let found: { dataId: string; description: string } | undefined;
      if (args.variablesReference) found = this.vars.dataIdOf(args.variablesReference, args.name);
      else found = dataIdOfExpression(args.name);
      response.body = found
        ? {
            dataId: found.dataId,
            description: `${found.description} changes`,
            accessTypes: ['write'],
            canPersist: true,
          }
        : {
            dataId: null,
            description: `${args.name} cannot be watched: data breakpoints go on an HPT slot or a slot_phys entry (e.g. hpt[0x100], slot_phys[0][0x10])`,
          };
      this.sendResponse(response);
    });
  }

  protected override setDataBreakpointsRequest(
    response: DebugProtocol.SetDataBreakpointsResponse,
    args: DebugProtocol.SetDataBreakpointsArguments,
  ): void {
    this.guard(response, () => {
      this.bps.data = [];
      response.body = {
        breakpoints: args.breakpoints.map((b) => {
          const id = this.bps.newId();
          const m = /^hpt:(\d+)$/.exec(b.dataId) ?? /^slot_phys:(\d+):(\d+)$/.exec(b.dataId);
          if (!m) return { id, verified: false, message: `unknown data id ${b.dataId}` };
          try {
            const guard = makeGuard(b.condition, b.hitCondition);
            const watch =
              m.length === 2
                ? { kind: 'hpt' as const, index: Number(m[1]) }
                : { kind: 'slot_phys' as const, slot: Number(m[1]), index: Number(m[2]) };
            const label =
              watch.kind === 'hpt' ? `HPT[${hexn(watch.index)}]` : `slot_phys[${watch.slot}][${hexn(watch.index)}]`;
            this.bps.data.push({ id, kind: 'data', guard, label, watch });
            return { id, verified: true, description: label };
          } catch (err) {
            return { id, verified: false, message: (err as Error).message };
          }
        }),
      };
      this.sendResponse(response);
    });
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    this.guard(response, () => {
      if (!this.lastStop?.exception) throw new Error('not stopped on an exception');
      response.body = this.lastStop.exception;
      this.sendResponse(response);
    });
  }

  // ---- state -----------------------------------------------------------------------------

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    const vcpus = this.e ? [...this.e.vcpus].sort((a, b) => a - b) : [];
    if (!vcpus.length) vcpus.push(0);
    response.body = { threads: vcpus.map((v) => new Thread(v + 1, `vcpu ${v}`)) };
    this.sendResponse(response);
  }

  private traceSource(): Source {
    const f = this.engine().file;
    return new Source(path.basename(f), this.convertDebuggerPathToClient(f));
  }

  private frameId(info: FrameInfo): number {
    const id = this.nextFrame++;
    this.frames.set(id, info);
    return id;
  }

  protected override stackTraceRequest(
    response: DebugProtocol.StackTraceResponse,
    args: DebugProtocol.StackTraceArguments,
  ): void {
    this.guard(response, () => {
      const e = this.idle();
      const frames: DebugProtocol.StackFrame[] = [];
      const current = this.threadOf(this.pos);
      if (args.threadId === current || this.pos < 0) {
        if (this.expl && this.pos >= 0) {
          for (const f of this.expl.frames()) {
            const ref = this.sourceRef(this.expl, f.fn);
            const sf = new StackFrame(
              this.frameId({ record: this.pos, executed: true, explainFn: f.fn }),
              f.fn,
              new Source(`${f.fn}.c`, undefined, ref, 'hptrace explanation'),
              f.line,
              1,
            ) as DebugProtocol.StackFrame;
            frames.push(sf);
          }
        }
        if (this.pos >= 0) {
          const rec = e.hcall(this.pos)!;
          const r = e.ret(this.pos);
          const name = this.executed
            ? `${rec.name} → ${r === RET_NONE ? 'not emulated' : returnCodeName(r)}`
            : `${rec.name} (not executed yet)`;
          frames.push(
            new StackFrame(
              this.frameId({ record: this.pos, executed: this.executed }),
              name,
              this.traceSource(),
              rec.line,
              1,
            ),
          );
        } else {
          frames.push(
            new StackFrame(
              this.frameId({ record: -1, executed: false }),
              'no hcall',
              this.traceSource(),
              Math.max(1, e.lastLine),
              1,
            ),
          );
        }
      } else {
        // Another vcpu: its latest hcall at or before the current position.
        const vcpu = args.threadId - 1;
        let k = this.executed ? this.pos : this.pos - 1;
        while (k >= 0 && !(e.isHcall(k) && e.vcpu(k) === vcpu)) k--;
        if (k >= 0)
          frames.push(
            new StackFrame(
              this.frameId({ record: k, executed: true }),
              `${e.hcall(k)!.name} (earlier, vcpu ${vcpu})`,
              this.traceSource(),
              e.line(k),
              1,
            ),
          );
        else frames.push(new StackFrame(this.frameId({ record: -1, executed: false }), `vcpu ${vcpu}: no hcall yet`));
      }
      const start = args.startFrame ?? 0;
      const sliced = frames.slice(start, args.levels ? start + args.levels : undefined);
      response.body = { stackFrames: sliced, totalFrames: frames.length };
      this.sendResponse(response);
    });
  }

  private sourceRef(expl: Explanation, fn: string): number {
    for (const [ref, s] of this.sources) if (s.expl === expl && s.fn === fn) return ref;
    const ref = this.nextSource++;
    this.sources.set(ref, { expl, fn });
    return ref;
  }

  protected override sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    this.guard(response, () => {
      const ref = args.source?.sourceReference ?? args.sourceReference;
      const s = this.sources.get(ref);
      if (!s) throw new Error(`unknown sourceReference ${ref}`);
      response.body = { content: s.expl.text(s.fn as never), mimeType: 'text/x-c' };
      this.sendResponse(response);
    });
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.guard(response, () => {
      const e = this.idle();
      const f = this.frames.get(args.frameId);
      if (!f) throw new Error(`unknown frameId ${args.frameId}`);
      const view: StopView = {
        e,
        pos: f.record,
        executed: f.executed,
        full: () => (f.record === this.pos ? this.fullResult() : e.explain(f.record)),
      };
      const scopes: DebugProtocol.Scope[] = [];
      const add = (name: string, build: () => VNode[], expensive = false, hint?: string) => {
        const s = new Scope(
          name,
          this.vars.add({ name, value: '', children: build }),
          expensive,
        ) as DebugProtocol.Scope;
        if (hint) s.presentationHint = hint as never;
        scopes.push(s);
      };
      if (f.explainFn && this.expl) {
        const x = this.expl;
        const c = x.current;
        add(
          'check',
          () => [
            leaf('check', c.id),
            leaf('function', c.fn),
            leaf('outcome', c.ok ? 'passed' : 'failed'),
            leaf('detail', c.detail),
            ...(c.result ? [leaf('result', c.result)] : []),
            ...(c.note ? [leaf('note', c.note)] : []),
            leaf('deciding', x.deciding === c ? 'yes' : `no (deciding: ${x.deciding?.id ?? '-'})`),
          ],
          false,
          'locals',
        );
      }
      if (f.record >= 0) {
        add('hcall', () => hcallScope(view), false, 'arguments');
        add('memslot', () => memslotScope(view));
        add('slot_phys entry', () => slotPhysScope(view));
        add('PTEG', () => ptegScope(view));
      }
      add('machine', () => machineScope(view), false, 'registers');
      response.body = { scopes };
      this.sendResponse(response);
    });
  }

  protected override variablesRequest(
    response: DebugProtocol.VariablesResponse,
    args: DebugProtocol.VariablesArguments,
  ): void {
    this.guard(response, () => {
      this.idle();
      response.body = { variables: this.vars.variables(args.variablesReference, args) };
      this.sendResponse(response);
    });
  }

  protected override evaluateRequest(
    response: DebugProtocol.EvaluateResponse,
    args: DebugProtocol.EvaluateArguments,
  ): void {
    this.guard(response, async () => {
      if (this.running) throw new Error('the replay is running; pause it first');
      const cmd = evaluateText(args.expression, args.context, this.e?.m ?? null, this.resolver());
      if (cmd.kind === 'text') {
        response.body = { result: cmd.text, variablesReference: 0 };
      } else if (cmd.kind === 'node') {
        const n = cmd.node;
        response.body = { result: n.value, variablesReference: n.children || n.indexed ? this.vars.add(n) : 0 };
        if (n.indexed) response.body.indexedVariables = n.indexed.count;
      } else if (cmd.kind === 'find') {
        this.engine();
        const x = Expr.parse(cmd.condition);
        const where = await this.run({ dir: 1, find: x });
        response.body = {
          result: where.startsWith('line') ? `found at ${where}` : `not found (${where})`,
          variablesReference: 0,
        };
      } else {
        const e = this.engine();
        const k = await this.recordForLine(cmd.line);
        if (k < 0) throw new Error(`goto: no hcall at or after line ${cmd.line}`);
        this.stopAt(k, { reason: 'goto', description: `Jumped to line ${e.line(k)}: ${this.stepInfo(k).description}` });
        response.body = { result: `at line ${e.line(k)}`, variablesReference: 0 };
      }
      this.sendResponse(response);
    });
  }

  // ---- custom requests for the extension's views ----------------------------------------

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    this.guard(response, () => {
      if (command === REQUEST_MACHINE_STATE) {
        response.body = this.machineState();
      } else if (command === REQUEST_SLOT_PHYS) {
        response.body = this.slotPhys(args as SlotPhysArgs);
      } else throw new Error(`unknown request ${command}`);
      this.sendResponse(response);
    });
  }

  private machineState(): MachineStateResponse {
    const e = this.idle();
    const m = e.m;
    const memslots: MemslotInfo[] = m.memslots
      .filter((s): s is NonNullable<typeof s> => !!s)
      .map((s) => {
        const v = vmaAt(m, s.userspaceAddr);
        const gpa = s.baseGfn * m.pageSize;
        const io = s.physp.scan((_i, w, b) => (w[b + 1] & 0x60) !== 0, 0, 1).length > 0;
        return {
          id: s.id,
          baseGfn: hexn(s.baseGfn),
          npages: hexn(s.npages),
          gpaStart: hexn(gpa),
          gpaEnd: hexn(gpa + s.npages * m.pageSize),
          hva: hexn(s.userspaceAddr),
          flags: hexn(s.flags),
          line: s.line,
          backing: v
            ? {
                type: v.type,
                start: hexn(v.start),
                end: hexn(v.end),
                ...(v.type === 'anon' ? { pageSize: v.pageSize, pfn: hexn(v.pfn) } : {}),
                ...(v.type === 'pfnmap'
                  ? { pgoff: hexn(v.pgoff), cache: CACHE_MODES.find((c) => c.bits === v.cache)?.name ?? 'none' }
                  : {}),
                line: v.line,
              }
            : null,
          slotPhysCount: s.physp.nonZeroCount,
          hasIo: io,
        };
      });
    const rec = this.pos >= 0 ? e.hcall(this.pos) : null;
    const r = this.pos >= 0 ? e.ret(this.pos) : RET_NONE;
    return {
      record: this.pos,
      line: this.pos >= 0 ? e.line(this.pos) : 0,
      hcall: rec
        ? { name: rec.name, ret: this.executed && r !== RET_NONE ? returnCodeName(r) : null, line: rec.line }
        : null,
      cpu: (CPUS.find((c) => c.arch206 === m.arch206)?.name ?? 'power7') as 'power7' | 'ppc970',
      kernel: m.kernel,
      pageSize: m.pageSize,
      hptOrder: m.hptOrder,
      validHptes: m.validHptes,
      memslots,
      current:
        this.pos >= 0
          ? { slot: e.slot(this.pos), physIndex: e.physIndex(this.pos), hptIndex: e.hptIndex(this.pos) }
          : { slot: -1, physIndex: -1, hptIndex: -1 },
    };
  }

  private slotPhys(args: SlotPhysArgs): SlotPhysResponse {
    const e = this.idle();
    const m = e.m;
    const s = args && Number.isInteger(args.slot) ? m.memslots[args.slot] : null;
    if (!s) throw new Error(`hptrace.slotPhys: no memslot ${args?.slot}`);
    const idx = s.physp.scan((_i, w, b) => w[b] !== 0 || w[b + 1] !== 0, args.start ?? 0, args.count ?? 256);
    return {
      slot: s.id,
      total: s.physp.nonZeroCount,
      entries: idx.map((i) => {
        const hi = s.physp.get(i, 0);
        const lo = s.physp.get(i, 1);
        const flags = [lo & 0x80 ? 'GOT_PAGE' : '', lo & 0x20 ? 'NO_CACHE' : '', lo & 0x40 ? 'WRITETHRU' : ''].filter(
          Boolean,
        );
        return {
          index: i,
          gfn: hexn(s.baseGfn + i),
          value: hexOf(hi, lo),
          pfn: hexn(hi * 2 ** (32 - m.pageShift) + Math.floor(lo / m.pageSize)),
          order: lo & 0x1f,
          flags,
          io: (lo & 0x60) !== 0,
        };
      }),
    };
  }
}

/** `hpt[0x100]`, `HPT[0x100]`, `slot_phys[0][0x10]` as data breakpoint ids. */
export function dataIdOfExpression(name: string): { dataId: string; description: string } | undefined {
  const num = (s: string) => (/^0x/i.test(s) ? parseInt(s, 16) : Number(s));
  let m = /^\s*hpt\s*\[\s*(0x[0-9a-f]+|\d+)\s*\]\s*$/i.exec(name);
  if (m) return { dataId: `hpt:${num(m[1])}`, description: `HPT[${hexn(num(m[1]))}]` };
  m = /^\s*slot_phys\s*\[\s*(\d+)\s*\]\s*\[\s*(0x[0-9a-f]+|\d+)\s*\]\s*$/i.exec(name);
  if (m)
    return { dataId: `slot_phys:${Number(m[1])}:${num(m[2])}`, description: `slot_phys[${m[1]}][${hexn(num(m[2]))}]` };
  return undefined;
}
