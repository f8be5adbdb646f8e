/**
 * The hcall handlers of book3s HV KVM at the seed commit ("KVM: PPC: Allow I/O mappings in memory
 * slots"), and as they were just before it (kernel variant 'pre-io'). Check for check in the
 * kernel's order: kvmppc_h_enter (real mode), kvmppc_virtmode_h_enter with kvmppc_get_guest_page,
 * kvmppc_h_remove, kvmppc_h_read, kvmppc_h_protect, kvmppc_h_bulk_remove.
 *
 * 64-bit words are hi/lo uint32 halves (see u64.ts); gfns, pfns and indices are plain numbers.
 */
import {
  BULK,
  FLAG,
  H_NOT_FOUND,
  H_PARAMETER,
  H_PTEG_FULL,
  H_RESOURCE,
  H_SUCCESS,
  H_TOO_HARD,
  HCALLS,
  R,
  SLOT_PHYS,
  V,
} from './bits';
import { Explainer } from './explain';
import { HPT_WIDTH, hptValues, Machine, Memslot, KVM_MEMSLOT_INVALID, hexn, sizeName } from './machine';
import { HcallRecord } from './records';
import { hexOf } from './u64';

const TWO32 = 4294967296;
/** 2^0 .. 2^63 (pow() on the hot path costs a call each time). */
const POW2 = Float64Array.from({ length: 64 }, (_x, i) => 2 ** i);

