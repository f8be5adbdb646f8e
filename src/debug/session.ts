/**
 * The hptrace debug session: DAP only (no vscode import), usable as its own process or inline. It
 * translates between the protocol and the runtime (runtime/runtime.ts), which owns the position and
 * all motion and emits the stops this class reports.
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
 *
 * Lines and columns: the runtime counts lines from 1; every line and column this class sends or
 * reads goes through the client's linesStartAt1 / columnsStartAt1 (convert*Line*, convert*Column*).
 */
import * as path from 'path';
import {
  Event,
  ContinuedEvent,
  InitializedEvent,
  Logger,
  logger,
  LoggingDebugSession,
  OutputEvent,
  ProgressEndEvent,
  ProgressStartEvent,
  ProgressUpdateEvent,
  Source,
  StackFrame,
  StoppedEvent,
  TerminatedEvent,
  Thread,
} from '@vscode/debugadapter';
import { DebugProtocol } from '@vscode/debugprotocol';
import { resultName } from '../core/bits';
import { launchCoverageNote } from '../core/coverage';
import { KERNEL_VARIANTS, KernelVariant } from '../core/machine';
import { dataIdOfExpression } from './breakpoints/data';
import { parseBreakOn } from './breakpoints/exceptions';
import { FilterSetting } from './breakpoints/registry';
import {
  setDataBreakpoints,
  setExceptionFilters,
  setFunctionBreakpoints,
  setLineBreakpoints,
} from './breakpoints/requests';
import { capabilities } from './capabilities';
import { evaluateText } from './evaluate';
import { Expr } from './expr';
import { Explanation } from './explanation';
import { EVENT_STATE_CHANGED, HptraceLaunchArguments, StateChangedEvent } from './protocol';
import { ProgressReport } from './runtime/slices';
import { OutputEvent as RuntimeOutput, Runtime, StopEvent } from './runtime/runtime';
import { stopScopes } from './scopes';
import './overviewRequests'; // registers the overview's custom requests
import { hcallLinesOf, notATrace } from './traceFiles';
import { VarStore } from './variables';
import { CUSTOM_REQUESTS } from './viewRequests';

type LaunchArgs = DebugProtocol.LaunchRequestArguments & HptraceLaunchArguments;

interface FrameInfo {
  record: number;
  executed: boolean;
  explainFn?: string;
}

