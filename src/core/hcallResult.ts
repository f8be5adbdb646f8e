/**
 * What one hcall did (HcallResult), and the small helpers every handler shares to fill it.
 */
import { H_SUCCESS } from './bits';
import { Explainer } from './explain';
import { hexOf } from './u64';

export const TWO32 = 4294967296;
/** 2^0 .. 2^63 (pow() on the hot path costs a call each time). */
export const POW2 = Float64Array.from({ length: 64 }, (_x, i) => 2 ** i);

/** a % b for integers 0 <= a < 2^53 and b a power of two, without the fmod call `%` costs on doubles. */
export function modPow2(a: number, b: number): number {
  return a - Math.floor(a / b) * b;
}

/** What one hcall did. */
export interface HcallResult {
  /** Return code the guest sees; null for hcalls the emulation passes over. */
  ret: number | null;
  /** Output registers r4.. as hi/lo halves; outCount of them are set. */
  outHi: number[];
  outLo: number[];
  outCount: number;
  /** H_ENTER went to virtual mode (the real-mode handler said H_TOO_HARD). */
  virtualMode: boolean;
  /** H_ENTER: the guest asked for a non-cacheable RAM mapping and got a cacheable one. */
  madeCacheable: boolean;
  /** Memslot and slot_phys index the hcall used (H_ENTER), or -1. */
  slot: number;
  physIndex: number;
  /** HPT entries the hcall wrote or read, first one (or -1). */
  hptIndex: number;
  /** Evaluated checks, when the caller asked for an explanation. */
  checks: Explainer | null;
}

export function newResult(ex: Explainer | null): HcallResult {
  return {
    ret: H_SUCCESS,
    outHi: [],
    outLo: [],
    outCount: 0,
    virtualMode: false,
    madeCacheable: false,
    slot: -1,
    physIndex: -1,
    hptIndex: -1,
    checks: ex,
  };
}

/** A result object for executeHcall to fill again and again (callers that do not keep results). */
export function reusableResult(): HcallResult {
  return {
    ret: H_SUCCESS,
    outHi: [0, 0, 0, 0, 0, 0, 0, 0],
    outLo: [0, 0, 0, 0, 0, 0, 0, 0],
    outCount: 0,
    virtualMode: false,
    madeCacheable: false,
    slot: -1,
    physIndex: -1,
    hptIndex: -1,
    checks: null,
  };
}

export function resetResult(res: HcallResult, ex: Explainer | null): HcallResult {
  res.ret = H_SUCCESS;
  res.outCount = 0;
  res.virtualMode = false;
  res.madeCacheable = false;
  res.slot = -1;
  res.physIndex = -1;
  res.hptIndex = -1;
  res.checks = ex;
  return res;
}

export function setOut(res: HcallResult, i: number, hi: number, lo: number): void {
  res.outHi[i] = hi >>> 0;
  res.outLo[i] = lo >>> 0;
  if (res.outCount < i + 1) res.outCount = i + 1;
}

export const hx = hexOf;
