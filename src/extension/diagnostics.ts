/**
 * Problems for open traces: the parser's collect-all errors and the static host-state check, with
 * the exact token ranges the core reports. Recomputed after a pause in typing; an edit during the
 * pause (or during the work) cancels the pending run. Large documents are checked in a worker
 * thread (dist/traceWorker.js) with a progress item in the status bar, so the extension host stays
 * free for typing, hovers and the debugger.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { Worker } from 'worker_threads';
import { TraceError } from '../core/records';
import { backgroundClear } from './backgroundGate';
import { forget, isLarge, modelOf, noteChange } from './modelCache';
import { settings } from './settings';
import { mark } from './timing';
import type { CheckReply, CheckRequest, PlainError, TextEdit } from './traceWorker';

export const LANGUAGE_ID = 'hptrace';
/**
 * A large trace's whole-file check starts this long after it is opened (at least), and never while
 * a debug session is starting (backgroundGate.ts): it must not compete for the CPU with the first
 * stop of "Debug This Trace" run right after opening (issue 12).
 */
export const LARGE_OPEN_DELAY_MS = 1500;

export function toDiagnostic(e: TraceError | PlainError, doc: vscode.TextDocument, source: string): vscode.Diagnostic {
  const line = Math.min(e.line - 1, doc.lineCount - 1);
  const len = doc.lineAt(line).text.length;
  const start = Math.min(e.col - 1, len);
  const end = Math.max(start + 1, Math.min(e.endCol - 1, Math.max(len, start + 1)));
  const d = new vscode.Diagnostic(new vscode.Range(line, start, line, end), e.detail, vscode.DiagnosticSeverity.Error);
  d.source = source;
  return d;
}

