/**
 * The one line reader of the project: every file the CLI, the debugger's engine and the adapter read
 * line by line goes through ByteLines. Fixed-size positional reads, no whole-file string (a 1 GB trace
 * does not fit in one V8 string), and bounded memory for any input: a line that is certainly longer
 * than MAX_LINE_LENGTH is not buffered but counted while it streams past (a 600 MB line costs one read
 * buffer, not 1.4 GB), and reported with the same message the parser gives for a line it sees whole
 * (lineTooLong): "line is N characters long (limit 65536)".
 */
import * as fs from 'fs';
import { emptyTrace, lineTooLong, MAX_LINE_LENGTH, newParserState, parseHcallBytes, parseLineGeneric } from './parser';
import { reusableHcallRecord } from './parser';
import { TraceError } from './records';

export const READ_CHUNK = 1024 * 1024;

/**
 * A line of more bytes than this (without its line break) has more than MAX_LINE_LENGTH characters
 * whatever its bytes are: UTF-8 needs at most 3 bytes per UTF-16 code unit. Shorter lines are handed
 * over whole and the parser measures them as text.
 */
export const MAX_LINE_BYTES = 3 * MAX_LINE_LENGTH;

/** An over-long line is counted up to this many bytes; past that it is reported as "longer than". */
export const LONG_LINE_SCAN_LIMIT = 1 << 30;

/**
 * Counts the UTF-16 code units that decoding a byte stream as UTF-8 yields, exactly as Buffer's
 * toString('utf8') and TextDecoder do (the WHATWG decoder: one U+FFFD per maximal bad subpart), fed in
 * pieces with no buffering. So the length reported for a streamed line is the text.length the editor
 * (which holds the decoded text) would see.
 */
export class Utf16Counter {
  count = 0;
  private needed = 0;
  private seen = 0;
  private lower = 0x80;
  private upper = 0xbf;

  feed(buf: Uint8Array, from: number, to: number): void {
    let count = this.count;
    for (let i = from; i < to; i++) {
      const b = buf[i];
      if (this.needed === 0) {
        if (b < 0x80) count++;
        else if (b >= 0xc2 && b <= 0xdf) this.needed = 1;
        else if (b >= 0xe0 && b <= 0xef) {
          if (b === 0xe0) this.lower = 0xa0;
          else if (b === 0xed) this.upper = 0x9f;
          this.needed = 2;
        } else if (b >= 0xf0 && b <= 0xf4) {
          if (b === 0xf0) this.lower = 0x90;
          else if (b === 0xf4) this.upper = 0x8f;
          this.needed = 3;
        } else count++; // a byte that cannot start a sequence: U+FFFD
        continue;
      }
      if (b < this.lower || b > this.upper) {
        // The sequence so far is one U+FFFD; this byte starts afresh.
        this.needed = this.seen = 0;
        this.lower = 0x80;
        this.upper = 0xbf;
        count++;
        i--;
        continue;
      }
      this.lower = 0x80;
      this.upper = 0xbf;
      if (++this.seen === this.needed) {
        count += this.needed === 3 ? 2 : 1; // 4-byte sequences are surrogate pairs
        this.needed = this.seen = 0;
      }
    }
    this.count = count;
  }

  /** The count at the end of the stream (an unfinished sequence is one U+FFFD). */
  finish(): number {
    if (this.needed !== 0) {
      this.count++;
      this.needed = this.seen = 0;
      this.lower = 0x80;
      this.upper = 0xbf;
    }
    return this.count;
  }
}

/** A path that is not a regular file: nothing is read from it. The CLI turns it into exit 1. */
export class NotRegularFileError extends Error {
  constructor(readonly file: string) {
    super(`${file}: not a regular file`);
    this.name = 'NotRegularFileError';
  }
}

export interface ByteLinesOptions {
  /** Bytes asked of each read (tests use tiny ones); the buffer is never smaller than a longest line. */
  chunk?: number;
  /** The file's name, for the error on a file that is not a regular one. */
  file?: string;
  /** Byte offset and line number to start at (a line start). */
  startOffset?: number;
  startLine?: number;
  /**
   * Read the file as if it ended at this byte offset: a bounded look at the start of a file of any
   * size (the last line may be cut there).
   */
  endOffset?: number;
}

