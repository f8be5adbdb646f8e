/**
 * The hptrace debug adapter: DAP only, driving the core's seekable replay engine.
 *
 * Position semantics: a stop at an hcall shows the state *after* that hcall ran (its result is
 * known); the entry stop is the one exception, before the first hcall runs. Threads are vcpus (a
 * trace without vcpu= has vcpu 0); every stop stops them all, since a trace has one order.
 */
import * as fs from 'fs';
import { DebugProtocol } from '@vscode/debugprotocol';
import {
  ContinuedEvent,
  InitializedEvent,
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
  ThreadEvent,
  Event,
} from '@vscode/debugadapter';
import { returnCodeName, hcallByNum } from '../core/bits';
import { decodeWord, DEFAULT_CONTEXT, summarizeR, summarizeSlotPhys, summarizeV } from '../core/decode';
import { Engine, RET_NONE } from '../core/engine';
import { Check, decidingCheck } from '../core/explain';
import { HcallResult } from '../core/handlers';
import { hexn, KernelVariant, KERNEL_VARIANTS, Machine, Memslot } from '../core/machine';
import { newParserState, parseLine } from '../core/parser';
import { TraceError } from '../core/records';
import { applyRecord, divergenceDetails } from '../core/replay';
import { hexOf, parseU64 } from '../core/u64';
import { Bp, Breakpoints, exceptionFilters, FILTERS, makeGuard } from './breakpoints';
import { hcallResolver, NAMES_HELP } from './context';
import { fnOfReference, lineOfCheck, sourceReferenceOf, sourceText } from './explainSource';
import { Expr, ExprError, interpolate, NONE, showValue } from './expr';
import * as P from './protocol';
import { hcallScope, hptSlotNode, machineScope, memslotNode, memslotScope, ptegScope, slotPhysScope, StopView } from './scopes';
import { VarStore, VNode } from './variables';

export interface LaunchArgs extends DebugProtocol.LaunchRequestArguments {
  trace: string;
  stopOnEntry?: boolean;
  kernel?: KernelVariant;
  breakOn?: string[];
  /** Log the DAP traffic to the debug console. */
  logging?: boolean;
}

/** Files up to this size are checked whole at launch, so a malformed line fails the launch itself. */
const VALIDATE_AT_LAUNCH_BYTES = 16 << 20;
/** Records scanned between yields to the event loop, so pause and cancel are heard. */
const SLICE = 20000;

interface StopReason {
  reason: string;
  description: string;
  text?: string;
  bp?: Bp;
}

/**
 * Throws the first problem of a trace in file order: a syntax error, or a host record the machine
 * refuses (overlapping vma …), so the launch reports what the Problems panel lists first.
 */
function firstProblem(text: string, file: string, kernel: KernelVariant): void {
  const st = newParserState(file);
  const m = new Machine(kernel, file);
  const lines = text.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const l = lines[k].endsWith('\r') ? lines[k].slice(0, -1) : lines[k];
    const rec = parseLine(st, k + 1, l);
    if (rec && rec.kind !== 'hcall') applyRecord(m, rec);
  }
  if (!st.sawHeader) throw new TraceError(file, 1, 1, 2, 'empty trace: expected the header "hptrace 1"');
}

/** Valid HPTEs (a removed entry keeps its second doubleword, so non-zero is not enough). */
function countValid(m: Engine['m']): number {
  let n = 0;
  m.hpt.scan((_i, w, b) => {
    if (w[b + 1] & 1) n++;
    return false;
  });
  return n;
}

export class HptraceDebugSession extends LoggingDebugSession {
  private e: Engine | null = null;
  private launchArgs: LaunchArgs | null = null;
  private pos = -1;
  private executed = false;
  private explainState: { checks: Check[]; idx: number; ret: number | null } | null = null;
  private fullCache: { pos: number; res: HcallResult | null } | null = null;
  private readonly bps = new Breakpoints();
  private readonly vars = new VarStore();
  private lastStop: StopReason | null = null;
  private pauseRequested = false;
  private cancelled = new Set<string>();
  private busy = false;
  private progress = false;
  private knownThreads = new Set<number>();
  private logging = false;
  private hcallLinesCache: { size: number; lines: Set<number> } | null = null;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  // ---- plumbing: every request gets an answer ------------------------------------------------

  protected override dispatchRequest(request: DebugProtocol.Request): void {
    if (this.logging) this.sendEvent(new OutputEvent(`→ ${JSON.stringify(request)}\n`, 'console'));
    try {
      super.dispatchRequest(request);
    } catch (err) {
      const response = { type: 'response', seq: 0, request_seq: request.seq, command: request.command, success: false } as DebugProtocol.Response;
      this.sendErrorResponse(response, 3000, `${request.command} failed: ${(err as Error).message}`);
    }
  }

  override sendResponse(response: DebugProtocol.Response): void {
    if (this.logging) this.sendEvent(new OutputEvent(`← ${JSON.stringify(response).slice(0, 2000)}\n`, 'console'));
    super.sendResponse(response);
  }

  /** Runs a handler; any exception becomes an error response instead of a dead adapter. */
  private guard(response: DebugProtocol.Response, f: () => void): void {
    try {
      f();
    } catch (err) {
      this.fail(response, err);
    }
  }

