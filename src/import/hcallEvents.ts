/**
 * kvm_hv:kvm_hcall_enter / kvm_hcall_exit events from raw ftrace text, `trace-cmd report` or
 * `perf script`, paired per VCPU into .hptrace hcall lines. Only the five HPT hcalls are kept, in
 * the order of their enter events; the others are counted. A line is scanned by hand (no regular
 * expression per line): captures run to millions of lines.
 */
import { hcallByNameOrUndefined, hcallByNum, RETURN_CODES } from '../core/bits';
import { TraceError } from '../core/records';
import { HcallKind, mixedKind } from './kinds';
import { Cursor } from './scan';

/** The counts an import reports, filled as the events are read. */
export interface HcallStats {
  events: number;
  /** HPT hcalls written, and per name. */
  kept: number;
  byName: Map<string, number>;
  /** Other hcalls (not replayed), per name. */
  others: Map<string, number>;
  /** HPT hcalls whose exit said RESUME_HOST (passed on to QEMU): result unknown. */
  passedToQemu: number;
  /** Enters followed by another enter on the same VCPU, or never closed: result unknown. */
  lostExits: number;
  /** Exits with no enter before them (the capture started mid-call): dropped. */
  orphanExits: number;
  /** Results the format cannot name (an H_LONG_BUSY… code, or raw hex): written as unknown. */
  unnamedResults: number;
  bulkRemoves: number;
  /** kvm_guest_exit events with trap=SYSCALL (every hcall that reached host C code). */
  syscallExits: number;
  vcpus: Set<number>;
}

export function newStats(): HcallStats {
  return {
    events: 0,
    kept: 0,
    byName: new Map(),
    others: new Map(),
    passedToQemu: 0,
    lostExits: 0,
    orphanExits: 0,
    unnamedResults: 0,
    bulkRemoves: 0,
    syscallExits: 0,
    vcpus: new Set(),
  };
}

const RESULT_NAMES = new Set(RETURN_CODES.filter((c) => c.name !== 'H_TOO_HARD').map((c) => c.name));
const RESUME = ['RESUME_GUEST', 'RESUME_GUEST_NV', 'RESUME_HOST', 'RESUME_HOST_NV'];

/** Where finished lines go, as bytes. */
export interface ByteSink {
  bytes(src: Uint8Array, start: number, end: number): void;
}

const enc = (t: string): Uint8Array => Buffer.from(t, 'latin1');
const HPT_NAMES = ['H_ENTER', 'H_REMOVE', 'H_READ', 'H_PROTECT', 'H_BULK_REMOVE'];
/**
 * How many GPRs of GPR4-7 each HPT hcall uses. The output gives them by position, in the format's
 * order (H_ENTER flags pte_index pteh ptel; H_REMOVE and H_PROTECT flags pte_index avpn; H_READ
 * flags pte_index; H_BULK_REMOVE w0..w7): the GPR text is then copied in one piece.
 */
const ARG_COUNT = [4, 3, 2, 3, 4];
/** ` NAME ` for each. */
const NAME_SP = HPT_NAMES.map((n) => enc(` ${n} `));
/** H_BULK_REMOVE's w4..w7: not in the tracepoint. */
const BULK_TAIL = enc(' ? ? ? ?');
export const POSITIONAL_NOTE =
  'hcall arguments are by position (the GPRs of kvm_hcall_enter): H_ENTER flags pte_index pteh ptel; H_REMOVE, H_PROTECT flags pte_index avpn; H_READ flags pte_index; H_BULK_REMOVE w0..w7 (w4..w7 unknown)';
const RESULT_NAME_LIST = RETURN_CODES.filter((c) => c.name !== 'H_TOO_HARD').map((c) => c.name);
const RESULT_BYTES = RESULT_NAME_LIST.map(enc);
const RESULT_TAILS = RESULT_NAME_LIST.map((n) => enc(` -> ${n}\n`));
const TAIL_QEMU = enc(' -> ? # passed to QEMU (H_TOO_HARD): its result is not in the capture\n');
const TAIL_LOST = enc(' -> ? # no exit event (lost)\n');
const TAIL_STALE = enc(' -> ? # no exit event on its VCPU while many later calls finished (lost)\n');
const TAIL_END = enc(' -> ? # no exit event before the capture ended\n');
const L_HCALL_AT = enc('hcall @');
const L_VCPU = enc(' vcpu=');
/** Bytes of an enter line besides its time stamp, VCPU and GPRs (at most). */
const ENTER_FIXED = L_HCALL_AT.length + L_VCPU.length + Math.max(...NAME_SP.map((n) => n.length)) + BULK_TAIL.length;
const EV_PERF = enc('kvm_hv:');
const P_VCPU = enc('VCPU ');
const P_HCALL = enc(': hcall=');
const P_GPR = enc(' GPR4-7=');
const P_RET = enc(': ret=');
const P_RC = enc(' hcall_rc=');
/** Open-call markers per VCPU: nothing open; an open hcall that is not written. */
const NONE = -1;
const OTHER = -2;

