/**
 * Applying records to the machine in order, comparing with the recorded results, and the spec's
 * JSON output. Used by the CLI directly and by the seekable engine (engine.ts) underneath.
 */
import { hcallByNum, returnCodeName } from './bits';
import { executeHcall, HcallResult } from './handlers';
import { Machine } from './machine';
import { HcallRecord, TraceRecord } from './records';
import { hexOf } from './u64';

/** Applies one record; returns the hcall's result, or null for configuration/host records. */
export function applyRecord(m: Machine, rec: TraceRecord, explain = false): HcallResult | null {
  switch (rec.kind) {
    case 'hcall':
      return executeHcall(m, rec, explain);
    case 'cpu':
      m.applyCpu(rec);
      return null;
    case 'host':
      m.applyHost(rec);
      return null;
    case 'hpt':
      m.applyHpt(rec);
      return null;
    case 'vma':
      m.applyVma(rec);
      return null;
    case 'munmap':
      m.applyMunmap(rec);
      return null;
    case 'memslot':
      m.applyMemslot(rec);
      return null;
    case 'header':
      return null;
  }
}

/** A recorded result differs from the emulation: the code, or any recorded register. */
export function diverged(rec: HcallRecord, res: HcallResult): boolean {
  if (rec.recorded === null || res.ret === null) return false;
  if (rec.recorded !== res.ret) return true;
  for (const r of rec.recordedRegs) {
    const i = r.reg - 4;
    if (i >= res.outCount) return true;
    if (res.outHi[i] !== r.hi >>> 0 || res.outLo[i] !== r.lo >>> 0) return true;
  }
  return false;
}

/** Which output registers differ from the recording, as "r4: recorded 0x…, emulated 0x…". */
export function divergenceDetails(rec: HcallRecord, res: HcallResult): string[] {
  const out: string[] = [];
  if (rec.recorded === null || res.ret === null) return out;
  if (rec.recorded !== res.ret)
    out.push(`return code: recorded ${returnCodeName(rec.recorded)}, emulated ${returnCodeName(res.ret)}`);
  for (const r of rec.recordedRegs) {
    const i = r.reg - 4;
    const emu = i < res.outCount ? hexOf(res.outHi[i], res.outLo[i]) : 'unset';
    const recd = hexOf(r.hi, r.lo);
    if (emu !== recd) out.push(`r${r.reg}: recorded ${recd}, emulated ${emu}`);
  }
  return out;
}

export function hcallDisplayName(rec: HcallRecord): string {
  return rec.number >= 0 ? (hcallByNum(rec.number)?.name ?? rec.name) : rec.name;
}

/** The output registers as the spec's `out` object: {"r4":"0x…", …}. */
export function outObject(res: HcallResult): Record<string, string> {
  const o: Record<string, string> = {};
  if (res.ret === null) return o;
  for (let i = 0; i < res.outCount; i++) o['r' + (i + 4)] = hexOf(res.outHi[i], res.outLo[i]);
  return o;
}

/** One line of `hptrace replay --json`. Built as text: it is the CLI's hot path. */
export function stepJson(rec: HcallRecord, res: HcallResult, div: boolean): string {
  let out = '';
  if (res.ret !== null) {
    for (let i = 0; i < res.outCount; i++)
      out += (i ? ',"r' : '"r') + (i + 4) + '":"' + hexOf(res.outHi[i], res.outLo[i]) + '"';
  }
  const ret = res.ret === null ? 'null' : '"' + returnCodeName(res.ret) + '"';
  const recorded = rec.recorded === null ? 'null' : '"' + returnCodeName(rec.recorded) + '"';
  return `{"line":${rec.line},"hcall":${JSON.stringify(hcallDisplayName(rec))},"ret":${ret},"out":{${out}},"recorded":${recorded},"diverged":${div}}`;
}

export interface FinalState {
  slot_phys: { slot: number; index: number; value: string }[];
  hpt: { index: number; v: string; r: string; guest_r: string }[];
}

/** Every non-zero slot_phys entry (by slot, index) and every valid HPTE (by index). */
export function finalState(m: Machine): FinalState {
  const slotPhys: FinalState['slot_phys'] = [];
  for (const s of m.memslots) {
    if (!s) continue;
    for (const idx of s.physp.scan((_i, w, b) => w[b] !== 0 || w[b + 1] !== 0)) {
      slotPhys.push({ slot: s.id, index: idx, value: hexOf(s.physp.get(idx, 0), s.physp.get(idx, 1)) });
    }
  }
  const hpt: FinalState['hpt'] = [];
  for (const idx of m.hpt.scan((_i, w, b) => (w[b + 1] & 1) !== 0)) {
    hpt.push({
      index: idx,
      v: hexOf(m.hptWord(idx, 0), m.hptWord(idx, 1)),
      r: hexOf(m.hptWord(idx, 2), m.hptWord(idx, 3)),
      guest_r: hexOf(m.hptWord(idx, 4), m.hptWord(idx, 5)),
    });
  }
  return { slot_phys: slotPhys, hpt };
}

export function finalJson(m: Machine): string {
  return JSON.stringify({ final: finalState(m) });
}
