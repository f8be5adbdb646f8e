/**
 * What the adapter reads from disk, and what it refuses. It reads only regular files: the trace it
 * was launched on, or — before a launch, for setBreakpoints and breakpointLocations — a file whose
 * first record is the `hptrace` header. Anything else (a directory, a device such as /dev/zero, a
 * FIFO, a file that is not a trace) is refused without reading further, with the CLI's messages for
 * the same files (core's notReadableTrace, `FILE: why`, and the parser's positioned header error
 * without the part that quotes the file). Every read goes through the one line reader (ByteLines,
 * src/core/lines.ts): one fixed buffer, an over-long line counted as it streams and never buffered.
 */
import * as fs from 'fs';
import { forEachLineBytes, notReadableTrace, whyUnreadable } from '../core/lines';
import { emptyTrace, HEADER_EXPECTED, lexLine, MAX_LINE_LENGTH, Token } from '../core/parser';
import { TraceError } from '../core/records';

/** How far into a file the header is looked for (blank and comment lines may precede it). */
export const HEADER_SCAN_BYTES = 64 * 1024;

/**
 * Why a path cannot be read as a trace — the message to show, naming the file — or undefined when it
 * is a regular file whose first record is the `hptrace` header. No message quotes the file.
 */
export function notATrace(file: string): string | undefined {
  const why = notReadableTrace(file);
  if (why) return `${file}: ${why}`;
  let first: { lineNo: number; tok: Token } | undefined;
  try {
    forEachLineBytes(
      file,
      (buf, start, end, lineNo) => {
        const tok = lexLine(buf.toString('utf8', start, end))[0];
        if (!tok) return; // blank or comment
        first = { lineNo, tok };
        return false;
      },
      { endOffset: HEADER_SCAN_BYTES },
    );
  } catch (e) {
    // Unreadable after all (permissions, or replaced since the check): say why, never what it holds.
    return `${file}: ${whyUnreadable(e)}`;
  }
  if (first?.tok.text === 'hptrace') return undefined;
  if (first) return new TraceError(file, first.lineNo, first.tok.start + 1, first.tok.end + 1, HEADER_EXPECTED).message;
  if ((fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0) > HEADER_SCAN_BYTES)
    return `${file}: ${HEADER_EXPECTED}, within the first 64 KiB (only blank and comment lines there)`;
  return emptyTrace(file).message;
}

/**
 * Which of `lines` (1-based) hold an hcall record, read from the file (not the engine's index),
 * stopping after the last asked line. A line is an hcall record when its first token is `hcall`, as
 * the parser reads it; an over-long line is none (the parser refuses it; the reader does not even
 * buffer it when it is longer than its buffer).
 */
export function hcallLinesOf(file: string, lines: readonly number[]): Set<number> {
  const want = new Set(lines.filter((l) => Number.isSafeInteger(l) && l > 0));
  const out = new Set<number>();
  let max = 0;
  for (const l of want) if (l > max) max = l;
  if (!max) return out;
  forEachLineBytes(
    file,
    (buf, start, end, lineNo) => {
      if (want.has(lineNo)) {
        const text = buf.toString('utf8', start, end);
        if (text.length <= MAX_LINE_LENGTH && lexLine(text)[0]?.text === 'hcall') out.add(lineNo);
      }
      return lineNo < max;
    },
    { skipTooLong: true },
  );
  return out;
}
