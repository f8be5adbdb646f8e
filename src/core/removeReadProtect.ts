/**
 * kvmppc_h_remove, kvmppc_h_read, kvmppc_h_protect and kvmppc_h_bulk_remove (book3s_hv_rm_mmu.c at the
 * seed commit), check for check in the kernel's order; handlers.ts dispatches to them.
 */
import { BULK, FLAG, H_NOT_FOUND, H_PARAMETER, H_SUCCESS, R, V } from './bits';
import { HPT_WIDTH, hptValues, Machine, hexn } from './machine';
import { HcallResult, hx, modPow2, setOut, TWO32 } from './hcallResult';

function indexOk(m: Machine, res: HcallResult, id: string, pteIndex: number): boolean {
  const entries = m.hptEntries;
  if (pteIndex >= entries) {
    res.checks?.add(id, false, `pte_index ${hexn(pteIndex)} >= ${hexn(entries)} HPTEs`, { result: 'H_PARAMETER' });
    res.ret = H_PARAMETER;
    return false;
  }
  res.checks?.add(id, true, `pte_index ${hexn(pteIndex)} < ${hexn(entries)}`);
  return true;
}

/** flags, pte_index, avpn. */
export function hRemove(m: Machine, res: HcallResult, a: readonly number[], b: readonly number[]): void {
  const flo = b[0];
  const pteIndex = a[1] * TWO32 + b[1];
  const ahi = a[2];
  const alo = b[2];
  const ex = res.checks;
  if (!indexOk(m, res, 'remove.index', pteIndex)) return;
  res.hptIndex = pteIndex;
  const w = m.hpt.view(pteIndex);
  const o = m.hpt.at;
  const vhi = w[o];
  const vlo = (w[o + 1] | V.HVLOCK) >>> 0; // tested with the lock bit held
  const valid = (vlo & V.VALID) !== 0;
  const avpnMiss = (flo & FLAG.H_AVPN_LO) !== 0 && (vhi !== ahi >>> 0 || (vlo & ~V.AVPN_IGNORE) >>> 0 !== alo >>> 0);
  const andMiss = (flo & FLAG.H_ANDCOND_LO) !== 0 && ((vhi & ahi) !== 0 || (vlo & alo) !== 0);
  if (!valid || avpnMiss || andMiss) {
    ex?.add(
      'remove.match',
      false,
      !valid
        ? `HPT[${hexn(pteIndex)}] is not valid`
        : avpnMiss
          ? `H_AVPN: v & ~0x7f = ${hx(vhi, vlo & ~V.AVPN_IGNORE)} != avpn ${hx(ahi, alo)}`
          : `H_ANDCOND: v (locked) ${hx(vhi, vlo)} & ${hx(ahi, alo)} != 0`,
      { result: 'H_NOT_FOUND' },
    );
    res.ret = H_NOT_FOUND;
    return;
  }
  ex?.add(
    'remove.match',
    true,
    `HPT[${hexn(pteIndex)}] is valid${flo & FLAG.H_AVPN_LO ? ' and its AVPN matches' : ''}${flo & FLAG.H_ANDCOND_LO ? ' and has none of the ANDCOND bits' : ''}`,
  );
  const v = (vlo & ~V.HVLOCK) >>> 0;
  setOut(res, 0, vhi, v);
  setOut(res, 1, w[o + 2], w[o + 3]);
  clearFirstDoubleword(m, pteIndex);
  ex?.add('remove.done', true, `r4 = ${hx(vhi, v)}, r5 = ${hx(res.outHi[1], res.outLo[1])}; first doubleword cleared`, {
    result: 'H_SUCCESS',
  });
  res.ret = H_SUCCESS;
}

/** flags, pte_index. */
export function hRead(m: Machine, res: HcallResult, a: readonly number[], b: readonly number[]): void {
  const fhi = a[0];
  const pteIndex = a[1] * TWO32 + b[1];
  if (!indexOk(m, res, 'read.index', pteIndex)) return;
  let n = 1;
  let idx = pteIndex;
  if (fhi & FLAG.H_READ_4_HI) {
    idx -= modPow2(idx, 4);
    n = 4;
  }
  const xlate = (fhi & FLAG.H_R_XLATE_HI) !== 0;
  res.hptIndex = idx;
  const w = m.hpt.view(idx); // H_READ_4's four entries are in one chunk
  let o = m.hpt.at;
  for (let i = 0; i < n; i++, idx++, o += HPT_WIDTH) {
    const vhi = w[o];
    const vlo = w[o + 1];
    let rhi = w[o + 2];
    let rlo = w[o + 3];
    if (vlo & V.VALID) {
      if (xlate) {
        rhi = w[o + 4];
        rlo = w[o + 5];
      } else {
        rhi |= R.RPN.hi;
        rlo |= R.RPN.lo;
      }
    }
    setOut(res, i * 2, vhi, vlo);
    setOut(res, i * 2 + 1, rhi, rlo);
  }
  res.checks?.add(
    'read.entries',
    true,
    `${n} entr${n === 1 ? 'y' : 'ies'} from ${hexn(res.hptIndex)}${xlate ? ', guest view (H_R_XLATE)' : ', host address hidden'}`,
    { result: 'H_SUCCESS' },
  );
  res.ret = H_SUCCESS;
}