type Literal = (buf: Uint8Array, i: number, end: number) => boolean;
/**
 * A test for one literal at buf[i..] within end, compiled to straight-line byte comparisons: the
 * hot path checks a few such literals per line, and a loop over a byte array of the literal costs
 * several times more.
 */
function literal(t: string): Literal {
  const tests = [...t].map((c, k) => `b[i + ${k}] === ${c.charCodeAt(0)}`).join(' && ');
  return new Function('b', 'i', 'e', `return i + ${t.length} <= e && ${tests};`) as Literal;
}
const IS_PERF = literal('kvm_hv:');
const IS_HCALL_E = literal('kvm_hcall_e');
const IS_NTER = literal('nter: ');
const IS_XIT = literal('xit: ');
const IS_VCPU = literal('VCPU ');
const IS_HCALL = literal(': hcall=');
const IS_GPR = literal(' GPR4-7=');
const IS_RET = literal(': ret=');
const IS_RC = literal(' hcall_rc=');

/**
 * Names are found by a hash of their bytes, computed by the loop that finds the name's end (one
 * multiply and add a byte), then checked byte by byte: one table read instead of a test per name.
 */
const HASH_MASK = 1023;
/** The hash step: h = (h * 31 + byte) & HASH_MASK. */
function hashOf(name: string): number {
  let h = 0;
  for (let k = 0; k < name.length; k++) h = (h * 31 + name.charCodeAt(k)) & HASH_MASK;
  return h;
}
/** Index of the name with that hash; -1 none; -2 two names share it (then each is tried). */
function hashTable(names: string[]): Int16Array {
  const t = new Int16Array(HASH_MASK + 1).fill(-1);
  names.forEach((n, k) => {
    const h = hashOf(n);
    t[h] = t[h] === -1 ? k : -2;
  });
  return t;
}
const NAME_BYTES = HPT_NAMES.map(enc);
const NAME_BY_HASH = hashTable(HPT_NAMES);
const RESUME_BYTES = RESUME.map(enc);
const RESUME_BY_HASH = hashTable(RESUME);
const RESULT_BY_HASH = hashTable(RESULT_NAME_LIST);

/** Which of `names` (bytes) buf[s, e) is, with h its hash; -1 if none. */
function lookup(table: Int16Array, names: Uint8Array[], buf: Uint8Array, s: number, e: number, h: number): number {
  const k = table[h];
  if (k >= 0) return eqAt(buf, s, e, names[k]) ? k : -1;
  if (k === -1) return -1;
  for (let n = 0; n < names.length; n++) if (eqAt(buf, s, e, names[n])) return n;
  return -1;
}

/**
 * Copies src[s, e) to dst at p and returns the end: a plain loop, as lines are short and a
 * subarray() for TypedArray.set costs more than the copy.
 */
export function copyBytes(dst: Uint8Array, p: number, src: Uint8Array, s: number, e: number): number {
  for (let k = s; k < e; k++) dst[p++] = src[k];
  return p;
}

/** buf[i, end) is exactly `want`. */
function eqAt(buf: Uint8Array, i: number, end: number, want: Uint8Array): boolean {
  if (end - i !== want.length) return false;
  for (let k = 0; k < want.length; k++) if (buf[i + k] !== want[k]) return false;
  return true;
}

/** 1 for the bytes of lower-case hex digits. */
const LOWER_HEX = (() => {
  const t = new Uint8Array(256);
  for (const c of '0123456789abcdef') t[c.charCodeAt(0)] = 1;
  return t;
})();
function isLowerHex(c: number): boolean {
  return LOWER_HEX[c] === 1;
}

