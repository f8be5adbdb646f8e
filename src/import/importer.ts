/**
 * `hptrace import`: real captures in, one .hptrace (format 2) out. The output is written to a
 * temporary file next to the destination and renamed only when the whole import succeeded, so a
 * failed import leaves nothing behind; inputs are only ever read. The hcall capture is streamed
 * line by line (memory: one pending call per VCPU); the host-side inputs are small.
 */
import * as fs from 'fs';
import * as path from 'path';
import { forEachLineBytes, isPathMistake, notReadableTrace } from '../core/lines';
import { Machine } from '../core/machine';
import { newParserState, parseLine, ParserState } from '../core/parser';
import { TraceError } from '../core/records';
import { applyRecord } from '../core/replay';
import { copyBytes, HcallPairer, HcallStats, POSITIONAL_NOTE } from './hcallEvents';
import { forEachHtabEntry, MapEntry, readMaps, readMemslots, SlotEvent } from './hostInputs';
import { detectFor, HcallKind, InputKind, KIND_WORDS, MapsKind, MemslotKind } from './kinds';
import { ImportSettings, parseSettings, SettingError } from './settings';

export interface ImportInputs {
  hcalls: string;
  memslots?: string;
  maps?: string;
  smaps?: string;
  htab?: string;
  /** `--set KEY=VALUE` items. */
  set?: readonly string[];
}

export interface ImportResult {
  out: string;
  kinds: { option: string; file: string; kind: InputKind }[];
  stats: HcallStats;
  coverage: 'complete' | 'partial';
  why: string[];
  vmas: number;
  memslots: number;
  hptes: number;
  /** Lines for the user: what was kept, dropped and defaulted. */
  summary: string[];
}

export interface ImportOptions {
  /** Called now and then with the bytes of the hcall capture read so far and its size. */
  onProgress?: (done: number, total: number) => void;
}

export { SettingError };

/** An input that exists but cannot be read as a file (a FIFO, a device, no permission): exit 1 in the CLI. */
export class UnreadableInputError extends Error {}

/** Width the coverage line is padded to, so it can be rewritten in place once the hcalls are read. */
const COVERAGE_WIDTH = 200;

class OutWriter {
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  offset = 0;
  /** Lines written by line() (the records checked as they go out; hcall bytes are not counted). */
  lines = 0;
  constructor(readonly fd: number) {}
  line(s: string): void {
    if (s.length * 3 + 1 > this.buf.length - this.pos) this.flush();
    if (s.length * 3 + 1 > this.buf.length) {
      const b = Buffer.from(s + '\n', 'utf8');
      this.writeAll(b, 0, b.length);
      this.offset += b.length;
    } else {
      const n = this.buf.write(s, this.pos, 'utf8');
      this.buf[this.pos + n] = 10;
      this.pos += n + 1;
      this.offset += n + 1;
    }
    this.lines++;
  }
  /** Raw bytes, already ending in a line break where a line ends (not counted in `lines`). */
  bytes(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n > this.buf.length - this.pos || n >= 1 << 14) {
      this.flush();
      if (n >= 1 << 14) {
        // a big piece (the pairer's stage of finished lines): written as it is, not copied
        this.writeAll(src, start, end);
        this.offset += n;
        return;
      }
    }
    this.pos = copyBytes(this.buf, this.pos, src, start, end);
    this.offset += n;
  }
  flush(): void {
    this.writeAll(this.buf, 0, this.pos);
    this.pos = 0;
  }
  /** src[start, end) to the file, across partial writes. */
  private writeAll(src: Uint8Array, start: number, end: number): void {
    for (let p = start; p < end;) p += fs.writeSync(this.fd, src, p, end - p);
  }
}

