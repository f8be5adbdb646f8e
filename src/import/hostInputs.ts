/**
 * The host-side captures: memory slots (QEMU's kvm_set_user_memory trace, strace of
 * KVM_SET_USER_MEMORY_REGION), the QEMU process's mappings (/proc/PID/maps, smaps) and the
 * debugfs htab dump. Each reader takes one line at a time and fails with FILE:LINE:COL.
 */
import { forEachLine } from '../core/lines';
import { TraceError } from '../core/records';
import { InputKind, MapsKind, MemslotKind, mixedKind } from './kinds';
import { Cursor, hexNum } from './scan';

export interface SlotEvent {
  line: number;
  /** KVM slot id (address space bits removed). */
  slot: number;
  addrSpace: number;
  flags: number;
  gpa: number;
  size: number;
  hva: number;
  /** The ioctl's result: non-zero = refused by KVM. */
  ret: number;
}

const MEM_FLAGS: Record<string, number> = {
  KVM_MEM_LOG_DIRTY_PAGES: 1,
  KVM_MEM_READONLY: 2,
  KVM_MEM_GUEST_MEMFD: 4,
};

/** Reads every KVM_SET_USER_MEMORY_REGION of a QEMU trace log or strace output, in file order. */
export function readMemslots(file: string, kind: MemslotKind): { events: SlotEvent[]; region2: number } {
  const cur = new Cursor(file);
  const events: SlotEvent[] = [];
  let region2 = 0;
  forEachLine(file, (text, lineNo) => {
    const c = cur.reset(text, lineNo);
    if (kind === 'qemu-trace') {
      const at = text.indexOf('kvm_set_user_memory');
      if (at < 0) return; // another trace event
      c.i = at + 'kvm_set_user_memory'.length;
      c.gap('the fields');
      let addrSpace = 0;
      if (text.startsWith('AddrSpace#', c.i)) {
        c.i += 10;
        addrSpace = c.decimal('the address space');
        c.gap('Slot#');
      }
      c.expect('Slot#', '"Slot#N"');
      const slot = c.decimal('the slot number', 0xffff);
      c.gap('flags=');
      c.expect('flags=');
      const flags = hexNum(c.hex64('flags'));
      c.gap('gpa=');
      c.expect('gpa=');
      const gpa = safe(c, c.hex64('gpa'));
      c.gap('size=');
      c.expect('size=');
      const size = safe(c, c.hex64('size'));
      c.gap('ua=');
      c.expect('ua=');
      const hva = safe(c, c.hex64('ua'));
      c.gap('ret=');
      if (text.startsWith('guest_memfd=', c.i)) {
        c.i += 12;
        c.decimal('guest_memfd');
        c.gap('guest_memfd_offset=');
        c.expect('guest_memfd_offset=');
        c.hex64('guest_memfd_offset');
        c.gap('ret=');
      }
      c.expect('ret=');
      const neg = text.charCodeAt(c.i) === 45;
      if (neg) c.i++;
      const ret = c.decimal('ret') * (neg ? -1 : 1);
      c.end('ret');
      events.push({ line: lineNo, slot, addrSpace, flags, gpa, size, hva, ret });
      return;
    }
    // strace
    const at = text.indexOf('KVM_SET_USER_MEMORY_REGION');
    if (at < 0) return; // another syscall
    c.i = at + 'KVM_SET_USER_MEMORY_REGION'.length;
    if (text.startsWith('2', c.i)) {
      region2++; // strace cannot decode KVM_SET_USER_MEMORY_REGION2: only a pointer is printed
      return;
    }
    c.expect(',', '"," after KVM_SET_USER_MEMORY_REGION');
    c.spaces();
    c.expect('{', '"{" (the decoded struct; run strace with -e verbose=ioctl defaults)');
    const field = (name: string): void => {
      c.spaces();
      c.expect(name + '=', `"${name}="`);
    };
    field('slot');
    const raw = c.decimal('slot', 0xffffffff);
    c.expect(',', '","');
    field('flags');
    const fAt = c.i;
    let flags = 0;
    const fw = text.slice(c.i).match(/^[A-Z_|0-9x]+/)?.[0] ?? '';
    for (const part of fw.split('|')) {
      if (/^(0|0x[0-9a-f]+|\d+)$/i.test(part)) flags |= Number(part);
      else if (part in MEM_FLAGS) flags |= MEM_FLAGS[part];
      else
        c.fail(
          `flags: unknown flag ${JSON.stringify(part)}; expected ${Object.keys(MEM_FLAGS).join(', ')} or a number`,
          fAt,
          fAt + fw.length,
        );
    }
    c.i += fw.length;
    c.expect(',', '","');
    field('guest_phys_addr');
    const gpa = safe(c, altHex(c, 'guest_phys_addr'));
    c.expect(',', '","');
    field('memory_size');
    const size = c.decimal('memory_size (decimal in strace)');
    c.expect(',', '","');
    field('userspace_addr');
    const hva = safe(c, altHex(c, 'userspace_addr'));
    c.expect('}', '"}"');
    c.expect(')', '")"');
    c.spaces();
    let ret = 0;
    if (text.startsWith('<unfinished', c.i)) ret = 0;
    else {
      c.expect('=', '"= RESULT"');
      c.spaces();
      const neg = text.charCodeAt(c.i) === 45;
      if (neg) c.i++;
      ret = c.decimal('the result') * (neg ? -1 : 1);
    }
    events.push({ line: lineNo, slot: raw & 0xffff, addrSpace: raw >>> 16, flags, gpa, size, hva, ret });
  });
  return { events, region2 };
}

