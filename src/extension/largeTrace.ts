/**
 * Big traces in the editor without parsing every hcall on the extension host. Hover, inlay hints,
 * inline values, go to definition and the outline need the host as configured (cpu, page size, hpt
 * order, vmas, memslots) — never the other hcalls — so for a large document they work on a
 * *skeleton*: the text with every hcall line blanked (line numbers kept). Its parse costs a few
 * milliseconds for 200k hcalls; the full parse (diagnostics) runs in a worker thread.
 * No vscode import: unit-tested directly.
 */
import { SymbolNode } from './symbolTree';

/** Documents with more lines than this get the skeleton model and background diagnostics. */
export const LARGE_TRACE_LINES = 20000;
/** The outline of a large trace lists at most this many hcall groups (each a range of lines). */
export const MAX_OUTLINE_GROUPS = 500;

const HCALL_LINE = /^\s*hcall(?:\s|$)/;

/** Whether one line of a trace is an hcall record (blanked in the skeleton). */
export function isHcallLine(text: string): boolean {
  return HCALL_LINE.test(text);
}

export interface Skeleton {
  /** The document's text with every hcall line emptied; same line count, same line numbers. */
  text: string;
  /** 1-based line numbers of the hcall lines, ascending. */
  hcallLines: Int32Array;
}

/** The skeleton of a document given its line count and a line reader (vscode's lineAt, or split text). */
export function skeletonOf(lineCount: number, lineAt: (i: number) => string): Skeleton {
  const parts: string[] = new Array<string>(lineCount);
  let lines = new Int32Array(1024);
  let n = 0;
  for (let i = 0; i < lineCount; i++) {
    const t = lineAt(i);
    // Cheap first test: an hcall line starts with 'h' after optional blanks.
    if ((t.charCodeAt(0) === 104 || t.charCodeAt(0) <= 32) && isHcallLine(t)) {
      parts[i] = '';
      if (n === lines.length) {
        const bigger = new Int32Array(lines.length * 2);
        bigger.set(lines);
        lines = bigger;
      }
      lines[n++] = i + 1;
    } else parts[i] = t;
  }
  return { text: parts.join('\n'), hcallLines: lines.slice(0, n) };
}

/**
 * The same skeleton from the whole text in one string (vscode's getText()): one scan with indexOf,
 * a slice only for the lines kept. On the extension host this is several times cheaper than
 * reading 200k lines through lineAt (each a TextLine with its ranges).
 */
export function skeletonOfText(text: string): Skeleton {
  const parts: string[] = [];
  let lines = new Int32Array(1024);
  let n = 0;
  let line = 0;
  for (let at = 0; at <= text.length; line++) {
    let nl = text.indexOf('\n', at);
    if (nl < 0) nl = text.length;
    const end = nl > at && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    let c = text.charCodeAt(at);
    let p = at;
    while (p < end && (c === 32 || c === 9)) c = text.charCodeAt(++p);
    // an hcall line: optional blanks, 'hcall', then a blank or the end of the line
    if (c === 104 && text.startsWith('hcall', p) && (p + 5 === end || /\s/.test(text[p + 5]))) {
      parts.push('');
      if (n === lines.length) {
        const bigger = new Int32Array(lines.length * 2);
        bigger.set(lines);
        lines = bigger;
      }
      lines[n++] = line + 1;
    } else parts.push(text.slice(at, end));
    at = nl + 1;
    if (nl === text.length) break;
  }
  return { text: parts.join('\n'), hcallLines: lines.slice(0, n) };
}

/** One text edit as vscode reports it: the replaced line range and the inserted text. */
export interface LineEdit {
  startLine: number;
  endLine: number;
  text: string;
}

/**
 * Whether a skeleton stays valid after these edits: each one stays within a single line, inserts no
 * line break, and that line is an hcall line before and after (so the configuration is unchanged).
 * `lineAfter(i)` reads the edited document.
 */
export function skeletonSurvives(
  edits: readonly LineEdit[],
  hcallLines: Int32Array,
  lineAfter: (i: number) => string,
): boolean {
  for (const e of edits) {
    if (e.startLine !== e.endLine || e.text.includes('\n') || e.text.includes('\r')) return false;
    if (!hasLine(hcallLines, e.startLine + 1) || !isHcallLine(lineAfter(e.startLine))) return false;
  }
  return true;
}

function hasLine(sorted: Int32Array, line: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] === line) return true;
    if (sorted[mid] < line) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/**
 * The outline's "Hcalls" node for a large trace: groups of consecutive hcalls (named by their
 * ordinal range, with their line range), at most MAX_OUTLINE_GROUPS of them, no per-hcall leaves.
 */
export function hcallGroupsNode(hcallLines: Int32Array, maxGroups = MAX_OUTLINE_GROUPS): SymbolNode | undefined {
  const n = hcallLines.length;
  if (!n) return undefined;
  let size = 1000;
  while (Math.ceil(n / size) > maxGroups) size *= 10;
  const children: SymbolNode[] = [];
  for (let i = 0; i < n; i += size) {
    const last = Math.min(i + size, n) - 1;
    children.push({
      name: `hcalls ${i + 1}–${last + 1}`,
      detail: `lines ${hcallLines[i]}–${hcallLines[last]}`,
      kind: 'namespace',
      line: hcallLines[i],
      endLine: hcallLines[last],
      children: [],
    });
  }
  return {
    name: 'Hcalls',
    detail: `${n} (large trace: groups of ${size})`,
    kind: 'namespace',
    line: hcallLines[0],
    endLine: hcallLines[n - 1],
    children,
  };
}
