/**
 * Static answer to "what backs this HPTE?": the guest address an H_ENTER's ptel names, the memslot
 * holding it, the vma behind that slot's page, and whether the guest's WIMG bits would pass the
 * seed's hpte_cache_flags_ok() — from the host state at that line, without running any hcall.
 */
import { R } from '../core/bits';
import { hptePageSize } from '../core/handlers';
import { Machine, Memslot, Vma } from '../core/machine';
import { U64 } from '../core/u64';

export interface Backing {
  /** Page size the pair encodes (0 when invalid). */
  psize: number;
  /** gpa = (ptel & RPN) rounded down to psize, as a number (exact below 2^53). */
  gpa: number;
  gfn: number;
  slot: Memslot | null;
  /** Host virtual address of the page in the VMM (slot.userspace_addr + offset). */
  hva: number;
  /** The vma holding hva (start <= hva < end), if any. */
  vma: Vma | null;
  /** The cache bits an I/O slot would carry (vma cache bits of a pfnmap), 0 for RAM. */
  isIo: number;
}

export function backingOf(m: Machine, v: U64 | undefined, r: U64): Backing {
  const psize = v ? hptePageSize(v.lo, r.lo, m.arch206) : 4096;
  const lo = (r.lo & R.RPN.lo & ~((psize || 4096) - 1)) >>> 0;
  const gpa = (r.hi & R.RPN.hi) * 4294967296 + lo;
  const gfn = Math.floor(gpa / m.pageSize);
  const slot = m.gfnToMemslot(gfn);
  let hva = -1;
  let vma: Vma | null = null;
  if (slot) {
    hva = slot.userspaceAddr + (gfn - slot.baseGfn) * m.pageSize;
    const f = m.findVma(hva);
    vma = f && f.start <= hva ? f : null;
  }
  const isIo = m.kernel === 'io' && vma?.type === 'pfnmap' ? vma.cache : 0;
  return { psize, gpa, gfn, slot, hva, vma, isIo };
}

/** The kernel's own check, from the core: the hover must say what H_ENTER would decide. */
export { hpteCacheFlagsOk as cacheFlagsOk } from '../core/handlers';

export function cacheBitsName(bits: number): string {
  if (!bits) return 'none';
  return (bits & R.I ? 'I' : '') + (bits & R.W ? 'W' : '');
}