/** flags, pte_index, avpn. */
export function hProtect(m: Machine, res: HcallResult, a: readonly number[], b: readonly number[]): void {
  const flo = b[0];
  const pteIndex = a[1] * TWO32 + b[1];
  const ahi = a[2];
  const alo = b[2];
  const ex = res.checks;
  if (!indexOk(m, res, 'protect.index', pteIndex)) return;
  res.hptIndex = pteIndex;
  const w = m.hpt.view(pteIndex);
  const o = m.hpt.at;
  const vhi = w[o];
  const vlo = w[o + 1];
  const valid = (vlo & V.VALID) !== 0;
  const avpnMiss = (flo & FLAG.H_AVPN_LO) !== 0 && (vhi !== ahi >>> 0 || (vlo & ~V.AVPN_IGNORE) >>> 0 !== alo >>> 0);
  if (!valid || avpnMiss) {
    ex?.add(
      'protect.match',
      false,
      !valid
        ? `HPT[${hexn(pteIndex)}] is not valid`
        : `H_AVPN: v & ~0x7f = ${hx(vhi, vlo & ~V.AVPN_IGNORE)} != avpn ${hx(ahi, alo)}`,
      { result: 'H_NOT_FOUND' },
    );
    res.ret = H_NOT_FOUND;
    return;
  }
  ex?.add('protect.match', true, `HPT[${hexn(pteIndex)}] is valid`);
  // bits = (flags << 55) & PP0 | (flags << 48) & KEY_HI | flags & (PP | N | KEY_LO)
  const bitsHi = ((flo >>> 8) & 1 ? R.PP0_HI : 0) | ((((flo >>> 12) & 3) << 28) & R.KEY_HI_HI);
  const bitsLo = flo & (R.PP | R.N | R.KEY_LO);
  const maskHi = R.PP0_HI | R.KEY_HI_HI;
  const maskLo = R.PP | R.N | R.KEY_LO;
  const g0 = (w[o + 4] & ~maskHi) | bitsHi;
  const g1 = (w[o + 5] & ~maskLo) | bitsLo;
  const r0 = (w[o + 2] & ~maskHi) | bitsHi;
  const r1 = (w[o + 3] & ~maskLo) | bitsLo;
  const hv = hptValues;
  hv[2] = r0;
  hv[3] = r1;
  hv[4] = g0;
  hv[5] = g1;
  m.hptStore(pteIndex, 2, 4);
  ex?.add('protect.done', true, `r = ${hx(r0, r1)}, guest r = ${hx(g0, g1)}`, { result: 'H_SUCCESS' });
  res.ret = H_SUCCESS;
}

/** H_REMOVE / H_BULK_REMOVE clear v (words 0 and 1) only, as the kernel does. */
function clearFirstDoubleword(m: Machine, index: number): void {
  hptValues[0] = 0;
  hptValues[1] = 0;
  m.hptStore(index, 0, 2);
}

const bulkHi = [0, 0, 0, 0, 0, 0, 0, 0];
const bulkLo = [0, 0, 0, 0, 0, 0, 0, 0];

export function hBulkRemove(m: Machine, res: HcallResult, ah: number[], al: number[]): void {
  const ex = res.checks;
  const wh = bulkHi;
  const wl = bulkLo;
  for (let k = 0; k < 8; k++) {
    wh[k] = ah[k];
    wl[k] = al[k];
  }
  let ret = H_SUCCESS;
  const entries = m.hptEntries;
  for (let i = 0; i < 4; i++) {
    const top = wh[i * 2] >>> 24;
    const idxHi = wh[i * 2] & 0xffffff;
    const idx = idxHi * TWO32 + wl[i * 2];
    const req = top >>> 6;
    const mode = top & 3;
    if (req === BULK.TYPE_END) {
      ex?.add('bulk.end', true, `pair ${i}: end of list`);
      break;
    }
    if (req !== BULK.TYPE_REQUEST || mode === 3 || idx >= entries) {
      wh[i * 2] = (((BULK.RESP_PARAM | mode) << 24) | idxHi) >>> 0;
      ret = H_PARAMETER;
      ex?.add(
        'bulk.param',
        false,
        `pair ${i}: ${req !== BULK.TYPE_REQUEST ? `request type ${req} is not 1` : mode === 3 ? 'match mode 3 is invalid' : `pte_index ${hexn(idx)} >= ${hexn(entries)}`}`,
        { result: 'H_PARAMETER' },
      );
      break;
    }
    if (res.hptIndex < 0) res.hptIndex = idx;
    const w = m.hpt.view(idx);
    const o = m.hpt.at;
    const vhi = w[o];
    const vlo = (w[o + 1] | V.HVLOCK) >>> 0;
    let found = false;
    if (vlo & V.VALID) {
      if (mode === 0) found = true;
      else if (mode === 1) found = (vhi & wh[i * 2 + 1]) === 0 && (vlo & wl[i * 2 + 1]) === 0;
      else found = vhi === wh[i * 2 + 1] >>> 0 && (vlo & ~V.AVPN_IGNORE) >>> 0 === wl[i * 2 + 1] >>> 0;
    }
    if (!found) {
      wh[i * 2] = (((BULK.RESP_NOT_FOUND | mode) << 24) | idxHi) >>> 0;
      ex?.add(
        'bulk.match',
        true,
        `pair ${i}: HPT[${hexn(idx)}] ${vlo & V.VALID ? `does not match (${BULK.MODES[mode]})` : 'is not valid'}: not found`,
      );
      continue;
    }
    const rc = (w[o + 3] >>> 5) & 0x0c;
    wh[i * 2] = (((BULK.RESP_FOUND | mode | rc) << 24) | idxHi) >>> 0;
    clearFirstDoubleword(m, idx);
    ex?.add(
      'bulk.found',
      true,
      `pair ${i}: HPT[${hexn(idx)}] removed (${BULK.MODES[mode]}), R=${rc & 8 ? 1 : 0} C=${rc & 4 ? 1 : 0}`,
    );
  }
  for (let k = 0; k < 8; k++) setOut(res, k, wh[k], wl[k]);
  res.ret = ret;
}
