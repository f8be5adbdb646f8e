/**
 * The hot path of a replay: a well-formed hcall line parsed straight from its bytes into a reused
 * record, with no string and no object per line. Anything unusual goes back to parser.ts, which
 * words the errors; whatever this accepts, the general parser would parse to the same record.
 */
import { GENERIC_ARGS, HCALLS, RETURN_CODES } from './bits';
import { MAX_LINE_LENGTH, ParserState } from './parseState';
import { HcallRecord } from './records';

export const FAST_TEXT_MAX = 4096;
export const scratchBuf = new Uint8Array(FAST_TEXT_MAX * 3 + 4);
export const utf8 = new TextEncoder();
/** Exact powers of ten (literals, so no pow() rounding), 1e0..1e22. */
const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
];

/** An empty hcall record, for parseHcallBytes to fill. */
export function newHcallRecord(): HcallRecord {
  return {
    kind: 'hcall',
    line: 0,
    time: -1,
    vcpu: -1,
    name: '',
    number: -1,
    argHi: [0, 0, 0, 0, 0, 0, 0, 0],
    argLo: [0, 0, 0, 0, 0, 0, 0, 0],
    argCount: 0,
    recorded: null,
    recordedRegs: [],
  };
}

type Reg = { reg: number; hi: number; lo: number };
/** Recorded-register objects of a reused record: arrays[n] holds the first n of objs. */
const regPools = new WeakMap<HcallRecord, Reg[][]>();

/**
 * A record for parseHcallBytes to fill again and again (the CLI's replay, which does not keep
 * records): recordedRegs then comes from a pool, so a line allocates nothing at all.
 */
export function reusableHcallRecord(): HcallRecord {
  const rec = newHcallRecord();
  const objs: Reg[] = Array.from({ length: 8 }, () => ({ reg: 0, hi: 0, lo: 0 }));
  regPools.set(
    rec,
    Array.from({ length: 9 }, (_x, n) => objs.slice(0, n)),
  );
  return rec;
}

const bytesOf = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
interface FastHcall {
  readonly name: string;
  readonly number: number;
  readonly nameBytes: Uint8Array;
  readonly argBytes: readonly Uint8Array[];
  readonly emulated: boolean;
}
const FAST_HCALLS: readonly FastHcall[] = HCALLS.map((h) => ({
  name: h.name,
  number: h.number,
  nameBytes: bytesOf(h.name),
  argBytes: (h.emulated ? h.args : GENERIC_ARGS).map(bytesOf),
  emulated: h.emulated,
}));
const FAST_BY_NUMBER = new Map(FAST_HCALLS.map((h) => [h.number, h]));
const GENERIC_BYTES = GENERIC_ARGS.map(bytesOf);
const FAST_RETS: readonly { bytes: Uint8Array; value: number }[] = RETURN_CODES.filter(
  (c) => c.name !== 'H_TOO_HARD',
).map((c) => ({ bytes: bytesOf(c.name), value: c.value }));
const fastSeen = [false, false, false, false, false, false, false, false];

function bytesEq(buf: Uint8Array, start: number, end: number, want: Uint8Array): boolean {
  if (end - start !== want.length) return false;
  for (let k = 0; k < want.length; k++) if (buf[start + k] !== want[k]) return false;
  return true;
}

/** Index in names of the name spelled by buf[start, end), or -1. */
function nameIndex(buf: Uint8Array, start: number, end: number, names: readonly Uint8Array[]): number {
  for (let k = 0; k < names.length; k++) if (bytesEq(buf, start, end, names[k])) return k;
  return -1;
}

/** Byte classes for the scanner: 0..15 a hex digit's value, SEP a token separator, -1 anything else. */
const SEP = -2;
const BYTE_CLASS = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let c = 48; c <= 57; c++) t[c] = c - 48;
  for (let c = 97; c <= 102; c++) t[c] = c - 87;
  for (let c = 65; c <= 70; c++) t[c] = c - 55;
  t[32] = t[9] = t[13] = t[35] = SEP; // space, tab, CR, '#'
  return t;
})();

// Result of scanNumber: [hi, lo]. A typed array, not two module variables: storing a number past
// 2^31 in a variable boxes it (an allocation per 64-bit word parsed).
const NUM = new Uint32Array(2);

/**
 * Parses the number that starts at i and runs to the next separator (or end), in one pass: 0x hex
 * or decimal, at most 64 bits, exactly what parseNumberAt accepts for that token. Returns the index
 * of the separator (value in NUM), or -1 when the token is not such a number.
 */
