/**
 * The Trace Overview panel and the "Compare State With Line…" command. The panel follows the active
 * hptrace debug session (custom requests, see src/debug/overviewRequests.ts) and, without one, the
 * active .hptrace editor (an engine of its own in the extension host, read in slices that yield).
 * Only pre-aggregated data crosses to the webview: bins, PTEG cells, a position.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { recordsThroughLine } from '../../core/compare';
import { Engine } from '../../core/engine';
import {
  answerOverviewRequest,
  CompareResponse,
  OverviewHost,
  OverviewResponse,
  PtegMap,
  REQUEST_COMPARE,
  REQUEST_FIND_KIND,
  REQUEST_OVERVIEW,
  REQUEST_PTEG_MAP,
} from '../../debug/overviewRequests';
import { DEBUG_TYPE, SessionState } from '../sessionState';
import { newNonce, overviewHtml } from './overviewHtml';

const FAILURE_KINDS = ['H_PARAMETER', 'H_PTEG_FULL', 'H_NOT_FOUND', 'failure'];
/** How long a click waits for the panel's own focus to land before it focuses the editor (ms). */
const FOCUS_SETTLE_MS = 600;

/** Where the overview's data comes from: the debug session, or the trace file on its own. */
interface Source {
  readonly key: string;
  readonly file: string;
  readonly session?: vscode.DebugSession;
  request<T>(command: string, args: Record<string, unknown>): Promise<T>;
}

/** A trace file read by an engine in the extension host, for the overview without a session. */
class FileSource implements Source {
  readonly key: string;
  private readonly e: Engine;
  private readonly host: OverviewHost;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly onProgress: (text: string) => void,
  ) {
    this.key = 'file:' + file;
    this.e = new Engine(file);
    this.host = {
      engine: () => this.e,
      index: async (enough) => {
        const e = this.e;
        let last = 0;
        while (!enough() && !e.complete) {
          const end = performance.now() + 20;
          for (let n = 0; !enough() && e.explore(); n++) if ((n & 63) === 63 && performance.now() > end) break;
          if (performance.now() - last > 250) {
            last = performance.now();
            this.onProgress(
              `reading the trace: line ${e.lastLine.toLocaleString()}, ${Math.round((100 * e.bytesRead) / Math.max(1, e.fileSize))}%`,
            );
          }
          await new Promise((r) => setImmediate(r));
        }
        this.onProgress('');
      },
    };
  }

  /** Requests run one at a time: the engine is a single machine. */
  request<T>(command: string, args: Record<string, unknown>): Promise<T> {
    const p = this.busy.then(() => answerOverviewRequest(this.host, command, args) as Promise<T>);
    this.busy = p.catch(() => undefined);
    return p;
  }

  /** Moves the engine's machine to the state after `line` (for the PTEG map at the cursor). */
  seekAfterLine(line: number): Promise<void> {
    const p = this.busy.then(() => {
      if (this.e.error && this.e.error.line <= line) return;
      this.e.seek(recordsThroughLine(this.e, line));
    });
    this.busy = p.catch(() => undefined);
    return p;
  }

  dispose(): void {
    this.e.close();
  }
}

class SessionSource implements Source {
  readonly key: string;
  readonly file: string;
  constructor(readonly session: vscode.DebugSession) {
    this.key = 'session:' + session.id;
    const t = session.configuration.trace;
    this.file = typeof t === 'string' ? t : '';
  }
  async request<T>(command: string, args: Record<string, unknown>): Promise<T> {
    return (await this.session.customRequest(command, args)) as T;
  }
}

/** Request-to-drawn timings of the last overview (for tests and the bench notes). */
export interface OverviewTimings {
  requestMs: number;
  drawMs: number;
  totalMs: number;
  bins: number;
  pixels?: Record<string, number>;
}

export class OverviewPanel implements vscode.Disposable {
  static current: OverviewPanel | undefined;
  private readonly panel: vscode.WebviewPanel;
  private readonly subs: vscode.Disposable[] = [];
  private source: Source | undefined;
  private fileSource: FileSource | undefined;
  private ready = false;
  private bins = 512;
  private range: { fromLine?: number; toLine?: number } = {};
  private seq = 0;
  private sentAt = new Map<number, { t0: number; requestMs: number; bins: number }>();
  private ptegTimer: NodeJS.Timeout | undefined;
  private position = 0;
  /** Sessions that have ended (the store and activeDebugSession may still name one for a moment). */
  private readonly ended = new Set<string>();
  lastTimings: OverviewTimings | undefined;
  /** Resolved on every 'drawn' message (tests wait for them). */
  private drawnWaiters: ((t: OverviewTimings) => void)[] = [];

