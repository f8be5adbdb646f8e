/**
 * Decoding of HPTE words and slot_phys entries from the bit tables in bits.ts. Everything that
 * shows bits to a person (CLI decode, hover, inlay hints, variables, tree views) goes through here.
 */
import { BitField, FIELDS_BY_WORD, R, WordKind } from './bits';
import { hptePageSize } from './handlers';
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

export function decodeWord(word: U64, kind: WordKind, ctx: DecodeContext = DEFAULT_CONTEXT): DecodedField[] {
  return FIELDS_BY_WORD[kind].map((f) => {
    const value = shr(and(word, f.mask), lowestBit(f.mask));
    return { field: f, value, bits: bitsLabel(f.mask), meaning: meaningOf(f, value, word, ctx) };
  });
}

/** slot_phys: pfn (the bits above PAGE_SHIFT) as well as the low-bit fields. */
export function slotPhysPfn(word: U64, pageSize: number): number {
  return toNumber(shr(word, Math.log2(pageSize)));
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
  const lo = x.lo;
  const flags = [lo & 0x80 ? 'GOT_PAGE' : '', lo & 0x20 ? 'NO_CACHE' : '', lo & 0x40 ? 'WRITETHRU' : ''].filter(
    Boolean,
  );
  return `pfn 0x${slotPhysPfn(x, pageSize).toString(16)} order ${lo & 0x1f}${flags.length ? ' ' + flags.join(' ') : ''}`;
}

export { u64 };