/** End of a canonical `0x%lx` at i (lower case, no leading zero, 1..16 digits), or -1. */
function lxEnd(buf: Uint8Array, i: number, end: number): number {
  if (i + 2 >= end || buf[i] !== 48 || buf[i + 1] !== 120) return -1;
  const d = i + 2;
  if (buf[d] === 48) return d + 1 < end && isLowerHex(buf[d + 1]) ? -1 : d + 1;
  let j = d;
  while (j < end && isLowerHex(buf[j])) j++;
  return j === d || j - d > 16 ? -1 : j;
}

/** End of decimal digits at i without a leading zero (or a lone "0"), at most 9 of them, or -1. */
function decEnd(buf: Uint8Array, i: number, end: number): number {
  let j = i;
  while (j < end && buf[j] >= 48 && buf[j] <= 57) j++;
  if (j === i || j - i > 9 || (buf[i] === 48 && j - i > 1)) return -1;
  return j;
}

function decValue(buf: Uint8Array, i: number, j: number): number {
  let v = 0;
  for (let k = i; k < j; k++) v = v * 10 + buf[k] - 48;
  return v;
}

/**
 * Reads event lines one at a time and hands finished hcall lines to `emit`, in enter order.
 * Memory: one pending entry per VCPU plus the calls waiting for an earlier one to finish.
 */
export class HcallPairer {
  readonly stats = newStats();
  private readonly cur: Cursor;
  /** Open call per VCPU: its queue slot, OTHER or NONE (VCPUs below 1024; others in a map). */
  private readonly pend = new Int32Array(1024).fill(NONE);
  private readonly pendBig = new Map<number, number>();
  // The output queue, in enter order. Each call's line (without its result) is kept as bytes in an
  // arena, [qStart, qEnd); qTail holds the result once the exit came. Calls leave the queue in the
  // order they entered it, so the arena is first in, first out. Finished lines are gathered in a
  // stage before the arena, in the same buffer `mem`, so a line moves there with one copyWithin
  // (native, no allocation); the sink gets the stage when it is full and at the end.
  private mem: Uint8Array;
  private arena: Uint8Array;
  private arenaLen = 0;
  private stageLen = 0;
  private qStart = new Int32Array(256);
  private qEnd = new Int32Array(256);
  private qTail: (Uint8Array | null)[] = new Array(256).fill(null);
  /** Slots in use: [head, qLen). */
  private qLen = 0;
  private head = 0;
  private readonly hptCounts = [0, 0, 0, 0, 0];
  private readonly seen = new Uint8Array(1024);
  private readonly otherNames: { bytes: Uint8Array; name: string; count: number }[] = [];
  private readonly gs = [0, 0, 0, 0];
  private readonly es = [0, 0, 0, 0];

  constructor(
    readonly file: string,
    readonly kind: HcallKind,
    private readonly out: ByteSink,
    /**
     * Calls that may wait behind one without an exit. A VCPU whose exit never comes would otherwise
     * hold every later call in memory; past this many, that call is given up as lost.
     */
    private readonly window = 65536,
    /** Bytes of finished lines gathered before they go to the sink (0: each line at once). */
    private readonly stage = 1 << 18,
  ) {
    this.cur = new Cursor(file);
    this.mem = new Uint8Array(stage + (1 << 16));
    this.arena = this.mem.subarray(stage);
  }

  private getPend(vcpu: number): number {
    return vcpu < 1024 ? this.pend[vcpu] : (this.pendBig.get(vcpu) ?? NONE);
  }

  private setPend(vcpu: number, v: number): void {
    if (vcpu < 1024) this.pend[vcpu] = v;
    else if (v === NONE) this.pendBig.delete(vcpu);
    else this.pendBig.set(vcpu, v);
  }

  /** The arena, with room for n more bytes after arenaLen. */
  private room(n: number): Uint8Array {
    if (this.arenaLen + n > this.arena.length) {
      const bigger = new Uint8Array(this.stage + Math.max(this.arena.length * 2, this.arenaLen + n));
      bigger.set(this.mem.subarray(0, this.stage + this.arenaLen));
      this.mem = bigger;
      this.arena = bigger.subarray(this.stage);
    }
    return this.arena;
  }

  private put(src: Uint8Array, s: number, e: number): void {
    this.arenaLen = copyBytes(this.room(e - s), this.arenaLen, src, s, e);
  }

  private putAll(src: Uint8Array): void {
    this.put(src, 0, src.length);
  }