export class HptraceDebugSession extends LoggingDebugSession {
  private readonly rt = new Runtime();
  private launchArgs: LaunchArgs | null = null;
  private readonly vars = new VarStore();
  private frames = new Map<number, FrameInfo>();
  private nextFrame = 1;
  private sources = new Map<number, { expl: Explanation; fn: string }>();
  private nextSource = 1;
  private lastStop: StopEvent | null = null;
  private supportsProgress = false;
  private configDone!: Promise<void>;
  private resolveConfigDone!: () => void;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.configDone = new Promise((r) => (this.resolveConfigDone = r));
    this.rt.on('stop', (s) => this.onStop(s));
    this.rt.on('output', (o: RuntimeOutput) => this.output(o.text, o.category, o.line));
    this.rt.on('progress', (p) => this.onProgress(p));
  }

  // ---- plumbing --------------------------------------------------------------------------

  /** `initialize` without pathFormat means `path` (the protocol's default). */
  protected override dispatchRequest(request: DebugProtocol.Request): void {
    if (request.command === 'initialize') {
      const a = (request.arguments ?? {}) as DebugProtocol.InitializeRequestArguments;
      request.arguments = { ...a, pathFormat: a.pathFormat ?? 'path' };
    }
    super.dispatchRequest(request);
  }

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

  private clientLine(line: number): number {
    return this.convertDebuggerLineToClient(line);
  }

  private debuggerLine(line: unknown): number {
    if (typeof line !== 'number' || !Number.isSafeInteger(line)) throw new Error(`line ${String(line)} is not a line`);
    return this.convertClientLineToDebugger(line);
  }

  private output(text: string, category: 'console' | 'stderr' = 'console', line?: number): void {
    const ev = new OutputEvent(text.endsWith('\n') ? text : text + '\n', category) as DebugProtocol.OutputEvent;
    if (line !== undefined && this.rt.loaded) {
      ev.body.source = this.traceSource();
      ev.body.line = this.clientLine(line);
      ev.body.column = this.convertDebuggerColumnToClient(1);
    }
    this.sendEvent(ev);
  }

  private onProgress(p: ProgressReport): void {
    if (!this.supportsProgress) return;
    if (p.kind === 'start') {
      const ev = new ProgressStartEvent(p.id, p.title!, p.message) as DebugProtocol.ProgressStartEvent;
      ev.body.cancellable = true;
      ev.body.percentage = p.percentage;
      this.sendEvent(ev);
    } else if (p.kind === 'update') {
      const ev = new ProgressUpdateEvent(p.id, p.message) as DebugProtocol.ProgressUpdateEvent;
      ev.body.percentage = p.percentage;
      this.sendEvent(ev);
    } else this.sendEvent(new ProgressEndEvent(p.id));
  }

  /** A runtime stop as DAP: the stopped event, then hptrace's stateChanged for the views. */
  private onStop(s: StopEvent): void {
    this.vars.clear();
    this.frames.clear();
    this.lastStop = s;
    const pos = this.rt.pos;
    const ev = new StoppedEvent(s.reason, this.rt.threadOf(pos), s.text) as DebugProtocol.StoppedEvent;
    ev.body.description = s.description;
    if (!s.text) ev.body.text = s.description;
    ev.body.allThreadsStopped = true;
    if (s.hitIds?.length) ev.body.hitBreakpointIds = s.hitIds;
    this.sendEvent(ev);
    const e = this.rt.loaded;
    const body: StateChangedEvent = { record: pos, line: pos >= 0 && e ? e.line(pos) : 0 };
    this.sendEvent(new Event(EVENT_STATE_CHANGED, body));
  }

  /** Answers at once, then runs `move` (which reports its stop through the runtime). */
  private motion(response: DebugProtocol.Response, move: () => unknown): void {
    this.guard(response, () => {
      this.rt.idle();
      this.sendResponse(response);
      void move();
    });
  }

  // ---- initialize / launch ---------------------------------------------------------------

  protected override initializeRequest(
    response: DebugProtocol.InitializeResponse,
    args: DebugProtocol.InitializeRequestArguments,
  ): void {
    this.supportsProgress = !!args?.supportsProgressReporting;
    response.body = capabilities();
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.resolveConfigDone();
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArgs): void {
    this.guard(response, async () => {
      if (this.rt.running) throw new Error('the replay is running');
      logger.setup(args?.logging ? Logger.LogLevel.Verbose : Logger.LogLevel.Stop, false);
      this.open(args);
      const cov = launchCoverageNote(this.rt.engine().file); // format 2: say at launch whether the trace is partial, and why
      if (cov) this.sendEvent(new OutputEvent(cov.text + '\n', cov.partial ? 'important' : 'console'));
      this.sendResponse(response);
      // Breakpoints arrive between initialized and configurationDone; wait for them (bounded).
      await Promise.race([this.configDone, new Promise((r) => setTimeout(r, 2000))]);
      this.rt.start(this.launchArgs?.stopOnEntry !== false);
    });
  }

  /** Checks the launch configuration and opens the trace; a malformed trace throws its positioned error. */
  private open(args: LaunchArgs): void {
    if (!args || typeof args.trace !== 'string' || !args.trace)
      throw new Error('launch: "trace" (the path of an .hptrace file) is required');
    const kernel = (args.kernel ?? 'io') as KernelVariant;
    if (!KERNEL_VARIANTS.includes(kernel))
      throw new Error(`launch: "kernel" must be one of ${KERNEL_VARIANTS.join(', ')}`);
    const breakOn = parseBreakOn(args.breakOn);
    this.launchArgs = null;
    this.rt.open(path.resolve(args.trace), kernel, breakOn);
    this.launchArgs = args;
  }

  protected override restartRequest(
    response: DebugProtocol.RestartResponse,
    args: DebugProtocol.RestartArguments,
  ): void {
    this.guard(response, () => {
      const a = (args?.arguments as LaunchArgs | undefined) ?? this.launchArgs;
      if (!a) throw new Error('restart: nothing was launched');
      this.open(a);
      this.sendResponse(response);
      this.rt.start(a.stopOnEntry !== false);
    });
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.rt.close();
    this.sendResponse(response);
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.rt.cancel();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  // ---- motion ----------------------------------------------------------------------------

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    response.body = { allThreadsContinued: true };
    this.motion(response, () => this.rt.continue());
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    this.motion(response, () => this.rt.reverseContinue());
  }

  protected override nextRequest(response: DebugProtocol.NextResponse): void {
    this.motion(response, () => this.rt.next());
  }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse): void {
    this.motion(response, () => this.rt.stepBack());
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse): void {
    this.motion(response, () => this.rt.stepIn());
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    this.motion(response, () => this.rt.stepOut());
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.rt.pause();
    this.sendResponse(response);
  }

  protected override cancelRequest(response: DebugProtocol.CancelResponse): void {
    this.rt.cancel();
    this.sendResponse(response);
  }

  protected override gotoTargetsRequest(
    response: DebugProtocol.GotoTargetsResponse,
    args: DebugProtocol.GotoTargetsArguments,
  ): void {
    this.guard(response, async () => {
      const e = this.rt.idle();
      const k = await this.rt.recordForLine(this.debuggerLine(args?.line));
      const line = k < 0 ? 0 : this.clientLine(e.line(k));
      response.body = { targets: k < 0 ? [] : [{ id: k + 1, label: `line ${line}: ${e.hcall(k)!.name}`, line }] };
      this.sendResponse(response);
    });
  }

  protected override gotoRequest(response: DebugProtocol.GotoResponse, args: DebugProtocol.GotoArguments): void {
    this.guard(response, () => {
      const e = this.rt.idle();
      const k = Number(args?.targetId) - 1;
      if (!Number.isSafeInteger(k) || k < 0 || k >= e.count || !e.isHcall(k))
        throw new Error(`goto: unknown target ${args?.targetId}; ask gotoTargets for a line first`);
      this.sendResponse(response);
      this.rt.goto(k);
    });
  }

  // ---- breakpoints -----------------------------------------------------------------------

  /**
   * Why lines of `p` cannot be read for breakpoints, or undefined when they can: after a launch only
   * the launched trace; before it, a regular file that starts with the `hptrace` header.
   */
  private unreadable(p: unknown): string | undefined {
    if (typeof p !== 'string' || !p) return 'no source path';
    if (this.launchArgs)
      return path.resolve(p) === path.resolve(this.launchArgs.trace) ? undefined : 'not the trace being debugged';
    return notATrace(path.resolve(p));
  }

  protected override breakpointLocationsRequest(
    response: DebugProtocol.BreakpointLocationsResponse,
    args: DebugProtocol.BreakpointLocationsArguments,
  ): void {
    this.guard(response, () => {
      const p = args?.source?.path;
      const first = this.debuggerLine(args?.line);
      const last = args.endLine === undefined ? first : this.debuggerLine(args.endLine);
      const count = Math.max(0, Math.min(last - first + 1, 100000));
      const lines = Array.from({ length: count }, (_x, k) => first + k);
      const ok = this.unreadable(p) ? new Set<number>() : hcallLinesOf(path.resolve(p!), lines);
      response.body = {
        breakpoints: [...ok].sort((a, b) => a - b).map((line) => ({ line: this.clientLine(line) })),
      };
      this.sendResponse(response);
    });
  }

  protected override setBreakPointsRequest(
    response: DebugProtocol.SetBreakpointsResponse,
    args: DebugProtocol.SetBreakpointsArguments,
  ): void {
    this.guard(response, () => {
      const p = args?.source?.path;
      const asked = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }) as DebugProtocol.SourceBreakpoint);
      const lines = asked.map((b) => this.debuggerLine(b?.line));
      const why = this.unreadable(p);
      const ok = why ? new Set<number>() : hcallLinesOf(path.resolve(p!), lines);
      const result = setLineBreakpoints(this.rt.bps, asked, lines, ok, why);
      response.body = { breakpoints: result.map((b, k) => ({ ...b, line: asked[k].line })) };
      this.sendResponse(response);
    });
  }

  protected override setFunctionBreakPointsRequest(
    response: DebugProtocol.SetFunctionBreakpointsResponse,
    args: DebugProtocol.SetFunctionBreakpointsArguments,
  ): void {
    this.guard(response, () => {
      response.body = { breakpoints: setFunctionBreakpoints(this.rt.bps, args?.breakpoints ?? []) };
      this.sendResponse(response);
    });
  }

  protected override setExceptionBreakPointsRequest(
    response: DebugProtocol.SetExceptionBreakpointsResponse,
    args: DebugProtocol.SetExceptionBreakpointsArguments,
  ): void {
    this.guard(response, () => {
      const list: FilterSetting[] = [
        ...(args?.filters ?? []).map((f) => ({ filter: f })),
        ...(args?.filterOptions ?? []).map((o) => ({ filter: o.filterId, condition: o.condition })),
      ];
      response.body = { breakpoints: setExceptionFilters(this.rt.bps, list) };
      this.sendResponse(response);
    });
  }

  protected override dataBreakpointInfoRequest(
    response: DebugProtocol.DataBreakpointInfoResponse,
    args: DebugProtocol.DataBreakpointInfoArguments,
  ): void {
    this.guard(response, () => {
      const name = String(args?.name);
      const found = args.variablesReference
        ? this.vars.dataIdOf(args.variablesReference, name)
        : dataIdOfExpression(name);
      response.body = found
        ? {
            dataId: found.dataId,
            description: `${found.description} changes`,
            accessTypes: ['write'],
            canPersist: true,
          }
        : {
            dataId: null,
            description: `${name} cannot be watched: data breakpoints go on an HPT slot or a slot_phys entry (e.g. hpt[0x100], slot_phys[0][0x10])`,
          };
      this.sendResponse(response);
    });
  }

  protected override setDataBreakpointsRequest(
    response: DebugProtocol.SetDataBreakpointsResponse,
    args: DebugProtocol.SetDataBreakpointsArguments,
  ): void {
    this.guard(response, () => {
      response.body = { breakpoints: setDataBreakpoints(this.rt.bps, args?.breakpoints ?? []) };
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
    const e = this.rt.loaded;
    const vcpus = e ? [...e.vcpus].sort((a, b) => a - b) : [];
    if (!vcpus.length) vcpus.push(0);
    response.body = { threads: vcpus.map((v) => new Thread(v + 1, `vcpu ${v}`)) };
    this.sendResponse(response);
  }

  private traceSource(): Source {
    const f = this.rt.engine().file;
    return new Source(path.basename(f), this.convertDebuggerPathToClient(f));
  }

  /** A stack frame with a new id, at a 1-based line of `source`. */
  private frame(info: FrameInfo, name: string, source?: Source, line = 0): DebugProtocol.StackFrame {
    const id = this.nextFrame++;
    this.frames.set(id, info);
    if (!source) return new StackFrame(id, name);
    return new StackFrame(id, name, source, this.clientLine(line), this.convertDebuggerColumnToClient(1));
  }

  protected override stackTraceRequest(
    response: DebugProtocol.StackTraceResponse,
    args: DebugProtocol.StackTraceArguments,
  ): void {
    this.guard(response, () => {
      const e = this.rt.idle();
      const { pos, executed, expl } = this.rt;
      const frames: DebugProtocol.StackFrame[] = [];
      if (args?.threadId === this.rt.threadOf(pos) || pos < 0) {
        if (expl && pos >= 0)
          for (const f of expl.frames()) {
            const src = new Source(`${f.fn}.c`, undefined, this.sourceRef(expl, f.fn), 'hptrace explanation');
            frames.push(this.frame({ record: pos, executed: true, explainFn: f.fn }, f.fn, src, f.line));
          }
        if (pos >= 0) {
          const rec = e.hcall(pos)!;
          const name = executed ? `${rec.name} → ${resultName(e.ret(pos))}` : `${rec.name} (not executed yet)`;
          frames.push(this.frame({ record: pos, executed }, name, this.traceSource(), rec.line));
        } else
          frames.push(
            this.frame({ record: -1, executed: false }, 'no hcall', this.traceSource(), Math.max(1, e.lastLine)),
          );
      } else {
        // Another vcpu: its latest hcall at or before the current position.
        const vcpu = Number(args?.threadId) - 1;
        let k = executed ? pos : pos - 1;
        while (k >= 0 && !(e.isHcall(k) && e.vcpu(k) === vcpu)) k--;
        if (k >= 0) {
          const name = `${e.hcall(k)!.name} (earlier, vcpu ${vcpu})`;
          frames.push(this.frame({ record: k, executed: true }, name, this.traceSource(), e.line(k)));
        } else frames.push(this.frame({ record: -1, executed: false }, `vcpu ${vcpu}: no hcall yet`));
      }
      const start = Math.max(0, Number(args.startFrame) || 0);
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
      const ref = args?.source?.sourceReference ?? args?.sourceReference;
      const s = this.sources.get(ref);
      if (!s) throw new Error(`unknown sourceReference ${ref}`);
      response.body = { content: s.expl.text(s.fn as never), mimeType: 'text/x-c' };
      this.sendResponse(response);
    });
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.guard(response, () => {
      const e = this.rt.idle();
      const f = this.frames.get(args?.frameId);
      if (!f) throw new Error(`unknown frameId ${args?.frameId}`);
      const full = () => (f.record === this.rt.pos ? this.rt.fullResult() : e.explain(f.record));
      const expl = f.explainFn ? this.rt.expl : null;
      const scopes = stopScopes({ e, pos: f.record, executed: f.executed, full }, expl).map((s) => {
        const scope: DebugProtocol.Scope = {
          name: s.name,
          variablesReference: this.vars.add({ name: s.name, value: '', children: s.build }),
          expensive: false,
        };
        if (s.hint) scope.presentationHint = s.hint;
        return scope;
      });
      response.body = { scopes };
      this.sendResponse(response);
    });
  }

  protected override variablesRequest(
    response: DebugProtocol.VariablesResponse,
    args: DebugProtocol.VariablesArguments,
  ): void {
    this.guard(response, () => {
      this.rt.idle();
      response.body = { variables: this.vars.variables(args?.variablesReference, args) };
      this.sendResponse(response);
    });
  }

  protected override evaluateRequest(
    response: DebugProtocol.EvaluateResponse,
    args: DebugProtocol.EvaluateArguments,
  ): void {
    this.guard(response, async () => {
      if (this.rt.running) throw new Error('the replay is running; pause it first');
      const cmd = evaluateText(args?.expression, args?.context, this.rt.loaded?.m ?? null, this.rt.resolver());
      if (cmd.kind === 'text') {
        response.body = { result: cmd.text, variablesReference: 0 };
      } else if (cmd.kind === 'node') {
        const n = cmd.node;
        response.body = { result: n.value, variablesReference: n.children || n.indexed ? this.vars.add(n) : 0 };
        if (n.indexed) response.body.indexedVariables = n.indexed.count;
      } else if (cmd.kind === 'find') {
        this.rt.engine();
        this.resumedByEvaluate();
        const where = await this.rt.find(Expr.parse(cmd.condition));
        const at = /^line (\d+)$/.exec(where);
        response.body = {
          result: at ? `found at line ${this.clientLine(Number(at[1]))}` : `not found (${where})`,
          variablesReference: 0,
        };
      } else {
        // `goto LINE`: LINE is in the client's numbering, as is the answer.
        const e = this.rt.engine();
        const line = this.debuggerLine(cmd.line);
        if (line < 1) throw new Error(`goto LINE: there is no line ${cmd.line}`);
        const k = await this.rt.recordForLine(line);
        if (k < 0) throw new Error(`goto: no hcall at or after line ${cmd.line}`);
        this.resumedByEvaluate();
        this.rt.goto(k);
        response.body = { result: `at line ${this.clientLine(e.line(k))}`, variablesReference: 0 };
      }
      this.sendResponse(response);
    });
  }

  /** Console find/goto move, and evaluate does not imply running: DAP wants a continued event. */
  private resumedByEvaluate(): void {
    this.sendEvent(new ContinuedEvent(this.rt.threadOf(this.rt.pos), true));
  }

  // ---- custom requests (table: viewRequests.ts) -----------------------------------------

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    // Every custom request is one entry of the handler table (viewRequests.ts, overviewRequests.ts).
    this.guard(response, async () => {
      const handler = CUSTOM_REQUESTS.get(command);
      if (!handler) throw new Error(`unknown request ${command}`);
      const rt = this.rt;
      response.body = await handler({ engine: () => rt.idle(), pos: rt.pos, executed: rt.executed, runtime: rt }, args);
      this.sendResponse(response);
    });
  }
}