/** What ByteLines.next() found. */
export const enum LineKind {
  End = 0,
  Line = 1,
  /** A line too long to parse: `tooLong` holds its length, `atLeast` says it is a lower bound. */
  TooLong = 2,
}

/**
 * Pull reader over an open file descriptor of a regular file (anything else is refused: it throws). After next() returns LineKind.Line, buf[start, end) is the
 * line without its LF or CRLF, lineNo its 1-based number and offset the byte offset of its start; buf
 * is reused by the next call. Memory: one buffer of max(chunk, 2 * MAX_LINE_BYTES) bytes, whatever the
 * input.
 */
export class ByteLines {
  buf: Buffer;
  start = 0;
  end = 0;
  lineNo: number;
  offset = 0;
  tooLong = 0;
  atLeast = false;
  /** File size when opened (for progress). */
  readonly size: number;
  private view: Buffer;
  private have = 0;
  private scan = 0;
  private bufStart: number;
  private eof = false;
  private readonly chunk: number;
  private readonly endOffset: number;

  constructor(
    private readonly fd: number,
    opts: ByteLinesOptions = {},
  ) {
    this.chunk = Math.max(1, opts.chunk ?? READ_CHUNK);
    this.buf = Buffer.allocUnsafe(Math.max(this.chunk, 2 * MAX_LINE_BYTES + 4));
    this.view = this.buf.subarray(0, 0);
    this.bufStart = opts.startOffset ?? 0;
    this.lineNo = (opts.startLine ?? 1) - 1;
    this.endOffset = opts.endOffset ?? Infinity;
    const st = fs.fstatSync(fd);
    // A device (/dev/zero), a FIFO or a socket may never end: only regular files are read.
    if (!st.isFile()) throw new NotRegularFileError(opts.file ?? 'input');
    this.size = st.size;
  }

  /** Byte offset of the next unread line. */
  get nextOffset(): number {
    return this.bufStart + this.scan;
  }

  private read(): void {
    if (this.scan > 0) {
      if (this.have > this.scan) this.buf.copy(this.buf, 0, this.scan, this.have);
      this.bufStart += this.scan;
      this.have -= this.scan;
      this.scan = 0;
    }
    const want = Math.min(this.chunk, this.buf.length - this.have, this.endOffset - this.bufStart - this.have);
    const n = want > 0 ? fs.readSync(this.fd, this.buf, this.have, want, this.bufStart + this.have) : 0;
    if (n === 0) this.eof = true;
    this.have += n;
    this.view = this.have === this.buf.length ? this.buf : this.buf.subarray(0, this.have);
  }

  next(): LineKind {
    for (;;) {
      const s = this.scan;
      const e = this.have > s ? this.view.indexOf(10, s) : -1;
      if (e >= 0 || (this.eof && s < this.have)) {
        const stop = e >= 0 ? e : this.have;
        this.start = s;
        this.end = stop > s && this.buf[stop - 1] === 13 ? stop - 1 : stop;
        this.offset = this.bufStart + s;
        this.lineNo++;
        this.scan = e >= 0 ? e + 1 : this.have;
        return LineKind.Line;
      }
      if (this.eof) return LineKind.End;
      if (this.have - s > MAX_LINE_BYTES + 1) return this.skipLongLine();
      this.read();
    }
  }

  /** Counts the rest of a line that cannot be valid without keeping it; leaves the reader after it. */
  private skipLongLine(): LineKind {
    const counter = new Utf16Counter();
    this.offset = this.bufStart + this.scan;
    this.lineNo++;
    let scanned = 0;
    let lastCr = false;
    for (;;) {
      const s = this.scan;
      const e = this.view.indexOf(10, s);
      const stop = e >= 0 ? e : this.have;
      if (stop > s) {
        counter.feed(this.buf, s, stop);
        lastCr = this.buf[stop - 1] === 13;
        scanned += stop - s;
      }
      this.scan = e >= 0 ? e + 1 : this.have;
      if (e >= 0 || this.eof) break;
      if (scanned >= LONG_LINE_SCAN_LIMIT) {
        // Give up on this input: the rest is not read (the caller stops at this error anyway).
        this.tooLong = counter.finish();
        this.atLeast = true;
        this.eof = true;
        this.scan = this.have = 0;
        return LineKind.TooLong;
      }
      this.read();
    }
    this.tooLong = counter.finish() - (lastCr ? 1 : 0);
    this.atLeast = false;
    return LineKind.TooLong;
  }