/** printf's %#lx: 0x-prefixed hex, except that zero prints as a bare 0. */
function altHex(c: Cursor, what: string): string {
  const s = c.s;
  if (s.charCodeAt(c.i) === 48 && (s.charCodeAt(c.i + 1) | 32) !== 120) {
    c.i++;
    return '0x0';
  }
  return c.hex64(what);
}

function safe(c: Cursor, h: string): number {
  const v = hexNum(h);
  if (!Number.isSafeInteger(v)) c.fail(`${h} is too large for an address or size`, c.i - h.length, c.i);
  return v;
}

export interface MapEntry {
  line: number;
  start: number;
  end: number;
  startText: string;
  perms: string;
  offset: number;
  path: string;
  /** smaps only: KernelPageSize in bytes, and VmFlags (two-letter codes). */
  kernelPage: number;
  vmFlags: string[] | null;
}

/** Runs fn on a line; a TraceError from it says when the line is of another input kind. */
function checked(text: string, kind: InputKind, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    const mixed = e instanceof TraceError ? mixedKind(text, kind) : null;
    if (!mixed || !(e instanceof TraceError)) throw e;
    throw new TraceError(e.file, e.line, e.col, e.endCol, `${e.detail} (${mixed})`);
  }
}

/** Reads /proc/PID/maps or smaps: one entry per VMA, in address order as the kernel prints them. */
export function readMaps(file: string, kind: MapsKind): MapEntry[] {
  const cur = new Cursor(file);
  const out: MapEntry[] = [];
  let last: MapEntry | null = null;
  forEachLine(file, (text, lineNo) =>
    checked(text, kind, () => {
      const c = cur.reset(text, lineNo);
      if (!text.trim()) return;
      const c0 = text.charCodeAt(0);
      const isHexStart = (c0 >= 48 && c0 <= 57) || (c0 >= 97 && c0 <= 102);
      if (kind === 'smaps' && !isHexStart) {
        // Key:   value lines of the VMA above
        const colon = text.indexOf(':');
        if (colon <= 0 || !/^[A-Za-z_][A-Za-z_0-9]*$/.test(text.slice(0, colon)))
          c.fail('expected a "Key: value" line of smaps or an address range START-END');
        if (!last) return c.fail('a "Key: value" line before the first address range');
        const vma: MapEntry = last;
        const key = text.slice(0, colon);
        c.i = colon + 1;
        c.spaces();
        if (key === 'VmFlags') {
          vma.vmFlags = text.slice(c.i).trim().split(/\s+/).filter(Boolean);
          for (const f of vma.vmFlags)
            if (!/^[a-z0-9]{2}$/.test(f))
              c.fail(
                `VmFlags: expected two-letter flags, found ${JSON.stringify(f)}`,
                text.indexOf(f, c.i),
                text.indexOf(f, c.i) + f.length,
              );
        } else if (key === 'KernelPageSize') {
          const kb = c.decimal('KernelPageSize');
          c.spaces();
          c.expect('kB', '"kB"');
          c.end('kB');
          vma.kernelPage = kb * 1024;
        }
        return;
      }
      const startText = c.bareHex('the range start');
      c.expect('-', '"-" between START and END');
      const endText = c.bareHex('the range end');
      const start = hexNum(startText);
      const end = hexNum(endText);
      if (!(end > start)) c.fail('empty range: the end must be above the start', 0, c.i);
      if (!Number.isSafeInteger(end)) c.fail('address range out of range', 0, c.i);
      c.gap('the permissions');
      const pAt = c.i;
      const perms = c.word();
      if (!/^[r-][w-][x-][ps]$/.test(perms))
        c.fail(`expected permissions such as rw-p, found ${JSON.stringify(perms)}`, pAt, c.i);
      c.gap('the offset');
      const offset = hexNum(c.bareHex('the offset'));
      c.gap('the device');
      const dAt = c.i;
      const dev = c.word();
      if (!/^[0-9a-f]+:[0-9a-f]+$/.test(dev))
        c.fail(`expected the device MAJOR:MINOR, found ${JSON.stringify(dev)}`, dAt, c.i);
      c.gap('the inode');
      c.decimal('the inode');
      c.spaces();
      const path = text.slice(c.i);
      last = {
        line: lineNo,
        start,
        end,
        startText: '0x' + start.toString(16),
        perms,
        offset,
        path,
        kernelPage: 0,
        vmFlags: null,
      };
      out.push(last);
    }),
  );
  return out;
}

export interface HtabEntry {
  line: number;
  index: number;
  v: string;
  r: string;
  guestR: string;
  /** HPTE_V_VALID is set (else the entry is ABSENT: an importer skips it). */
  valid: boolean;
}

/** One line of the htab dump: "%6lx %.16lx %.16lx %.16lx" (index, v, host r, guest r). */
export function parseHtabLine(c: Cursor): HtabEntry | null {
  c.spaces();
  if (c.done) return null;
  const idxAt = c.i;
  const index = hexNum(c.bareHex('the HPTE index', 13));
  if (!Number.isSafeInteger(index)) c.fail('HPTE index out of range', idxAt, c.i);
  c.gap('v');
  const v = c.bareHex('v (16 hex digits)');
  c.gap('r');
  const r = c.bareHex('r (16 hex digits)');
  c.gap('the guest r');
  const guestR = c.bareHex('the guest r (16 hex digits)');
  c.end('the guest r');
  const vlo = parseInt(v.slice(-1), 16);
  return { line: c.line, index, v, r, guestR, valid: (vlo & 1) === 1 };
}

/** Calls back with each entry of an htab dump, in file order. */
export function forEachHtabEntry(file: string, cb: (e: HtabEntry) => void): void {
  const cur = new Cursor(file);
  forEachLine(file, (text, lineNo) =>
    checked(text, 'htab', () => {
      const e = parseHtabLine(cur.reset(text, lineNo));
      if (e) cb(e);
    }),
  );
}
