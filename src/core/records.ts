/** The records of a parsed trace (see docs/trace-format.md). Line and column numbers are 1-based. */

export type CacheBits = number; // HPTE_R_I / HPTE_R_W bits, as slot_phys keeps them

export interface HeaderRecord {
  kind: 'header';
  line: number;
  version: number;
}
export interface CpuRecord {
  kind: 'cpu';
  line: number;
  cpu: string;
  arch206: boolean;
}
export interface HostRecord {
  kind: 'host';
  line: number;
  col: number;
  endCol: number;
  pageShift: number;
}
export interface HptRecord {
  kind: 'hpt';
  line: number;
  order: number;
}
export interface VmaRecord {
  kind: 'vma';
  line: number;
  /** Columns of the range token, for positioned errors about the mapping. */
  col: number;
  endCol: number;
  start: number;
  end: number;
  type: 'anon' | 'pfnmap' | 'other';
  /** anon: backing page size in bytes, or 0 for "the host page size". */
  pageSize: number;
  /** anon: pfn of the first page, or -1 for "start >> PAGE_SHIFT". */
  pfn: number;
  /** pfnmap: vm_pgoff. */
  pgoff: number;
  /** pfnmap: cache bits of vm_page_prot as HPTE_R_I | HPTE_R_W. */
  cache: CacheBits;
}
export interface MunmapRecord {
  kind: 'munmap';
  line: number;
  col: number;
  endCol: number;
  start: number;
  end: number;
}
export interface MemslotRecord {
  kind: 'memslot';
  line: number;
  col: number;
  endCol: number;
  id: number;
  delete: boolean;
  /** Either gfn/npages (host pages) or gpa/size (bytes); the other pair is -1. */
  gfn: number;
  npages: number;
  gpa: number;
  size: number;
  hva: number;
  flags: number;
}
export interface HcallRecord {
  kind: 'hcall';
  line: number;
  /** `@SECONDS` time stamp, or -1. */
  time: number;
  /** `vcpu=N`, or -1 when absent. */
  vcpu: number;
  name: string;
  number: number;
  /** r4..r11 as hi/lo halves: argHi[i], argLo[i] for r(4+i); unset registers are 0. */
  argHi: number[];
  argLo: number[];
  /** How many argument registers were given. */
  argCount: number;
  /** Recorded return code value, or null when the record has no `->`. */
  recorded: number | null;
  /** Recorded output registers: register number (4..11) and value halves. */
  recordedRegs: { reg: number; hi: number; lo: number }[];
}

export type TraceRecord =
  HeaderRecord | CpuRecord | HostRecord | HptRecord | VmaRecord | MunmapRecord | MemslotRecord | HcallRecord;

/** A positioned problem in a trace: file:line:col, with the end column of the offending token. */
export class TraceError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    readonly endCol: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${col}: ${detail}`);
    this.name = 'TraceError';
  }
}