  /** A new queue slot whose bytes start here. */
  private open(): number {
    if (this.qLen - this.head >= this.window) this.giveUpHead();
    if (this.qLen === this.qStart.length) {
      const n = this.qLen * 2;
      const s2 = new Int32Array(n);
      s2.set(this.qStart);
      this.qStart = s2;
      const e2 = new Int32Array(n);
      e2.set(this.qEnd);
      this.qEnd = e2;
      for (let k = this.qTail.length; k < n; k++) this.qTail.push(null);
    }
    const slot = this.qLen++;
    this.qStart[slot] = this.arenaLen;
    this.qEnd[slot] = this.arenaLen;
    this.qTail[slot] = null;
    return slot;
  }

  private close(slot: number): void {
    this.qEnd[slot] = this.arenaLen;
  }

  /**
   * One line as bytes buf[start, end). The usual kvm_hcall_enter/exit lines are handled here
   * without a string; anything else (headers, other events, unusual spellings, errors) goes to
   * line(), which reads it character by character and words the errors.
   */
  lineBytes(buf: Uint8Array, start: number, end: number, lineNo: number): void {
    if (!this.fast(buf, start, end))
      this.line(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('utf8'), lineNo);
  }

  private fast(buf: Uint8Array, start: number, end: number): boolean {
    let i = start;
    while (i < end && buf[i] === 32) i++;
    if (i >= end || buf[i] === 35) return false;
    let b = i; // '[': a loop, cheaper than a call into Buffer.indexOf for a short COMM
    while (b < end && buf[b] !== 91) b++;
    if (b >= end) return false;
    let k = b - 1;
    while (k > i && buf[k] === 32) k--;
    const pidEnd = k + 1;
    while (k > i && buf[k] >= 48 && buf[k] <= 57) k--;
    if (k + 1 === pidEnd || k <= i) return false;
    if (this.kind === 'perf' ? buf[k] !== 32 : buf[k] !== 45) return false;
    let p = b + 1;
    while (p < end && buf[p] >= 48 && buf[p] <= 57) p++;
    if (p === b + 1 || buf[p] !== 93 || buf[p + 1] !== 32) return false;
    p += 2;
    while (p < end && buf[p] === 32) p++;
    // the time stamp, or the flags column and then the time stamp
    let ts = p;
    let d = p;
    while (d < end && buf[d] >= 48 && buf[d] <= 57) d++;
    if (d === p || buf[d] !== 46) {
      if (this.kind === 'perf') return false;
      let f = p;
      while (f < end && buf[f] !== 32) f++;
      if (f - p > 5 || f === p) return false;
      p = f;
      while (p < end && buf[p] === 32) p++;
      ts = p;
      d = p;
      while (d < end && buf[d] >= 48 && buf[d] <= 57) d++;
      if (d === p || buf[d] !== 46) return false;
    }
    d++;
    const frac = d;
    while (d < end && buf[d] >= 48 && buf[d] <= 57) d++;
    if (d === frac || buf[d] !== 58 || buf[d + 1] !== 32) return false;
    const tsEnd = d;
    p = d + 2;
    while (p < end && buf[p] === 32) p++;
    if (this.kind === 'perf') {
      if (!IS_PERF(buf, p, end)) return false;
      p += EV_PERF.length;
    }
    let enter: boolean;
    if (!IS_HCALL_E(buf, p, end)) return false;
    p += 11;
    if (IS_NTER(buf, p, end)) {
      enter = true;
      p += 6;
    } else if (IS_XIT(buf, p, end)) {
      enter = false;
      p += 5;
    } else return false;
    if (!IS_VCPU(buf, p, end)) return false;
    p += P_VCPU.length;
    const vStart = p;
    const ve = decEnd(buf, p, end);
    if (ve < 0) return false;
    const vcpu = decValue(buf, p, ve);
    return enter ? this.fastEnter(buf, ve, end, ts, tsEnd, vStart, vcpu) : this.fastExit(buf, ve, end, vcpu);
  }

