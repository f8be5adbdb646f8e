/**
 * Decoding of HPTE words and slot_phys entries from the bit tables in bits.ts. Everything that
 * shows bits to a person (CLI decode, hover, inlay hints, variables, tree views) goes through here.
 */
import { BitField, FIELDS_BY_WORD, R, SLOT_PHYS, WordKind } from './bits';
import { hptePageSize, slotPhysFields } from './handlers';
import { sizeName } from './machine';
import { and, hex, lowestBit, popcount, shr, toNumber, U64, u64 } from './u64';

export interface DecodedField {
  readonly field: BitField;
  /** The field's value shifted down to bit 0. */
  readonly value: U64;
  /** `63:62`-style bit range, LSB-0 numbering. */
  readonly bits: string;
  /** The value in words (e.g. "1T segment", "cache-inhibited"). */
  readonly meaning: string;
}

function bitsLabel(mask: U64): string {
  const lo = lowestBit(mask);
  const hi = lo + popcount(mask) - 1;
  return hi === lo ? `${lo}` : `${hi}:${lo}`;
}

function meaningOf(f: BitField, v: U64, word: U64, ctx: DecodeContext): string {
  const n = toNumber(v);
  switch (f.name) {
    case 'SSIZE':
      return n === 0 ? '256M segment' : n === 1 ? '1T segment' : `reserved (${n})`;
    case 'RPN':
      return f.word === 'r' ? `address ${hex(and(word, R.RPN))}` : hex(v);
    case 'ORDER':
      return `${n} (${sizeName(ctx.pageSize * 2 ** n)} backing page)`;
    case 'PP':
      return `${n}`;
    case 'KEY_HI':
    case 'KEY_LO':
    case 'AVPN':
      return hex(v);
    default:
      return n ? f.title : '—';
  }
}

export interface DecodeContext {
  /** Host page size in bytes (for slot_phys pfn and order). */
  pageSize: number;
  arch206: boolean;
}

export const DEFAULT_CONTEXT: DecodeContext = { pageSize: 65536, arch206: true };

/** The decode context of a machine (or of anything that knows its host page size and CPU). */
export function ctxOf(m: { readonly pageSize: number; readonly arch206: boolean }): DecodeContext {
  return { pageSize: m.pageSize, arch206: m.arch206 };
}

export function decodeWord(word: U64, kind: WordKind, ctx: DecodeContext = DEFAULT_CONTEXT): DecodedField[] {
  return FIELDS_BY_WORD[kind].map((f) => {
    const value = shr(and(word, f.mask), lowestBit(f.mask));
    return { field: f, value, bits: bitsLabel(f.mask), meaning: meaningOf(f, value, word, ctx) };
  });
}

/** The slot_phys flag bits by name, in the order they are shown. */
const SLOT_PHYS_FLAGS: readonly [string, number][] = [
  ['GOT_PAGE', SLOT_PHYS.GOT_PAGE],
  ['NO_CACHE', SLOT_PHYS.NO_CACHE],
  ['WRITETHRU', SLOT_PHYS.WRITETHRU],
];

export interface SlotPhysEntryInfo {
  /** The host pfn: the bits above PAGE_SHIFT. */
  pfn: number;
  /** log2 of the backing page in host pages. */
  order: number;
  /** The I/O cache bits (NO_CACHE | WRITETHRU), 0 for RAM. */
  io: number;
  got: boolean;
  /** Names of the set flag bits: GOT_PAGE, NO_CACHE, WRITETHRU. */
  flags: string[];
  /** The I/O bits as `W`, `I` or `WI` ('' for RAM). */
  ioLetters: string;
}

/** One decoding of a slot_phys entry (hi, lo words) for a host page shift; every view uses it. */
export function slotPhysEntry(hi: number, lo: number, pageShift: number): SlotPhysEntryInfo {
  const f = slotPhysFields(hi, lo, pageShift);
  return {
    ...f,
    flags: SLOT_PHYS_FLAGS.filter(([, bit]) => lo & bit).map(([name]) => name),
    ioLetters: `${lo & SLOT_PHYS.WRITETHRU ? 'W' : ''}${lo & SLOT_PHYS.NO_CACHE ? 'I' : ''}`,
  };
}

/** Whether a slot_phys entry's low word carries I/O cache bits. */
export function slotPhysIsIo(lo: number): boolean {
  return (lo & (SLOT_PHYS.NO_CACHE | SLOT_PHYS.WRITETHRU)) !== 0;
}

/** slot_phys: pfn (the bits above PAGE_SHIFT). */
export function slotPhysPfn(word: U64, pageSize: number): number {
  return slotPhysEntry(word.hi, word.lo, Math.log2(pageSize)).pfn;
}

export function wimgString(rlo: number): string {
  return (rlo & R.W ? 'W' : '-') + (rlo & R.I ? 'I' : '-') + (rlo & R.M ? 'M' : '-') + (rlo & R.G ? 'G' : '-');
}

/** Page size implied by an HPTE pair; 0 when the encoding is invalid. */
export function pageSizeOf(v: U64, r: U64, arch206: boolean): number {
  return hptePageSize(v.lo, r.lo, arch206);
}

/** Compact one-line summaries for inlay hints: `16M L V`, `RPN 0x2000 WIMG -I-- PP 2`. */
export function summarizeV(v: U64, r?: U64, ctx: DecodeContext = DEFAULT_CONTEXT): string {
  const parts: string[] = [];
  if (r) {
    const ps = pageSizeOf(v, r, ctx.arch206);
    parts.push(ps ? sizeName(ps) : 'bad-size');
  }
  if (v.hi >>> 30) parts.push('1T');
  if (v.lo & 0x04) parts.push('L');
  if (v.lo & 0x02) parts.push('H');
  if (v.lo & 0x01) parts.push('V');
  else parts.push('!V');
  return parts.join(' ');
}

export function summarizeR(r: U64): string {
  const rpn = and(r, R.RPN);
  let s = `RPN ${hex(rpn)} WIMG ${wimgString(r.lo)} PP ${(r.hi >>> 31 ? 4 : 0) | (r.lo & 3)}`;
  if (r.lo & R.N) s += ' N';
  return s;
}

export function summarizeSlotPhys(x: U64, pageSize: number): string {
  const e = slotPhysEntry(x.hi, x.lo, Math.log2(pageSize));
  return `pfn 0x${e.pfn.toString(16)} order ${e.order}${e.flags.length ? ' ' + e.flags.join(' ') : ''}`;
}

export { u64 };