  /** The error for the line next() just reported as TooLong. */
  tooLongError(file: string): TraceError {
    return lineTooLong(file, this.lineNo, this.tooLong, this.atLeast);
  }
}

function withFile<T>(file: string, f: (fd: number) => T): T {
  const fd = fs.openSync(file, 'r');
  try {
    return f(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Each line as text, with its 1-based number and (when asked, else -1) its byte offset. Stops when cb
 * returns false. Throws the positioned TraceError of an over-long line when it reaches one.
 */
export function forEachLine(
  file: string,
  cb: (line: string, lineNo: number, offset: number) => boolean | void,
  withOffsets = false,
  startOffset = 0,
  startLine = 1,
): void {
  withFile(file, (fd) => {
    const r = new ByteLines(fd, { startOffset, startLine, file });
    for (;;) {
      const k = r.next();
      if (k === LineKind.End) return;
      if (k === LineKind.TooLong) throw r.tooLongError(file);
      if (cb(r.buf.toString('utf8', r.start, r.end), r.lineNo, withOffsets ? r.offset : -1) === false) return;
    }
  });
}

/** How forEachLineBytes reads. */
export interface EachLineOptions {
  /** Bytes asked of each read (tests use tiny ones). */
  chunk?: number;
  /** Read the file as if it ended here (ByteLinesOptions.endOffset). */
  endOffset?: number;
  /**
   * Pass over an over-long line (counted while it streams, never buffered, and not handed to the
   * callback) instead of throwing its error: for a reader that only looks for some lines.
   */
  skipTooLong?: boolean;
}

/**
 * The same lines as forEachLine, as bytes: cb(buf, start, end, lineNo) with buf[start, end) the line
 * without its LF or CRLF. No string per line (the caller decodes only the lines it must, as UTF-8);
 * buf is reused, so the callback must not keep it. Throws the TraceError of an over-long line, unless
 * told to skip it.
 */
export function forEachLineBytes(
  file: string,
  cb: (buf: Buffer, start: number, end: number, lineNo: number) => boolean | void,
  opts: EachLineOptions = {},
): void {
  withFile(file, (fd) => {
    const r = new ByteLines(fd, { chunk: opts.chunk, endOffset: opts.endOffset, file });
    for (;;) {
      const k = r.next();
      if (k === LineKind.End) return;
      if (k === LineKind.TooLong) {
        if (opts.skipTooLong) continue;
        throw r.tooLongError(file);
      }
      if (cb(r.buf, r.start, r.end, r.lineNo) === false) return;
    }
  });
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
  try {
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
  } catch (e) {
    if (!(e instanceof TraceError)) throw e;
    error = e;
  }
  if (!error && !st.sawHeader) error = emptyTrace(file);
  return error;
}

/**
 * Why a path cannot be read as a trace, or null: only regular files this process may read are read (a
 * device such as /dev/zero, a FIFO or a directory never ends or never was a trace). The reason is
 * said after the file's name, `FILE: why`, by every caller: the CLI and the debug adapter.
 */
export function notReadableTrace(file: string): string | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    return whyUnreadable(e);
  }
  if (st.isDirectory()) return 'is a directory';
  if (!st.isFile()) return 'not a regular file';
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (e) {
    return whyUnreadable(e);
  }
  return null;
}

/**
 * Whether notReadableTrace's reason says the path itself is wrong (nothing there, or a folder): a
 * command line's mistake (usage, exit 2), where the other reasons are the input's (exit 1).
 */
export function isPathMistake(why: string | null): boolean {
  return why === 'no such file' || why === 'is a directory';
}

/** What an error from opening or reading a file means, in notReadableTrace's words. */
export function whyUnreadable(e: unknown): string {
  if (e instanceof NotRegularFileError) return 'not a regular file';
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : `cannot read (${code ?? 'error'})`;
}