  /**
   * The rest of a kvm_hcall_enter line from p (after "VCPU N"). Three functions, not one: V8
   * optimizes each sooner and compiles each faster, which is most of a one-shot import's start.
   */
  private fastEnter(
    buf: Uint8Array,
    p: number,
    end: number,
    ts: number,
    tsEnd: number,
    vStart: number,
    vcpu: number,
  ): boolean {
    const ve = p;
    if (!IS_HCALL(buf, p, end)) return false;
    p += P_HCALL.length;
    const ns = p;
    let nh = 0;
    for (let c = 0; p < end && (c = buf[p]) !== 32; p++) nh = (nh * 31 + c) & HASH_MASK;
    const ne = p;
    if (ne === ns || buf[ns] < 65 || buf[ns] > 90) return false; // hcall=0x…: the careful path
    if (!IS_GPR(buf, p, end)) return false;
    p += P_GPR.length;
    const gs = this.gs;
    const es = this.es;
    for (let g = 0; g < 4; g++) {
      gs[g] = p;
      const e = lxEnd(buf, p, end);
      if (e < 0 || (g < 3 && buf[e] !== 44)) return false;
      es[g] = e;
      p = e + 1;
    }
    for (let t = es[3]; t < end; t++) if (buf[t] !== 32) return false;
    const h = lookup(NAME_BY_HASH, NAME_BYTES, buf, ns, ne, nh);
    this.stats.events++;
    if (vcpu >= 1024 || this.seen[vcpu] === 0) {
      if (vcpu < 1024) this.seen[vcpu] = 1;
      this.stats.vcpus.add(vcpu);
    }
    this.lostCheck(vcpu);
    if (h < 0) {
      this.countOther(buf, ns, ne);
      this.setPend(vcpu, OTHER);
      return true;
    }
    const slot = this.open();
    const n = ARG_COUNT[h];
    const name = NAME_SP[h];
    // one room check for the whole line, then plain byte copies
    const a = this.room(ENTER_FIXED + (tsEnd - ts) + (ve - vStart) + (es[n - 1] - gs[0]));
    let q = copyBytes(a, this.arenaLen, L_HCALL_AT, 0, L_HCALL_AT.length);
    q = copyBytes(a, q, buf, ts, tsEnd);
    q = copyBytes(a, q, L_VCPU, 0, L_VCPU.length);
    q = copyBytes(a, q, buf, vStart, ve);
    q = copyBytes(a, q, name, 0, name.length);
    // the GPRs in one copy, their commas made spaces
    const at = q - gs[0];
    q = copyBytes(a, q, buf, gs[0], es[n - 1]);
    for (let g = 0; g < n - 1; g++) a[at + es[g]] = 32;
    if (h === 4) {
      q = copyBytes(a, q, BULK_TAIL, 0, BULK_TAIL.length);
      this.stats.bulkRemoves++;
    }
    this.arenaLen = q;
    this.close(slot);
    this.stats.kept++;
    this.hptCounts[h]++;
    this.setPend(vcpu, slot);
    return true;
  }

  /** The rest of a kvm_hcall_exit line from p (after "VCPU N"). */
  private fastExit(buf: Uint8Array, p: number, end: number, vcpu: number): boolean {
    if (!IS_RET(buf, p, end)) return false;
    p += P_RET.length;
    const rs = p;
    let rh = 0;
    for (let c = 0; p < end && (c = buf[p]) !== 32; p++) rh = (rh * 31 + c) & HASH_MASK;
    const resume = lookup(RESUME_BY_HASH, RESUME_BYTES, buf, rs, p, rh);
    if (resume < 0 || !IS_RC(buf, p, end)) return false;
    p += P_RC.length;
    const cs = p;
    let ch = 0;
    for (let c = 0; p < end && (c = buf[p]) !== 32; p++) ch = (ch * 31 + c) & HASH_MASK;
    const ce = p;
    if (ce === cs) return false;
    for (let t = ce; t < end; t++) if (buf[t] !== 32) return false;
    const code = lookup(RESULT_BY_HASH, RESULT_BYTES, buf, cs, ce, ch);
    if (code < 0 && resume < 2) return false; // a code the format has no name for: the careful path
    if (
      code < 0 &&
      !/^(H_[A-Z0-9_]+|0x[0-9a-f]+)$/i.test(Buffer.from(buf.buffer, buf.byteOffset + cs, ce - cs).toString('latin1'))
    )
      return false;
    this.stats.events++;
    const slot = this.getPend(vcpu);
    if (slot === NONE) {
      this.stats.orphanExits++;
      return true;
    }
    this.setPend(vcpu, NONE);
    if (slot === OTHER) return true;
    if (resume >= 2) {
      this.stats.passedToQemu++;
      this.finish(slot, TAIL_QEMU);
    } else this.finish(slot, RESULT_TAILS[code]);
    return true;
  }

  /** Counts an hcall that is not written, by name; the names seen so far are matched as bytes. */
  private countOther(buf: Uint8Array, ns: number, ne: number): void {
    const names = this.otherNames;
    for (let k = 0; k < names.length; k++) {
      const o = names[k];
      if (o.bytes.length === ne - ns && eqAt(buf, ns, ne, o.bytes)) {
        o.count++;
        return;
      }
    }
    const name = Buffer.from(buf.buffer, buf.byteOffset + ns, ne - ns).toString('latin1');
    if (names.length < 64) names.push({ bytes: enc(name), name, count: 1 });
    else this.stats.others.set(name, (this.stats.others.get(name) ?? 0) + 1);
  }

