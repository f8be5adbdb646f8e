/**
 * kvm_hv:kvm_hcall_enter / kvm_hcall_exit events from raw ftrace text, `trace-cmd report` or
 * `perf script`, paired per VCPU into .hptrace hcall lines. Only the five HPT hcalls are kept, in
 * the order of their enter events; the others are counted. A line is scanned by hand (no regular
 * expression per line): captures run to millions of lines.
 */
import { hcallByNameOrUndefined, hcallByNum, RETURN_CODES } from '../core/bits';
import { HcallKind } from './kinds';
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

interface Pending {
  /** Index in the output queue, or -1 for an hcall that is not written. */
  slot: number;
}

/**
 * Reads event lines one at a time and hands finished hcall lines to `emit`, in enter order.
 * Memory: one pending entry per VCPU plus the calls waiting for an earlier one to finish.
 */
export class HcallPairer {
  readonly stats = newStats();
  private readonly cur: Cursor;
  private readonly pending = new Map<number, Pending>();
  /** Output lines in enter order; null while the call waits for its exit. */
  private queue: (string | null)[] = [];
  private head = 0;

  constructor(
    readonly file: string,
    readonly kind: HcallKind,
    private readonly emit: (line: string) => void,
  ) {
    this.cur = new Cursor(file);
  }

  /** One line of the capture. */
  line(text: string, lineNo: number): void {
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
        `the event ${JSON.stringify(ev)} has a SYSTEM: prefix, as perf script prints it: a perf line in ${this.kind === 'ftrace' ? 'raw ftrace' : 'trace-cmd report'} input (mixed input kinds)`,
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
    const prev = this.pending.get(vcpu);
    if (prev) {
      // lost exit: the earlier call keeps an unknown result
      this.stats.lostExits++;
      if (prev.slot >= 0) this.finish(prev.slot, ' -> ? # no exit event (lost)');
    }
    if (!def || !def.emulated) {
      const n = def ? def.name : raw;
      this.stats.others.set(n, (this.stats.others.get(n) ?? 0) + 1);
      this.pending.set(vcpu, { slot: -1 });
      return;
    }
    let args: string;
    switch (def.name) {
      case 'H_ENTER':
        args = `flags=${g0} pte_index=${g1} pteh=${g2} ptel=${g3}`;
        break;
      case 'H_REMOVE':
      case 'H_PROTECT':
        args = `flags=${g0} pte_index=${g1} avpn=${g2}`;
        break;
      case 'H_READ':
        args = `flags=${g0} pte_index=${g1}`;
        break;
      default:
        // H_BULK_REMOVE: the tracepoint holds GPR4-7 only (w0..w3); r8..r11 are lost
        args = `w0=${g0} w1=${g1} w2=${g2} w3=${g3} w4=? w5=? w6=? w7=?`;
        this.stats.bulkRemoves++;
    }
    this.stats.kept++;
    this.stats.byName.set(def.name, (this.stats.byName.get(def.name) ?? 0) + 1);
    this.queue.push(`hcall @${ts} vcpu=${vcpu} ${def.name} ${args}`);
    this.pending.set(vcpu, { slot: this.queue.length - 1 });
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
    const p = this.pending.get(vcpu);
    if (!p) {
      this.stats.orphanExits++;
      return;
    }
    this.pending.delete(vcpu);
    if (p.slot < 0) return;
    let tail: string;
    if (ret.startsWith('RESUME_HOST')) {
      this.stats.passedToQemu++;
      tail = ' -> ? # passed to QEMU (H_TOO_HARD): its result is not in the capture';
    } else if (RESULT_NAMES.has(rc)) tail = ` -> ${rc}`;
    else {
      this.stats.unnamedResults++;
      tail = ` -> ? # hcall_rc=${rc} has no name in the trace format`;
    }
    this.finish(p.slot, tail);
  }

  private finish(slot: number, tail: string): void {
    const q = this.queue;
    q[slot] = (q[slot] as string) + tail;
    this.done.add(slot);
    this.flush();
  }

  private readonly done = new Set<number>();

  private flush(): void {
    const q = this.queue;
    while (this.head < q.length && this.done.has(this.head)) {
      this.done.delete(this.head);
      this.emit(q[this.head] as string);
      q[this.head] = null;
      this.head++;
    }
    if (this.head > 4096 && this.head * 2 > q.length) {
      // compact: slots still pending move down; pending entries hold their old index
      const shift = this.head;
      this.queue = q.slice(shift);
      this.head = 0;
      const moved = new Set<number>();
      for (const d of this.done) moved.add(d - shift);
      this.done.clear();
      for (const d of moved) this.done.add(d);
      for (const p of this.pending.values()) if (p.slot >= 0) p.slot -= shift;
    }
  }

  /** At the end of the capture: calls still waiting for an exit keep an unknown result. */
  end(): void {
    for (const p of this.pending.values()) {
      if (p.slot >= 0) {
        this.stats.lostExits++;
        this.finish(p.slot, ' -> ? # no exit event before the capture ended');
      }
    }
    this.pending.clear();
    this.flush();
  }
}
