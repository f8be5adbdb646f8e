/**
 * Test helper: renders the records of an .hptrace as the captures a real host would have written
 * (kvm_hv hcall events as raw ftrace, trace-cmd report or perf script lines; memslots as a QEMU
 * trace log or strace lines; the mappings as smaps), so that import can be checked by round trip.
 * The formats follow the kernel's and QEMU's format strings; the values come from the trace.
 */
import { hcallByNum } from '../../src/core/bits';
import { HcallResult } from '../../src/core/handlers';
import { Machine } from '../../src/core/machine';
import { parseAll } from '../../src/core/parser';
import { HcallRecord, TraceRecord } from '../../src/core/records';
import { applyRecord, resultText } from '../../src/core/replay';
import { hexOf } from '../../src/core/u64';

export type EventStyle = 'ftrace' | 'trace-cmd' | 'perf';

export interface RenderedCapture {
  hcalls: string;
  memslots: string;
  smaps: string;
  set: string[];
  /** The emulated result of each hcall of the source trace, in order (what the capture records). */
  results: string[];
}

/** Replays trace text; returns each hcall's result in words (resultText) and the records. */
export function replayText(
  text: string,
  file = 'trace.hptrace',
): { results: string[]; records: TraceRecord[]; diverged: number } {
  const { records, errors } = parseAll(text, file);
  if (errors.length) throw errors[0];
  const m = new Machine('io', file);
  const results: string[] = [];
  let diverged = 0;
  for (const r of records) {
    const res = applyRecord(m, r) as HcallResult | null;
    if (r.kind === 'hcall' && res) {
      results.push(resultText(r, res));
      if (r.recorded !== null && res.ret !== null && r.recorded !== res.ret) diverged++;
    }
  }
  return { results, records, diverged };
}

const hex = (hi: number, lo: number) => hexOf(hi, lo);

function gprs(rec: HcallRecord): string {
  return [0, 1, 2, 3].map((i) => hex(rec.argHi[i], rec.argLo[i])).join(',');
}

function eventLine(style: EventStyle, vcpu: number, ts: string, event: string, payload: string): string {
  const comm = `CPU ${vcpu}/KVM`;
  const tid = 30000 + vcpu;
  const cpu = String(vcpu % 64).padStart(3, '0');
  if (style === 'perf')
    return ` ${comm.padStart(16)} ${String(tid).padStart(7)} [${cpu}] ${ts}: kvm_hv:${event}: ${payload}`;
  const flags = style === 'ftrace' ? ' d..1' : '';
  return ` ${comm.padStart(12)}-${String(tid).padEnd(6)} [${cpu}]${flags} ${ts}: ${event}: ${payload}`;
}

/** Renders a trace's hcalls and host set-up as captures. Set-up must come before the first hcall. */
export function renderCaptures(text: string, style: EventStyle, slots: 'qemu-trace' | 'strace'): RenderedCapture {
  const { results, records } = replayText(text);
  const lines: string[] = [];
  if (style === 'ftrace') lines.push('# tracer: nop', '#', '#           TASK-PID     CPU#  ||||   TIMESTAMP  FUNCTION');
  if (style === 'trace-cmd') lines.push('version = 6', 'CPU 3 is empty', 'cpus=8');
  const mem: string[] = [];
  const smaps: string[] = [];
  const set: string[] = ['host.cpu=power9'];
  let pageShift = 16;
  let k = 0;
  let t = 100_000_000; // microseconds
  for (const r of records) {
    switch (r.kind) {
      case 'cpu':
        set.push(`cpu=${r.cpu}`);
        break;
      case 'host':
        pageShift = r.pageShift;
        set.push(`host.page=${r.pageShift === 12 ? '4K' : '64K'}`);
        break;
      case 'hpt':
        set.push(`hpt.order=${r.order}`);
        break;
      case 'vma': {
        const start = r.start.toString(16);
        const kb = (r.type === 'anon' && r.pageSize ? r.pageSize : 2 ** pageShift) / 1024;
        const flags =
          r.type === 'pfnmap'
            ? 'rd wr sh mr mw me io pf'
            : r.type === 'other'
              ? 'rd wr mr mw me io'
              : r.pageSize
                ? 'rd wr mr mw me ht'
                : 'rd wr mr mw me ac';
        smaps.push(`${start}-${r.end.toString(16)} rw-${r.type === 'pfnmap' ? 's' : 'p'} 00000000 00:00 0 `);
        smaps.push(
          `Size:           ${(r.end - r.start) / 1024} kB`,
          `KernelPageSize:    ${kb} kB`,
          `MMUPageSize:       ${kb} kB`,
          `VmFlags: ${flags}`,
        );
        if (r.type === 'anon' && r.pfn >= 0) set.push(`vma.0x${start}.pfn=0x${r.pfn.toString(16)}`);
        if (r.type === 'pfnmap') {
          set.push(`vma.0x${start}.pgoff=0x${r.pgoff.toString(16)}`);
          set.push(
            `vma.0x${start}.cache=${r.cache === 0x20 ? 'I' : r.cache === 0x40 ? 'W' : r.cache === 0x60 ? 'IW' : 'none'}`,
          );
        }
        break;
      }
      case 'memslot': {
        if (r.delete) throw new Error('renderCaptures: memslot delete is not rendered');
        const gpa = r.gpa >= 0 ? r.gpa : r.gfn * 2 ** pageShift;
        const size = r.gpa >= 0 ? r.size : r.npages * 2 ** pageShift;
        if (slots === 'qemu-trace')
          mem.push(
            `kvm_set_user_memory AddrSpace#0 Slot#${r.id} flags=0x${r.flags.toString(16)} gpa=0x${gpa.toString(16)} size=0x${size.toString(16)} ua=0x${r.hva.toString(16)} ret=0`,
          );
        else
          mem.push(
            `ioctl(9<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=${r.id}, flags=${r.flags ? '0x' + r.flags.toString(16) : '0'}, guest_phys_addr=${gpa ? '0x' + gpa.toString(16) : '0'}, memory_size=${size}, userspace_addr=0x${r.hva.toString(16)}}) = 0`,
          );
        break;
      }
      case 'hcall': {
        const vcpu = r.vcpu < 0 ? 0 : r.vcpu;
        const name = hcallByNum(r.number)?.name ?? '0x' + r.number.toString(16);
        const ts = (n: number) => `${Math.floor(n / 1e6)}.${String(n % 1e6).padStart(6, '0')}`;
        lines.push(eventLine(style, vcpu, ts(t), 'kvm_hcall_enter', `VCPU ${vcpu}: hcall=${name} GPR4-7=${gprs(r)}`));
        const res = results[k++];
        const known = res !== 'unknown' && res !== 'not emulated';
        lines.push(
          eventLine(
            style,
            vcpu,
            ts(t + 7),
            'kvm_hcall_exit',
            `VCPU ${vcpu}: ret=RESUME_GUEST hcall_rc=${known ? res : 'H_SUCCESS'}`,
          ),
        );
        t += 50;
        break;
      }
      default:
        break;
    }
  }
  return {
    hcalls: lines.join('\n') + '\n',
    memslots: mem.join('\n') + '\n',
    smaps: smaps.join('\n') + '\n',
    set,
    results,
  };
}
