/**
 * `hptrace import`: real captures to an .hptrace trace (src/import does the work), and the
 * `replay --check-htab` report. Exit codes: 0 done, 1 malformed input (FILE:LINE:COL on stderr),
 * 2 bad usage; `replay --check-htab` exits 4 when the replayed HPT and the dump differ.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KernelVariant } from '../core/machine';
import { CHECK_HTAB_DIFFER, checkHtab, formatHtabCheck } from '../import/checkHtab';
import { importCaptures, SettingError, UnreadableInputError } from '../import/importer';
import { SET_KEYS } from '../import/settings';
import { checkFile, InputError, Io, parseCommandArgs, UsageError } from './args';

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

/**
 * `hptrace import …`; the summary goes to stdout with -o, else to stderr (the trace is on stdout).
 * Usage and trace errors become exit codes 2 and 1 in main.ts, as for every command; --help too.
 */
export function importCommand(argv: string[], io: Io): number {
  const { values: v, positionals } = parseCommandArgs(argv, {
    hcalls: { type: 'string' },
    memslots: { type: 'string' },
    maps: { type: 'string' },
    smaps: { type: 'string' },
    htab: { type: 'string' },
    set: { type: 'string', multiple: true },
    output: { type: 'string', short: 'o' },
  });
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}: inputs go with their options`);
  if (!v.hcalls) throw new UsageError('--hcalls FILE is required');
  const toStdout = !v.output;
  const out = v.output ?? path.join(os.tmpdir(), `hptrace-import-${process.pid}-${Date.now()}.hptrace`);
  const progress = process.env.HPTRACE_PROGRESS === '1';
  let res;
  try {
    res = importCaptures(
      { hcalls: v.hcalls, memslots: v.memslots, maps: v.maps, smaps: v.smaps, htab: v.htab, set: v.set ?? [] },
      out,
      progress ? { onProgress: (d, t) => io.err(`progress ${d} ${t}\n`) } : {},
    );
  } catch (e) {
    if (e instanceof SettingError) throw new UsageError(e.message);
    if (e instanceof UnreadableInputError) throw new InputError(e.message);
    throw e;
  }
  const report = [`imported ${v.hcalls} → ${toStdout ? 'standard output' : out}`, ...res.summary.map((s) => '  ' + s)];
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
}

/** `hptrace replay FILE --check-htab DUMP`: 0 when they agree, CHECK_HTAB_DIFFER (4) when not. */
export function checkHtabCommand(file: string, dump: string, kernel: KernelVariant, io: Io): number {
  checkFile(dump, 'DUMP'); // like every input: usage (2) when missing or a directory, 1 when not a regular file
  const c = checkHtab(file, dump, kernel); // TraceError: the caller reports it (exit 1)
  io.out(formatHtabCheck(c, dump).join('\n') + '\n');
  return c.diffs.length ? CHECK_HTAB_DIFFER : 0;
}
