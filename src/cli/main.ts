/**
 * `hptrace` command line: replay, diff and decode. Exit codes: 0 replayed (divergences included),
 * 1 malformed trace, 2 bad usage.
 */
import * as fs from 'fs';
import * as path from 'path';
import { returnCodeName, WordKind } from '../core/bits';
import { decodeWord, DEFAULT_CONTEXT } from '../core/decode';
import { decidingCheck } from '../core/explain';
import { executeHcall, HcallResult, reusableResult } from '../core/handlers';
import { Journal } from '../core/journal';
import { forEachLineBytes } from '../core/lines';
import { KernelVariant, KERNEL_VARIANTS, Machine } from '../core/machine';
import { newParserState, parseHcallBytes, parseLine, reusableHcallRecord } from '../core/parser';
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
import { formatArgs } from './format';
import { checkHtabCommand, importCommand } from './importCmd';
import { ByteSink, writeFinal, writeStep } from './jsonOut';
import { cmdCompare, cmdState } from './stateCmd';

/** Summary key of the hcalls whose emulated result is unknown (format 2); no return code has it. */
const UNKNOWN_KEY = 0x7ffffffe;

const USAGE = `usage:
  hptrace replay FILE [--json] [--kernel io|pre-io] [--quiet] [--check-htab DUMP]
  hptrace import --hcalls FILE [--memslots FILE] [--maps FILE] [--smaps FILE] [--htab FILE] [--set KEY=VALUE ...] [-o OUT]
  hptrace diff FILE
  hptrace decode VALUE [--as v|r|slot_phys] [--page 4K|64K]
  hptrace state FILE --at LINE [--json] [--kernel io|pre-io]
  hptrace compare FILE --from LINE --to LINE [--json] [--kernel io|pre-io]
  hptrace --version | --help

replay   replays the trace through the emulated KVM handlers (kernel 'io' = with the seed commit
         "KVM: PPC: Allow I/O mappings in memory slots", 'pre-io' = just before it). --json writes
         the spec's JSON Lines; --quiet prints only the summary. --check-htab compares the final
         HPT with an htab dump: exit 0 when they agree, 4 when they differ.
diff     lists the hcalls whose result differs between the two kernel variants.
import   turns real captures (ftrace, trace-cmd, perf script, QEMU trace, strace, maps, smaps,
         htab) into a format-2 trace; \`hptrace import --help\` for details.
decode   prints every field of an HPTE first (v) or second (r) doubleword or a slot_phys entry.`;

class UsageError extends Error {}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Raw bytes for standard output (the bulk of --json); without it they go to out() as text. */
  outBytes?: (b: Uint8Array) => void;
}

interface Options {
  positional: string[];
  flags: Map<string, string | true>;
}

function parseArgs(argv: string[], valued: string[]): Options {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (valued.includes(name)) {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`--${name} needs a value`);
        flags.set(name, v);
      } else if (eq > 0) throw new UsageError(`--${name} takes no value`);
      else flags.set(name, true);
    } else positional.push(a);
  }
  return { positional, flags };
}

function only(o: Options, allowed: string[]): void {
  for (const k of o.flags.keys()) if (!allowed.includes(k)) throw new UsageError(`unknown option --${k}`);
}

function kernelOf(o: Options): KernelVariant {
  const k = o.flags.get('kernel') ?? 'io';
  if (!KERNEL_VARIANTS.includes(k as KernelVariant))
    throw new UsageError(`--kernel must be one of ${KERNEL_VARIANTS.join(', ')}`);
  return k as KernelVariant;
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
  if (!st.sawHeader) throw new TraceError(file, 1, 1, 2, 'empty trace: expected the header "hptrace 1"');
  return m;
}

function checkFile(file: string | undefined): string {
  if (!file) throw new UsageError('missing FILE');
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new UsageError(`cannot open ${file}: no such file`);
  }
  if (stat.isDirectory()) throw new UsageError(`${file} is a directory`);
  return file;
}

function cmdReplay(argv: string[], io: Io): number {
  const o = parseArgs(argv, ['kernel', 'check-htab']);
  only(o, ['json', 'kernel', 'quiet', 'check-htab']);
  if (o.positional.length !== 1) throw new UsageError('replay takes exactly one FILE');
  const file = checkFile(o.positional[0]);
  const kernel = kernelOf(o);
  const dump = o.flags.get('check-htab');
  if (typeof dump === 'string') return checkHtabCommand(file, dump, kernel, io); // src/import/checkHtab.ts
  const json = o.flags.has('json');
  const quiet = o.flags.has('quiet');
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
  const o = parseArgs(argv, []);
  only(o, []);
  if (o.positional.length !== 1) throw new UsageError('diff takes exactly one FILE');
  const file = checkFile(o.positional[0]);
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
  const o = parseArgs(argv, ['as', 'page']);
  only(o, ['as', 'page']);
  if (o.positional.length !== 1) throw new UsageError('decode takes exactly one VALUE');
  const v = parseU64(o.positional[0]);
  if (!v) throw new UsageError(`not a 64-bit number: ${o.positional[0]}`);
  const as = (o.flags.get('as') ?? 'all') as string;
  const kinds: WordKind[] = as === 'all' ? ['v', 'r', 'slot_phys'] : [as as WordKind];
  if (!['all', 'v', 'r', 'slot_phys'].includes(as)) throw new UsageError('--as must be v, r or slot_phys');
  const page = o.flags.get('page') ?? '64K';
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

export function main(argv: string[], io: Io): number {
  try {
    const [cmd, ...rest] = argv;
    switch (cmd) {
      case 'replay':
        return cmdReplay(rest, io);
      case 'diff':
        return cmdDiff(rest, io);
      case 'decode':
        return cmdDecode(rest, io);
      case 'state':
        return cmdState(rest, io);
      case 'compare':
        return cmdCompare(rest, io);
      case 'import':
        return importCommand(rest, io);
      case '--version':
        io.out(`hptrace ${readVersion()}\n`);
        return 0;
      case '--help':
      case '-h':
      case 'help':
        io.out(USAGE + '\n');
        return 0;
      default:
        throw new UsageError(cmd ? `unknown command ${cmd}` : 'missing command');
    }
  } catch (e) {
    if (e instanceof TraceError) {
      io.err(e.message + '\n');
      return 1;
    }
    if (e instanceof UsageError) {
      io.err(`hptrace: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
}

function readVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}