function sameFile(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** Where an import by process `pid` writes before renaming to `out` (a killed import leaves it). */
export function importTempPath(out: string, pid: number): string {
  return path.join(path.dirname(path.resolve(out)), `.${path.basename(out)}.import-${pid}.tmp`);
}

/**
 * Imports the captures into `out`. Throws TraceError (a malformed input line, FILE:LINE:COL with
 * FILE as given) or SettingError (a bad --set, or an output that is one of the inputs).
 */
export function importCaptures(inp: ImportInputs, out: string, opts: ImportOptions = {}): ImportResult {
  const settings = parseSettings(inp.set ?? []);
  const given: [string, string | undefined][] = [
    ['hcalls', inp.hcalls],
    ['memslots', inp.memslots],
    ['maps', inp.maps],
    ['smaps', inp.smaps],
    ['htab', inp.htab],
  ];
  for (const [opt, f] of given)
    if (f && sameFile(f, out))
      throw new SettingError(`the output ${out} is the --${opt} input: import never writes into an input`);
  const kinds: ImportResult['kinds'] = [];
  for (const [opt, f] of given) {
    if (!f) continue;
    // The CLI's checks and words (core's notReadableTrace): nothing is read from a FIFO or a device.
    const why = notReadableTrace(f);
    if (isPathMistake(why)) throw new SettingError(`--${opt}: ${f}: ${why}`);
    if (why) throw new UnreadableInputError(`${f}: ${why}`);
    kinds.push({ option: opt, file: f, kind: detectFor(f, opt as 'hcalls') });
  }
  const dir = path.dirname(path.resolve(out));
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new SettingError(`-o: no folder ${dir} for ${out}`);
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) throw new SettingError(`-o: ${out} is a folder`);
  const tmp = importTempPath(out, process.pid);
  const fd = fs.openSync(tmp, 'w');
  let ok = false;
  try {
    const res = write(fd, inp, kinds, settings, out, opts);
    fs.closeSync(fd);
    fs.renameSync(tmp, out);
    ok = true;
    return res;
  } finally {
    if (!ok) {
      try {
        fs.closeSync(fd);
      } catch {
        /* closed */
      }
      try {
        fs.unlinkSync(tmp);
      } catch {
        /* gone */
      }
    }
  }
}

