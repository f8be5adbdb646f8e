/**
 * `hptrace replay --json` written as bytes: the spec's JSON Lines (the same text as stepJson and
 * finalJson in core/replay.ts, byte for byte) straight into a reused buffer that goes out in 1 MiB
 * writes. A million-hcall replay prints ~150 MB; building it as strings (a string per line, per hex
 * word, then joined and encoded again) cost more than the replay itself.
 */
import { returnCodeName } from '../core/bits';
import { HcallResult } from '../core/handlers';
import { Machine } from '../core/machine';
import { HcallRecord } from '../core/records';
import { hcallDisplayName, stepJson } from '../core/replay';

/** Output goes out once a MiB has gathered, as before (a malformed trace prints no JSON before its error unless it is past that). */
const FLUSH_AT = 1 << 20;
const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

export class ByteSink {
  private buf: Buffer = Buffer.allocUnsafe(FLUSH_AT + 4096);
  private pos = 0;

  constructor(private readonly write: (bytes: Uint8Array) => void) {}

  /** Room for n more bytes (flushing first when the buffer is full). */
  private room(n: number): void {
    if (this.pos + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
    }
  }

  flush(): void {
    if (this.pos > 0) this.write(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  /** Call after each record: writes once FLUSH_AT bytes have gathered. */
  maybeFlush(): void {
    if (this.pos >= FLUSH_AT) this.flush();
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.pos++] = c;
  }

  bytes(b: Uint8Array): void {
    const n = b.length;
    this.room(n);
    const buf = this.buf;
    const p = this.pos;
    for (let i = 0; i < n; i++) buf[p + i] = b[i];
    this.pos = p + n;
  }

  str(s: string): void {
    const n = s.length;
    this.room(n * 3);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128) {
        this.pos += buf.write(s, this.pos, 'utf8');
        return;
      }
      buf[p++] = c;
    }
    this.pos = p;
  }

  /** A non-negative integer below 2^53, in decimal. */
  uint(n: number): void {
    if (n >= 2147483648) {
      this.str(String(n));
      return;
    }
    this.room(10);
    const buf = this.buf;
    let digits = 1;
    for (let x = n; x >= 10; x = (x / 10) | 0) digits++;
    let p = this.pos + digits;
    this.pos = p;
    let x = n | 0;
    do {
      const q = (x / 10) | 0;
      buf[--p] = 48 + x - q * 10;
      x = q;
    } while (x !== 0);
  }

  /** hexOf(hi, lo): `0x` and lower-case hex without leading zeros. */
  hex(hi: number, lo: number): void {
    this.room(18);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 48;
    buf[p++] = 120;
    hi >>>= 0;
    lo >>>= 0;
    if (hi !== 0) {
      let sh = 28;
      while (hi >>> sh === 0) sh -= 4;
      for (; sh >= 0; sh -= 4) buf[p++] = HEX[(hi >>> sh) & 15];
      for (let s2 = 28; s2 >= 0; s2 -= 4) buf[p++] = HEX[(lo >>> s2) & 15];
    } else {
      let sh = 28;
      while (sh > 0 && lo >>> sh === 0) sh -= 4;
      for (; sh >= 0; sh -= 4) buf[p++] = HEX[(lo >>> sh) & 15];
    }
    this.pos = p;
  }
}

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

// The constant runs of a step line as bytes, cached by what they depend on.
const headByName = new Map<string, Uint8Array>();
const retSeg = new Map<number | null, Uint8Array>();
const tailSeg = new Map<number | null, Uint8Array[]>();
const OUT_KEYS = ['"r4":"', ',"r5":"', ',"r6":"', ',"r7":"', ',"r8":"', ',"r9":"', ',"r10":"', ',"r11":"'].map(utf8);
const LINE = utf8('{"line":');
const QUOTE = 34;

function head(rec: HcallRecord): Uint8Array {
  const name = hcallDisplayName(rec);
  let b = headByName.get(name);
  if (b === undefined) {
    b = utf8(`,"hcall":${JSON.stringify(name)},"ret":`);
    if (headByName.size < 4096) headByName.set(name, b);
  }
  return b;
}

function ret(v: number | null): Uint8Array {
  let b = retSeg.get(v);
  if (b === undefined) {
    b = utf8(`${v === null ? 'null' : '"' + returnCodeName(v) + '"'},"out":{`);
    retSeg.set(v, b);
  }
  return b;
}

function tail(recorded: number | null, div: boolean): Uint8Array {
  let b = tailSeg.get(recorded);
  if (b === undefined) {
    const r = recorded === null ? 'null' : '"' + returnCodeName(recorded) + '"';
    b = [utf8(`},"recorded":${r},"diverged":false}\n`), utf8(`},"recorded":${r},"diverged":true}\n`)];
    tailSeg.set(recorded, b);
  }
  return b[div ? 1 : 0];
}

/** stepJson(rec, res, div) and a newline. */
export function writeStep(out: ByteSink, rec: HcallRecord, res: HcallResult, div: boolean): void {
  if (rec.unknownArgs || rec.resultUnknown) return out.str(stepJson(rec, res, div) + '\n'); // format 2 `?`: rare
  out.bytes(LINE);
  out.uint(rec.line);
  out.bytes(head(rec));
  out.bytes(ret(res.ret));
  if (res.ret !== null) {
    for (let i = 0; i < res.outCount; i++) {
      out.bytes(OUT_KEYS[i]);
      out.hex(res.outHi[i], res.outLo[i]);
      out.byte(QUOTE);
    }
  }
  out.bytes(tail(rec.recorded, div));
  out.maybeFlush();
}

/** finalJson(m) and a newline, written as it is walked (no object per entry, no giant string). */
export function writeFinal(out: ByteSink, m: Machine): void {
  out.str('{"final":{"slot_phys":[');
  let first = true;
  for (const s of m.memslots) {
    if (!s) continue;
    s.physp.forEachSet(0, 0, (index, w, b) => {
      out.str(first ? '{"slot":' : ',{"slot":');
      first = false;
      out.uint(s.id);
      out.str(',"index":');
      out.uint(index);
      out.str(',"value":"');
      out.hex(w[b], w[b + 1]);
      out.str('"}');
      out.maybeFlush();
    });
  }
  out.str('],"hpt":[');
  first = true;
  m.hpt.forEachSet(1, 1, (index, w, b) => {
    out.str(first ? '{"index":' : ',{"index":');
    first = false;
    out.uint(index);
    out.str(',"v":"');
    out.hex(w[b], w[b + 1]);
    out.str('","r":"');
    out.hex(w[b + 2], w[b + 3]);
    out.str('","guest_r":"');
    out.hex(w[b + 4], w[b + 5]);
    out.str('"}');
    out.maybeFlush();
  });
  out.str(']}}\n');
  out.flush();
}
