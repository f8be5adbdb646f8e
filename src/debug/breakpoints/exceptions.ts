/**
 * The exception filters: result kinds the session can break on (H_PARAMETER, any failure,
 * divergence …). Each is a cheap test on the engine's per-record arrays.
 */
import { DebugProtocol } from '@vscode/debugprotocol';
import { H_NOT_FOUND, H_PARAMETER, H_PTEG_FULL, RET_NONE } from '../../core/bits';
import { Engine, F } from '../../core/engine';

export interface FilterDef {
  readonly filter: string;
  readonly label: string;
  readonly description: string;
  readonly default: boolean;
  readonly test: (e: Engine, i: number) => boolean;
}

const emulated = (e: Engine, i: number) => (e.flags(i) & F.EMULATED) !== 0 && e.ret(i) !== RET_NONE;

export const FILTERS: readonly FilterDef[] = [
  {
    filter: 'H_PARAMETER',
    label: 'H_PARAMETER',
    description: 'an hcall returns H_PARAMETER',
    default: true,
    test: (e, i) => emulated(e, i) && e.ret(i) === H_PARAMETER,
  },
  {
    filter: 'failure',
    label: 'Any failure',
    description: 'an hcall returns anything but H_SUCCESS',
    default: false,
    test: (e, i) => emulated(e, i) && e.ret(i) !== 0,
  },
  {
    filter: 'H_PTEG_FULL',
    label: 'H_PTEG_FULL',
    description: 'an H_ENTER finds its PTEG (or exact slot) full',
    default: false,
    test: (e, i) => emulated(e, i) && e.ret(i) === H_PTEG_FULL,
  },
  {
    filter: 'H_NOT_FOUND',
    label: 'H_NOT_FOUND',
    description: 'an hcall returns H_NOT_FOUND',
    default: false,
    test: (e, i) => emulated(e, i) && e.ret(i) === H_NOT_FOUND,
  },
  {
    filter: 'divergence',
    label: 'Divergence',
    description: 'the emulation differs from the recorded result',
    default: true,
    test: (e, i) => (e.flags(i) & F.DIVERGED) !== 0,
  },
  {
    filter: 'made-cacheable',
    label: 'Made cacheable',
    description: "H_ENTER silently made a non-cacheable RAM mapping cacheable (the seed's fix-up)",
    default: false,
    test: (e, i) => (e.flags(i) & F.MADE_CACHEABLE) !== 0,
  },
];

const BY_ID = new Map(FILTERS.map((f) => [f.filter, f]));

export function filterDef(id: string): FilterDef | undefined {
  return BY_ID.get(id);
}

export function exceptionFilters(): DebugProtocol.ExceptionBreakpointsFilter[] {
  return FILTERS.map((f) => ({
    filter: f.filter,
    label: f.label,
    description: f.description,
    default: f.default,
    supportsCondition: true,
    conditionDescription: 'e.g. ptel.I && slot.io',
  }));
}

/** The filters the client starts with before it sets any (the defaults). */
export function defaultFilters(): { filter: string }[] {
  return FILTERS.filter((f) => f.default).map((f) => ({ filter: f.filter }));
}

/**
 * The launch configuration's breakOn: an array of filter ids or one id as a string. Throws a
 * message that names the unknown entry and the known ones.
 */
export function parseBreakOn(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? [v] : v;
  const known = FILTERS.map((x) => x.filter).join(', ');
  if (!Array.isArray(list)) throw new Error(`launch: "breakOn" must be a list of filters (${known})`);
  for (const f of list)
    if (typeof f !== 'string' || !BY_ID.has(f))
      throw new Error(`launch: unknown breakOn filter ${JSON.stringify(f)}; expected ${known}`);
  return list as string[];
}
