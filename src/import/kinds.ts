/**
 * What kind of capture a file is, decided from its content (never from its name): the first lines
 * that are not blank are looked at, and the first one that only one kind would write decides.
 */
import * as fs from 'fs';
import { TraceError } from '../core/records';

export type HcallKind = 'ftrace' | 'trace-cmd' | 'perf';
export type MemslotKind = 'qemu-trace' | 'strace';
export type MapsKind = 'maps' | 'smaps';
export type InputKind = HcallKind | MemslotKind | MapsKind | 'htab' | 'hptrace';
export type Role = 'hcalls' | 'memslots' | 'maps' | 'smaps' | 'htab';

/** What each role accepts, in words for the errors. */
export const ROLE_KINDS: Record<Role, { kinds: readonly InputKind[]; words: string }> = {
  hcalls: {
    kinds: ['ftrace', 'trace-cmd', 'perf'],
    words: 'raw ftrace text, `trace-cmd report` or `perf script` output with kvm_hv:kvm_hcall_enter/exit events',
  },
  memslots: {
    kinds: ['qemu-trace', 'strace'],
    words: 'a QEMU `-trace kvm_set_user_memory` log or `strace -e trace=ioctl` lines for KVM_SET_USER_MEMORY_REGION',
  },
  maps: { kinds: ['maps', 'smaps'], words: '/proc/PID/maps or /proc/PID/smaps of the QEMU process' },
  smaps: { kinds: ['smaps'], words: '/proc/PID/smaps of the QEMU process' },
  htab: { kinds: ['htab'], words: 'the KVM debugfs htab dump (vm<PID>/htab)' },
};

export const KIND_WORDS: Record<InputKind, string> = {
  ftrace: 'raw ftrace text',
  'trace-cmd': '`trace-cmd report` output',
  perf: '`perf script` output',
  'qemu-trace': 'a QEMU trace log',
  strace: 'strace output',
  maps: '/proc/PID/maps',
  smaps: '/proc/PID/smaps',
  htab: 'an htab dump',
  hptrace: 'an .hptrace trace',
};

// The shapes, one regular expression each; used on the first lines only (the readers scan by hand).
const EVENT_LINE = /^\s*\S.*-\d+\s+(\(\s*\d+\)\s+)?\[\d+\]\s+(\S{1,5}\s+)?\d+\.\d+:\s+[a-z_0-9]+:\s/;
const PERF_LINE = /^\s*(\S.*\s)?\d+\s+\[\d+\]\s+\d+\.\d+:\s+[a-z_0-9]+:[a-z_0-9]+:/;
const PERF_EVENT = /\[\d+\]\s+\d+\.\d+:\s+[a-z_0-9]+:[a-z_0-9]+:/;
const HAS_FLAGS = /\]\s+\S{1,5}\s+\d+\.\d+:/;
const QEMU_LINE = /(^|\s|:)kvm_set_user_memory\s/;
const STRACE_LINE = /ioctl\(\d+(<[^>]*>)?,\s*KVM_/;
const MAPS_LINE = /^[0-9a-f]+-[0-9a-f]+\s+[r-][w-][x-][ps]\s+[0-9a-f]+\s+[0-9a-f]+:[0-9a-f]+\s+\d+/;
const SMAPS_KEY = /^[A-Z][A-Za-z_]*:(\s|$)/;
const HTAB_LINE = /^\s*[0-9a-f]+ [0-9a-f]{16} [0-9a-f]{16} [0-9a-f]{16}\s*$/;

/** The kind one line shows, or null when it says nothing (blank, comment, ambiguous). */
function lineKind(line: string): InputKind | null {
  if (/^hptrace\s+\d+\s*$/.test(line)) return 'hptrace';
  if (/^version = \d+$|^CPU \d+ is empty$|^cpus=\d+$/.test(line)) return 'trace-cmd';
  if (line.startsWith('# tracer:')) return 'ftrace';
  if ((PERF_LINE.test(line) || PERF_EVENT.test(line)) && !EVENT_LINE.test(line)) return 'perf';
  if (EVENT_LINE.test(line)) return HAS_FLAGS.test(line) ? 'ftrace' : null;
  if (STRACE_LINE.test(line)) return 'strace';
  if (QEMU_LINE.test(line)) return 'qemu-trace';
  if (SMAPS_KEY.test(line)) return 'smaps';
  if (HTAB_LINE.test(line)) return 'htab';
  if (MAPS_LINE.test(line)) return 'maps';
  return null;
}

const SHORT: Record<InputKind, string> = {
  ftrace: 'raw ftrace',
  'trace-cmd': 'trace-cmd report',
  perf: 'perf script',
  'qemu-trace': 'a QEMU trace log',
  strace: 'strace',
  maps: '/proc/PID/maps',
  smaps: '/proc/PID/smaps',
  htab: 'an htab dump',
  hptrace: 'an .hptrace trace',
};

/**
 * For a line that does not fit its file's kind: "mixed input kinds: this line looks like perf
 * script, the file is raw ftrace" when the line clearly belongs to another kind, else null.
 */
export function mixedKind(line: string, kind: InputKind): string | null {
  const k = lineKind(line);
  if (!k || k === kind || k === 'hptrace') return null;
  const events = ['ftrace', 'trace-cmd'];
  if (events.includes(k) && events.includes(kind)) return null;
  if (k === 'maps' && kind === 'smaps') return null;
  return `mixed input kinds: this line looks like ${SHORT[k]}, the file is ${SHORT[kind]}`;
}

/** Bytes looked at to decide a file's kind. */
const SNIFF_BYTES = 256 * 1024;

/**
 * Detects a file's kind from its first lines. Maps and raw ftrace without a flags column are
 * decided only when nothing more specific shows up (smaps repeats maps lines; trace-cmd writes
 * event lines without a flags column). Throws TraceError naming the file when nothing fits.
 */
export function detectKind(file: string): InputKind {
  const fd = fs.openSync(file, 'r');
  let text: string;
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const n = fs.readSync(fd, buf, 0, SNIFF_BYTES, 0);
    text = buf.toString('utf8', 0, n);
    if (n === SNIFF_BYTES) text = text.slice(0, Math.max(text.lastIndexOf('\n'), 0));
  } finally {
    fs.closeSync(fd);
  }
  let sawMaps = false;
  let sawEvent = false;
  const lines = text.split('\n');
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line.trim()) continue;
    const k = lineKind(line);
    if (k === 'maps') {
      sawMaps = true;
      continue;
    }
    if (k === 'ftrace' && !line.startsWith('#')) {
      sawEvent = true;
      return 'ftrace';
    }
    if (k) return k;
    if (EVENT_LINE.test(line)) sawEvent = true;
    if (sawEvent) return 'trace-cmd';
  }
  if (sawEvent) return 'trace-cmd';
  if (sawMaps) return 'maps';
  throw new TraceError(
    file,
    1,
    1,
    2,
    text.trim() ? 'unknown input kind: no line looks like any capture hptrace imports' : 'empty input',
  );
}

/** Detects and checks that the kind fits the option it was given with (e.g. --hcalls). */
export function detectFor(file: string, role: Role): InputKind {
  const k = detectKind(file);
  const want = ROLE_KINDS[role];
  if (!want.kinds.includes(k))
    throw new TraceError(file, 1, 1, 2, `this looks like ${KIND_WORDS[k]}, not what --${role} takes (${want.words})`);
  return k;
}
