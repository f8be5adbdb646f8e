/**
 * Worker thread (dist/traceWorker.js) for the whole-file check of large traces: the full parse and
 * the host-state pass run here, off the extension host's thread. The worker keeps each document's
 * text: the first request brings it (or a path to read when the document is saved and unchanged),
 * later ones only the edits since (typing never copies the whole text on the extension host), with
 * the expected length as a check; a mismatch answers `resync` and the host sends the text again.
 * Output: the errors as plain objects.
 */
import { readFileSync } from 'fs';
import { parentPort } from 'worker_threads';
import { KernelVariant } from '../core/machine';
import { TraceModel } from './traceModel';

export interface TextEdit {
  offset: number;
  length: number;
  text: string;
}

export interface CheckRequest {
  id: number;
  /** The document (its URI); the worker keeps its text under this key. */
  key?: string;
  text?: string;
  path?: string;
  /** Edits since the last request for `key`, in order, and the document's length after them. */
  edits?: TextEdit[];
  length?: number;
  /** Drop the kept text of `key` (the document was closed); no reply. */
  forget?: boolean;
  file: string;
  kernel: KernelVariant;
}

export interface PlainError {
  line: number;
  col: number;
  endCol: number;
  detail: string;
  source: 'parser' | 'host state';
}

export interface CheckReply {
  id: number;
  errors?: PlainError[];
  failure?: string;
  /** The worker has no (or a different) text for the key: send the whole text. */
  resync?: boolean;
  ms: number;
}

const docs = new Map<string, string>();

/** Applies edits in order (each offset is into the text as the previous edits left it). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  for (const e of edits) text = text.slice(0, e.offset) + e.text + text.slice(e.offset + e.length);
  return text;
}

export function check(req: CheckRequest): CheckReply {
  const t0 = Date.now();
  try {
    let text: string;
    if (req.text !== undefined || req.path !== undefined) text = req.text ?? readFileSync(req.path!, 'utf8');
    else {
      const kept = req.key === undefined ? undefined : docs.get(req.key);
      if (kept === undefined) return { id: req.id, resync: true, ms: Date.now() - t0 };
      text = applyEdits(kept, req.edits ?? []);
      if (req.length !== undefined && text.length !== req.length) {
        docs.delete(req.key!);
        return { id: req.id, resync: true, ms: Date.now() - t0 };
      }
    }
    if (req.key !== undefined) docs.set(req.key, text);
    const m = new TraceModel(text, req.file, req.kernel);
    const plain =
      (source: PlainError['source']) =>
      (e: PlainError | { line: number; col: number; endCol: number; detail: string }) => ({
        line: e.line,
        col: e.col,
        endCol: e.endCol,
        detail: e.detail,
        source,
      });
    return {
      id: req.id,
      errors: [...m.parseErrors.map(plain('parser')), ...m.validationErrors.map(plain('host state'))],
      ms: Date.now() - t0,
    };
  } catch (e) {
    return { id: req.id, failure: e instanceof Error ? e.message : String(e), ms: Date.now() - t0 };
  }
}

parentPort?.on('message', (req: CheckRequest) => {
  if (req.forget) {
    if (req.key !== undefined) docs.delete(req.key);
    return;
  }
  parentPort!.postMessage(check(req));
});
