/**
 * hptrace's own DAP extensions: the custom requests and the event the extension's views use.
 * Shared by the adapter (which answers them) and the extension (which asks); no vscode import.
 *
 * After every stop the adapter sends the custom event `hptrace.stateChanged`; the views then ask
 * `hptrace.machineState` (cheap: counts and memslots, no big tables) and page through slot_phys
 * with `hptrace.slotPhys`. Hex values are lower-case `0x` strings, as in the CLI's JSON.
 */

import { hexn } from '../core/machine';

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
  /**
   * Exception filters to turn on at launch (e.g. ["H_PTEG_FULL"], or one name as a string). They seed
   * the filter state only: a later setExceptionBreakpoints (the Breakpoints view) replaces it.
   */
  breakOn?: string[] | string;
  /** Log the DAP traffic to the debug console. */
  logging?: boolean;
}

/**
 * Data breakpoint ids: what a data breakpoint watches, written `hpt:INDEX` (an HPT slot) or
 * `slot_phys:SLOT:INDEX` (a slot_phys entry), decimal numbers. This module is the one place that
 * spells them: the adapter's Variables view hands them out, setDataBreakpoints reads them back, and
 * the extension builds them for its slot_phys view.
 */
export type DataWatch = { kind: 'hpt'; index: number } | { kind: 'slot_phys'; slot: number; index: number };

export function formatDataId(w: DataWatch): string {
  return w.kind === 'hpt' ? `hpt:${w.index}` : `slot_phys:${w.slot}:${w.index}`;
}

/** The watch a data id names, or undefined when it is not one of ours. */
export function parseDataId(id: string): DataWatch | undefined {
  const num = (x: string) => (Number.isSafeInteger(Number(x)) ? Number(x) : -1);
  let m = /^hpt:(\d{1,15})$/.exec(id);
  if (m) return { kind: 'hpt', index: num(m[1]) };
  m = /^slot_phys:(\d{1,5}):(\d{1,15})$/.exec(id);
  if (m) return { kind: 'slot_phys', slot: num(m[1]), index: num(m[2]) };
  return undefined;
}

/** How a watch reads to a person: `HPT[0x100]`, `slot_phys[0][0x10]`. */
export function dataLabel(w: DataWatch): string {
  return w.kind === 'hpt' ? `HPT[${hexn(w.index)}]` : `slot_phys[${w.slot}][${hexn(w.index)}]`;
}