/** a % b for integers 0 <= a < 2^53 and b a power of two, without the fmod call `%` costs on doubles. */
function modPow2(a: number, b: number): number {
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

function newResult(ex: Explainer | null): HcallResult {
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

function resetResult(res: HcallResult, ex: Explainer | null): HcallResult {
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

function setOut(res: HcallResult, i: number, hi: number, lo: number): void {
  res.outHi[i] = hi >>> 0;
  res.outLo[i] = lo >>> 0;
  if (res.outCount < i + 1) res.outCount = i + 1;
}

const hx = hexOf;

/** hpte_page_size(h, l) of kvm_book3s_64.h: 4K, 64K (ARCH_206 only) or 16M; 0 when invalid. */
export function hptePageSize(vlo: number, rlo: number, arch206: boolean): number {
  if (!(vlo & V.LARGE)) return 1 << 12;
  if ((rlo & 0xf000) === 0x1000 && arch206) return 1 << 16;
  if ((rlo & 0xff000) === 0) return 1 << 24;
  return 0;
}

/**
 * hpte_cache_flags_ok() of the seed commit (kvm_book3s_64.h): on ARCH_206 a W|I|M (SAO) request
 * counts as M; RAM (is_io 0) needs exactly M; an I/O slot needs W and I equal to its cache bits.
 */
export function hpteCacheFlagsOk(ptelLo: number, isIo: number, arch206: boolean): boolean {
  let wimg = ptelLo & R.WIMG;
  if (arch206 && wimg === (R.W | R.I | R.M)) wimg = R.M;
  if (!isIo) return wimg === R.M;
  return (wimg & (R.W | R.I)) === isIo;
}

/** slot_is_aligned(): for pages larger than the host page, base_gfn and npages are multiples. */
export function slotIsAligned(m: Machine, slot: Memslot, pagesize: number): boolean {
  if (pagesize <= m.pageSize) return true;
  const n = pagesize / m.pageSize;
  return modPow2(slot.baseGfn, n) === 0 && modPow2(slot.npages, n) === 0;
}

/** gfn of a guest real address given as an HPTE second doubleword: (ptel & RPN) & ~(psize - 1). */
function gfnOf(m: Machine, rhi: number, rlo: number, psize: number): number {
  const lo = (rlo & R.RPN.lo & ~(psize - 1)) >>> 0;
  return (rhi & R.RPN.hi) * POW2[32 - m.pageShift] + Math.floor(lo / m.pageSize);
}

export function slotPhysFields(
  hi: number,
  lo: number,
  pageShift: number,
): { pfn: number; order: number; io: number; got: boolean } {
  return {
    pfn: hi * 2 ** (32 - pageShift) + Math.floor(lo / 2 ** pageShift),
    order: lo & SLOT_PHYS.ORDER_MASK,
    io: lo & (SLOT_PHYS.NO_CACHE | SLOT_PHYS.WRITETHRU),
    got: (lo & SLOT_PHYS.GOT_PAGE) !== 0,
  };
}

function wimgName(w: number): string {
  return (w & R.W ? 'W' : '-') + (w & R.I ? 'I' : '-') + (w & R.M ? 'M' : '-') + (w & R.G ? 'G' : '-');
}

function cacheName(io: number): string {
  if (io === 0) return 'cacheable (RAM)';
  return [io & R.W ? 'W' : '', io & R.I ? 'I' : ''].filter(Boolean).join('|');
}

/**
 * Executes one hcall. `into` (from reusableResult) is filled instead of a new result object; its
 * outHi/outLo entries at and past outCount are stale. Only hcalls with a handler change the machine.
 */
export function executeHcall(m: Machine, rec: HcallRecord, explain: boolean, into?: HcallResult): HcallResult {
  const ex = explain ? new Explainer() : null;
  const res = into === undefined ? newResult(ex) : resetResult(into, ex);
  const a = rec.argHi;
  const b = rec.argLo;
  // The handlers take the argument arrays and read them themselves: 64-bit halves passed as call
  // arguments would be boxed (a heap number each) whenever a callee is not inlined.
  switch (rec.number) {
    case H_ENTER_NR:
      hEnterWithRetry(m, res, a, b);
      break;
    case H_REMOVE_NR:
      hRemove(m, res, a, b);
      break;
    case H_READ_NR:
      hRead(m, res, a, b);
      break;
    case H_PROTECT_NR:
      hProtect(m, res, a, b);
      break;
    case H_BULK_REMOVE_NR:
      hBulkRemove(m, res, a, b);
      break;
    default:
      res.ret = null;
  }
  return res;
}

function hcallNumber(name: string): number {
  const d = HCALLS.find((h) => h.name === name);
  if (!d || !d.emulated) throw new Error(`no emulated hcall ${name}`);
  return d.number;
}
const H_ENTER_NR = hcallNumber('H_ENTER');
const H_REMOVE_NR = hcallNumber('H_REMOVE');
const H_READ_NR = hcallNumber('H_READ');
const H_PROTECT_NR = hcallNumber('H_PROTECT');
const H_BULK_REMOVE_NR = hcallNumber('H_BULK_REMOVE');
if (HCALLS.filter((h) => h.emulated).length !== 5) throw new Error('executeHcall handles five emulated hcalls');

// ---- H_ENTER ---------------------------------------------------------------------------------

/** The real-mode handler first; H_TOO_HARD sends the hcall to the virtual-mode path, as the kernel does. */
function hEnterWithRetry(m: Machine, res: HcallResult, a: readonly number[], b: readonly number[]): void {
  const ret = hEnter(m, res, a, b);
  if (ret !== H_TOO_HARD) {
    res.ret = ret;
    return;
  }
  res.virtualMode = true;
  res.ret = virtmodeHEnter(m, res, a, b);
}

/** H_ENTER's arguments from the record's r4..r7 halves: flags, pte_index, pteh, ptel. */
function hEnter(m: Machine, res: HcallResult, a: readonly number[], b: readonly number[]): number {
  const fhi = a[0];
  const pteIndex = a[1] * TWO32 + b[1];
  const vhi = a[2];
  const vlo = b[2];
  const rhi = a[3];
  const rlo = b[3];
  const ex = res.checks;
  const psize = hptePageSize(vlo, rlo, m.arch206);
  if (!psize) {
    ex?.add(
      'enter.psize',
      false,
      `pteh L=1 and ptel LP bits 0x${((rlo >>> 12) & 0xff).toString(16)} encode no page size${m.arch206 ? '' : ' (no 64K encoding without CPU_FTR_ARCH_206)'}`,
      { result: 'H_PARAMETER' },
    );
    return H_PARAMETER;
  }
  ex?.add('enter.psize', true, `psize = ${sizeName(psize)}`);
  const gfn = gfnOf(m, rhi, rlo, psize);
  const slot = m.gfnToMemslot(gfn);
  if (!slot || slot.flags & KVM_MEMSLOT_INVALID) {
    ex?.add(
      'enter.memslot',
      false,
      slot
        ? `memslot ${slot.id} is being invalidated (flags ${hexn(slot.flags)})`
        : `no memslot holds gfn ${hexn(gfn)} (gpa ${hx(rhi & R.RPN.hi, rlo & R.RPN.lo & ~(psize - 1))})`,
      { result: 'H_PARAMETER' },
    );
    return H_PARAMETER;
  }
  res.slot = slot.id;
  ex?.add(
    'enter.memslot',
    true,
    `gfn ${hexn(gfn)} is in memslot ${slot.id} (gfn ${hexn(slot.baseGfn)}, ${hexn(slot.npages)} pages)`,
  );
  if (!slotIsAligned(m, slot, psize)) {
    ex?.add(
      'enter.aligned',
      false,
      `memslot ${slot.id} base_gfn ${hexn(slot.baseGfn)} / npages ${hexn(slot.npages)} are not multiples of ${psize / m.pageSize} (${sizeName(psize)} in host pages)`,
      { result: 'H_PARAMETER' },
    );
    return H_PARAMETER;
  }
  ex?.add('enter.aligned', true, `memslot ${slot.id} is aligned for ${sizeName(psize)}`);
  ex?.add('enter.physp', true, `slot_phys[${slot.id}] exists`);
  const idx = gfn - slot.baseGfn;
  res.physIndex = idx;
  const phi = slot.physp.get(idx, 0);
  const plo = slot.physp.get(idx, 1);
  if (phi === 0 && plo === 0) {
    ex?.add(
      'enter.entry',
      true,
      `slot_phys[${slot.id}][${hexn(idx)}] is 0: not instantiated yet, retry in virtual mode`,
      { result: 'H_TOO_HARD' },
    );
    return H_TOO_HARD;
  }
  const isIo = m.kernel === 'io' ? plo & (R.I | R.W) : 0;
  const order = plo & SLOT_PHYS.ORDER_MASK;
  const pteSize = m.pageSize * POW2[order];
  ex?.add('enter.entry', true, `slot_phys[${slot.id}][${hexn(idx)}] = ${hx(phi, plo)}`);
  let pahi = phi;
  let palo = (plo & ~(m.pageSize - 1)) >>> 0;
  if (pteSize < psize) {
    ex?.add(
      'enter.pte_size',
      false,
      `backing page ${sizeName(pteSize)} (order ${order}) is smaller than the HPTE's ${sizeName(psize)}`,
      { result: 'H_PARAMETER' },
    );
    return H_PARAMETER;
  }
  if ((pahi || palo) && pteSize > psize) {
    // pa |= gpa & (pte_size - 1)
    const gpaLo = (rlo & R.RPN.lo & ~(psize - 1)) >>> 0;
    const gpaHi = rhi & R.RPN.hi;
    if (pteSize >= TWO32) {
      pahi |= gpaHi & (pteSize / TWO32 - 1);
      palo = (palo | gpaLo) >>> 0;
    } else {
      palo = (palo | (gpaLo & (pteSize - 1))) >>> 0;
    }
  }
  ex?.add(
    'enter.pte_size',
    true,
    `backing page ${sizeName(pteSize)} >= ${sizeName(psize)}; host address ${hx(pahi, palo)}`,
  );
  // ptel &= ~(HPTE_R_PP0 - psize): keep PP0 and the bits below psize; then take pa.
  const nrhi = ((rhi & R.PP0_HI) | pahi) >>> 0;
  let nrlo = ((rlo & (psize - 1)) | palo) >>> 0;
  const wimg = nrlo & R.WIMG;
  if (m.kernel === 'io') {
    const sao = wimg === (R.W | R.I | R.M) && m.arch206;
    const eff = sao ? R.M : wimg;
    const ok = hpteCacheFlagsOk(nrlo, isIo, m.arch206);
    const what = ex ? `guest WIMG ${wimgName(wimg)}${sao ? ' (SAO, counted as M on ARCH_206)' : ''}` : '';
    if (!ok) {
      if (isIo) {
        ex?.add(
          'enter.wimg',
          false,
          `${what}: W=${eff & R.W ? 1 : 0} I=${eff & R.I ? 1 : 0} does not match the slot's cache bits ${cacheName(isIo)}`,
          { result: 'H_PARAMETER' },
        );
        return H_PARAMETER;
      }
      nrlo = ((nrlo & ~(R.W | R.I | R.G)) | R.M) >>> 0;
      res.madeCacheable = true;
      ex?.add(
        'enter.wimg',
        true,
        `${what} on RAM is not M: made cacheable, WIMG ${wimgName(wimg)} -> ${wimgName(nrlo & R.WIMG)}`,
        { note: 'made cacheable' },
      );
    } else {
      ex?.add('enter.wimg', true, `${what} fits the slot's cache bits ${cacheName(isIo)}`);
    }
  } else {
    if (wimg !== R.M && wimg !== (R.W | R.I | R.M)) {
      ex?.add('enter.wimg_old', false, `guest WIMG ${wimgName(wimg)} is neither M nor W|I|M`, {
        result: 'H_PARAMETER',
      });
      return H_PARAMETER;
    }
    ex?.add('enter.wimg_old', true, `guest WIMG ${wimgName(wimg)} is accepted`);
  }
  const nvhi = vhi >>> 0;
  const nvlo = ((vlo & ~V.ENTER_CLEAR) | V.VALID) >>> 0;
  const entries = m.hptEntries;
  if (pteIndex >= entries) {
    ex?.add('enter.index', false, `pte_index ${hexn(pteIndex)} >= ${hexn(entries)} HPTEs (hpt order ${m.hptOrder})`, {
      result: 'H_PARAMETER',
    });
    return H_PARAMETER;
  }
  ex?.add('enter.index', true, `pte_index ${hexn(pteIndex)} < ${hexn(entries)}`);
  let target: number;
  if ((fhi & FLAG.H_EXACT_HI) === 0) {
    const group = pteIndex - modPow2(pteIndex, 8);
    target = -1;
    const w = m.hpt.view(group); // a PTEG never straddles two chunks
    const o = m.hpt.at;
    for (let i = 0; i < 8; i++) {
      const v = w[o + i * HPT_WIDTH + 1];
      if ((v & (V.VALID | V.HVLOCK)) === 0) {
        target = group + i;
        break;
      }
    }
    if (target < 0) {
      res.hptIndex = group;
      ex?.add('enter.slot', false, `all 8 slots of the PTEG at ${hexn(group)} are valid`, { result: 'H_PTEG_FULL' });
      return H_PTEG_FULL;
    }
    ex?.add('enter.slot', true, `first free slot of the PTEG at ${hexn(group)} is ${hexn(target)}`);
  } else {
    target = pteIndex;
    const v = m.hptWord(target, 1);
    if (v & (V.VALID | V.HVLOCK)) {
      res.hptIndex = target;
      ex?.add(
        'enter.slot',
        false,
        `H_EXACT: slot ${hexn(target)} is already valid (v ${hx(m.hptWord(target, 0), v)})`,
        { result: 'H_PTEG_FULL' },
      );
      return H_PTEG_FULL;
    }
    ex?.add('enter.slot', true, `H_EXACT: slot ${hexn(target)} is free`);
  }
  const hv = hptValues;
  hv[0] = nvhi;
  hv[1] = nvlo;
  hv[2] = nrhi;
  hv[3] = nrlo;
  hv[4] = rhi;
  hv[5] = rlo;
  m.hptStore(target, 0, 6);
  res.hptIndex = target;
  setOut(res, 0, Math.floor(target / TWO32), target >>> 0);
  ex?.add(
    'enter.insert',
    true,
    `HPT[${hexn(target)}] = v ${hx(nvhi, nvlo)} r ${hx(nrhi, nrlo)} (guest r ${hx(rhi, rlo)}); r4 = ${hexn(target)}`,
    { result: 'H_SUCCESS' },
  );
  return H_SUCCESS;
}

function virtmodeHEnter(m: Machine, res: HcallResult, a: readonly number[], b: readonly number[]): number {
  const vlo = b[2];
  const rhi = a[3];
  const rlo = b[3];
  const ex = res.checks;
  const psize = hptePageSize(vlo, rlo, m.arch206);
  if (!psize) {
    ex?.add('virt.psize', false, 'no valid page size', { result: 'H_PARAMETER' });
    return H_PARAMETER;
  }
  ex?.add('virt.psize', true, `psize = ${sizeName(psize)}`);
  const gfn = gfnOf(m, rhi, rlo, psize);
  const slot = m.gfnToMemslot(gfn);
  if (!slot || slot.flags & KVM_MEMSLOT_INVALID) {
    ex?.add('virt.memslot', false, `no usable memslot for gfn ${hexn(gfn)}`, { result: 'H_PARAMETER' });
    return H_PARAMETER;
  }
  ex?.add('virt.memslot', true, `memslot ${slot.id}`);
  if (!slotIsAligned(m, slot, psize)) {
    ex?.add('virt.aligned', false, `memslot ${slot.id} is not aligned for ${sizeName(psize)}`, {
      result: 'H_PARAMETER',
    });
    return H_PARAMETER;
  }
  ex?.add('virt.aligned', true, `memslot ${slot.id} is aligned for ${sizeName(psize)}`);
  if (!getGuestPage(m, res, gfn, slot, psize)) {
    ex?.add('virt.get_page', false, 'kvmppc_get_guest_page failed (-EINVAL)', { result: 'H_PARAMETER' });
    return H_PARAMETER;
  }
  ex?.add('virt.get_page', true, 'kvmppc_get_guest_page succeeded');
  const ret = hEnter(m, res, a, b);
  if (ret === H_TOO_HARD) {
    ex?.add(
      'virt.retry',
      false,
      `kvmppc_h_enter still said H_TOO_HARD (no slot_phys entry was filled for a ${sizeName(psize)} page on ${sizeName(m.pageSize)} host pages)`,
      { result: 'H_RESOURCE' },
    );
    return H_RESOURCE;
  }
  return ret;
}

/** kvmppc_get_guest_page: fills the slot_phys entries for the page holding gfn; false means -EINVAL. */
function getGuestPage(m: Machine, res: HcallResult, gfn: number, slot: Memslot, psize: number): boolean {
  const ex = res.checks;
  const ps = m.pageSize;
  const off = gfn - slot.baseGfn;
  if (slot.physp.get(off, 0) !== 0 || slot.physp.get(off, 1) !== 0) {
    ex?.add('gp.filled', true, `slot_phys[${slot.id}][${hexn(off)}] is already set`);
    return true;
  }
  ex?.add('gp.filled', true, `slot_phys[${slot.id}][${hexn(off)}] is 0`);
  let start = slot.userspaceAddr + off * ps;
  let pgsize = psize;
  let isIo = 0;
  let got = 0;
  let pfn: number;
  const pinned = m.vmas.find((v) => v.type === 'anon' && v.start <= start && start < v.end);
  if (!pinned) {
    ex?.add('gp.gup', true, `get_user_pages_fast(${hexn(start)}) fails: no pinnable (anon) mapping there`);
    if (m.kernel === 'pre-io') {
      ex?.add('gp.gup_old', false, 'no VM_PFNMAP support before the seed commit', { result: '-EINVAL' });
      return false;
    }
    const vma = m.findVma(start);
    if (!vma || vma.start > start || start + psize > vma.end || vma.type !== 'pfnmap') {
      if (ex) {
        const why = !vma
          ? 'no vma at or after it'
          : vma.start > start
            ? `the next vma starts at ${hexn(vma.start)}`
            : start + psize > vma.end
              ? `the ${sizeName(psize)} page ends past the vma end ${hexn(vma.end)}`
              : `the vma ${hexn(vma.start)}-${hexn(vma.end)} is not VM_PFNMAP`;
        ex.add('gp.vma', false, `hva ${hexn(start)}: ${why}`, { result: '-EINVAL' });
      }
      return false;
    }
    ex?.add(
      'gp.vma',
      true,
      `VM_PFNMAP vma ${hexn(vma.start)}-${hexn(vma.end)} (line ${vma.line}) covers ${hexn(start)}+${sizeName(psize)}`,
    );
    isIo = vma.cache;
    pfn = vma.pgoff + (start - vma.start) / ps;
    if (psize > ps && pfn % (psize / ps) !== 0) {
      ex?.add(
        'gp.pfn_align',
        false,
        `pfn ${hexn(pfn)} is not a multiple of ${psize / ps} (a ${sizeName(psize)} page in host pages)`,
        { result: '-EINVAL' },
      );
      return false;
    }
    ex?.add(
      'gp.pfn_align',
      true,
      `pfn ${hexn(pfn)} = vm_pgoff ${hexn(vma.pgoff)} + ${hexn((start - vma.start) / ps)}; cache bits ${cacheName(isIo)}`,
    );
  } else {
    got = SLOT_PHYS.GOT_PAGE;
    ex?.add('gp.gup', true, `get_user_pages_fast(${hexn(start)}) pins a page of the anon vma from line ${pinned.line}`);
    let s = ps;
    pfn = pinned.pfn + (start - pinned.start) / ps;
    if (pinned.pageSize > ps) {
      s = pinned.pageSize;
      if (s > psize && slotIsAligned(m, slot, s) && slot.userspaceAddr % s === 0) {
        start -= start % s;
        pgsize = s;
        pfn = pinned.pfn + (start - pinned.start) / ps;
        ex?.add(
          'gp.huge',
          true,
          `PageHuge: ${sizeName(s)} page; the slot is aligned for it, so take the whole huge page at pfn ${hexn(pfn)}`,
        );
      } else {
        ex?.add(
          'gp.huge',
          true,
          `PageHuge: ${sizeName(s)} page; ${s > psize ? 'the slot or userspace_addr is not aligned for it, ' : ''}use the ${sizeName(psize)} at pfn ${hexn(pfn)}`,
        );
      }
    } else {
      ex?.add('gp.huge', true, `not a huge page: s = ${sizeName(s)}, pfn ${hexn(pfn)}`);
    }
    if (s < psize) {
      ex?.add('gp.size', false, `backing page ${sizeName(s)} is smaller than the HPTE's ${sizeName(psize)}`, {
        result: '-EINVAL',
      });
      return false;
    }
    ex?.add('gp.size', true, `backing page ${sizeName(s)} >= ${sizeName(psize)}`);
  }
  const npages = Math.floor(pgsize / ps);
  const pgorder = npages > 0 ? Math.round(Math.log2(npages)) : 0;
  const first = npages > 0 ? off - (off % npages) : off;
  const shiftMul = 2 ** m.pageShift;
  const perHi = 2 ** (32 - m.pageShift);
  let filled = 0;
  for (let i = 0; i < npages; i++) {
    const idx = first + i;
    if (idx >= slot.npages) break;
    if (slot.physp.get(idx, 0) === 0 && slot.physp.get(idx, 1) === 0) {
      const p = pfn + i;
      const hi = Math.floor(p / perHi);
      const lo = ((p % perHi) * shiftMul + got + isIo + pgorder) >>> 0;
      m.slotPhysWrite(slot, idx, hi, lo);
      got = 0;
      filled++;
    }
  }
  ex?.add(
    'gp.fill',
    true,
    npages === 0
      ? `npages = ${sizeName(pgsize)} >> PAGE_SHIFT = 0: no entry filled`
      : `filled ${filled} of ${npages} entries from slot_phys[${slot.id}][${hexn(first)}] (order ${pgorder}${isIo ? `, ${cacheName(isIo)}` : ''})`,
  );
  return true;
}

// ---- H_REMOVE, H_READ, H_PROTECT, H_BULK_REMOVE -------------------------------------------------

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
function hRemove(m: Machine, res: HcallResult, a: readonly number[], b: readonly number[]): void {
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
function hRead(m: Machine, res: HcallResult, a: readonly number[], b: readonly number[]): void {
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
function hProtect(m: Machine, res: HcallResult, a: readonly number[], b: readonly number[]): void {
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

function hBulkRemove(m: Machine, res: HcallResult, ah: number[], al: number[]): void {
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
