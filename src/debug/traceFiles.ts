/**
 * What the adapter reads from disk, and what it refuses. It reads only regular files: the trace it
 * was launched on, or — before a launch, for setBreakpoints and breakpointLocations — a file whose
 * first record is the `hptrace` header. Anything else (a directory, a device such as /dev/zero, a
 * FIFO, a file that is not a trace) is refused without reading further, and no error message ever
 * quotes the content of a file that is not a trace. Reads go in fixed-size chunks, so a huge line
 * costs no memory.
 */
import * as fs from 'fs';

/** How far into a file the header is looked for (blank and comment lines may precede it). */
const HEADER_SCAN_BYTES = 64 * 1024;
const CHUNK = 1024 * 1024;

/** Why a path cannot be read as a trace, or undefined when it is a regular file that starts like one. */
export function notATrace(file: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return 'cannot open it';
  }
  if (!st.isFile()) return st.isDirectory() ? 'it is a directory' : 'it is not a regular file';
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return 'cannot open it';
  }
  try {
    const buf = Buffer.alloc(Math.min(HEADER_SCAN_BYTES, st.size));
    const n = buf.length ? fs.readSync(fd, buf, 0, buf.length, 0) : 0;
    return startsWithHeader(buf.subarray(0, n).toString('latin1'))
      ? undefined
      : 'it does not start with the header "hptrace 1"';
  } catch {
    return 'cannot read it';
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether the first line that is neither blank nor a comment starts with the `hptrace` keyword. */
export function startsWithHeader(text: string): boolean {
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    return /^hptrace(\s|$)/.test(t);
  }
  return false;
}

/**
 * Which of `lines` (1-based) hold an hcall record, read from the file (not the engine's index),
 * stopping after the last asked line. Only a line's first bytes are looked at.
 */
export function hcallLinesOf(file: string, lines: readonly number[]): Set<number> {
  const want = new Set(lines.filter((l) => Number.isSafeInteger(l) && l > 0));
  const out = new Set<number>();
  let max = 0;
  for (const l of want) if (l > max) max = l;
  if (!max) return out;
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let lineNo = 1;
    let head = ''; // the start of the current line, while it is wanted and short
    let pos = 0;
    const PREFIX = 32;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, CHUNK, pos);
      if (n <= 0) break;
      pos += n;
      let s = 0;
      while (s < n) {
        const e = buf.indexOf(10, s);
        const end = e < 0 || e >= n ? n : e;
        if (want.has(lineNo) && head.length < PREFIX)
          head += buf.toString('latin1', s, Math.min(end, s + PREFIX - head.length));
        if (end === n) break;
        if (want.has(lineNo) && /^\s*hcall(\s|$)/.test(head)) out.add(lineNo);
        head = '';
        lineNo++;
        if (lineNo > max) return out;
        s = end + 1;
      }
    }
    if (want.has(lineNo) && /^\s*hcall(\s|$)/.test(head)) out.add(lineNo);
    return out;
  } finally {
    fs.closeSync(fd);
  }
}
