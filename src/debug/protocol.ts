/**
 * hptrace's own DAP extensions: the custom requests and the event the extension's views use.
 * Shared by the adapter (which answers them) and the extension (which asks); no vscode import.
 *
 * After every stop the adapter sends the custom event `hptrace.stateChanged`; the views then ask
 * `hptrace.machineState` (cheap: counts and memslots, no big tables) and page through slot_phys
 * with `hptrace.slotPhys`. Hex values are lower-case `0x` strings, as in the CLI's JSON.
 */

export const EVENT_STATE_CHANGED = 'hptrace.stateChanged';
export const REQUEST_MACHINE_STATE = 'hptrace.machineState';
export const REQUEST_SLOT_PHYS = 'hptrace.slotPhys';

export interface StateChangedEvent {
  /** 0-based index of the current record among the trace's records, and its 1-based line. */
  record: number;
  line: number;
}

export interface BackingInfo {
  type: 'anon' | 'pfnmap' | 'other';
  start: string;
  end: string;
  /** anon: backing page size in bytes. */
  pageSize?: number;
  pfn?: string;
  pgoff?: string;
  /** pfnmap: 'none' | 'I' | 'W' | 'IW'. */
  cache?: string;
  line: number;
}

export interface MemslotInfo {
  id: number;
  baseGfn: string;
  npages: string;
  /** Guest physical range, half-open like the trace format's ranges: [gpaStart, gpaEnd). */
  gpaStart: string;
  gpaEnd: string;
  hva: string;
  flags: string;
  line: number;
  /** The vma holding the slot's first page, if any. */
  backing: BackingInfo | null;
  /** Non-zero slot_phys entries of this slot. */
  slotPhysCount: number;
  /** Whether any slot_phys entry of this slot carries I/O cache bits. */
  hasIo: boolean;
}

export interface MachineStateResponse {
  record: number;
  line: number;
  /** The current hcall's name and result, when the current record is an hcall. */
  hcall: { name: string; ret: string | null; line: number } | null;
  cpu: 'power7' | 'ppc970';
  kernel: 'io' | 'pre-io';
  pageSize: number;
  hptOrder: number;
  validHptes: number;
  memslots: MemslotInfo[];
  /** What the current hcall used: memslot, slot_phys index and HPT index (-1 when none). */
  current: { slot: number; physIndex: number; hptIndex: number };
}

export interface SlotPhysArgs {
  slot: number;
  /** Return entries with index >= start, at most count of them (non-zero entries only). */
  start?: number;
  count?: number;
}

export interface SlotPhysEntry {
  index: number;
  gfn: string;
  value: string;
  pfn: string;
  order: number;
  /** Names of the set low bits: GOT_PAGE, NO_CACHE, WRITETHRU. */
  flags: string[];
  io: boolean;
}

export interface SlotPhysResponse {
  slot: number;
  total: number;
  entries: SlotPhysEntry[];
}

/**
 * Launch configuration of the `hptrace` debug type (package.json's configurationAttributes mirror it).
 */
export interface HptraceLaunchArguments {
  trace: string;
  /** Stop at the first hcall before it executes (default true). */
  stopOnEntry?: boolean;
  kernel?: 'io' | 'pre-io';
  /** Exception filters to enable in addition to those the client sets (e.g. ["H_PTEG_FULL"]). */
  breakOn?: string[];
  /** Log the DAP traffic to the debug console. */
  logging?: boolean;
}
