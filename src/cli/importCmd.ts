/**
 * `hptrace import`: real captures to an .hptrace trace (src/import does the work), and the
 * `replay --check-htab` report. Exit codes: 0 done, 1 malformed input (FILE:LINE:COL on stderr),
 * 2 bad usage; `replay --check-htab` exits 4 when the replayed HPT and the dump differ.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { KernelVariant } from '../core/machine';
import { TraceError } from '../core/records';
import { CHECK_HTAB_DIFFER, checkHtab, formatHtabCheck } from '../import/checkHtab';
import { importCaptures, SettingError } from '../import/importer';
import { SET_KEYS } from '../import/settings';
import type { Io } from './main';

export const IMPORT_HELP = `usage:
  hptrace import --hcalls FILE [--memslots FILE] [--maps FILE] [--smaps FILE] [--htab FILE]
                 [--set KEY=VALUE ...] [-o OUT.hptrace]

Turns real captures of a PowerPC KVM host into a replayable .hptrace (format 2). Each input's kind
is found from its content:
  --hcalls    kvm_hv:kvm_hcall_enter/exit events: raw ftrace text, trace-cmd report, perf script
  --memslots  QEMU -trace kvm_set_user_memory log, or strace of KVM_SET_USER_MEMORY_REGION
  --maps      /proc/PID/maps (or smaps) of QEMU      --smaps  /proc/PID/smaps of QEMU
  --htab      the KVM debugfs htab dump taken when the capture started (starting HPT)
  --set       values no capture holds: ${SET_KEYS}
              (host.cpu: the host that took the capture; without it the trace is marked partial)
  -o          the output (default: standard output). Inputs are never written; nothing is
              written when the import fails.
Exit status: 0 imported, 1 malformed input (FILE:LINE:COL: message), 2 bad usage.`;

class Usage extends Error {}

/** `hptrace import …`; the summary goes to stdout with -o, else to stderr (the trace is on stdout). */
export function importCommand(argv: string[], io: Io): number {
  try {
    let v;
    try {
      v = parseArgs({
        args: argv,
        options: {
          hcalls: { type: 'string' },
          memslots: { type: 'string' },
          maps: { type: 'string' },
          smaps: { type: 'string' },
          htab: { type: 'string' },
          set: { type: 'string', multiple: true },
          output: { type: 'string', short: 'o' },
          help: { type: 'boolean', short: 'h' },
        },
        allowPositionals: false,
        strict: true,
      }).values;
    } catch (e) {
      throw new Usage((e as Error).message);
    }
    if (v.help) {
      io.out(IMPORT_HELP + '\n');
      return 0;
    }
    if (!v.hcalls) throw new Usage('--hcalls FILE is required');
    const toStdout = !v.output;
    const out = v.output ?? path.join(os.tmpdir(), `hptrace-import-${process.pid}-${Date.now()}.hptrace`);
    const progress = process.env.HPTRACE_PROGRESS === '1';
    const res = importCaptures(
      { hcalls: v.hcalls, memslots: v.memslots, maps: v.maps, smaps: v.smaps, htab: v.htab, set: v.set ?? [] },
      out,
      progress ? { onProgress: (d, t) => io.err(`progress ${d} ${t}\n`) } : {},
    );
    const report = [
      `imported ${v.hcalls} → ${toStdout ? 'standard output' : out}`,
      ...res.summary.map((s) => '  ' + s),
    ];
    if (toStdout) {
      try {
        const fd = fs.openSync(out, 'r');
        const buf = Buffer.allocUnsafe(1 << 20);
        try {
          for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) {
            if (io.outBytes) io.outBytes(buf.subarray(0, n));
            else io.out(buf.toString('utf8', 0, n));
          }
        } finally {
          fs.closeSync(fd);
        }
      } finally {
        fs.unlinkSync(out);
      }
      io.err(report.join('\n') + '\n');
    } else io.out(report.join('\n') + '\n');
    return 0;
  } catch (e) {
    if (e instanceof TraceError) {
      io.err(e.message + '\n');
      return 1;
    }
    if (e instanceof Usage || e instanceof SettingError) {
      io.err(`hptrace import: ${e.message}\n${IMPORT_HELP}\n`);
      return 2;
    }
    throw e;
  }
}

/** `hptrace replay FILE --check-htab DUMP`: 0 when they agree, CHECK_HTAB_DIFFER (4) when not. */
export function checkHtabCommand(file: string, dump: string, kernel: KernelVariant, io: Io): number {
  if (!fs.existsSync(dump) || fs.statSync(dump).isDirectory()) {
    io.err(`hptrace: --check-htab: cannot open ${dump}\n`);
    return 2;
  }
  const c = checkHtab(file, dump, kernel); // TraceError: the caller reports it (exit 1)
  io.out(formatHtabCheck(c, dump).join('\n') + '\n');
  return c.diffs.length ? CHECK_HTAB_DIFFER : 0;
}