function write(
  fd: number,
  inp: ImportInputs,
  kinds: ImportResult['kinds'],
  set: ImportSettings,
  out: string,
  opts: ImportOptions,
): ImportResult {
  const w = new OutWriter(fd);
  const kindOf = (opt: string) => kinds.find((k) => k.option === opt)?.kind;
  const summary: string[] = [];
  // The machine checks every host record as it is written, so the output replays; a refusal is
  // reported at the input line the record came from.
  const m = new Machine('io', out);
  const st: ParserState = newParserState(out);
  const setup = (text: string, srcFile: string, srcLine: number): void => {
    w.line(text);
    try {
      const rec = parseLine(st, w.lines, text);
      if (rec) applyRecord(m, rec);
    } catch (e) {
      if (!(e instanceof TraceError)) throw e;
      throw new TraceError(srcFile, srcLine, 1, 2, e.detail);
    }
  };

  setup('hptrace 2', inp.hcalls, 1);
  w.line('# Imported by `hptrace import` from captures (no input file was changed):');
  for (const k of kinds) w.line(`#   --${k.option} ${k.file}: ${KIND_WORDS[k.kind]}`);
  w.flush();
  const coverageAt = w.offset;
  w.line('coverage partial'.padEnd(COVERAGE_WIDTH)); // rewritten in place at the end
  st.sawCoverage = true;

  // ---- machine configuration --------------------------------------------------------------
  const mapsFile = inp.smaps ?? inp.maps;
  const mapsKind = (inp.smaps ? 'smaps' : kindOf('maps')) as MapsKind | undefined;
  const maps: MapEntry[] = mapsFile && mapsKind ? readMaps(mapsFile, mapsKind) : [];
  setup(
    `cpu ${set.cpu ?? 'power7'}${set.cpu ? '' : '  # default: no capture holds the guest CPU model (/proc/cpuinfo); --set cpu=power7|ppc970'}`,
    inp.hcalls,
    1,
  );
  let hostPage = set.hostPage ?? 0;
  let pageWhy = '';
  if (!hostPage) {
    const plain = maps.find((e) => e.kernelPage && !(e.vmFlags ?? []).includes('ht'));
    if (plain) {
      hostPage = plain.kernelPage === 4096 ? 4096 : 65536;
      pageWhy = `  # from KernelPageSize in ${mapsFile}:${plain.line}`;
      if (plain.kernelPage !== 4096 && plain.kernelPage !== 65536)
        pageWhy += ` (${plain.kernelPage} bytes: taken as 64K)`;
    } else {
      hostPage = 65536;
      pageWhy = '  # default: no smaps KernelPageSize; --set host.page=64K|4K (getconf PAGE_SIZE on the host)';
    }
  }
  setup(`host page=${hostPage === 4096 ? '4K' : '64K'}${pageWhy}`, mapsFile ?? inp.hcalls, 1);
  // HPT order: --set, else 24 (the v3.3 fixed size) or whatever the htab dump needs.
  let maxIndex = -1;
  if (inp.htab) forEachHtabEntry(inp.htab, (e) => (maxIndex = Math.max(maxIndex, e.index)));
  let order = set.hptOrder ?? 24;
  let orderWhy = set.hptOrder
    ? ''
    : '  # default (the fixed size of that era); --set hpt.order=N (KVM_PPC_ALLOCATE_HTAB)';
  if (!set.hptOrder) {
    while (order < 46 && maxIndex >= 2 ** (order - 4)) order++;
    if (order > 24)
      orderWhy = `  # the smallest order that holds index 0x${maxIndex.toString(16)} of the htab dump; --set hpt.order=N`;
  }
  setup(`hpt order=${order}${orderWhy}`, inp.htab ?? inp.hcalls, 1);

  // ---- memslots (read first: they decide which mappings matter) -----------------------------
  const slotKind = kindOf('memslots') as MemslotKind | undefined;
  const slotRead = inp.memslots && slotKind ? readMemslots(inp.memslots, slotKind) : { events: [], region2: 0 };
  const slots = slotRead.events;
  const used = (e: MapEntry) =>
    slots.length === 0 || slots.some((s) => s.size > 0 && s.hva < e.end && e.start < s.hva + s.size);

  // ---- mappings --------------------------------------------------------------------------
  let vmas = 0;
  let leftOut = 0;
  for (const e of maps) {
    if (!used(e)) {
      leftOut++;
      continue;
    }
    const vs = set.vma.get(e.startText);
    const fl = e.vmFlags ?? [];
    const range = `vma 0x${e.start.toString(16)}-0x${e.end.toString(16)}`;
    let text: string;
    const notes: string[] = [];
    // maps alone has no VmFlags: a --set cache/pgoff for the mapping says it is VM_PFNMAP
    const pfnmap = fl.includes('pf') || (e.vmFlags === null && !!(vs?.cache || vs?.pgoff));
    if (pfnmap) {
      text = `${range} pfnmap`;
      if (!fl.includes('pf')) notes.push('pfnmap because of --set (maps has no VmFlags)');
      if (vs?.pgoff) text += ` pgoff=${vs.pgoff}`;
      else notes.push(`pgoff default 0: procfs does not show vm_pgoff; --set vma.${e.startText}.pgoff=0xN`);
      if (vs?.cache) text += ` cache=${vs.cache}`;
      else
        notes.push(
          `cache default none: procfs does not show the cache bits; --set vma.${e.startText}.cache=I for device MMIO`,
        );
    } else if ((fl.includes('io') && !fl.includes('pf')) || fl.includes('mm')) {
      text = `${range} other`;
      notes.push(`VmFlags ${fl.includes('mm') ? 'mm' : 'io'}: neither pinnable nor VM_PFNMAP`);
    } else {
      text = `${range} anon`;
      if (fl.includes('ht') && e.kernelPage)
        text += ` page=${e.kernelPage / 1024 >= 1024 ? `${e.kernelPage / 1048576}M` : `${e.kernelPage / 1024}K`}`;
      if (vs?.pfn) text += ` pfn=${vs.pfn}`;
      else
        notes.push(
          `pfn default (start >> PAGE_SHIFT): host frames are not in procfs; --set vma.${e.startText}.pfn=0xN`,
        );
      if (!e.vmFlags) notes.push('kind anon by default: maps has no VmFlags (give --smaps)');
    }
    if (vs && (vs.cache || vs.pgoff) && !pfnmap)
      throw new SettingError(
        `--set vma.${e.startText}.cache/pgoff: the mapping at ${e.startText} is not VM_PFNMAP (no "pf" in VmFlags)`,
      );
    setup(
      `${text}${notes.length ? '  # ' + notes.join('; ') : ''}${e.path ? `  # ${e.path.replace(/#/g, '')}` : ''}`,
      mapsFile!,
      e.line,
    );
    vmas++;
  }
  for (const start of set.vma.keys())
    if (!maps.some((e) => e.startText === start))
      throw new SettingError(`--set vma.${start}.…: no mapping in the maps input starts at ${start}`);
  if (leftOut) w.line(`# ${leftOut} other mappings of the process left out: no memslot uses them`);

  // ---- memslots ---------------------------------------------------------------------------
  let memslots = 0;
  const idMap = new Map<number, number>();
  const live = new Set<number>();
  let skipped = 0;
  for (const s of slots as SlotEvent[]) {
    const src = `${inp.memslots}:${s.line}`;
    if (s.ret !== 0 || s.addrSpace !== 0) {
      skipped++;
      w.line(
        `# ${src}: slot ${s.slot} skipped (${s.ret !== 0 ? `the ioctl failed: ret=${s.ret}` : `address space ${s.addrSpace}`})`,
      );
      continue;
    }
    let id = idMap.get(s.slot);
    if (id === undefined) {
      if (s.size === 0) {
        skipped++;
        w.line(`# ${src}: delete of slot ${s.slot}, which was never created here: skipped`);
        continue;
      }
      id = s.slot;
      if (id > 31 || [...idMap.values()].includes(id)) {
        id = 0;
        while ([...idMap.values()].includes(id) && id < 32) id++;
        if (id >= 32)
          throw new TraceError(
            inp.memslots!,
            s.line,
            1,
            2,
            'more than 32 memory slots: the trace format allows ids 0..31',
          );
        w.line(`# slot ${s.slot} is memslot ${id} here (the trace format allows ids 0..31)`);
      }
      idMap.set(s.slot, id);
    }
    if (s.size === 0) {
      if (live.has(id)) setup(`memslot ${id} delete  # ${src}`, inp.memslots!, s.line);
      live.delete(id);
      continue;
    }
    const dropped = s.flags & ~1;
    const note = dropped
      ? `; flags 0x${dropped.toString(16)} dropped (only dirty logging, 0x1, is kept: 0x2 means "invalid" to this kernel)`
      : '';
    setup(
      `memslot ${id} gpa=0x${s.gpa.toString(16)} size=0x${s.size.toString(16)} hva=0x${s.hva.toString(16)} flags=0x${(s.flags & 1).toString(16)}  # ${src}${note}`,
      inp.memslots!,
      s.line,
    );
    live.add(id);
    memslots++;
  }
  if (slotRead.region2)
    w.line(
      `# ${slotRead.region2} KVM_SET_USER_MEMORY_REGION2 calls skipped: strace prints only a pointer for them (use QEMU's -trace kvm_set_user_memory)`,
    );
  if (slots.length)
    w.line("# memslots are set before the first hcall: their clock and the hcall capture's cannot be merged");

  // ---- starting HPT from the htab dump -------------------------------------------------------
  let hptes = 0;
  let absent = 0;
  if (inp.htab) {
    w.line(`# starting HPT: the valid entries of ${inp.htab} (ABSENT entries skipped)`);
    forEachHtabEntry(inp.htab, (e) => {
      if (!e.valid) {
        absent++;
        return;
      }
      setup(`hpte 0x${e.index.toString(16)} v=${e.v} r=${e.r} guest_r=${e.guestR}`, inp.htab!, e.line);
      hptes++;
    });
  }

  // ---- hcalls ------------------------------------------------------------------------------
  const hk = kindOf('hcalls') as HcallKind;
  w.line(`# ${POSITIONAL_NOTE}`);
  const pairer = new HcallPairer(inp.hcalls, hk, w);
  const total = fs.statSync(inp.hcalls).size;
  let done = 0;
  let nextReport = 0;
  const progress = opts.onProgress;
  forEachLineBytes(inp.hcalls, (buf, start, end, lineNo) => {
    pairer.lineBytes(buf, start, end, lineNo);
    if (progress !== undefined) {
      done += end - start + 1;
      if (done >= nextReport) {
        progress(Math.min(done, total), total);
        nextReport = done + (8 << 20);
      }
    }
  });
  pairer.end();
  const stats = pairer.stats;

  // ---- coverage, now that the whole capture is known ---------------------------------------
  const why: string[] = [];
  let coverage: 'complete' | 'partial' = 'partial';
  if (set.hostCpu === 'power9') {
    coverage = 'complete';
    why.push('virtual-mode');
  } else why.push(set.hostCpu === 'power7' ? 'real-mode' : 'host-unknown');
  if (stats.passedToQemu || stats.unnamedResults) why.push('passed-to-qemu');
  if (stats.bulkRemoves) why.push('bulk-truncated');
  if (stats.lostExits) why.push('lost-events');
  why.push('no-outputs');
  if (hptes) why.push('htab-start');
  const from = kinds.map((k) => k.kind);
  const covLine = `coverage ${coverage} why=${why.join(',')} from=${[...new Set(from)].join(',')}${set.hostCpu ? ` host=${set.hostCpu}` : ''}`;
  const hostNote = set.hostCpu ? '' : '  # host CPU not given: --set host.cpu=power7|power9';

  summary.push(
    `${stats.kept} HPT hcalls written (${[...stats.byName].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'})`,
  );
  const others = [...stats.others].sort((a, b) => b[1] - a[1]);
  if (others.length)
    summary.push(
      `${others.reduce((s, x) => s + x[1], 0)} other hcalls counted, not replayed: ${others
        .slice(0, 8)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}${others.length > 8 ? ', …' : ''}`,
    );
  if (stats.passedToQemu) summary.push(`${stats.passedToQemu} passed to QEMU (RESUME_HOST): result unknown ("-> ?")`);
  if (stats.unnamedResults)
    summary.push(`${stats.unnamedResults} results with a code the format has no name for: written as unknown`);
  if (stats.lostExits) summary.push(`${stats.lostExits} enters without an exit: result unknown`);
  if (stats.orphanExits)
    summary.push(`${stats.orphanExits} exits without an enter (capture started mid-call): dropped`);
  if (stats.bulkRemoves)
    summary.push(`${stats.bulkRemoves} H_BULK_REMOVE with w4..w7 unknown (the tracepoint holds GPR4-7 only)`);
  if (stats.syscallExits)
    summary.push(
      `${stats.syscallExits} kvm_guest_exit trap=SYSCALL events against ${stats.kept + others.reduce((s, x) => s + x[1], 0)} hcall enters`,
    );
  if (inp.htab)
    summary.push(`${hptes} HPT entries loaded from the htab dump${absent ? ` (${absent} ABSENT skipped)` : ''}`);
  if (maps.length)
    summary.push(`${vmas} mappings written${leftOut ? `, ${leftOut} left out (no memslot uses them)` : ''}`);
  if (slots.length || slotRead.region2)
    summary.push(`${memslots} memslots written${skipped ? `, ${skipped} skipped` : ''}`);
  summary.push(`coverage: ${coverage} (${why.join(', ')})`);
  for (const s of summary) w.line(`# ${s}`);
  w.flush();
  const cov = Buffer.from((covLine + hostNote).padEnd(COVERAGE_WIDTH).slice(0, COVERAGE_WIDTH), 'utf8');
  fs.writeSync(fd, cov, 0, cov.length, coverageAt);
  return { out, kinds, stats, coverage, why, vmas, memslots, hptes, summary };
}
