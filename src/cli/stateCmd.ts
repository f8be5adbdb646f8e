/**
 * `hptrace state FILE --at LINE` and `hptrace compare FILE --from LINE --to LINE`: the machine state
 * after a line (with --json, the shape of replay --json's `final` object) and the comparison of two
 * such states. Both read the trace through the seekable engine, only as far as the later line.
 * Exit codes as for replay: 0 done, 1 malformed trace (before the line asked for), 2 bad usage.
 */
import { comparisonText, compareLines, stateAt, stateText } from '../core/compare';
import { Engine } from '../core/engine';
import { KernelVariant } from '../core/machine';
import { checkFile, Io, kernelOf, parseCommandArgs, UsageError } from './args';

export const STATE_HELP = `usage: hptrace state FILE --at LINE [--json] [--kernel io|pre-io]

Prints the emulated machine after every record on lines 1..LINE: memslots, vmas, the valid HPT
entries (decoded) and the non-zero slot_phys entries. With --json, one object in the shape of the
"final" object of \`hptrace replay --json\` ({"slot_phys":[…],"hpt":[…]}).
The trace is read only up to LINE; a malformed line after it is not reported.`;

export const COMPARE_HELP = `usage: hptrace compare FILE --from LINE --to LINE [--json] [--kernel io|pre-io]

Compares the machine after line FROM with the machine after line TO: HPT entries added, removed and
changed (decoded, with the line of the record that last wrote each), slot_phys entries filled,
changed and cleared, memslots and vmas that changed. --json prints the comparison as one object.`;

function lineArg(v: string | undefined, name: string): number {
  if (v === undefined) throw new UsageError(`--${name} LINE is required`);
  if (!/^\d+$/.test(v.trim())) throw new UsageError(`--${name} must be a line number, not '${v}'`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} ${v} is too large`);
  return n;
}

/** The one FILE of a command (usage errors as for every command; see args.ts checkFile). */
function fileArg(positionals: string[], cmd: string): string {
  if (positionals.length !== 1) throw new UsageError(`${cmd} takes exactly one FILE`);
  return checkFile(positionals[0]);
}

function withEngine<T>(file: string, kernel: KernelVariant, fn: (e: Engine) => T): T {
  const e = new Engine(file, kernel);
  try {
    return fn(e);
  } finally {
    e.close();
  }
}

// Usage, input and trace errors become exit codes 2 and 1 in main.ts, as for every command; --help too.
export function cmdState(argv: string[], io: Io): number {
  const { values, positionals } = parseCommandArgs(argv, {
    at: { type: 'string' },
    json: { type: 'boolean' },
    kernel: { type: 'string' },
  });
  const file = fileArg(positionals, 'state');
  const at = lineArg(values.at, 'at');
  const kernel = kernelOf(values.kernel);
  const s = withEngine(file, kernel, (e) => stateAt(e, at));
  io.out(values.json ? JSON.stringify(s.final) + '\n' : stateText(s));
  return 0;
}

export function cmdCompare(argv: string[], io: Io): number {
  const { values, positionals } = parseCommandArgs(argv, {
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean' },
    kernel: { type: 'string' },
  });
  const file = fileArg(positionals, 'compare');
  const from = lineArg(values.from, 'from');
  const to = lineArg(values.to, 'to');
  const kernel = kernelOf(values.kernel);
  const c = withEngine(file, kernel, (e) => compareLines(e, from, to));
  io.out(values.json ? JSON.stringify(c) + '\n' : comparisonText(c, file));
  return 0;
}
