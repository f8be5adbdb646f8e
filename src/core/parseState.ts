/**
 * What the trace reader keeps between lines, the format version it knows, and the one error for an
 * over-long line and for a file with no header. Shared by the general parser (parser.ts) and the
 * hcall fast path (hcallBytes.ts).
 */
import { TraceError } from './records';

/** Longer lines (in UTF-16 code units, as text.length counts) are refused before any work is done on them. */
export const MAX_LINE_LENGTH = 65536;

/**
 * The one error for a line over MAX_LINE_LENGTH, whoever measured it: the parser on a line's text, or
 * the line reader (lines.ts) while streaming a line it will not buffer. atLeast: the reader stopped
 * counting, n is a lower bound.
 */
export function lineTooLong(file: string, lineNo: number, n: number, atLeast = false): TraceError {
  return new TraceError(
    file,
    lineNo,
    MAX_LINE_LENGTH + 1,
    MAX_LINE_LENGTH + 2,
    atLeast
      ? `line is longer than ${n} characters (limit ${MAX_LINE_LENGTH})`
      : `line is ${n} characters long (limit ${MAX_LINE_LENGTH})`,
  );
}

/** What a trace starts with: the parser's error for another first record says it, and so does the adapter. */
export const HEADER_EXPECTED = 'expected the header "hptrace 1" or "hptrace 2" as the first record';

/** The one error for a file with no record at all (nothing, or blank and comment lines only). */
export function emptyTrace(file: string): TraceError {
  return new TraceError(file, 1, 1, 2, 'empty trace: expected the header "hptrace 1" or "hptrace 2"');
}

export interface ParserState {
  file: string;
  sawHeader: boolean;
  sawHcall: boolean;
  sawHostObject: boolean;
  /** Format version from the header; undefined (a state made to re-read one line) reads as the newest. */
  version?: number;
  /** Format 2: an hpte record was read (the HPT order is fixed from then on). */
  sawHpte?: boolean;
  sawCoverage?: boolean;
}

export function newParserState(file: string): ParserState {
  return { file, sawHeader: false, sawHcall: false, sawHostObject: false, version: 0 };
}

/** The newest format version this reader knows. */
export const FORMAT_VERSION = 2;
export const isV2 = (st: ParserState): boolean => st.version === undefined || st.version >= 2;
