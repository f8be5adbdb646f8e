/**
 * Streaming line reader over a file: fixed-size reads, no whole-file string (a 1 GB trace does not
 * fit in one V8 string). Calls back with each line, its 1-based number and its byte offset.
 */
import * as fs from 'fs';
import { StringDecoder } from 'string_decoder';

export const READ_CHUNK = 4 * 1024 * 1024;

/** Byte offsets cost a byteLength per line, so they are computed only when asked for (else -1). */
export function forEachLine(file: string, cb: (line: string, lineNo: number, offset: number) => boolean | void, withOffsets = false, startOffset = 0, startLine = 1): void {
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
        if (carry.length) cb(carry.charCodeAt(carry.length - 1) === 13 ? carry.slice(0, -1) : carry, lineNo, withOffsets ? carryOffset : -1);
        return;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}