  private fail(response: DebugProtocol.Response, err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err);
    this.sendErrorResponse(response, { id: 3001, format: msg.replace(/[{}]/g, ''), showUser: err instanceof TraceError });
  }

  private need(): Engine {
    if (!this.e) throw new Error('no trace is loaded: launch first');
    return this.e;
  }

  // ---- initialize / launch -------------------------------------------------------------------

  private clientProgress = false;

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
    this.clientProgress = !!args.supportsProgressReporting;
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsStepBack: true,
      supportsGotoTargetsRequest: true,
      supportsRestartRequest: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsFunctionBreakpoints: true,
      supportsBreakpointLocationsRequest: true,
      supportsExceptionInfoRequest: true,
      supportsExceptionFilterOptions: true,
      exceptionBreakpointFilters: exceptionFilters(),
      supportsDataBreakpoints: true,
      supportsEvaluateForHovers: true,
      supportsCancelRequest: true,
      supportsTerminateRequest: true,
      supportsSteppingGranularity: false,
    };
    this.sendResponse(response);
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArgs): void {
    this.guard(response, () => {
      if (!args || typeof args.trace !== 'string' || !args.trace) throw new Error('launch: "trace" (the path of a .hptrace file) is required');
      const kernel = args.kernel ?? 'io';
      if (!KERNEL_VARIANTS.includes(kernel)) throw new Error(`launch: "kernel" must be one of ${KERNEL_VARIANTS.join(', ')}`);
      let size: number;
      try {
        const st = fs.statSync(args.trace);
        if (!st.isFile()) throw new Error('not a file');
        size = st.size;
      } catch {
        throw new Error(`launch: cannot read the trace ${args.trace}`);
      }
      if (size <= VALIDATE_AT_LAUNCH_BYTES) {
        firstProblem(fs.readFileSync(args.trace, 'utf8'), args.trace, kernel);
      }
      for (const f of args.breakOn ?? []) if (!FILTERS.some((x) => x.filter === f)) throw new Error(`launch: unknown breakOn filter ${JSON.stringify(f)}; expected ${FILTERS.map((x) => x.filter).join(', ')}`);
      this.logging = !!args.logging;
      this.launchArgs = args;
      this.e = new Engine(args.trace, kernel);
      this.bps.launchFilters = args.breakOn ?? [];
      // Host records and the first hcall are read now; a malformed line there fails the launch.
      const first = this.e.nextHcall(-1);
      if (this.e.error) {
        const err = this.e.error;
        this.e.close();
        this.e = null;
        throw err;
      }
      this.pos = first;
      this.sendResponse(response);
      this.sendEvent(new InitializedEvent());
    });
    if (!response.success) {
      const msg = response.message ?? '';
      this.sendEvent(new OutputEvent(`hptrace: ${msg}\n`, 'stderr'));
    }
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    const e = this.e;
    if (!e) return;
    if (this.pos < 0) {
      this.sendEvent(new OutputEvent('hptrace: the trace has no hcall\n', 'console'));
      this.sendEvent(new TerminatedEvent());
      return;
    }
    this.seekTo(this.pos, false);
    if (this.launchArgs?.stopOnEntry !== false) this.stopAt({ reason: 'entry', description: 'Stopped on entry, before the first hcall runs' });
    else void this.runForward(this.pos, true);
  }

  protected override restartRequest(response: DebugProtocol.RestartResponse): void {
    this.guard(response, () => {
      const e = this.need();
      this.bps.resetHits();
      this.pos = e.nextHcall(-1);
      this.seekTo(this.pos, false);
      this.sendResponse(response);
      this.stopAt({ reason: 'entry', description: 'Restarted: before the first hcall' });
    });
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.e?.close();
    this.e = null;
    this.sendResponse(response);
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  // ---- position ------------------------------------------------------------------------------

  private seekTo(pos: number, executed: boolean): void {
    const e = this.need();
    this.pos = pos;
    this.executed = executed;
    this.explainState = null;
    e.seek(executed ? pos + 1 : pos);
  }

  private full(): HcallResult | null {
    const e = this.need();
    if (this.pos < 0) return null;
    if (!this.fullCache || this.fullCache.pos !== this.pos) this.fullCache = { pos: this.pos, res: e.explain(this.pos) };
    return this.fullCache.res;
  }

  private view(): StopView {
    return { e: this.need(), pos: this.pos, executed: this.executed, full: () => this.full() };
  }

  private threadOf(i: number): number {
    const v = this.need().vcpu(i);
    return (v < 0 ? 0 : v) + 1;
  }

  private stopAt(r: StopReason): void {
    const e = this.need();
    this.vars.clear();
    this.lastStop = r;
    for (const v of e.vcpus) {
      if (!this.knownThreads.has(v)) {
        this.knownThreads.add(v);
        this.sendEvent(new ThreadEvent('started', v + 1));
      }
    }
    const ev = new StoppedEvent(r.reason, this.pos >= 0 ? this.threadOf(this.pos) : 1, r.text) as DebugProtocol.StoppedEvent;
    ev.body.description = r.description;
    ev.body.allThreadsStopped = true;
    if (r.bp) ev.body.hitBreakpointIds = [r.bp.id];
    this.sendEvent(ev);
    this.sendEvent(new Event(P.EVENT_STATE_CHANGED, { record: this.pos, line: this.pos >= 0 ? e.line(this.pos) : 0 } satisfies P.StateChangedEvent));
  }

  /** Why the current hcall failed, in words, from its deciding check. */
  private verdict(): string {
    const e = this.need();
    const ret = e.ret(this.pos);
    const res = this.full();
    const name = this.hcallName(this.pos);
    if (ret === RET_NONE) return `${name} (not emulated)`;
    const c = res?.checks ? decidingCheck(res.checks.checks, ret === 0) : undefined;
    return `${name} → ${returnCodeName(ret)}${c && ret !== 0 ? `: ${c.detail}` : ''}`;
  }

  private hcallName(i: number): string {
    const n = this.need().hcallNumber(i);
    return hcallByNum(n)?.name ?? this.need().hcall(i)?.name ?? '?';
  }

  // ---- running -------------------------------------------------------------------------------

  /** Checks the breakpoints at record i (the machine is put after it); returns the one that stops. */
  private hitAt(i: number): Bp | null {
    const e = this.need();
    const cands = this.bps.candidates(e, i);
    if (cands.length === 0) return null;
    e.seek(i + 1);
    const resolver = hcallResolver(e, i, true, () => e.explain(i));
    let stopper: Bp | null = null;
    for (const b of cands) {
      const g = b.guard;
      try {
        if (g.condition && !g.condition.test(resolver)) continue;
      } catch (err) {
        this.sendEvent(new OutputEvent(`hptrace: condition of ${b.label} at line ${e.line(i)}: ${(err as Error).message}\n`, 'stderr'));
        continue;
      }
      g.hits++;
      if (g.hit && !g.hit(g.hits)) continue;
      if (g.logMessage) {
        const text = interpolate(g.logMessage, resolver);
        const out = new OutputEvent(`${text}\n`, 'console') as DebugProtocol.OutputEvent;
        out.body.source = new Source(e.file, e.file);
        out.body.line = e.line(i);
        this.sendEvent(out);
        continue;
      }
      if (!stopper) stopper = b;
    }
    return stopper;
  }

  private describeHit(b: Bp): StopReason {
    const e = this.need();
    const line = e.line(this.pos);
    switch (b.kind) {
      case 'exception':
        return { reason: 'exception', description: `Paused on ${b.label}: ${this.verdict()}`, text: this.verdict(), bp: b };
      case 'data':
        return { reason: 'data breakpoint', description: `${b.label} changed at line ${line} (${this.verdict()})`, bp: b };
      case 'function':
        return { reason: 'function breakpoint', description: `${b.label} at line ${line}: ${this.verdict()}`, bp: b };
      default:
        return { reason: 'breakpoint', description: `Breakpoint at line ${line}: ${this.verdict()}`, bp: b };
    }
  }

  /** Continue forwards from record `from` (inclusive when `inclusive`), in slices. */
  private async runForward(from: number, inclusive: boolean): Promise<void> {
    const e = this.need();
    this.busy = true;
    this.pauseRequested = false;
    const progressId = this.startProgress('Running forward through the trace');
    try {
      let i = inclusive ? from : from + 1;
      let n = 0;
      for (;;) {
        if (i >= e.count && !e.ensure(i + 1)) break;
        if (e.isHcall(i)) {
          const b = this.hitAt(i);
          if (b) {
            this.seekTo(i, true);
            this.stopAt(this.describeHit(b));
            return;
          }
        }
        i++;
        if (++n % SLICE === 0) {
          this.updateProgress(progressId, e.bytesRead / Math.max(1, e.fileSize));
          await new Promise((r) => setImmediate(r));
          if (this.pauseRequested || this.cancelled.has(progressId)) {
            const last = e.prevHcall(i);
            this.seekTo(last, true);
            this.stopAt({ reason: 'pause', description: `Paused at line ${e.line(last)}` });
            return;
          }
        }
      }
      if (e.error) {
        const last = e.prevHcall(e.count);
        this.seekTo(last, true);
        this.sendEvent(new OutputEvent(`${e.error.message}\n`, 'stderr'));
        this.stopAt({ reason: 'exception', description: `Malformed trace: ${e.error.message}`, text: e.error.message });
        return;
      }
      // The end of the trace: stay on the last hcall, as a replay debugger with reverse steps should.
      const last = e.prevHcall(e.count);
      this.seekTo(last, true);
      this.stopAt({ reason: 'step', description: `End of the trace (line ${e.line(last)}); step back or reverse continue from here` });
    } finally {
      this.busy = false;
      this.endProgress(progressId);
    }
  }

  private async runBackward(from: number): Promise<void> {
    const e = this.need();
    this.busy = true;
    this.pauseRequested = false;
    const progressId = this.startProgress('Running backward through the trace');
    try {
      let n = 0;
      for (let i = from - 1; i >= 0; i--) {
        if (e.isHcall(i)) {
          const b = this.hitAt(i);
          if (b) {
            this.seekTo(i, true);
            this.stopAt(this.describeHit(b));
            return;
          }
        }
        if (++n % SLICE === 0) {
          this.updateProgress(progressId, 1 - i / Math.max(1, from));
          await new Promise((r) => setImmediate(r));
          if (this.pauseRequested || this.cancelled.has(progressId)) {
            const at = e.nextHcall(i - 1);
            this.seekTo(at, true);
            this.stopAt({ reason: 'pause', description: `Paused at line ${e.line(at)}` });
            return;
          }
        }
      }
      const first = e.nextHcall(-1);
      this.seekTo(first, false);
      this.stopAt({ reason: 'entry', description: 'Reached the start of the trace: before the first hcall' });
    } finally {
      this.busy = false;
      this.endProgress(progressId);
    }
  }

  private startProgress(title: string): string {
    const id = `hptrace-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    if (this.clientProgress) {
      this.progress = true;
      this.sendEvent(new ProgressStartEvent(id, title, undefined));
    }
    return id;
  }

  private updateProgress(id: string, frac: number): void {
    if (this.clientProgress) this.sendEvent(new ProgressUpdateEvent(id, `${Math.round(frac * 100)}%`));
  }

  private endProgress(id: string): void {
    if (this.clientProgress) this.sendEvent(new ProgressEndEvent(id));
    this.cancelled.delete(id);
  }

  private notBusy(): void {
    if (this.busy) throw new Error('the adapter is running; pause first');
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    this.guard(response, () => {
      this.need();
      this.notBusy();
      response.body = { allThreadsContinued: true };
      this.sendResponse(response);
      void this.runForward(this.pos, !this.executed);
    });
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    this.guard(response, () => {
      this.need();
      this.notBusy();
      this.sendResponse(response);
      void this.runBackward(this.executed ? this.pos : this.pos);
    });
  }

  protected override nextRequest(response: DebugProtocol.NextResponse): void {
    this.guard(response, () => {
      const e = this.need();
      this.notBusy();
      if (this.explainState) return this.stepExplain(response, +1);
      if (!this.executed) {
        this.seekTo(this.pos, true);
      } else {
        const n = e.nextHcall(this.pos);
        if (n < 0) {
          this.sendResponse(response);
          this.stopAt({ reason: 'step', description: e.error ? `Malformed trace: ${e.error.message}` : 'End of the trace' });
          return;
        }
        this.seekTo(n, true);
      }
      this.sendResponse(response);
      this.stopAt({ reason: 'step', description: this.verdict() });
    });
  }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse): void {
    this.guard(response, () => {
      const e = this.need();
      this.notBusy();
      if (this.explainState) return this.stepExplain(response, -1);
      const p = this.executed ? e.prevHcall(this.pos) : -1;
      if (p < 0) this.seekTo(e.nextHcall(-1), false);
      else this.seekTo(p, true);
      this.sendResponse(response);
      this.stopAt({ reason: 'step', description: this.executed ? this.verdict() : 'Before the first hcall' });
    });
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse): void {
    this.guard(response, () => {
      this.need();
      this.notBusy();
      if (this.explainState) return this.stepExplain(response, +1);
      if (!this.executed) this.seekTo(this.pos, true);
      const res = this.full();
      const checks = res?.checks?.checks ?? [];
      if (checks.length === 0) {
        this.sendResponse(response);
        this.stopAt({ reason: 'step', description: `${this.hcallName(this.pos)} is not emulated: no checks to step into` });
        return;
      }
      this.explainState = { checks, idx: 0, ret: res!.ret };
      this.sendResponse(response);
      this.stopInExplain();
    });
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    this.guard(response, () => {
      this.need();
      this.explainState = null;
      this.sendResponse(response);
      this.stopAt({ reason: 'step', description: this.verdict() });
    });
  }

  private stepExplain(response: DebugProtocol.Response, dir: number): void {
    const x = this.explainState!;
    x.idx += dir;
    this.sendResponse(response);
    if (x.idx < 0 || x.idx >= x.checks.length) {
      this.explainState = null;
      this.stopAt({ reason: 'step', description: this.verdict() });
      return;
    }
    this.stopInExplain();
  }

  private stopInExplain(): void {
    const x = this.explainState!;
    const c = x.checks[x.idx];
    const keep = this.explainState;
    this.stopAt({ reason: 'step', description: `${c.fn}: ${c.ok ? 'passes' : 'fails'} — ${c.detail}${c.result ? ` → ${c.result}` : ''}` });
    this.explainState = keep;
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.pauseRequested = true;
    this.sendResponse(response);
  }

  protected override cancelRequest(response: DebugProtocol.CancelResponse, args: DebugProtocol.CancelArguments): void {
    if (args.progressId) this.cancelled.add(args.progressId);
    else this.pauseRequested = true;
    this.sendResponse(response);
  }

  // ---- goto ----------------------------------------------------------------------------------

  /** Record index of the hcall on a line, reading on until the line if needed; -1 when none. */
  private hcallAtLine(line: number): number {
    const e = this.need();
    while (e.lastLine < line && e.explore()) {
      /* read on */
    }
    const i = e.recordAtLine(line);
    return i >= 0 && e.isHcall(i) ? i : -1;
  }

  protected override gotoTargetsRequest(response: DebugProtocol.GotoTargetsResponse, args: DebugProtocol.GotoTargetsArguments): void {
    this.guard(response, () => {
      const i = this.hcallAtLine(args.line);
      response.body = { targets: i < 0 ? [] : [{ id: i + 1, label: `line ${args.line}: ${this.hcallName(i)}`, line: args.line }] };
      this.sendResponse(response);
    });
  }

  protected override gotoRequest(response: DebugProtocol.GotoResponse, args: DebugProtocol.GotoArguments): void {
    this.guard(response, () => {
      const e = this.need();
      this.notBusy();
      const i = args.targetId - 1;
      if (!Number.isInteger(i) || i < 0 || i >= e.count || !e.isHcall(i)) throw new Error(`goto: unknown target ${args.targetId}`);
      this.seekTo(i, true);
      this.sendResponse(response);
      this.sendEvent(new ContinuedEvent(this.threadOf(i), true));
      this.stopAt({ reason: 'goto', description: `Jumped to line ${e.line(i)}: ${this.verdict()}` });
    });
  }

  // ---- breakpoints ---------------------------------------------------------------------------

  /** Lines holding hcalls, for breakpoint verification; read from the file text (cached by size). */
  private hcallLines(path: string): Set<number> | null {
    try {
      const st = fs.statSync(path);
      if (st.size > 64 << 20) return null;
      if (this.hcallLinesCache && this.hcallLinesCache.size === st.size) return this.hcallLinesCache.lines;
      const lines = new Set<number>();
      fs.readFileSync(path, 'utf8')
        .split('\n')
        .forEach((l, k) => {
          if (/^\s*hcall\b/.test(l)) lines.add(k + 1);
        });
      this.hcallLinesCache = { size: st.size, lines };
      return lines;
    } catch {
      return null;
    }
  }

  protected override breakpointLocationsRequest(response: DebugProtocol.BreakpointLocationsResponse, args: DebugProtocol.BreakpointLocationsArguments): void {
    this.guard(response, () => {
      const lines = this.hcallLines(args.source.path ?? '');
      const end = args.endLine ?? args.line;
      const out: DebugProtocol.BreakpointLocation[] = [];
      for (let l = args.line; l <= end; l++) if (!lines || lines.has(l)) out.push({ line: l });
      response.body = { breakpoints: out };
      this.sendResponse(response);
    });
  }

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    this.guard(response, () => {
      const lines = this.hcallLines(args.source.path ?? '');
      this.bps.lines.clear();
      const result: DebugProtocol.Breakpoint[] = [];
      for (const sb of args.breakpoints ?? []) {
        const id = this.bps.newId();
        if (lines && !lines.has(sb.line)) {
          result.push({ id, verified: false, line: sb.line, message: 'not an hcall line: breakpoints stop at hcall records' });
          continue;
        }
        try {
          const guard = makeGuard(sb.condition, sb.hitCondition, sb.logMessage);
          this.bps.lines.set(sb.line, { id, kind: 'line', guard, label: `line ${sb.line}`, line: sb.line });
          result.push({ id, verified: true, line: sb.line });
        } catch (err) {
          result.push({ id, verified: false, line: sb.line, message: (err as Error).message });
        }
      }
      response.body = { breakpoints: result };
      this.sendResponse(response);
    });
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    this.guard(response, () => {
      this.bps.functions = [];
      const result: DebugProtocol.Breakpoint[] = [];
      for (const fb of args.breakpoints) {
        const id = this.bps.newId();
        try {
          const n = Breakpoints.hcallOf(fb.name);
          this.bps.functions.push({ id, kind: 'function', guard: makeGuard(fb.condition, fb.hitCondition), label: Breakpoints.hcallLabel(n), hcall: n });
          result.push({ id, verified: true });
        } catch (err) {
          result.push({ id, verified: false, message: (err as Error).message });
        }
      }
      response.body = { breakpoints: result };
      this.sendResponse(response);
    });
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.guard(response, () => {
      const list = [...(args.filters ?? []).map((f) => ({ filter: f })), ...(args.filterOptions ?? []).map((o) => ({ filter: o.filterId, condition: o.condition }))];
      const bad = list.find((x) => !FILTERS.some((f) => f.filter === x.filter));
      if (bad) throw new Error(`unknown exception filter ${bad.filter}`);
      const result: DebugProtocol.Breakpoint[] = [];
      try {
        this.bps.setExceptions(list);
        for (let k = 0; k < list.length; k++) result.push({ verified: true });
      } catch (err) {
        throw new Error(`exception filter condition: ${(err as Error).message}`);
      }
      response.body = { breakpoints: result };
      this.sendResponse(response);
    });
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    this.guard(response, () => {
      const e = this.need();
      if (this.pos < 0) throw new Error('no current hcall');
      const ret = e.ret(this.pos);
      const retName = ret === RET_NONE ? 'not emulated' : returnCodeName(ret);
      const res = this.full();
      const c = res?.checks ? decidingCheck(res.checks.checks, ret === 0) : undefined;
      const rec = e.hcall(this.pos)!;
      const div = res ? divergenceDetails(rec, res) : [];
      const filter = this.lastStop?.bp?.filter ?? retName;
      const why =
        filter === 'divergence' ? `the emulation differs from the recording: ${div.join('; ')}` : filter === 'made-cacheable' ? `RAM mapped non-cacheable by the guest was made cacheable (${c?.detail ?? ''})` : (c?.detail ?? '');
      response.body = {
        exceptionId: filter === 'divergence' || filter === 'made-cacheable' ? filter : retName,
        description: `${this.hcallName(this.pos)} → ${retName} at line ${e.line(this.pos)}: ${why}`,
        breakMode: 'always',
        details: { message: c ? `${c.fn}: ${c.detail}` : why, typeName: retName, stackTrace: res?.checks?.checks.map((x) => `${x.ok ? '  ok ' : 'FAIL '} ${x.fn}: ${x.detail}`).join('\n') },
      };
      this.sendResponse(response);
    });
  }

  protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    this.guard(response, () => {
      let info: { dataId: string; description: string } | undefined;
      if (args.variablesReference) info = this.vars.dataIdOf(args.variablesReference, args.name);
      else if (/^(hpt:\d+|slot_phys:\d+:\d+)$/.test(args.name)) info = { dataId: args.name, description: args.name };
      response.body = info
        ? { dataId: info.dataId, description: info.description, accessTypes: ['write'], canPersist: true }
        : { dataId: null, description: 'only slot_phys entries and HPT slots can be watched' };
      this.sendResponse(response);
    });
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    this.guard(response, () => {
      this.bps.data = [];
      const result: DebugProtocol.Breakpoint[] = [];
      for (const d of args.breakpoints) {
        const id = this.bps.newId();
        const h = /^hpt:(\d+)$/.exec(d.dataId);
        const s = /^slot_phys:(\d+):(\d+)$/.exec(d.dataId);
        try {
          const guard = makeGuard(d.condition, d.hitCondition);
          if (h) this.bps.data.push({ id, kind: 'data', guard, label: `HPT[${hexn(Number(h[1]))}]`, watch: { kind: 'hpt', index: Number(h[1]) } });
          else if (s) this.bps.data.push({ id, kind: 'data', guard, label: `slot_phys[${s[1]}][${hexn(Number(s[2]))}]`, watch: { kind: 'slot_phys', slot: Number(s[1]), index: Number(s[2]) } });
          else throw new Error(`unknown dataId ${d.dataId}`);
          result.push({ id, verified: true });
        } catch (err) {
          result.push({ id, verified: false, message: (err as Error).message });
        }
      }
      response.body = { breakpoints: result };
      this.sendResponse(response);
    });
  }

  // ---- threads, stack, scopes, variables -----------------------------------------------------

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    const vcpus = this.e ? [...this.e.vcpus].sort((a, b) => a - b) : [];
    if (vcpus.length === 0) vcpus.push(0);
    response.body = { threads: vcpus.map((v) => new Thread(v + 1, `vcpu ${v}`)) };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    this.guard(response, () => {
      const e = this.need();
      const frames: StackFrame[] = [];
      if (this.pos >= 0 && this.threadOf(this.pos) === args.threadId) {
        const x = this.explainState;
        if (x) {
          const c = x.checks[x.idx];
          const f = new StackFrame(1000 + x.idx, `${c.fn}${c.ok ? '' : ' ✗'}`, new Source(c.fn, undefined, sourceReferenceOf(c.fn), undefined, 'hptrace-explain'), lineOfCheck(c.id), 1);
          frames.push(f);
        }
        const ret = this.executed ? e.ret(this.pos) : RET_NONE;
        const name = `${this.hcallName(this.pos)}${this.executed ? ` → ${ret === RET_NONE ? 'not emulated' : returnCodeName(ret)}` : ' (not run yet)'}`;
        frames.push(new StackFrame(1, name, new Source(e.file.split('/').pop()!, e.file), e.line(this.pos), 1));
      }
      response.body = { stackFrames: frames, totalFrames: frames.length };
      this.sendResponse(response);
    });
  }

  protected override sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    this.guard(response, () => {
      const fn = fnOfReference(args.sourceReference ?? args.source?.sourceReference ?? 0);
      if (!fn) throw new Error(`unknown source reference ${args.sourceReference}`);
      response.body = { content: sourceText(fn), mimeType: 'text/x-c' };
      this.sendResponse(response);
    });
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.guard(response, () => {
      this.need();
      if (args.frameId !== 1 && args.frameId < 1000) throw new Error(`unknown frame ${args.frameId}`);
      const v = this.view();
      const scope = (name: string, kids: () => VNode[], expensive = false) => {
        const s = new Scope(name, this.vars.add({ name, value: '', children: kids }), expensive) as DebugProtocol.Scope;
        return s;
      };
      const scopes: DebugProtocol.Scope[] = [];
      if (args.frameId >= 1000 && this.explainState) {
        const x = this.explainState;
        scopes.push(
          scope('Check', () => {
            const c = x.checks[x.idx];
            return [
              { name: 'function', value: c.fn },
              { name: 'outcome', value: c.ok ? (c.note ? `passes (${c.note})` : 'passes') : 'fails' },
              { name: 'values', value: c.detail },
              ...(c.result ? [{ name: 'result', value: c.result }] : []),
              { name: 'all checks', value: `${x.checks.length}`, children: () => x.checks.map((k, n) => ({ name: `${n}${n === x.idx ? ' ←' : ''} ${k.fn}`, value: `${k.ok ? 'ok' : 'FAIL'}: ${k.detail}` })) },
            ];
          }),
        );
      }
      scopes.push(scope('hcall', () => hcallScope(v)), scope('memslot', () => memslotScope(v)), scope('slot_phys', () => slotPhysScope(v)), scope('PTEG', () => ptegScope(v)), scope('machine', () => machineScope(v), true));
      response.body = { scopes };
      this.sendResponse(response);
    });
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    this.guard(response, () => {
      response.body = { variables: this.vars.variables(args.variablesReference, args) };
      this.sendResponse(response);
    });
  }

  // ---- evaluate ------------------------------------------------------------------------------

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    this.guard(response, () => {
      const text = (args.expression ?? '').trim();
      if (!text) throw new Error('empty expression');
      if (args.context === 'repl') {
        const cmd = this.replCommand(text);
        if (cmd) {
          response.body = cmd;
          this.sendResponse(response);
          return;
        }
      }
      const num = /^(0x[0-9a-f]+|\d+)$/i.test(text) ? parseU64(text) : undefined;
      if (num) {
        response.body = this.decodeResult(text);
        this.sendResponse(response);
        return;
      }
      const e = this.need();
      if (this.pos < 0) throw new Error('no current hcall');
      const v = Expr.parse(text).evaluate(hcallResolver(e, this.pos, this.executed, () => this.full()));
      if (v === undefined) throw new ExprError(`unknown name in ${text}`);
      const node = this.exprNode(text, v);
      response.body = { result: node.value, variablesReference: node.children ? this.vars.add(node) : 0 };
      this.sendResponse(response);
    });
  }

  /** A value of an HPTE-word name gets its decoding as children. */
  private exprNode(text: string, v: bigint | typeof NONE): VNode {
    if (v === NONE) return { name: text, value: '(none)' };
    const kind = /^(pteh|avpn|hpte\.v)$/.test(text) ? 'v' : /^(ptel|hpte\.r|hpte\.guest_r)$/.test(text) ? 'r' : /^slot_phys$/.test(text) ? 'slot_phys' : null;
    const shown = showValue(v);
    if (!kind || v < 0n) return { name: text, value: shown };
    const hi = Number(v >> 32n);
    const lo = Number(v & 0xffffffffn);
    const ctx = this.e ? { pageSize: this.e.m.pageSize, arch206: this.e.m.arch206 } : DEFAULT_CONTEXT;
    return {
      name: text,
      value: `${shown}  (${kind === 'v' ? summarizeV({ hi, lo }) : kind === 'r' ? summarizeR({ hi, lo }) : summarizeSlotPhys({ hi, lo }, ctx.pageSize)})`,
      children: () => decodeWord({ hi, lo }, kind, ctx).map((f) => ({ name: f.field.name, value: `${hexOf(f.value.hi, f.value.lo)}  ${f.meaning}` })),
    };
  }

  private decodeResult(text: string): { result: string; variablesReference: number } {
    const v = parseU64(text)!;
    const ctx = this.e ? { pageSize: this.e.m.pageSize, arch206: this.e.m.arch206 } : DEFAULT_CONTEXT;
    const node: VNode = {
      name: text,
      value: `${hexOf(v.hi, v.lo)}  as v: ${summarizeV(v)} | as r: ${summarizeR(v)} | as slot_phys: ${summarizeSlotPhys(v, ctx.pageSize)}`,
      children: () =>
        (['v', 'r', 'slot_phys'] as const).map((k) => ({
          name: `as ${k}`,
          value: k === 'v' ? summarizeV(v) : k === 'r' ? summarizeR(v) : summarizeSlotPhys(v, ctx.pageSize),
          children: () => decodeWord(v, k, ctx).map((f) => ({ name: f.field.name, value: `${hexOf(f.value.hi, f.value.lo)}  ${f.meaning}`, type: `bits ${f.bits}` })),
        })),
    };
    return { result: node.value, variablesReference: this.vars.add(node) };
  }

  /** Debug console commands: decode, hpt, memslot, find, goto, help. */
  private replCommand(text: string): { result: string; variablesReference: number } | null {
    const [cmd, ...rest] = text.split(/\s+/);
    const arg = rest.join(' ');
    switch (cmd) {
      case 'help':
        return { result: `commands: decode VALUE | hpt INDEX | memslot ID | find CONDITION | goto LINE | help; or an expression.\n${NAMES_HELP}`, variablesReference: 0 };
      case 'decode':
        if (!parseU64(arg)) throw new Error('decode VALUE: expected a 64-bit number');
        return this.decodeResult(arg);
      case 'hpt': {
        const e = this.need();
        const idx = parseU64(arg);
        if (!idx || idx.hi !== 0 || idx.lo >= e.m.hptEntries) throw new Error(`hpt INDEX: expected an index below ${hexn(e.m.hptEntries)}`);
        const node = hptSlotNode(e.m, idx.lo, `HPT[${hexn(idx.lo)}]`);
        return { result: node.value, variablesReference: this.vars.add(node) };
      }
      case 'memslot': {
        const e = this.need();
        const s: Memslot | null | undefined = e.m.memslots[Number(arg)];
        if (!/^\d+$/.test(arg) || !s) throw new Error(`memslot ID: no memslot ${arg}`);
        const node = memslotNode(e.m, s);
        return { result: node.value, variablesReference: this.vars.add(node) };
      }
      case 'find': {
        const e = this.need();
        const x = Expr.parse(arg);
        for (let i = e.nextHcall(this.pos); i >= 0; i = e.nextHcall(i)) {
          e.seek(i + 1);
          if (x.test(hcallResolver(e, i, true, () => e.explain(i)))) {
            e.seek(this.executed ? this.pos + 1 : this.pos);
            return { result: `line ${e.line(i)}: ${this.hcallName(i)} → ${e.ret(i) === RET_NONE ? 'not emulated' : returnCodeName(e.ret(i))}  (goto ${e.line(i)} to go there)`, variablesReference: 0 };
          }
        }
        e.seek(this.executed ? this.pos + 1 : this.pos);
        return { result: 'no later hcall matches', variablesReference: 0 };
      }
      case 'goto': {
        const line = Number(arg);
        const i = Number.isInteger(line) ? this.hcallAtLine(line) : -1;
        if (i < 0) throw new Error(`goto LINE: line ${arg} holds no hcall`);
        this.seekTo(i, true);
        setImmediate(() => this.stopAt({ reason: 'goto', description: `Jumped to line ${line}: ${this.verdict()}` }));
        return { result: `jumped to line ${line}`, variablesReference: 0 };
      }
    }
    return null;
  }

  // ---- hptrace's own requests for the extension's views --------------------------------------

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    this.guard(response, () => {
      if (command === P.REQUEST_MACHINE_STATE) response.body = this.machineState();
      else if (command === P.REQUEST_SLOT_PHYS) response.body = this.slotPhys(args as P.SlotPhysArgs);
      else throw new Error(`unknown request ${command}`);
      this.sendResponse(response);
    });
  }

  private machineState(): P.MachineStateResponse {
    const e = this.need();
    const m = e.m;
    const ps = m.pageSize;
    const memslots = m.memslots
      .filter((s): s is Memslot => !!s)
      .map((s) => {
        const v = m.vmas.find((x) => x.start <= s.userspaceAddr && s.userspaceAddr < x.end) ?? null;
        const hasIo = s.physp.scan((_i, w, b) => (w[b + 1] & 0x60) !== 0, 0, 1).length > 0;
        return {
          id: s.id,
          baseGfn: hexn(s.baseGfn),
          npages: hexn(s.npages),
          gpaStart: hexn(s.baseGfn * ps),
          gpaEnd: hexn((s.baseGfn + s.npages) * ps),
          hva: hexn(s.userspaceAddr),
          flags: hexn(s.flags),
          line: s.line,
          backing: v
            ? {
                type: v.type,
                start: hexn(v.start),
                end: hexn(v.end),
                pageSize: v.type === 'anon' ? v.pageSize : undefined,
                pfn: v.type === 'anon' ? hexn(v.pfn) : undefined,
                pgoff: v.type === 'pfnmap' ? hexn(v.pgoff) : undefined,
                cache: v.type === 'pfnmap' ? (['none', 'I', 'W', 'IW'][(v.cache & 0x20 ? 1 : 0) + (v.cache & 0x40 ? 2 : 0)] as string) : undefined,
                line: v.line,
              }
            : null,
          slotPhysCount: s.physp.nonZeroCount,
          hasIo,
        };
      });
    const i = this.pos;
    const ret = i >= 0 && this.executed ? e.ret(i) : RET_NONE;
    return {
      record: i,
      line: i >= 0 ? e.line(i) : 0,
      hcall: i >= 0 ? { name: this.hcallName(i), ret: ret === RET_NONE ? null : returnCodeName(ret), line: e.line(i) } : null,
      cpu: m.arch206 ? 'power7' : 'ppc970',
      kernel: m.kernel,
      pageSize: ps,
      hptOrder: m.hptOrder,
      validHptes: countValid(m),
      memslots,
      current: { slot: i >= 0 ? e.slot(i) : -1, physIndex: i >= 0 ? e.physIndex(i) : -1, hptIndex: i >= 0 ? e.hptIndex(i) : -1 },
    };
  }

  private slotPhys(args: P.SlotPhysArgs): P.SlotPhysResponse {
    const e = this.need();
    const m = e.m;
    const s = m.memslots[args?.slot];
    if (!s) throw new Error(`no memslot ${args?.slot}`);
    const start = Math.max(0, args.start ?? 0);
    const count = Math.min(Math.max(1, args.count ?? 256), 4096);
    const idx = s.physp.scan((_i, w, b) => w[b] !== 0 || w[b + 1] !== 0, start, count);
    return {
      slot: s.id,
      total: s.physp.nonZeroCount,
      entries: idx.map((k) => {
        const hi = s.physp.get(k, 0);
        const lo = s.physp.get(k, 1);
        const pfn = hi * 2 ** (32 - m.pageShift) + Math.floor(lo / m.pageSize);
        return {
          index: k,
          gfn: hexn(s.baseGfn + k),
          value: hexOf(hi, lo),
          pfn: hexn(pfn),
          order: lo & 0x1f,
          flags: [lo & 0x80 ? 'GOT_PAGE' : '', lo & 0x20 ? 'NO_CACHE' : '', lo & 0x40 ? 'WRITETHRU' : ''].filter(Boolean),
          io: (lo & 0x60) !== 0,
        };
      }),
    };
  }
}
