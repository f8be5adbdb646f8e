/**
 * Streaming line reader over a file: fixed-size reads, no whole-file string (a 1 GB trace does not
 * fit in one V8 string). Calls back with each line, its 1-based number and its byte offset.
 */
import * as fs from 'fs';
import { StringDecoder } from 'string_decoder';
import { newParserState, parseHcallBytes, parseLineGeneric, reusableHcallRecord } from './parser';
import { TraceError } from './records';

export const READ_CHUNK = 1024 * 1024;

/** Byte offsets cost a byteLength per line, so they are computed only when asked for (else -1). */
export function forEachLine(
  file: string,
  cb: (line: string, lineNo: number, offset: number) => boolean | void,
  withOffsets = false,
  startOffset = 0,
  startLine = 1,
): void {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    const dec = new StringDecoder('utf8');
    let carry = '';
    let carryOffset = startOffset;
    let pos = startOffset;
    let lineNo = startLine;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, READ_CHUNK, pos);
      const chunk = n > 0 ? dec.write(buf.subarray(0, n)) : dec.end();
      pos += n;
      const text = carry + chunk;
      let start = 0;
      let lineOffset = carryOffset;
      for (;;) {
        const e = text.indexOf('\n', start);
        if (e < 0) break;
        const line = text.charCodeAt(e - 1) === 13 ? text.slice(start, e - 1) : text.slice(start, e);
        if (cb(line, lineNo, withOffsets ? lineOffset : -1) === false) return;
        lineNo++;
        if (withOffsets) lineOffset += Buffer.byteLength(text.slice(start, e + 1), 'utf8');
        start = e + 1;
      }
      carry = text.slice(start);
      carryOffset = lineOffset;
      if (n === 0) {
        if (carry.length)
          cb(
            carry.charCodeAt(carry.length - 1) === 13 ? carry.slice(0, -1) : carry,
            lineNo,
            withOffsets ? carryOffset : -1,
          );
        return;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The same lines as forEachLine, as bytes: cb(buf, start, end, lineNo) with buf[start, end) the line
 * without its LF or CRLF. No string per line (the caller decodes only the lines it must, as UTF-8);
 * buf is reused, so the callback must not keep it. A line longer than the read buffer grows it.
 */
export function forEachLineBytes(
  file: string,
  cb: (buf: Buffer, start: number, end: number, lineNo: number) => boolean | void,
  chunkSize = READ_CHUNK,
): void {
  const fd = fs.openSync(file, 'r');
  try {
    let buf = Buffer.allocUnsafe(chunkSize);
    let have = 0;
    let lineNo = 1;
    for (;;) {
      if (have === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      const n = fs.readSync(fd, buf, have, buf.length - have, null);
      const total = have + n;
      const view = n === buf.length - have ? buf : buf.subarray(0, total);
      let s = 0;
      for (;;) {
        const e = view.indexOf(10, s);
        if (e < 0) break;
        const stop = e > s && buf[e - 1] === 13 ? e - 1 : e;
        if (cb(buf, s, stop, lineNo) === false) return;
        lineNo++;
        s = e + 1;
      }
      if (n === 0) {
        if (s < total) cb(buf, s, buf[total - 1] === 13 ? total - 1 : total, lineNo);
        return;
      }
      have = total - s;
      if (s > 0 && have > 0) buf.copy(buf, 0, s, total);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The first syntax error of a trace file, or null: what parseAll(readFileSync(file), file, 1) finds,
 * without the whole-file string or a record object per line (hcall lines go through the byte
 * scanner). About ten times faster on big traces, in constant memory.
 */
export function firstSyntaxError(file: string): TraceError | null {
  const st = newParserState(file);
  const rec = reusableHcallRecord();
  let error: TraceError | null = null;
  forEachLineBytes(file, (buf, start, end, lineNo) => {
    if (parseHcallBytes(st, lineNo, buf, start, end, rec) >= 0) return;
    try {
      parseLineGeneric(st, lineNo, buf.toString('utf8', start, end));
    } catch (e) {
      if (!(e instanceof TraceError)) throw e;
      error = e;
      return false;
    }
  });
  if (!error && !st.sawHeader) error = new TraceError(file, 1, 1, 2, 'empty trace: expected the header "hptrace 1"');
  return error;
}
