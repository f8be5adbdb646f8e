/**
 * The hcall handlers of book3s HV KVM at the seed commit ("KVM: PPC: Allow I/O mappings in memory
 * slots"), and as they were just before it (kernel variant 'pre-io'). Check for check in the
 * kernel's order: kvmppc_h_enter (real mode), kvmppc_virtmode_h_enter with kvmppc_get_guest_page,
 * kvmppc_h_remove, kvmppc_h_read, kvmppc_h_protect, kvmppc_h_bulk_remove.
 *
 * 64-bit words are hi/lo uint32 halves (see u64.ts); gfns, pfns and indices are plain numbers.
 */
import { FLAG, H_PARAMETER, H_PTEG_FULL, H_RESOURCE, H_SUCCESS, H_TOO_HARD, HCALLS, R, SLOT_PHYS, V } from './bits';
import { Explainer } from './explain';
import { HPT_WIDTH, hptValues, Machine, Memslot, KVM_MEMSLOT_INVALID, hexn, sizeName } from './machine';
import { HcallRecord } from './records';
import { HcallResult, hx, modPow2, newResult, POW2, resetResult, setOut, TWO32 } from './hcallResult';
import { hBulkRemove, hProtect, hRead, hRemove } from './removeReadProtect';

export type { HcallResult } from './hcallResult';
export { reusableResult } from './hcallResult';

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
