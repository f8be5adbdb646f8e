/**
 * One TraceModel per open document version, shared by diagnostics, hover, symbols and hints so a
 * keystroke parses the text once. Large documents (more than LARGE_TRACE_LINES lines) get a model
 * of their skeleton (hcall lines blanked, see largeTrace.ts), kept across edits inside hcall lines:
 * typing in a 200k-hcall trace costs no parse at all on the extension host.
 */
import * as vscode from 'vscode';
import { hcallGroupsNode, LARGE_TRACE_LINES, Skeleton, skeletonOfText, skeletonSurvives } from './largeTrace';
import { settings } from './settings';
import { SymbolNode } from './symbolTree';
import { TraceModel } from './traceModel';
import { mark } from './timing';

interface Entry {
  version: number;
  kernel: string;
  model: TraceModel;
  skeleton?: Skeleton;
}

const cache = new Map<string, Entry>();

export function isLarge(doc: vscode.TextDocument): boolean {
  return doc.lineCount > LARGE_TRACE_LINES;
}

function fileOf(doc: vscode.TextDocument): string {
  return doc.uri.scheme === 'file' ? doc.uri.fsPath : doc.uri.toString();
}

/**
 * The model of this document version. For a large document it is the skeleton's model: exact for
 * everything the configuration decides (machineAt, host), without the hcall records.
 */
export function modelOf(doc: vscode.TextDocument): TraceModel {
  const key = doc.uri.toString();
  const kernel = settings().kernel;
  const hit = cache.get(key);
  if (hit && hit.version === doc.version && hit.kernel === kernel) return hit.model;
  mark(`model build v${doc.version}`);
  if (isLarge(doc)) {
    const skeleton = skeletonOfText(doc.getText());
    const model = new TraceModel(skeleton.text, fileOf(doc), kernel);
    cache.set(key, { version: doc.version, kernel, model, skeleton });
    mark('model built (skeleton)');
    return model;
  }
  const model = new TraceModel(doc.getText(), fileOf(doc), kernel);
  cache.set(key, { version: doc.version, kernel, model });
  return model;
}

/** The model only if it is already built for this version (callers that must not parse). */
export function cachedModel(doc: vscode.TextDocument): TraceModel | undefined {
  const hit = cache.get(doc.uri.toString());
  return hit && hit.version === doc.version ? hit.model : undefined;
}

/** The outline's hcall groups of a large document (its skeleton's hcall lines), else undefined. */
export function largeHcallsNode(doc: vscode.TextDocument): SymbolNode | undefined {
  modelOf(doc);
  const sk = cache.get(doc.uri.toString())?.skeleton;
  return sk ? hcallGroupsNode(sk.hcallLines) : undefined;
}

/**
 * Keeps a large document's skeleton model across edits that stay inside hcall lines (the common
 * case: editing arguments or results); any other edit drops it.
 */
export function noteChange(e: vscode.TextDocumentChangeEvent): void {
  const key = e.document.uri.toString();
  const hit = cache.get(key);
  if (!hit || !e.contentChanges.length) return;
  const doc = e.document;
  if (
    hit.skeleton &&
    hit.version === doc.version - 1 &&
    isLarge(doc) &&
    skeletonSurvives(
      e.contentChanges.map((c) => ({ startLine: c.range.start.line, endLine: c.range.end.line, text: c.text })),
      hit.skeleton.hcallLines,
      (i) => (i < doc.lineCount ? doc.lineAt(i).text : ''),
    )
  ) {
    hit.version = doc.version;
    return;
  }
  cache.delete(key);
}

export function forget(doc: vscode.TextDocument): void {
  cache.delete(doc.uri.toString());
}

export function forgetAll(): void {
  cache.clear();
}
