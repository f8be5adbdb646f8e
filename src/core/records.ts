/** The records of a parsed trace, format 1 and 2 (see docs/trace-format.md). Line and column numbers are 1-based. */

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
  /**
   * Format 2: argument registers given as `?` (not in the capture), bit k for r(4+k); their halves
   * are 0. Absent or 0 when every given argument is known.
   */
  unknownArgs?: number;
  /** Format 2: `-> ?`, the capture saw the call but not the result the guest got. */
  resultUnknown?: boolean;
}

/** Format 2: what the trace covers and where it came from (before any hpte or hcall record). */
export interface CoverageRecord {
  kind: 'coverage';
  line: number;
  coverage: 'complete' | 'partial';
  /** Reason codes (COVERAGE_REASONS), in the order given. */
  why: string[];
  /** Where the trace came from: capture kinds such as ftrace, trace-cmd, perf, smaps, htab. */
  from: string[];
  /** The host CPU that took the capture (power7, power8, power9), or '' when not said. */
  host: string;
}

/** Format 2: one HPT entry loaded as starting state (an htab dump line), before the first hcall. */
export interface HpteRecord {
  kind: 'hpte';
  line: number;
  /** Columns of the index token. */
  col: number;
  endCol: number;
  index: number;
  vHi: number;
  vLo: number;
  rHi: number;
  rLo: number;
  /** The reverse map's guest r (the dump's last column); r when not given. */
  gHi: number;
  gLo: number;
}

/** The reason codes a coverage record may give, with what each means in plain words. */
export const COVERAGE_REASONS: readonly { readonly code: string; readonly text: string }[] = [
  {
    code: 'virtual-mode',
    text: 'the host (POWER9 path) runs the HPT hcalls in virtual mode, so every one of them passed the kvm_hcall tracepoints',
  },
  {
    code: 'real-mode',
    text: 'the host (POWER7/POWER8) finishes most HPT hcalls in real mode, where no tracepoint fires: the trace holds mostly the calls that went on to virtual mode, so a replay from an empty HPT will differ from what the guest saw',
  },
  {
    code: 'host-unknown',
    text: 'the host CPU that took the capture was not given, so it is taken to be a POWER7/POWER8 whose real-mode hcalls are missing',
  },
  {
    code: 'passed-to-qemu',
    text: 'some hcalls were passed on to QEMU (H_TOO_HARD): the result the guest got is not in the capture (shown as "-> ?")',
  },
  {
    code: 'bulk-truncated',
    text: 'H_BULK_REMOVE is recorded with its first two pairs only (w0..w3); w4..w7 are unknown (shown as "?")',
  },
  { code: 'lost-events', text: 'some enter events have no exit event: their results are unknown' },
  { code: 'no-outputs', text: 'no output registers are recorded, so only return codes can be compared' },
  { code: 'htab-start', text: 'the HPT starts from an htab dump (hpte records) instead of empty' },
];

export type TraceRecord =
  | HeaderRecord
  | CpuRecord
  | HostRecord
  | HptRecord
  | VmaRecord
  | MunmapRecord
  | MemslotRecord
  | HcallRecord
  | CoverageRecord
  | HpteRecord;

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