  /** The oldest waiting call has no exit after `window` later calls: written with an unknown result. */
  private giveUpHead(): void {
    const slot = this.head;
    for (let v = 0; v < this.pend.length; v++) if (this.pend[v] === slot) this.pend[v] = NONE;
    for (const [v, sl] of this.pendBig) if (sl === slot) this.pendBig.delete(v);
    this.stats.lostExits++;
    this.finish(slot, TAIL_STALE);
  }

  /** An enter on a VCPU whose previous call had no exit: that call keeps an unknown result. */
  private lostCheck(vcpu: number): void {
    const prev = this.getPend(vcpu);
    if (prev === NONE) return;
    this.stats.lostExits++;
    if (prev >= 0) this.finish(prev, TAIL_LOST);
    this.setPend(vcpu, NONE);
  }

  /** One line of the capture, read character by character; a bad line says if it is of another kind. */
  line(text: string, lineNo: number): void {
    try {
      this.lineChecked(text, lineNo);
    } catch (e) {
      const mixed = e instanceof TraceError ? mixedKind(text, this.kind) : null;
      if (!mixed || !(e instanceof TraceError)) throw e;
      throw new TraceError(e.file, e.line, e.col, e.endCol, `${e.detail} (${mixed})`);
    }
  }

  private lineChecked(text: string, lineNo: number): void {
    const c = this.cur.reset(text, lineNo);
    c.spaces();
    if (c.done) return;
    if (this.kind !== 'perf' && text.charCodeAt(c.i) === 35) return; // '#' header of raw ftrace
    if (this.kind === 'trace-cmd' && /^(version = \d+|CPU \d+ is empty|cpus=\d+)\s*$/.test(text)) return;
    // COMM-PID (ftrace, trace-cmd) or COMM TID (perf), then [CPU]
    const b = text.indexOf('[', c.i);
    if (b < 0) c.fail(this.shape());
    let k = b - 1;
    while (k > c.i && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k--;
    if (this.kind !== 'perf' && text.charCodeAt(k) === 41) {
      // record-tgid's "(  TGID)" column
      const open = text.lastIndexOf('(', k);
      if (open < c.i) c.fail('unbalanced ")" before [CPU]', k);
      k = open - 1;
      while (k > c.i && text.charCodeAt(k) === 32) k--;
    }
    const pidEnd = k + 1;
    while (k >= c.i && text.charCodeAt(k) >= 48 && text.charCodeAt(k) <= 57) k--;
    if (k + 1 === pidEnd)
      c.fail(`expected the ${this.kind === 'perf' ? 'TID' : 'PID'} before [CPU]; ${this.shape()}`, k);
    const sep = text.charCodeAt(k);
    if (this.kind === 'perf' ? sep !== 32 && sep !== 9 && k >= c.i : sep !== 45)
      c.fail(
        this.kind === 'perf'
          ? `expected "COMM TID" before [CPU], found ${JSON.stringify(text.slice(c.i, pidEnd))}`
          : `expected "COMM-PID" before [CPU], found ${JSON.stringify(text.slice(c.i, pidEnd))}`,
        c.i,
        pidEnd,
      );
    c.i = b + 1;
    c.decimal('the CPU number');
    c.expect(']', '"]" after the CPU number');
    c.gap('the time stamp');
    // optional flags column (raw ftrace: 4 or 5 characters such as "d..1")
    let tsStart = c.i;
    let w = c.word();
    if (!w.endsWith(':')) {
      if (this.kind === 'perf' || w.length > 5)
        c.fail(`expected a time stamp SECONDS.MICROS: , found ${JSON.stringify(w)}`, tsStart, c.i);
      c.gap('the time stamp');
      tsStart = c.i;
      w = c.word();
    }
    if (!/^\d+\.\d+:$/.test(w))
      c.fail(`expected a time stamp SECONDS.MICROS: , found ${JSON.stringify(w)}`, tsStart, c.i);
    const ts = w.slice(0, -1);
    c.gap('the event name');
    const evStart = c.i;
    let ev = c.word();
    if (!ev.endsWith(':')) c.fail(`expected the event name and ":", found ${JSON.stringify(ev)}`, evStart, c.i);
    ev = ev.slice(0, -1);
    if (this.kind === 'perf') {
      const colon = ev.indexOf(':');
      if (colon < 0)
        c.fail(`expected SYSTEM:EVENT (perf script prints the system), found ${JSON.stringify(ev)}`, evStart, c.i);
      if (ev.startsWith('kvm_hv:')) ev = ev.slice(7);
      else ev = '';
    } else if (ev.indexOf(':') >= 0) {
      c.fail(
        `the event ${JSON.stringify(ev)} has a SYSTEM: prefix, which ${this.kind === 'ftrace' ? 'raw ftrace' : 'trace-cmd report'} does not print`,
        evStart,
        c.i,
      );
    }
    this.stats.events++;
    if (ev === 'kvm_hcall_enter') this.enter(c, ts);
    else if (ev === 'kvm_hcall_exit') this.exit(c);
    else if (ev === 'kvm_guest_exit' && text.indexOf('trap=SYSCALL', c.i) >= 0) this.stats.syscallExits++;
  }

  private shape(): string {
    return this.kind === 'perf'
      ? 'expected a perf script line "COMM TID [CPU] SECONDS.MICROS: SYSTEM:EVENT: PAYLOAD"'
      : 'expected an event line "COMM-PID [CPU] [FLAGS] SECONDS.MICROS: EVENT: PAYLOAD"';
  }

  private vcpu(c: Cursor): number {
    c.spaces();
    c.expect('VCPU ', '"VCPU N:"');
    const v = c.decimal('the VCPU number', 0xffffffff);
    c.expect(':', '":" after the VCPU number');
    c.gap('the fields');
    return v;
  }

  private enter(c: Cursor, ts: string): void {
    const vcpu = this.vcpu(c);
    c.expect('hcall=', '"hcall=NAME"');
    const nameAt = c.i;
    const raw = c.word();
    if (!raw) c.fail('expected the hcall name after "hcall="');
    let def = hcallByNameOrUndefined(raw);
    if (!def && raw.startsWith('0x')) {
      if (!/^0x[0-9a-f]{1,8}$/i.test(raw))
        c.fail(`hcall=: expected a name or 0x-prefixed number, found ${JSON.stringify(raw)}`, nameAt, c.i);
      def = hcallByNum(parseInt(raw.slice(2), 16));
    } else if (!def && !/^[A-Z][A-Z0-9_]*$/.test(raw)) {
      c.fail(
        `hcall=: expected an hcall name (upper case) or 0x-prefixed number, found ${JSON.stringify(raw)}`,
        nameAt,
        c.i,
      );
    }
    c.gap('GPR4-7=');
    c.expect('GPR4-7=', '"GPR4-7=0x…,0x…,0x…,0x…"');
    const g0 = c.hex64('GPR4');
    c.expect(',', '"," between the GPRs');
    const g1 = c.hex64('GPR5');
    c.expect(',', '"," between the GPRs');
    const g2 = c.hex64('GPR6');
    c.expect(',', '"," between the GPRs');
    const g3 = c.hex64('GPR7');
    c.end('GPR7');
    this.stats.vcpus.add(vcpu);
    this.lostCheck(vcpu);
    if (!def || !def.emulated) {
      const n = def ? def.name : raw;
      this.stats.others.set(n, (this.stats.others.get(n) ?? 0) + 1);
      this.setPend(vcpu, OTHER);
      return;
    }
    // by position, as the fast path writes them (POSITIONAL_NOTE)
    const h = HPT_NAMES.indexOf(def.name);
    let args = [g0, g1, g2, g3].slice(0, ARG_COUNT[h]).join(' ');
    if (h === 4) {
      // H_BULK_REMOVE: the tracepoint holds GPR4-7 only (w0..w3); r8..r11 are lost
      args += ' ? ? ? ?';
      this.stats.bulkRemoves++;
    }
    this.stats.kept++;
    this.hptCounts[h]++;
    const slot = this.open();
    this.putAll(Buffer.from(`hcall @${ts} vcpu=${vcpu} ${def.name} ${args}`, 'utf8'));
    this.close(slot);
    this.setPend(vcpu, slot);
  }

  private exit(c: Cursor): void {
    const vcpu = this.vcpu(c);
    c.expect('ret=', '"ret=RESUME_…"');
    const retAt = c.i;
    const ret = c.word();
    if (!RESUME.includes(ret))
      c.fail(`ret=: expected one of ${RESUME.join(', ')}, found ${JSON.stringify(ret)}`, retAt, c.i);
    c.gap('hcall_rc=');
    c.expect('hcall_rc=', '"hcall_rc=CODE"');
    const rcAt = c.i;
    const rc = c.word();
    if (!rc) c.fail('expected the return code after "hcall_rc="', rcAt);
    if (!/^(H_[A-Z0-9_]+|0x[0-9a-f]+)$/i.test(rc))
      c.fail(`hcall_rc=: expected a return code name or 0x-prefixed number, found ${JSON.stringify(rc)}`, rcAt, c.i);
    c.end('hcall_rc');
    const slot = this.getPend(vcpu);
    if (slot === NONE) {
      this.stats.orphanExits++;
      return;
    }
    this.setPend(vcpu, NONE);
    if (slot === OTHER) return;
    if (ret.startsWith('RESUME_HOST')) {
      this.stats.passedToQemu++;
      this.finish(slot, TAIL_QEMU);
    } else if (RESULT_NAMES.has(rc)) this.finish(slot, RESULT_TAILS[RESULT_NAME_LIST.indexOf(rc)]);
    else {
      this.stats.unnamedResults++;
      this.finish(slot, Buffer.from(` -> ? # hcall_rc=${rc} has no name in the trace format\n`, 'utf8'));
    }
  }

  private finish(slot: number, tail: Uint8Array): void {
    this.qTail[slot] = tail;
    if (slot === this.head) this.flush();
  }

  /** Writes the calls at the head of the queue whose results are known; compacts now and then. */
  private flush(): void {
    const qs = this.qStart;
    const qe = this.qEnd;
    const qt = this.qTail;
    const stage = this.stage;
    const mem = this.mem;
    let sp = this.stageLen;
    let h = this.head;
    const len = this.qLen;
    while (h < len) {
      const tail = qt[h];
      if (tail === null) break;
      const s = qs[h];
      const e = qe[h];
      if (sp + (e - s) + tail.length > stage) {
        this.stageLen = sp;
        this.emitStage();
        sp = 0;
        if (e - s + tail.length > stage) {
          // longer than the stage: straight to the sink
          this.out.bytes(this.arena, s, e);
          this.out.bytes(tail, 0, tail.length);
          h++;
          continue;
        }
      }
      mem.copyWithin(sp, stage + s, stage + e);
      sp = copyBytes(mem, sp + (e - s), tail, 0, tail.length);
      h++;
    }
    this.stageLen = sp;
    this.head = h;
    if (h === len) {
      // everything written: start the queue and the arena over (the common case)
      this.qLen = 0;
      this.head = 0;
      this.arenaLen = 0;
    } else if (h > 1024 && h * 2 > len) {
      const shift = h;
      const base = qs[h];
      this.mem.copyWithin(this.stage, this.stage + base, this.stage + this.arenaLen);
      this.arenaLen -= base;
      for (let k = h; k < len; k++) {
        qs[k - shift] = qs[k] - base;
        qe[k - shift] = qe[k] - base;
        qt[k - shift] = qt[k];
      }
      this.qLen = len - shift;
      this.head = 0;
      for (let v = 0; v < this.pend.length; v++) if (this.pend[v] >= 0) this.pend[v] -= shift;
      for (const [v, sl] of this.pendBig) if (sl >= 0) this.pendBig.set(v, sl - shift);
    }
  }

  /** The finished lines gathered so far, to the sink. */
  private emitStage(): void {
    if (this.stageLen > 0) this.out.bytes(this.mem, 0, this.stageLen);
    this.stageLen = 0;
  }

  /** At the end of the capture: calls still waiting for an exit keep an unknown result. */
  end(): void {
    const open = [...this.pend.entries()].filter(([, sl]) => sl >= 0).map(([, sl]) => sl);
    for (const sl of this.pendBig.values()) if (sl >= 0) open.push(sl);
    for (const sl of open) {
      this.stats.lostExits++;
      this.qTail[sl] = TAIL_END;
    }
    this.pend.fill(NONE);
    this.pendBig.clear();
    this.flush();
    this.emitStage();
    for (const o of this.otherNames) this.stats.others.set(o.name, (this.stats.others.get(o.name) ?? 0) + o.count);
    this.otherNames.length = 0;
    HPT_NAMES.forEach((n, k) => {
      if (this.hptCounts[k]) this.stats.byName.set(n, this.hptCounts[k]);
    });
  }
}
