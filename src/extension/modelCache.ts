/**
 * One TraceModel per open document version, shared by diagnostics, hover, symbols and hints so a
 * keystroke parses the text once.
 */
import * as vscode from 'vscode';
import { settings } from './settings';
import { TraceModel } from './traceModel';

const cache = new Map<string, { version: number; kernel: string; model: TraceModel }>();

export function modelOf(doc: vscode.TextDocument): TraceModel {
  const key = doc.uri.toString();
  const kernel = settings().kernel;
  const hit = cache.get(key);
  if (hit && hit.version === doc.version && hit.kernel === kernel) return hit.model;
  const model = new TraceModel(doc.getText(), doc.uri.scheme === 'file' ? doc.uri.fsPath : doc.uri.toString(), kernel);
  cache.set(key, { version: doc.version, kernel, model });
  return model;
}

/** The model only if it is already built for this version (callers that must not parse). */
export function cachedModel(doc: vscode.TextDocument): TraceModel | undefined {
  const hit = cache.get(doc.uri.toString());
  return hit && hit.version === doc.version ? hit.model : undefined;
}

export function forget(doc: vscode.TextDocument): void {
  cache.delete(doc.uri.toString());
}

export function forgetAll(): void {
  cache.clear();
}