function scanNumber(buf: Uint8Array, i: number, end: number): number {
  const cls = BYTE_CLASS;
  if (i + 2 < end && buf[i] === 48 && (buf[i + 1] | 32) === 120) {
    let j = i + 2;
    let hi = 0;
    let lo = 0;
    for (; j < end; j++) {
      const d = cls[buf[j]];
      if (d < 0) {
        if (d === SEP) break;
        return -1;
      }
      if (hi >>> 28 !== 0) return -1; // a 17th significant digit
      hi = (hi << 4) | (lo >>> 28);
      lo = (lo << 4) | d;
    }
    if (j === i + 2) return -1; // "0x" and nothing after it
    NUM[0] = hi;
    NUM[1] = lo;
    return j;
  }
  let j = i;
  let hi = 0;
  let lo = 0;
  for (; j < end; j++) {
    const c = buf[j];
    if (c < 48 || c > 57) {
      if (cls[c] === SEP) break;
      return -1;
    }
    lo = lo * 10 + (c - 48);
    const carry = Math.floor(lo / 4294967296);
    lo -= carry * 4294967296;
    hi = hi * 10 + carry;
    if (hi >= 4294967296) return -1;
  }
  if (j === i) return -1;
  NUM[0] = hi;
  NUM[1] = lo;
  return j;
}

/** Index of the first separator (or end) at or after i; -1 at a non-ASCII byte. */
function tokenEnd(buf: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) {
    const c = buf[i];
    if (c >= 128) return -1;
    if (BYTE_CLASS[c] === SEP) return i;
  }
  return end;
}

/** Index of the first '=' or separator (or end) at or after i; -1 at a non-ASCII byte. */
function keyEnd(buf: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) {
    const c = buf[i];
    if (c === 61) return i;
    if (c >= 128) return -1;
    if (BYTE_CLASS[c] === SEP) return i;
  }
  return end;
}

/** Index of the next token's first byte at or after i, or end (also at a `#` comment). */
function skipSpace(buf: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) {
    const c = buf[i];
    if (c === 35) return end;
    if (c !== 32 && c !== 9 && c !== 13) return i;
  }
  return end;
}

/**
 * The hot path of a replay: one line as bytes buf[start, end) (without its line break). Returns 0 for
 * a blank or comment line, 1 for a well-formed hcall (filled into `rec`, which may be reused from the
 * previous call), or -1 when the line needs parseLine: another record kind, non-ASCII text, anything
 * unusual or wrong. Whatever it accepts, parseLine would parse to the same record; it allocates
 * nothing on the way except for an hcall given by an unknown number.
 */
