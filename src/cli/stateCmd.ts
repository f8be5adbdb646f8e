/**
 * `hptrace state FILE --at LINE` and `hptrace compare FILE --from LINE --to LINE`: the machine state
 * after a line (with --json, the shape of replay --json's `final` object) and the comparison of two
 * such states. Both read the trace through the seekable engine, only as far as the later line.
 * Exit codes as for replay: 0 done, 1 malformed trace (before the line asked for), 2 bad usage.
 */
import * as fs from 'fs';
import { parseArgs } from 'util';
import { comparisonText, compareLines, stateAt, stateText } from '../core/compare';
import { Engine } from '../core/engine';
import { KernelVariant, KERNEL_VARIANTS } from '../core/machine';
import { TraceError } from '../core/records';

/** The CLI's output channels (structurally the same as main.ts's Io). */
export interface StateIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export const STATE_HELP = `usage: hptrace state FILE --at LINE [--json] [--kernel io|pre-io]

Prints the emulated machine after every record on lines 1..LINE: memslots, vmas, the valid HPT
entries (decoded) and the non-zero slot_phys entries. With --json, one object in the shape of the
"final" object of \`hptrace replay --json\` ({"slot_phys":[…],"hpt":[…]}).
The trace is read only up to LINE; a malformed line after it is not reported.`;

export const COMPARE_HELP = `usage: hptrace compare FILE --from LINE --to LINE [--json] [--kernel io|pre-io]

Compares the machine after line FROM with the machine after line TO: HPT entries added, removed and
changed (decoded, with the line of the record that last wrote each), slot_phys entries filled,
changed and cleared, memslots and vmas that changed. --json prints the comparison as one object.`;

class UsageError extends Error {}

function lineArg(v: string | undefined, name: string): number {
  if (v === undefined) throw new UsageError(`--${name} LINE is required`);
  if (!/^\d+$/.test(v.trim())) throw new UsageError(`--${name} must be a line number, not '${v}'`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} ${v} is too large`);
  return n;
}

function kernelArg(v: string | undefined): KernelVariant {
  const k = v ?? 'io';
  if (!KERNEL_VARIANTS.includes(k as KernelVariant))
    throw new UsageError(`--kernel must be one of ${KERNEL_VARIANTS.join(', ')}`);
  return k as KernelVariant;
}

function fileArg(positionals: string[], cmd: string): string {
  if (positionals.length !== 1) throw new UsageError(`${cmd} takes exactly one FILE`);
  const file = positionals[0];
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new UsageError(`cannot open ${file}: no such file`);
  }
  if (st.isDirectory()) throw new UsageError(`${file} is a directory`);
  return file;
}

/** Runs a command body with the CLI's error conventions. */
function run(io: StateIo, help: string, body: () => void): number {
  try {
    body();
    return 0;
  } catch (e) {
    if (e instanceof TraceError) {
      io.err(e.message + '\n');
      return 1;
    }
    if (
      e instanceof UsageError ||
      (e instanceof TypeError && /^ERR_PARSE_ARGS/.test(String((e as { code?: string }).code)))
    ) {
      io.err(`hptrace: ${e.message}\n${help}\n`);
      return 2;
    }
    throw e;
  }
}

function withEngine<T>(file: string, kernel: KernelVariant, fn: (e: Engine) => T): T {
  const e = new Engine(file, kernel);
  try {
    return fn(e);
  } finally {
    e.close();
  }
}

export function cmdState(argv: string[], io: StateIo): number {
  return run(io, STATE_HELP, () => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        at: { type: 'string' },
        json: { type: 'boolean' },
        kernel: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.out(STATE_HELP + '\n');
      return;
    }
    const file = fileArg(positionals, 'state');
    const at = lineArg(values.at, 'at');
    const kernel = kernelArg(values.kernel);
    const s = withEngine(file, kernel, (e) => stateAt(e, at));
    io.out(values.json ? JSON.stringify(s.final) + '\n' : stateText(s));
  });
}

export function cmdCompare(argv: string[], io: StateIo): number {
  return run(io, COMPARE_HELP, () => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        json: { type: 'boolean' },
        kernel: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.out(COMPARE_HELP + '\n');
      return;
    }
    const file = fileArg(positionals, 'compare');
    const from = lineArg(values.from, 'from');
    const to = lineArg(values.to, 'to');
    const kernel = kernelArg(values.kernel);
    const c = withEngine(file, kernel, (e) => compareLines(e, from, to));
    io.out(values.json ? JSON.stringify(c) + '\n' : comparisonText(c, file));
  });
}
