/**
 * 64-bit kernel words as two unsigned 32-bit halves.
 *
 * BigInt costs ~400 ns per parsed value with a few operations, a hi/lo pair ~60 ns (measured on the
 * project's 2-core machines), and traces hold millions of 64-bit words, so the core keeps words as
 * pairs of uint32 and does the bit work on each half. Frame numbers, gfns and indices stay below
 * 2^53 and are plain numbers.
 */
export interface U64 {
  readonly hi: number;
  readonly lo: number;
}

const TWO32 = 4294967296;

export function u64(hi: number, lo: number): U64 {
  return { hi: hi >>> 0, lo: lo >>> 0 };
}

export const ZERO: U64 = u64(0, 0);

/** A non-negative integer below 2^64 given as a JS number (exact below 2^53). */
export function fromNumber(n: number): U64 {
  return u64(Math.floor(n / TWO32), n % TWO32);
}

/** The value as a number; exact only when it is below 2^53 (callers check with fitsNumber). */
export function toNumber(x: U64): number {
  return x.hi * TWO32 + x.lo;
}

export function fitsNumber(x: U64): boolean {
  return x.hi < 0x200000;
}

export function isZero(x: U64): boolean {
  return x.hi === 0 && x.lo === 0;
}

export function eq(a: U64, b: U64): boolean {
  return a.hi === b.hi && a.lo === b.lo;
}

export function and(a: U64, b: U64): U64 {
  return u64(a.hi & b.hi, a.lo & b.lo);
}

export function or(a: U64, b: U64): U64 {
  return u64(a.hi | b.hi, a.lo | b.lo);
}

export function andNot(a: U64, b: U64): U64 {
  return u64(a.hi & ~b.hi, a.lo & ~b.lo);
}

export function not(a: U64): U64 {
  return u64(~a.hi, ~a.lo);
}

export function shr(a: U64, n: number): U64 {
  if (n === 0) return a;
  if (n >= 64) return ZERO;
  if (n >= 32) return u64(0, a.hi >>> (n - 32));
  return u64(a.hi >>> n, (a.lo >>> n) | (a.hi << (32 - n)));
}

export function shl(a: U64, n: number): U64 {
  if (n === 0) return a;
  if (n >= 64) return ZERO;
  if (n >= 32) return u64(a.lo << (n - 32), 0);
  return u64((a.hi << n) | (a.lo >>> (32 - n)), a.lo << n);
}

/** 1 << n as a 64-bit word. */
export function bit(n: number): U64 {
  return n >= 32 ? u64(1 << (n - 32), 0) : u64(0, 1 << n);
}

/** Mask of bits [lowBit, highBit] inclusive. */
export function bitRange(lowBit: number, highBit: number): U64 {
  let hi = 0;
  let lo = 0;
  for (let i = lowBit; i <= highBit; i++) {
    if (i >= 32) hi |= 1 << (i - 32);
    else lo |= 1 << i;
  }
  return u64(hi, lo);
}

/** Lowest set bit of a mask (its shift), or 64 for zero. */
export function lowestBit(m: U64): number {
  if (m.lo !== 0) return 31 - Math.clz32(m.lo & -m.lo);
  if (m.hi !== 0) return 63 - Math.clz32(m.hi & -m.hi);
  return 64;
}

export function popcount(m: U64): number {
  let n = 0;
  for (let x = m.hi; x !== 0; x &= x - 1) n++;
  for (let x = m.lo; x !== 0; x &= x - 1) n++;
  return n;
}

const HEX8 = '00000000';

/** Lower-case `0x` hex without leading zeros, as the spec's JSON output wants. */
export function hex(x: U64): string {
  return hexOf(x.hi, x.lo);
}

export function hexOf(hi: number, lo: number): string {
  hi >>>= 0;
  lo >>>= 0;
  if (hi === 0) return '0x' + lo.toString(16);
  const l = lo.toString(16);
  return '0x' + hi.toString(16) + HEX8.slice(l.length) + l;
}

/** Parses `0x…` hex or decimal text of at most 64 bits; undefined when it is not such a number. */
export function parseU64(s: string): U64 | undefined {
  const r = parseNumberAt(s, 0, s.length);
  return r < 0 ? undefined : u64(scratchHi, scratchLo);
}

// Results of parseNumberAt; module-level so the parser's hot path allocates nothing per number.
export let scratchHi = 0;
export let scratchLo = 0;

/**
 * Parses the number in s[start, end): hex with 0x, or decimal. Returns 0 on success (value in
 * scratchHi/scratchLo), -1 when a character is not a digit, -2 on overflow past 64 bits, -3 when empty.
 */
export function parseNumberAt(s: string, start: number, end: number): number {
  if (start >= end) return -3;
  let hi = 0;
  let lo = 0;
  if (end - start > 2 && s.charCodeAt(start) === 48 && (s.charCodeAt(start + 1) | 32) === 120) {
    let i = start + 2;
    while (i < end && s.charCodeAt(i) === 48) i++;
    if (end - i > 16) {
      for (let j = i; j < end; j++) if (hexDigit(s.charCodeAt(j)) < 0) return -1;
      return -2;
    }
    const split = Math.max(i, end - 8);
    for (let j = i; j < split; j++) {
      const d = hexDigit(s.charCodeAt(j));
      if (d < 0) return -1;
      hi = hi * 16 + d;
    }
    for (let j = split; j < end; j++) {
      const d = hexDigit(s.charCodeAt(j));
      if (d < 0) return -1;
      lo = lo * 16 + d;
    }
  } else {
    for (let j = start; j < end; j++) {
      const c = s.charCodeAt(j);
      if (c < 48 || c > 57) return -1;
      lo = lo * 10 + (c - 48);
      const carry = Math.floor(lo / TWO32);
      lo -= carry * TWO32;
      hi = hi * 10 + carry;
      if (hi >= TWO32) return -2;
    }
  }
  scratchHi = hi;
  scratchLo = lo;
  return 0;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}