  static show(ctx: vscode.ExtensionContext, store: SessionState): OverviewPanel {
    if (OverviewPanel.current) {
      OverviewPanel.current.panel.reveal(undefined, true);
      void OverviewPanel.current.refresh();
      return OverviewPanel.current;
    }
    const media = vscode.Uri.file(path.join(ctx.extensionPath, 'media', 'overview'));
    const panel = vscode.window.createWebviewPanel(
      'hptrace.overview',
      'Trace Overview',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [media], retainContextWhenHidden: true },
    );
    OverviewPanel.current = new OverviewPanel(panel, media, store);
    return OverviewPanel.current;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    media: vscode.Uri,
    private readonly store: SessionState,
  ) {
    this.panel = panel;
    const w = panel.webview;
    w.html = overviewHtml({
      cspSource: w.cspSource,
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(media, 'overview.js')).toString(),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(media, 'overview.css')).toString(),
      nonce: newNonce(),
    });
    this.subs.push(
      panel.onDidDispose(() => this.dispose()),
      w.onDidReceiveMessage((m) => void this.onMessage(m)),
      store.onDidChange(() => this.onStop()),
      vscode.debug.onDidTerminateDebugSession((s) => {
        this.ended.add(s.id);
        setTimeout(() => void this.refresh(), 100);
      }),
      vscode.window.onDidChangeActiveTextEditor((ed) => {
        if (ed && ed.document.languageId === 'hptrace' && !this.sessionNow()) void this.refresh();
      }),
      vscode.window.onDidChangeTextEditorSelection((ev) => {
        const src = this.source;
        if (!(src instanceof FileSource) || ev.textEditor.document.uri.fsPath !== src.file) return;
        this.position = ev.selections[0].active.line + 1;
        void this.post({ type: 'position', line: this.position });
        this.schedulePteg();
      }),
    );
  }

  private sessionNow(): vscode.DebugSession | undefined {
    for (const s of [this.store.session, vscode.debug.activeDebugSession])
      if (s && s.type === DEBUG_TYPE && !this.ended.has(s.id)) return s;
    return undefined;
  }

  private post(m: unknown): Thenable<boolean> {
    return this.panel.webview.postMessage(m);
  }

  private status(text: string): void {
    void this.post({ type: 'status', text });
  }

  /** Picks the source: the hptrace session, else the active (or last) .hptrace editor. */
  private pickSource(): Source | undefined {
    const s = this.sessionNow();
    if (s) {
      if (this.source?.key !== 'session:' + s.id) this.source = new SessionSource(s);
      return this.source;
    }
    const ed = vscode.window.activeTextEditor;
    const file =
      ed && ed.document.languageId === 'hptrace' && ed.document.uri.scheme === 'file'
        ? ed.document.uri.fsPath
        : this.fileSource?.file;
    if (!file) return undefined;
    if (this.fileSource?.file !== file) {
      this.fileSource?.dispose();
      this.fileSource = new FileSource(file, (t) => this.status(t));
      this.range = {};
    }
    if (ed && ed.document.uri.fsPath === file) this.position = ed.selection.active.line + 1;
    this.source = this.fileSource;
    return this.source;
  }

  /** Asks for the bins and the PTEG map and sends them to the webview. */
  async refresh(): Promise<void> {
    if (!this.ready) return;
    const src = this.pickSource();
    if (!src) {
      this.status('Open a .hptrace file or start an hptrace debug session.');
      return;
    }
    void this.post({
      type: 'source',
      text: `${path.basename(src.file)}${src.session ? ' — debug session' : ' — file (no debug session)'}`,
      session: !!src.session,
    });
    const seq = ++this.seq;
    try {
      if (src.session) this.position = this.store.state?.line ?? this.position;
      const t0 = performance.now();
      const data = await src.request<OverviewResponse>(REQUEST_OVERVIEW, {
        ...this.range,
        bins: this.bins,
        index: true,
      });
      const requestMs = performance.now() - t0;
      if (seq !== this.seq) return;
      this.sentAt.set(seq, { t0, requestMs, bins: data.bins });
      if (src instanceof FileSource) await src.seekAfterLine(this.position);
      const pteg = await src.request<PtegMap>(REQUEST_PTEG_MAP, { cells: 4096 });
      if (seq !== this.seq) return;
      void this.post({ type: 'pteg', data: pteg, position: this.position });
      void this.post({ type: 'overview', data, seq, position: this.position });
    } catch (e) {
      this.status(`overview failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** After a stop: move the cursor and redraw the PTEG map. */
  private onStop(): void {
    const src = this.source;
    const s = this.sessionNow();
    if (!s) return;
    if (!src || src.key !== 'session:' + s.id) {
      void this.refresh();
      return;
    }
    if (this.store.state) {
      this.position = this.store.state.line;
      void this.post({ type: 'position', line: this.position });
    }
    this.schedulePteg();
  }

  private schedulePteg(): void {
    if (this.ptegTimer) return;
    this.ptegTimer = setTimeout(async () => {
      this.ptegTimer = undefined;
      const src = this.source;
      if (!src) return;
      try {
        if (src instanceof FileSource) await src.seekAfterLine(this.position);
        const pteg = await src.request<PtegMap>(REQUEST_PTEG_MAP, { cells: 4096 });
        void this.post({ type: 'pteg', data: pteg, position: this.position });
      } catch {
        /* the session may be running: the next stop refreshes */
      }
    }, 120);
  }

  private async onMessage(m: {
    type: string;
    bins?: number;
    fromLine?: number;
    toLine?: number;
    kind?: string | null;
    seq?: number;
    ms?: number;
    what?: string;
    pixels?: Record<string, number>;
  }): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (typeof m.bins === 'number') this.bins = m.bins;
        return this.refresh();
      case 'bins':
        // the panel was resized: the same range in as many bins as it is wide now
        if (typeof m.bins !== 'number' || m.bins === this.bins) return;
        this.bins = m.bins;
        return this.refresh();
      case 'range':
        if (typeof m.bins === 'number') this.bins = m.bins;
        this.range = m.fromLine !== undefined ? { fromLine: m.fromLine, toLine: m.toLine } : {};
        return this.refresh();
      case 'click':
        return this.jump(m.fromLine ?? 1, m.toLine ?? m.fromLine ?? 1, m.kind ?? null);
      case 'compare':
        await vscode.commands.executeCommand('hptrace.compareWithLine');
        return;
      case 'drawn': {
        const sent = m.what === 'overview' && m.seq !== undefined ? this.sentAt.get(m.seq) : undefined;
        if (sent) {
          this.sentAt.delete(m.seq!);
          this.lastTimings = {
            requestMs: sent.requestMs,
            drawMs: m.ms ?? 0,
            totalMs: performance.now() - sent.t0,
            bins: sent.bins,
            pixels: m.pixels,
          };
          for (const w of this.drawnWaiters.splice(0)) w(this.lastTimings);
        }
        return;
      }
    }
  }

  /** Waits for the next overview drawing (tests). */
  nextDrawn(): Promise<OverviewTimings> {
    return new Promise((r) => this.drawnWaiters.push(r));
  }

  /** A click on the timeline: the first result of the clicked kind in the bin, else the bin's start. */
  private async jump(fromLine: number, toLine: number, kind: string | null): Promise<void> {
    const src = this.source;
    if (!src) return;
    let line = fromLine;
    try {
      const kinds = kind === 'anyFailure' ? FAILURE_KINDS : kind ? [kind] : [];
      let best = 0;
      for (const k of kinds) {
        const r = await src.request<{ line: number }>(REQUEST_FIND_KIND, { kind: k, fromLine, toLine });
        if (r.line > 0 && (best === 0 || r.line < best)) best = r.line;
      }
      if (best > 0) line = best;
      if (src.session) {
        await src.session.customRequest('evaluate', { expression: `goto ${line}`, context: 'repl' });
      } else {
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(src.file));
        await this.focusSettled(FOCUS_SETTLE_MS);
        const ed = await vscode.window.showTextDocument(doc, {
          viewColumn: vscode.ViewColumn.One,
          preserveFocus: false,
        });
        const p = new vscode.Position(Math.max(0, line - 1), 0);
        ed.selection = new vscode.Selection(p, p);
        ed.revealRange(new vscode.Range(p, p), vscode.TextEditorRevealType.InCenter);
      }
    } catch (e) {
      void vscode.window.showWarningMessage(
        `hptrace: could not go to line ${line}: ${e instanceof Error ? e.message : e}`,
      );
    }
  }

  /**
   * Resolves once the panel is active, or after `ms`. A click in the webview focuses it, and VS Code
   * learns of that focus by polling the webview's document (every 50-250 ms, by version): the news
   * can come after the click's message, and then activates the panel's group after the editor was
   * shown, leaving the status bar without the editor's line (seen on VS Code 1.100 in about one run
   * of the e2e tier in three). Waiting for it first keeps the editor active.
   */
  private focusSettled(ms: number): Promise<void> {
    if (this.panel.active) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      };
      const timer = setTimeout(done, ms);
      const sub = this.panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.active) done();
      });
    });
  }

  /** The comparison from the session's stop (or the editor's cursor) to a line, via the current source. */
  async compare(toLine: number, fromLine?: number): Promise<CompareResponse | undefined> {
    const src = this.pickSource();
    if (!src) return undefined;
    return src.request<CompareResponse>(REQUEST_COMPARE, { toLine, ...(fromLine !== undefined ? { fromLine } : {}) });
  }

  dispose(): void {
    if (OverviewPanel.current === this) OverviewPanel.current = undefined;
    if (this.ptegTimer) clearTimeout(this.ptegTimer);
    this.fileSource?.dispose();
    this.subs.forEach((s) => s.dispose());
    this.panel.dispose();
  }
}

/** A comparison from a source without opening the panel. */
async function compareVia(
  store: SessionState,
  toLine: number,
  fileFallback: string | undefined,
  fromLine: number | undefined,
): Promise<CompareResponse> {
  const s = store.session ?? vscode.debug.activeDebugSession;
  if (s && s.type === DEBUG_TYPE) return (await s.customRequest(REQUEST_COMPARE, { toLine })) as CompareResponse;
  if (!fileFallback) throw new Error('no hptrace debug session and no .hptrace editor');
  const src = new FileSource(fileFallback, () => undefined);
  try {
    return await src.request<CompareResponse>(REQUEST_COMPARE, { toLine, fromLine: fromLine ?? 0 });
  } finally {
    src.dispose();
  }
}

/** Registers the overview's commands. One call from extension.ts. */
export function registerOverview(ctx: vscode.ExtensionContext, store: SessionState): void {
  ctx.subscriptions.push(
    vscode.commands.registerCommand('hptrace.showOverview', () => {
      OverviewPanel.show(ctx, store);
    }),
    vscode.commands.registerCommand('hptrace.overviewTimings', async (waitNext?: boolean) => {
      const p = OverviewPanel.current;
      if (!p) return undefined;
      return waitNext ? p.nextDrawn() : p.lastTimings;
    }),
    vscode.commands.registerCommand('hptrace.compareWithLine', async (line?: number) => {
      const ed = vscode.window.activeTextEditor;
      const traceEd = ed && ed.document.languageId === 'hptrace' ? ed : undefined;
      const session = store.session ?? vscode.debug.activeDebugSession;
      const inSession = !!session && session.type === DEBUG_TYPE;
      let to = typeof line === 'number' ? line : undefined;
      if (to === undefined) {
        const input = await vscode.window.showInputBox({
          title: 'Compare State With Line',
          prompt: inSession
            ? `Compare the state at the current stop (line ${store.state?.line ?? '?'}) with the state after line…`
            : 'Compare the state after the cursor line with the state after line…',
          value: traceEd ? String(traceEd.selection.active.line + 1) : '',
          validateInput: (v) => (/^\s*\d+\s*$/.test(v) ? undefined : 'a line number'),
        });
        if (input === undefined) return undefined;
        to = Number(input.trim());
      }
      try {
        const from = !inSession && traceEd ? traceEd.selection.active.line + 1 : undefined;
        const c = await compareVia(store, to, traceEd?.document.uri.fsPath, from);
        const doc = await vscode.workspace.openTextDocument({ content: c.text, language: 'plaintext' });
        await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
        return c.text;
      } catch (e) {
        void vscode.window.showWarningMessage(`hptrace: compare failed: ${e instanceof Error ? e.message : e}`);
        return undefined;
      }
    }),
    { dispose: () => OverviewPanel.current?.dispose() },
  );
}
