/**
 * `hptrace replay FILE --check-htab DUMP`: the replayed HPT against an htab dump taken when the
 * capture stopped. Every entry that differs is listed with the line of the trace that wrote it
 * last. v and the guest's r are compared in full; the host r without its RPN (host frames are not
 * in any capture, so the trace's vma pfns are defaults unless the user set them).
 */
import { H_SUCCESS, hcallByNum, R } from '../core/bits';
import { forEachLine } from '../core/lines';
import { KernelVariant, Machine } from '../core/machine';
import { emptyTrace, newParserState, parseLine } from '../core/parser';
import { applyRecord } from '../core/replay';
import { hexOf } from '../core/u64';
import { forEachHtabEntry } from './hostInputs';

/** Exit status of `replay --check-htab` when the HPT and the dump differ (0: they agree). */
export const CHECK_HTAB_DIFFER = 4;

export interface HtabDiff {
  index: number;
  dump: { v: string; r: string; guestR: string } | null;
  replayed: { v: string; r: string; guestR: string } | null;
  /** Trace line that last wrote the entry, or 0. */
  lastLine: number;
  what: string;
}

export interface HtabCheck {
  compared: number;
  absentSkipped: number;
  diffs: HtabDiff[];
}

const RPN_HI = R.RPN.hi;
const RPN_LO = R.RPN.lo;

function hexToHalves(h: string): [number, number] {
  const v = BigInt(h);
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

/** Replays `trace` and compares its final HPT with the htab dump. Throws TraceError for either file. */
export function checkHtab(trace: string, dump: string, kernel: KernelVariant = 'io'): HtabCheck {
  const m = new Machine(kernel, trace);
  const st = newParserState(trace);
  const lastWrite = new Map<number, number>();
  forEachLine(trace, (text, lineNo) => {
    const rec = parseLine(st, lineNo, text);
    if (!rec) return;
    const res = applyRecord(m, rec);
    if (rec.kind === 'hpte') lastWrite.set(rec.index, lineNo);
    if (rec.kind !== 'hcall' || !res || res.ret === null) return;
    const name = hcallByNum(rec.number)?.name;
    if (name === 'H_ENTER' && res.ret === H_SUCCESS) lastWrite.set(res.outHi[0] * 4294967296 + res.outLo[0], lineNo);
    else if ((name === 'H_REMOVE' || name === 'H_PROTECT') && res.ret === H_SUCCESS)
      lastWrite.set(rec.argHi[1] * 4294967296 + rec.argLo[1], lineNo);
    else if (name === 'H_BULK_REMOVE')
      for (let p = 0; p < 4 && p * 2 < res.outCount; p++) {
        const top = res.outHi[p * 2] >>> 24;
        if ((top & 0xc0) === 0x80) lastWrite.set((res.outHi[p * 2] & 0xffffff) * 4294967296 + res.outLo[p * 2], lineNo);
      }
  });
  if (!st.sawHeader) throw emptyTrace(trace);
  const diffs: HtabDiff[] = [];
  const inDump = new Set<number>();
  let compared = 0;
  let absentSkipped = 0;
  const replayedAt = (i: number) =>
    m.hptWord(i, 1) & 1
      ? {
          v: hexOf(m.hptWord(i, 0), m.hptWord(i, 1)),
          r: hexOf(m.hptWord(i, 2), m.hptWord(i, 3)),
          guestR: hexOf(m.hptWord(i, 4), m.hptWord(i, 5)),
        }
      : null;
  forEachHtabEntry(dump, (e) => {
    if (!e.valid) {
      absentSkipped++;
      return;
    }
    compared++;
    inDump.add(e.index);
    const d = { v: e.v, r: e.r, guestR: e.guestR };
    const rep = e.index < m.hptEntries ? replayedAt(e.index) : null;
    const what: string[] = [];
    if (!rep) what.push('not valid in the replay');
    else {
      const [vh, vl] = hexToHalves(e.v);
      const [rh, rl] = hexToHalves(e.r);
      const [gh, gl] = hexToHalves(e.guestR);
      if (m.hptWord(e.index, 0) !== vh >>> 0 || m.hptWord(e.index, 1) !== vl >>> 0) what.push('v');
      if ((m.hptWord(e.index, 2) & ~RPN_HI) !== (rh & ~RPN_HI) || (m.hptWord(e.index, 3) & ~RPN_LO) !== (rl & ~RPN_LO))
        what.push('r (outside the RPN)');
      if (m.hptWord(e.index, 4) !== gh >>> 0 || m.hptWord(e.index, 5) !== gl >>> 0) what.push('guest r');
    }
    if (what.length)
      diffs.push({
        index: e.index,
        dump: d,
        replayed: rep,
        lastLine: lastWrite.get(e.index) ?? 0,
        what: what.join(', '),
      });
  });
  m.hpt.forEachSet(1, 1, (index) => {
    if (inDump.has(index)) return;
    diffs.push({
      index,
      dump: null,
      replayed: replayedAt(index),
      lastLine: lastWrite.get(index) ?? 0,
      what: 'not in the dump',
    });
  });
  diffs.sort((a, b) => a.index - b.index);
  return { compared, absentSkipped, diffs };
}

/** The report, one line per differing entry, and the last line saying whether they agree. */
export function formatHtabCheck(c: HtabCheck, dump: string): string[] {
  const out: string[] = [];
  if (c.diffs.length)
    out.push(
      `${'index'.padStart(8)}  ${'dump v'.padEnd(18)} ${'dump r'.padEnd(18)} ${'replayed v'.padEnd(18)} ${'replayed r'.padEnd(18)} last write  differs in`,
    );
  for (const d of c.diffs)
    out.push(
      `${('0x' + d.index.toString(16)).padStart(8)}  ${(d.dump?.v ?? '-').padEnd(18)} ${(d.dump?.r ?? '-').padEnd(18)} ${(d.replayed?.v ?? '-').padEnd(18)} ${(d.replayed?.r ?? '-').padEnd(18)} ${(d.lastLine ? `line ${d.lastLine}` : '-').padEnd(11)} ${d.what}`,
    );
  out.push(
    c.diffs.length
      ? `${c.diffs.length} HPT entries differ from ${dump} (${c.compared} valid entries compared, ${c.absentSkipped} ABSENT skipped)`
      : `the replayed HPT agrees with ${dump} (${c.compared} valid entries compared, ${c.absentSkipped} ABSENT skipped)`,
  );
  return out;
}
