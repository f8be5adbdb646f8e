/**
 * Worker thread (dist/traceWorker.js) for the whole-file check of large traces: the full parse and
 * the host-state pass run here, off the extension host's thread. Input: the text (or a path to read
 * when the document is saved and unchanged), the file name for messages and the kernel. Output: the
 * errors as plain objects.
 */
import { readFileSync } from 'fs';
import { parentPort } from 'worker_threads';
import { KernelVariant } from '../core/machine';
import { TraceModel } from './traceModel';

export interface CheckRequest {
  id: number;
  text?: string;
  path?: string;
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
  ms: number;
}

export function check(req: CheckRequest): CheckReply {
  const t0 = Date.now();
  try {
    const text = req.text ?? readFileSync(req.path!, 'utf8');
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

parentPort?.on('message', (req: CheckRequest) => parentPort!.postMessage(check(req)));
