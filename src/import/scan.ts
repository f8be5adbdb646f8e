/** A cursor over one line of a capture, with positioned errors (FILE:LINE:COL, columns 1-based). */
import { TraceError } from '../core/records';

export class Cursor {
  s = '';
  i = 0;
  line = 0;
  constructor(readonly file: string) {}

  reset(s: string, line: number): this {
    this.s = s;
    this.i = 0;
    this.line = line;
    return this;
  }

  fail(msg: string, at = this.i, end = at + 1): never {
    throw new TraceError(this.file, this.line, at + 1, Math.max(end, at + 1) + 1, msg);
  }

  get done(): boolean {
    return this.i >= this.s.length;
  }

  spaces(): void {
    const s = this.s;
    while (this.i < s.length && (s.charCodeAt(this.i) === 32 || s.charCodeAt(this.i) === 9)) this.i++;
  }

  /** At least one space or tab. */
  gap(what: string): void {
    const c = this.s.charCodeAt(this.i);
    if (c !== 32 && c !== 9) this.fail(`expected a space before ${what}, found ${this.shown()}`);
    this.spaces();
  }

  shown(): string {
    if (this.i >= this.s.length) return 'the end of the line';
    const rest = this.s.slice(this.i, this.i + 24);
    return JSON.stringify(rest.length === 24 ? rest + '…' : rest);
  }

  expect(lit: string, what = JSON.stringify(lit)): void {
    if (!this.s.startsWith(lit, this.i)) this.fail(`expected ${what}, found ${this.shown()}`);
    this.i += lit.length;
  }

  /** Decimal digits; returns the number (exact up to 2^53). */
  decimal(what: string, max = Number.MAX_SAFE_INTEGER): number {
    const s = this.s;
    const start = this.i;
    let v = 0;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      this.i++;
    }
    if (this.i === start) this.fail(`expected ${what} (decimal digits), found ${this.shown()}`);
    if (v > max) this.fail(`${what} ${s.slice(start, this.i)} is out of range (at most ${max})`, start, this.i);
    return v;
  }

  /** `0x` and 1..16 hex digits (a 64-bit word); returns the text, lower case, without leading zeros. */
  hex64(what: string): string {
    const s = this.s;
    const start = this.i;
    if (s.charCodeAt(this.i) !== 48 || (s.charCodeAt(this.i + 1) | 32) !== 120)
      this.fail(`expected ${what} as 0x-prefixed hex, found ${this.shown()}`);
    this.i += 2;
    const d = this.i;
    while (this.i < s.length && isHex(s.charCodeAt(this.i))) this.i++;
    if (this.i === d) this.fail(`expected hex digits after "0x" in ${what}`, start, this.i);
    return canonicalHex(s.slice(d, this.i), what, this, start);
  }

  /** Bare hex digits (no 0x), as in maps and htab; returns the text as 0x…, canonical. */
  bareHex(what: string, maxDigits = 16): string {
    const s = this.s;
    const start = this.i;
    while (this.i < s.length && isHex(s.charCodeAt(this.i))) this.i++;
    if (this.i === start) this.fail(`expected ${what} (hex digits), found ${this.shown()}`);
    if (this.i - start > maxDigits) {
      const t = s.slice(start, this.i).replace(/^0+/, '');
      if (t.length > maxDigits) this.fail(`${what} does not fit in 64 bits`, start, this.i);
    }
    return canonicalHex(s.slice(start, this.i), what, this, start);
  }

  /** A run of characters up to the next space (or end). */
  word(): string {
    const s = this.s;
    const start = this.i;
    while (this.i < s.length && s.charCodeAt(this.i) !== 32 && s.charCodeAt(this.i) !== 9) this.i++;
    return s.slice(start, this.i);
  }

  /** Fails unless only spaces remain. */
  end(what: string): void {
    this.spaces();
    if (this.i < this.s.length) this.fail(`unexpected ${this.shown()} after ${what}`);
  }
}

export function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function canonicalHex(digits: string, what: string, cur: Cursor, start: number): string {
  let k = 0;
  while (k < digits.length - 1 && digits.charCodeAt(k) === 48) k++;
  const t = digits.slice(k).toLowerCase();
  if (t.length > 16) cur.fail(`${what} does not fit in 64 bits`, start, cur.i);
  return '0x' + t;
}

/** A canonical 0x… text to a number (exact below 2^53; callers use it for addresses and sizes). */
export function hexNum(h: string): number {
  return parseInt(h.slice(2), 16);
}