export function parseHcallBytes(
  st: ParserState,
  lineNo: number,
  buf: Uint8Array,
  start: number,
  end: number,
  rec: HcallRecord,
): number {
  if (end - start > MAX_LINE_LENGTH) return -1;
  let i = skipSpace(buf, start, end);
  if (i >= end) return 0;
  // "hcall" then a separator
  if (
    !st.sawHeader ||
    end - i < 6 ||
    buf[i] !== 104 ||
    buf[i + 1] !== 99 ||
    buf[i + 2] !== 97 ||
    buf[i + 3] !== 108 ||
    buf[i + 4] !== 108
  )
    return -1;
  const sep = buf[i + 5];
  if (sep !== 32 && sep !== 9 && sep !== 13) return -1;
  i = skipSpace(buf, i + 6, end);
  if (i >= end) return -1;
  let time = -1;
  if (buf[i] === 64) {
    // @SECONDS: digits, optionally '.' digits. Exact like Number(text) while the digits as one
    // integer stay below 2^53 (then one correctly rounded division gives the same double).
    let k = i + 1;
    let n = 0;
    let digits = 0;
    let frac = -1;
    for (; k < end; k++) {
      const c = buf[k];
      if (c >= 48 && c <= 57) {
        n = n * 10 + (c - 48);
        digits++;
        if (frac >= 0) frac++;
      } else if (c === 46 && frac < 0 && digits > 0) frac = 0;
      else break;
    }
    if (k < end && BYTE_CLASS[buf[k]] !== SEP) return -1;
    if (digits === 0 || frac === 0 || n >= 9007199254740992 || frac > 22) return -1;
    time = frac > 0 ? n / POW10[frac] : n;
    i = skipSpace(buf, k, end);
    if (i >= end) return -1;
  }
  let vcpu = -1;
  if (
    end - i > 5 &&
    buf[i] === 118 &&
    buf[i + 1] === 99 &&
    buf[i + 2] === 112 &&
    buf[i + 3] === 117 &&
    buf[i + 4] === 61
  ) {
    const e = scanNumber(buf, i + 5, end);
    if (e < 0 || NUM[0] !== 0) return -1;
    vcpu = NUM[1];
    i = skipSpace(buf, e, end);
    if (i >= end) return -1;
  }
  // the hcall, by name or number
  let def: FastHcall | undefined;
  let name: string;
  let number: number;
  const c0 = buf[i];
  if (c0 === 72) {
    const e = tokenEnd(buf, i, end);
    if (e < 0) return -1;
    for (let k = 0; k < FAST_HCALLS.length; k++) {
      if (bytesEq(buf, i, e, FAST_HCALLS[k].nameBytes)) {
        def = FAST_HCALLS[k];
        break;
      }
    }
    if (def === undefined) return -1;
    name = def.name;
    number = def.number;
    i = skipSpace(buf, e, end);
  } else if (c0 >= 48 && c0 <= 57) {
    const e = scanNumber(buf, i, end);
    if (e < 0 || NUM[0] !== 0) return -1;
    number = NUM[1];
    def = FAST_BY_NUMBER.get(number);
    name = def !== undefined ? def.name : '0x' + number.toString(16);
    i = skipSpace(buf, e, end);
  } else return -1;
  const argNames = def !== undefined && def.emulated ? def.argBytes : GENERIC_BYTES;
  const argHi = rec.argHi;
  const argLo = rec.argLo;
  const seen = fastSeen;
  for (let k = 0; k < 8; k++) {
    argHi[k] = 0;
    argLo[k] = 0;
    seen[k] = false;
  }
  let positional = 0;
  let named = false;
  let argCount = 0;
  let arrow = false;
  while (i < end) {
    if (buf[i] === 45 && i + 1 < end && buf[i + 1] === 62 && (i + 2 === end || BYTE_CLASS[buf[i + 2]] === SEP)) {
      arrow = true;
      i = skipSpace(buf, i + 2, end);
      break;
    }
    const k = keyEnd(buf, i, end);
    if (k < 0) return -1;
    let slot: number;
    let from: number;
    if (k < end && buf[k] === 61) {
      // argument names are usually in order: try the next one first
      slot =
        argCount < argNames.length && bytesEq(buf, i, k, argNames[argCount])
          ? argCount
          : nameIndex(buf, i, k, argNames);
      if (slot < 0 || seen[slot]) return -1;
      from = k + 1;
      named = true;
    } else {
      if (named || positional >= argNames.length) return -1;
      slot = positional++;
      from = i;
    }
    const e = scanNumber(buf, from, end);
    if (e < 0) return -1;
    argHi[slot] = NUM[0];
    argLo[slot] = NUM[1];
    seen[slot] = true;
    argCount++;
    i = skipSpace(buf, e, end);
  }
  if (def !== undefined && def.emulated) {
    for (let k = 0; k < argNames.length; k++) if (!seen[k]) return -1;
  }
  let recorded: number | null = null;
  const pool = rec.recordedRegs.length === 0 && !arrow ? undefined : regPools.get(rec);
  const regs = pool !== undefined ? pool[8] : rec.recordedRegs;
  if (pool === undefined && regs.length !== 0) regs.length = 0;
  let nregs = 0;
  if (arrow) {
    if (i >= end) return -1;
    const re = tokenEnd(buf, i, end);
    if (re < 0) return -1;
    for (let k = 0; k < FAST_RETS.length; k++) {
      if (bytesEq(buf, i, re, FAST_RETS[k].bytes)) {
        recorded = FAST_RETS[k].value;
        break;
      }
    }
    if (recorded === null) return -1;
    i = skipSpace(buf, re, end);
    while (i < end) {
      const k = keyEnd(buf, i, end);
      if (k < 0 || k >= end || buf[k] !== 61) return -1;
      const r = nameIndex(buf, i, k, GENERIC_BYTES);
      if (r < 0) return -1;
      for (let q = 0; q < nregs; q++) if (regs[q].reg === r + 4) return -1;
      const e = scanNumber(buf, k + 1, end);
      if (e < 0 || nregs === 8) return -1;
      if (pool !== undefined) {
        const o = regs[nregs];
        o.reg = r + 4;
        o.hi = NUM[0];
        o.lo = NUM[1];
      } else regs.push({ reg: r + 4, hi: NUM[0], lo: NUM[1] });
      nregs++;
      i = skipSpace(buf, e, end);
    }
  }
  rec.recordedRegs = pool !== undefined ? pool[nregs] : regs;
  st.sawHcall = true;
  rec.line = lineNo;
  rec.time = time;
  rec.vcpu = vcpu;
  rec.name = name;
  rec.number = number;
  rec.argCount = argCount;
  rec.recorded = recorded;
  return 1;
}
