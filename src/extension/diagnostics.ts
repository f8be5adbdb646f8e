/**
 * Problems for open traces: the parser's collect-all errors and the static host-state check, with
 * the exact token ranges the core reports. Recomputed after a pause in typing; an edit during the
 * pause (or during the work) cancels the pending run.
 */
import * as vscode from 'vscode';
import { TraceError } from '../core/records';
import { forget, modelOf } from './modelCache';
import { settings } from './settings';

export const LANGUAGE_ID = 'hptrace';

export function toDiagnostic(e: TraceError, doc: vscode.TextDocument, source: string): vscode.Diagnostic {
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

  constructor() {
    this.subs.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document, settings().diagnosticsDelay)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.cancel(d.uri);
        this.collection.delete(d.uri);
        forget(d);
      }),
    );
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
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

  dispose(): void {
    for (const k of [...this.pending.keys()]) this.cancel(k);
    this.subs.forEach((s) => s.dispose());
    this.collection.dispose();
    this.onDidUpdate.dispose();
  }
}
