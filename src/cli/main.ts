/**
 * `hptrace` command line: a table of commands (replay, diff, decode, and those other modules register),
 * each parsing its own arguments with Node's util.parseArgs and answering `--help`. Exit codes: 0 done
 * (divergences included), 1 malformed or unreadable trace, 2 bad usage.
 */
import * as fs from 'fs';
import * as path from 'path';
import { returnCodeName, WordKind } from '../core/bits';
import { decodeWord, DEFAULT_CONTEXT } from '../core/decode';
import { decidingCheck } from '../core/explain';
import { executeHcall, HcallResult, reusableResult } from '../core/handlers';
import { Journal } from '../core/journal';
import { forEachLineBytes, NotRegularFileError } from '../core/lines';
import { KernelVariant, Machine } from '../core/machine';
import { emptyTrace, newParserState, parseHcallBytes, parseLine, reusableHcallRecord } from '../core/parser';
import { HcallRecord, TraceError, TraceRecord } from '../core/records';
import {
  applyRecord,
  divergenceDetails,
  diverged,
  hcallDisplayName,
  outObject,
  resultText,
  resultUnknown,
} from '../core/replay';

import { hex, parseU64 } from '../core/u64';
import { asksHelp, checkFile, Command, InputError, Io, kernelOf, parseCommandArgs, UsageError } from './args';
import { formatArgs } from './format';
import { checkHtabCommand, importCommand, IMPORT_HELP } from './importCmd';
import { ByteSink, writeFinal, writeStep } from './jsonOut';
import { cmdCompare, cmdState, COMPARE_HELP, STATE_HELP } from './stateCmd';

/** Summary key of the hcalls whose emulated result is unknown (format 2); no return code has it. */
const UNKNOWN_KEY = 0x7ffffffe;

const REPLAY_HELP = `hptrace replay FILE [--json] [--kernel io|pre-io] [--quiet] [--check-htab DUMP]

Replays the trace through the emulated KVM handlers and prints a table (line, hcall, decoded
arguments, result; for a failure the check that decided it; divergences from the recorded results
marked !! DIVERGED) and a summary by return code.

  --kernel io|pre-io  the kernel to emulate: io (default) = with the seed commit "KVM: PPC: Allow I/O
                      mappings in memory slots", pre-io = just before it
  --json              write the format's JSON Lines (one object per hcall, then the final state)
  --quiet             print only the summary
  --check-htab DUMP   compare the final HPT with a KVM debugfs htab dump instead of printing the
                      replay: exit 0 when they agree, 4 when they differ
  -h, --help          this text

Exit status: 0 replayed (divergences included), 1 malformed trace (FILE:LINE:COL: message on
standard error) or a FILE that is not a regular file, 2 bad usage, 4 (--check-htab) the HPT and the
dump differ.`;

const DIFF_HELP = `hptrace diff FILE

Replays the trace with both kernels and lists the hcalls whose result differs between the kernel
before the seed commit (pre-io) and after it (io), with the reason.

  -h, --help          this text

Exit status as for replay.`;

const DECODE_HELP = `hptrace decode VALUE [--as v|r|slot_phys] [--page 4K|64K]

Prints every field of a 64-bit VALUE (0x hex or decimal) read as an HPTE first doubleword (v), an
HPTE second doubleword (r) or a slot_phys entry; all three without --as.

  --as v|r|slot_phys  only this reading
  --page 4K|64K       host page size for slot_phys (default 64K)
  -h, --help          this text

Exit status: 0, or 2 for bad usage (including a VALUE that is not a 64-bit number).`;

export type { Command, CommandMain, Io } from './args';
export { InputError, UsageError } from './args';

/**
 * The command table. Another module adds a command with one line here: its name, its help text and
 * its entry point, e.g. `{ name: 'import', help: IMPORT_HELP, run: importMain },`.
 */
export const COMMANDS: readonly Command[] = [
  { name: 'replay', help: REPLAY_HELP, run: cmdReplay },
  { name: 'diff', help: DIFF_HELP, run: cmdDiff },
  { name: 'decode', help: DECODE_HELP, run: cmdDecode },
  { name: 'state', help: STATE_HELP, run: cmdState },
  { name: 'compare', help: COMPARE_HELP, run: cmdCompare },
  { name: 'import', help: IMPORT_HELP, run: importCommand },
];

/**
 * A command's usage line: its help up to the first blank line, without a leading "usage:", on one
 * line (a help may spread its usage over several lines).
 */