export class TraceDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('hptrace');
  private readonly pending = new Map<string, { timer: NodeJS.Timeout; cts: vscode.CancellationTokenSource }>();
  private readonly subs: vscode.Disposable[] = [];
  /** Fires after a document's diagnostics were replaced (tests wait on it). */
  readonly onDidUpdate = new vscode.EventEmitter<vscode.Uri>();
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly replies = new Map<number, (r: CheckReply) => void>();
  /** Large documents whose text the worker keeps, with the edits made since the last request. */
  private readonly synced = new Map<string, TextEdit[]>();

  /** `workerPath`: dist/traceWorker.js; without it large documents are checked on this thread. */
  constructor(private readonly workerPath?: string) {
    this.subs.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, this.openDelay(d))),
      vscode.workspace.onDidChangeTextDocument((e) => {
        noteChange(e);
        const edits = this.synced.get(e.document.uri.toString());
        if (edits)
          for (const c of e.contentChanges) edits.push({ offset: c.rangeOffset, length: c.rangeLength, text: c.text });
        this.schedule(e.document, settings().diagnosticsDelay);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.cancel(d.uri);
        this.collection.delete(d.uri);
        if (this.synced.delete(d.uri.toString()))
          this.worker?.postMessage({ id: 0, key: d.uri.toString(), forget: true, file: '', kernel: 'io' });
        forget(d);
      }),
    );
    for (const d of vscode.workspace.textDocuments) this.schedule(d, this.openDelay(d));
  }

  private openDelay(doc: vscode.TextDocument): number {
    return this.workerPath && doc.languageId === LANGUAGE_ID && isLarge(doc) ? LARGE_OPEN_DELAY_MS : 0;
  }

  private cancel(uri: vscode.Uri | string): void {
    const key = uri.toString();
    const p = this.pending.get(key);
    if (!p) return;
    clearTimeout(p.timer);
    p.cts.cancel();
    p.cts.dispose();
    this.pending.delete(key);
  }

  schedule(doc: vscode.TextDocument, delay: number): void {
    if (doc.languageId !== LANGUAGE_ID) return;
    this.cancel(doc.uri);
    const cts = new vscode.CancellationTokenSource();
    const version = doc.version;
    const timer = setTimeout(() => {
      if (cts.token.isCancellationRequested || doc.version !== version || doc.isClosed) return;
      if (this.workerPath && isLarge(doc)) {
        void this.checkInWorker(doc, version, cts.token);
        return;
      }
      const model = modelOf(doc);
      // The parse is synchronous; an edit that landed meanwhile makes its result stale.
      if (cts.token.isCancellationRequested || doc.version !== version) return;
      this.collection.set(doc.uri, [
        ...model.parseErrors.map((e) => toDiagnostic(e, doc, 'hptrace parser')),
        ...model.validationErrors.map((e) => toDiagnostic(e, doc, 'hptrace host state')),
      ]);
      this.pending.delete(doc.uri.toString());
      this.onDidUpdate.fire(doc.uri);
    }, delay);
    this.pending.set(doc.uri.toString(), { timer, cts });
  }

  /** The whole-file check of a large document, off the extension host's thread, with progress. */
  private async checkInWorker(doc: vscode.TextDocument, version: number, token: vscode.CancellationToken) {
    const key = doc.uri.toString();
    const file = doc.uri.scheme === 'file' ? doc.uri.fsPath : key;
    const request = (full: boolean): CheckRequest => {
      const req: CheckRequest = { id: this.nextId++, key, file, kernel: settings().kernel };
      const edits = this.synced.get(key);
      if (!full && edits) {
        // the worker has the text: only what changed since, and the length as a check
        req.edits = edits.splice(0);
        req.length = doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end);
      } else if (doc.uri.scheme === 'file' && !doc.isDirty) {
        // a saved, unchanged file is read by the worker itself: no 10+ MB string on this thread
        req.path = doc.uri.fsPath;
      } else req.text = doc.getText();
      this.synced.set(key, []);
      return req;
    };
    const ask = (req: CheckRequest) =>
      new Promise<CheckReply>((resolve) => {
        this.replies.set(req.id, resolve);
        this.workerOf().postMessage(req);
      });
    await backgroundClear();
    if (token.isCancellationRequested || doc.version !== version || doc.isClosed) return;
    mark('worker check start');
    const reply = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `hptrace: checking ${path.basename(file)}` },
      async () => {
        const r = await ask(request(false));
        return r.resync ? ask(request(true)) : r;
      },
    );
    mark(`worker check done (${reply.ms} ms in worker)`);
    if (reply.failure) this.synced.delete(key);
    if (token.isCancellationRequested || doc.version !== version || doc.isClosed) return;
    if (reply.failure) {
      this.collection.set(doc.uri, [
        new vscode.Diagnostic(new vscode.Range(0, 0, 0, 1), `hptrace: check failed: ${reply.failure}`),
      ]);
    } else {
      this.collection.set(
        doc.uri,
        (reply.errors ?? []).map((e) => toDiagnostic(e, doc, `hptrace ${e.source}`)),
      );
    }
    this.pending.delete(key);
    this.onDidUpdate.fire(doc.uri);
  }

  private workerOf(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.workerPath!);
    w.on('message', (r: CheckReply) => {
      this.replies.get(r.id)?.(r);
      this.replies.delete(r.id);
    });
    const fail = (why: string) => {
      for (const [id, resolve] of this.replies) resolve({ id, failure: why, ms: 0 });
      this.replies.clear();
      this.synced.clear(); // a new worker knows no text
      if (this.worker === w) this.worker = undefined;
    };
    w.on('error', (e) => fail(e.message));
    w.on('exit', (code) => fail(`worker exited with code ${code}`));
    w.unref();
    this.worker = w;
    return w;
  }

  dispose(): void {
    void this.worker?.terminate();
    this.worker = undefined;
    for (const k of [...this.pending.keys()]) this.cancel(k);
    this.subs.forEach((s) => s.dispose());
    this.collection.dispose();
    this.onDidUpdate.dispose();
  }
}
