/**
 * Applying records to the machine in order, comparing with the recorded results, and the spec's
 * JSON output. Used by the CLI directly and by the seekable engine (engine.ts) underneath.
 */
import { BULK, H_PARAMETER, hcallByNum, returnCodeName } from './bits';
import { Explainer } from './explain';
import { executeHcall, HcallResult, reusableResult } from './handlers';
import { hexn, Machine } from './machine';
import { HcallRecord, HpteRecord, TraceError, TraceRecord } from './records';
import { hexOf } from './u64';

/** Applies one record; returns the hcall's result, or null for configuration/host records. */
export function applyRecord(m: Machine, rec: TraceRecord, explain = false): HcallResult | null {
  switch (rec.kind) {
    case 'hcall':
      return rec.unknownArgs ? executeWithUnknownArgs(m, rec, explain) : executeHcall(m, rec, explain);
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
    case 'hpte':
      loadHpte(m, rec);
      return null;
    case 'header':
    case 'coverage':
      return null;
  }
}

/** Format 2 `hpte`: writes one HPT entry (v, r and the reverse map's guest r) as starting state. */
export function loadHpte(m: Machine, rec: HpteRecord): void {
  const fail = (msg: string): never => {
    throw new TraceError(m.file, rec.line, rec.col, rec.endCol, msg);
  };
  if (rec.index >= m.hptEntries)
    fail(`hpte index ${hexn(rec.index)} is beyond the ${hexn(m.hptEntries)} HPTEs of hpt order ${m.hptOrder}`);
  if (m.hptWord(rec.index, 1) & 1) fail(`HPT entry ${hexn(rec.index)} is already loaded by an earlier hpte record`);
  m.hptSet(rec.index, 0, 6, rec.vHi, rec.vLo, rec.rHi, rec.rLo, rec.gHi, rec.gLo);
}

/**
 * Whether an hcall's emulated result is unknown: it needed an argument the capture does not hold
 * (`?`). Such a result is neither a divergence nor a return code.
 */
export function resultUnknown(rec: HcallRecord, res: HcallResult): boolean {
  return res.ret === null && (rec.unknownArgs ?? 0) !== 0 && hcallByNum(rec.number)?.emulated === true;
}

/**
 * An hcall with `?` arguments. H_BULK_REMOVE runs its pairs in order up to the first pair with an
 * unknown word: if it ends before that (end marker or parameter error) the result is exact, else
 * the HPT holds what the known pairs did and the result is unknown. Any other emulated hcall that
 * needs an unknown argument is not run at all (no state change, result unknown).
 */
function executeWithUnknownArgs(m: Machine, rec: HcallRecord, explain: boolean): HcallResult {
  const def = hcallByNum(rec.number);
  if (!def || !def.emulated) return executeHcall(m, rec, explain);
  const unknown = rec.unknownArgs ?? 0;
  if (def.name === 'H_BULK_REMOVE') {
    let pair = 0;
    while (pair < 4 && (unknown & (3 << (pair * 2))) === 0) pair++;
    const copy: HcallRecord = { ...rec, argHi: rec.argHi.slice(), argLo: rec.argLo.slice() };
    let endsBefore = false;
    for (let p = 0; p < pair; p++) if (rec.argHi[p * 2] >>> 30 === BULK.TYPE_END) endsBefore = true;
    if (pair < 4) {
      copy.argHi[pair * 2] = (BULK.TYPE_END << 30) >>> 0; // an end marker where the capture stops
      copy.argLo[pair * 2] = 0;
    }
    const res = executeHcall(m, copy, explain);
    // registers from the first unknown pair on hold the guest's unknown words
    if (res.outCount > pair * 2) res.outCount = pair * 2;
    if (endsBefore || res.ret === H_PARAMETER) return res;
    res.ret = null;
    const cs = res.checks?.checks;
    if (cs && cs.length) {
      const last = cs[cs.length - 1];
      cs[cs.length - 1] = {
        ...last,
        ok: true,
        detail: `pair ${pair}: not in the capture (w${pair * 2}, w${pair * 2 + 1} unknown): pairs ${pair}..3 and the result are unknown`,
      };
    }
    return res;
  }
  if ((unknown & ((1 << def.args.length) - 1)) === 0) return executeHcall(m, rec, explain);
  const res = reusableResult();
  res.ret = null;
  res.checks = explain ? new Explainer() : null;
  return res;
}

/** A recorded result differs from the emulation: the code, or any recorded register. */
export function diverged(rec: HcallRecord, res: HcallResult): boolean {
  // (an unknown recording has recorded === null; an unknown emulated result has ret === null)
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

/** The emulated result in words: a return code name, "unknown" (format 2 `?`) or "not emulated". */
export function resultText(rec: HcallRecord, res: HcallResult): string {
  if (res.ret !== null) return returnCodeName(res.ret);
  return resultUnknown(rec, res) ? 'unknown' : 'not emulated';
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
  const ret = res.ret === null ? (resultUnknown(rec, res) ? '"unknown"' : 'null') : '"' + returnCodeName(res.ret) + '"';
  const recorded =
    rec.recorded === null ? (rec.resultUnknown ? '"unknown"' : 'null') : '"' + returnCodeName(rec.recorded) + '"';
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