export function usageLine(c: Command): string {
  return c.help
    .split(/\n\s*\n/, 1)[0]
    .replace(/^usage:\s*/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function usage(): string {
  const lines = COMMANDS.map((c) => '  ' + usageLine(c));
  const names = COMMANDS.map((c) => c.name).join(', ');
  return `usage:
${lines.join('\n')}
  hptrace --version | --help

Commands: ${names}. \`hptrace COMMAND --help\` describes a command and its options.
Exit status: 0 done, 1 malformed or unreadable trace (FILE:LINE:COL: message), 2 bad usage.`;
}

/**
 * Streams a trace file through a machine; calls onHcall for each hcall. Throws TraceError.
 * rec and res are reused from one hcall to the next: onHcall must not keep them.
 */
export function replayFile(
  file: string,
  kernel: KernelVariant,
  explain: boolean,
  onHcall: (rec: HcallRecord, res: HcallResult) => void,
): Machine {
  const st = newParserState(file);
  const m = new Machine(kernel, file);
  m.journal = new Journal(false); // forwards only: nothing to undo
  const hrec = reusableHcallRecord();
  const hres = reusableResult();
  // A trace with only an "hptrace 1" line is valid and empty; an empty file is not.
  forEachLineBytes(file, (buf, start, end, lineNo) => {
    // Hcall lines: bytes straight to a reused record, no string; the rest goes through parseLine.
    const k = parseHcallBytes(st, lineNo, buf, start, end, hrec);
    if (k === 0) return;
    if (k === 1) {
      onHcall(hrec, executeHcall(m, hrec, explain, hres));
      return;
    }
    const rec: TraceRecord | null = parseLine(st, lineNo, buf.toString('utf8', start, end));
    if (!rec) return;
    const res = applyRecord(m, rec, explain);
    if (res && rec.kind === 'hcall') onHcall(rec, res);
  });
  if (!st.sawHeader) throw emptyTrace(file);
  return m;
}

function cmdReplay(argv: string[], io: Io): number {
  const o = parseCommandArgs(argv, {
    json: { type: 'boolean' },
    kernel: { type: 'string' },
    quiet: { type: 'boolean' },
    'check-htab': { type: 'string' },
  });
  if (o.positionals.length !== 1) throw new UsageError('replay takes exactly one FILE');
  const file = checkFile(o.positionals[0]);
  const kernel = kernelOf(o.values.kernel);
  const dump = o.values['check-htab'];
  if (typeof dump === 'string') return checkHtabCommand(file, dump, kernel, io); // src/import/checkHtab.ts
  const json = o.values.json === true;
  const quiet = o.values.quiet === true;
  // Results by return code (null: not emulated), in the order first seen: the summary lists equal
  // counts in that order. Keyed by the code, not its name: no name lookup per hcall.
  const counts = new Map<number | null, number>();
  let divergences = 0;
  let hcalls = 0;
  const buf: string[] = [];
  let bufLen = 0;
  const emit = (s: string) => {
    buf.push(s);
    bufLen += s.length;
    if (bufLen > 1 << 20) flush();
  };
  const flush = () => {
    if (buf.length) io.out(buf.join('\n') + '\n');
    buf.length = 0;
    bufLen = 0;
  };
  if (json) {
    const sink = new ByteSink(
      io.outBytes ?? ((b) => io.out(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'))),
    );
    const m = replayFile(file, kernel, false, (rec, res) => writeStep(sink, rec, res, diverged(rec, res)));
    writeFinal(sink, m);
    return 0;
  }
  if (!quiet) emit(`${'line'.padStart(6)}  ${'hcall'.padEnd(13)} ${'arguments'.padEnd(62)} result`);
  replayFile(file, kernel, !quiet, (rec, res) => {
    hcalls++;
    const div = diverged(rec, res);
    if (div) divergences++;
    const key = resultUnknown(rec, res) ? UNKNOWN_KEY : res.ret; // format 2: unknown is counted apart
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (!quiet) emit(textRow(rec, res, div));
  });
  emit('');
  emit(
    `${hcalls} hcalls replayed with kernel ${kernel}${divergences ? `, ${divergences} diverged from the recording` : ''}`,
  );
  const named = [...counts].map(
    ([ret, n]) =>
      [ret === null ? '(not emulated)' : ret === UNKNOWN_KEY ? '(unknown)' : returnCodeName(ret), n] as const,
  );
  for (const [k, v] of named.sort((a, b) => b[1] - a[1])) emit(`  ${k.padEnd(16)} ${v}`);
  flush();
  return 0;
}

function textRow(rec: HcallRecord, res: HcallResult, div: boolean): string {
  const name = hcallDisplayName(rec);
  let result = res.ret === null ? `(${resultText(rec, res)})` : returnCodeName(res.ret);
  const out = outObject(res);
  const regs = Object.entries(out)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const longRegs = res.outCount > 2;
  if (regs && !longRegs) result += ' ' + regs;
  let row = `${String(rec.line).padStart(6)}  ${name.padEnd(13)} ${formatArgs(rec).padEnd(62)} ${result}`;
  if (regs && longRegs) row += `\n${''.padStart(8)}  ${regs}`;
  if (res.madeCacheable) row += '  (RAM made cacheable)';
  if (res.checks && res.ret !== null && res.ret !== 0) {
    const c = decidingCheck(res.checks.checks, false);
    if (c) row += `\n${''.padStart(8)}└ ${c.fn}: ${c.detail}`;
  }
  if (div) row += `\n${''.padStart(8)}!! DIVERGED: ${divergenceDetails(rec, res).join('; ')}`;
  return row;
}

function cmdDiff(argv: string[], io: Io): number {
  const o = parseCommandArgs(argv, {});
  if (o.positionals.length !== 1) throw new UsageError('diff takes exactly one FILE');
  const file = checkFile(o.positionals[0]);
  const pre: { line: number; ret: string; out: string; why: string }[] = [];
  replayFile(file, 'pre-io', true, (rec, res) =>
    pre.push({
      line: rec.line,
      ret: res.ret === null ? '-' : returnCodeName(res.ret),
      out: JSON.stringify(outObject(res)),
      why: res.checks && res.ret !== 0 ? (decidingCheck(res.checks.checks, false)?.detail ?? '') : '',
    }),
  );
  let i = 0;
  let n = 0;
  const lines: string[] = [];
  replayFile(file, 'io', true, (rec, res) => {
    const p = pre[i++];
    const ret = res.ret === null ? '-' : returnCodeName(res.ret);
    const out = JSON.stringify(outObject(res));
    if (p.ret !== ret || p.out !== out) {
      n++;
      // Say why the side that failed failed; for the seed's silent fix-up, say so.
      const c = res.checks && res.ret !== 0 ? decidingCheck(res.checks.checks, false) : undefined;
      const why = res.madeCacheable
        ? 'io: RAM made cacheable'
        : c
          ? `io: ${c.detail}`
          : p.why
            ? `pre-io: ${p.why}`
            : `outputs differ: pre-io ${p.out} io ${out}`;
      lines.push(
        `${String(rec.line).padStart(6)}  ${hcallDisplayName(rec).padEnd(9)} pre-io ${p.ret.padEnd(12)} io ${ret.padEnd(12)} ${why}`,
      );
    }
  });
  lines.push(`${n} of ${pre.length} hcalls differ between kernel pre-io and io (the seed commit)`);
  io.out(lines.join('\n') + '\n');
  return 0;
}

function cmdDecode(argv: string[], io: Io): number {
  const o = parseCommandArgs(argv, { as: { type: 'string' }, page: { type: 'string' } });
  if (o.positionals.length !== 1) throw new UsageError('decode takes exactly one VALUE');
  const v = parseU64(o.positionals[0]);
  if (!v) throw new UsageError(`not a 64-bit number: ${o.positionals[0]}`);
  const as = o.values.as ?? 'all';
  const kinds: WordKind[] = as === 'all' ? ['v', 'r', 'slot_phys'] : [as as WordKind];
  if (!['all', 'v', 'r', 'slot_phys'].includes(as)) throw new UsageError('--as must be v, r or slot_phys');
  const page = o.values.page ?? '64K';
  if (page !== '4K' && page !== '64K') throw new UsageError('--page must be 4K or 64K');
  const ctx = { ...DEFAULT_CONTEXT, pageSize: page === '4K' ? 4096 : 65536 };
  const lines: string[] = [];
  for (const k of kinds) {
    lines.push(
      `${hex(v)} as ${k === 'v' ? 'HPTE first doubleword (v / pteh)' : k === 'r' ? 'HPTE second doubleword (r / ptel)' : `slot_phys entry (host page ${page})`}:`,
    );
    for (const f of decodeWord(v, k, ctx))
      lines.push(
        `  ${f.field.name.padEnd(10)} ${('bits ' + f.bits).padEnd(11)} ${hex(f.value).padEnd(20)} ${f.meaning}`,
      );
    if (k === 'slot_phys')
      lines.push(
        `  ${'pfn'.padEnd(10)} ${('bits 63:' + (page === '4K' ? 12 : 16)).padEnd(11)} 0x${Math.floor((v.hi * 4294967296 + v.lo) / ctx.pageSize).toString(16)}`,
      );
  }
  io.out(lines.join('\n') + '\n');
  return 0;
}

/**
 * Runs a command line; returns the exit code (a promise only when the command is asynchronous).
 * Errors other than usage, input and trace errors propagate (the bin reports them as internal, 3).
 */
export function main(argv: string[], io: Io): number | Promise<number> {
  const [cmd, ...rest] = argv;
  const c = COMMANDS.find((x) => x.name === cmd);
  const fail = (e: unknown): number => {
    if (e instanceof TraceError || e instanceof InputError || e instanceof NotRegularFileError) {
      io.err(e.message + '\n');
      return 1;
    }
    if (e instanceof UsageError) {
      const use = c ? `usage: ${usageLine(c)}\n(hptrace ${c.name} --help for more)` : usage();
      io.err(`hptrace${c ? ' ' + c.name : ''}: ${e.message}\n${use}\n`);
      return 2;
    }
    throw e;
  };
  try {
    if (c) {
      if (asksHelp(rest)) {
        io.out(c.help + '\n');
        return 0;
      }
      const r = c.run(rest, io);
      return typeof r === 'number' ? r : r.catch(fail);
    }
    switch (cmd) {
      case '--version':
        io.out(`hptrace ${readVersion()}\n`);
        return 0;
      case '--help':
      case '-h':
      case 'help':
        if (rest.length && cmd === 'help') return main([rest[0], '--help'], io);
        io.out(usage() + '\n');
        return 0;
      default:
        throw new UsageError(cmd ? `unknown command ${cmd}` : 'missing command');
    }
  } catch (e) {
    return fail(e);
  }
}

function readVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}
