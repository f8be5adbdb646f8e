/**
 * What each handler checks, in the kernel's order and words. A replayed hcall carries the list of
 * checks it evaluated (each with its outcome and the values compared); the debugger steps through
 * it and serves these lines as a read-only source, and the CLI prints the deciding one.
 */

export type HandlerFn =
  | 'kvmppc_h_enter'
  | 'kvmppc_virtmode_h_enter'
  | 'kvmppc_get_guest_page'
  | 'kvmppc_h_remove'
  | 'kvmppc_h_read'
  | 'kvmppc_h_protect'
  | 'kvmppc_h_bulk_remove';

export interface CheckDef {
  readonly id: string;
  readonly fn: HandlerFn;
  /** The kernel's condition, close to the source text of the seed commit's era. */
  readonly code: string;
  /** Which kernel variants evaluate it. */
  readonly variants?: readonly ('io' | 'pre-io')[];
}

const d = (fn: HandlerFn, id: string, code: string, variants?: ('io' | 'pre-io')[]): CheckDef => ({
  fn,
  id,
  code,
  variants,
});

export const CHECKS: readonly CheckDef[] = [
  d('kvmppc_h_enter', 'enter.psize', 'psize = hpte_page_size(pteh, ptel); if (!psize) return H_PARAMETER;'),
  d(
    'kvmppc_h_enter',
    'enter.memslot',
    'memslot = builtin_gfn_to_memslot(kvm, gfn); if (!memslot || (memslot->flags & KVM_MEMSLOT_INVALID)) return H_PARAMETER;',
  ),
  d('kvmppc_h_enter', 'enter.aligned', 'if (!slot_is_aligned(memslot, psize)) return H_PARAMETER;'),
  d('kvmppc_h_enter', 'enter.physp', 'physp = kvm->arch.slot_phys[memslot->id]; if (!physp) return H_PARAMETER;'),
  d('kvmppc_h_enter', 'enter.entry', 'pa = physp[gfn - memslot->base_gfn]; if (!pa) return H_TOO_HARD;'),
  d(
    'kvmppc_h_enter',
    'enter.pte_size',
    'pte_size = PAGE_SIZE << (pa & KVMPPC_PAGE_ORDER_MASK); if (pte_size < psize) return H_PARAMETER;',
  ),
  d(
    'kvmppc_h_enter',
    'enter.wimg',
    'if (!hpte_cache_flags_ok(ptel, is_io)) { if (is_io) return H_PARAMETER; ptel &= ~(HPTE_R_W|HPTE_R_I|HPTE_R_G); ptel |= HPTE_R_M; }',
    ['io'],
  ),
  d(
    'kvmppc_h_enter',
    'enter.wimg_old',
    'if ((ptel & HPTE_R_WIMG) != HPTE_R_M && (ptel & HPTE_R_WIMG) != (HPTE_R_W | HPTE_R_I | HPTE_R_M)) return H_PARAMETER;',
    ['pre-io'],
  ),
  d('kvmppc_h_enter', 'enter.index', 'if (pte_index >= (HPT_NPTEG << 3)) return H_PARAMETER;'),
  d(
    'kvmppc_h_enter',
    'enter.slot',
    'H_EXACT ? try_lock_hpte(hpte, HPTE_V_HVLOCK | HPTE_V_VALID) : search the 8 slots of the PTEG; else return H_PTEG_FULL;',
  ),
  d(
    'kvmppc_h_enter',
    'enter.insert',
    'rev->guest_rpte = g_ptel; hpte[1] = ptel; hpte[0] = pteh; gpr[4] = pte_index; return H_SUCCESS;',
  ),
  d('kvmppc_virtmode_h_enter', 'virt.psize', 'psize = hpte_page_size(pteh, ptel); if (!psize) return H_PARAMETER;'),
  d(
    'kvmppc_virtmode_h_enter',
    'virt.memslot',
    'memslot = gfn_to_memslot(kvm, gfn); if (!memslot || (memslot->flags & KVM_MEMSLOT_INVALID)) return H_PARAMETER;',
  ),
  d('kvmppc_virtmode_h_enter', 'virt.aligned', 'if (!slot_is_aligned(memslot, psize)) return H_PARAMETER;'),
  d(
    'kvmppc_virtmode_h_enter',
    'virt.get_page',
    'if (kvmppc_get_guest_page(kvm, gfn, memslot, psize) < 0) return H_PARAMETER;',
  ),
  d(
    'kvmppc_virtmode_h_enter',
    'virt.retry',
    'ret = kvmppc_h_enter(vcpu, flags, pte_index, pteh, ptel); if (ret == H_TOO_HARD) ret = H_RESOURCE; /* "this can\'t happen" */',
  ),
  d('kvmppc_get_guest_page', 'gp.filled', 'if (physp[gfn - memslot->base_gfn]) return 0;'),
  d(
    'kvmppc_get_guest_page',
    'gp.gup',
    'start = gfn_to_hva_memslot(memslot, gfn); np = get_user_pages_fast(start, 1, 1, pages);',
  ),
  d('kvmppc_get_guest_page', 'gp.gup_old', 'if (np != 1) return -EINVAL;', ['pre-io']),
  d(
    'kvmppc_get_guest_page',
    'gp.vma',
    'vma = find_vma(current->mm, start); if (!vma || vma->vm_start > start || start + psize > vma->vm_end || !(vma->vm_flags & VM_PFNMAP)) goto up_err;',
    ['io'],
  ),
  d(
    'kvmppc_get_guest_page',
    'gp.pfn_align',
    'is_io = hpte_cache_bits(vma->vm_page_prot); pfn = vma->vm_pgoff + ((start - vma->vm_start) >> PAGE_SHIFT); if (psize > PAGE_SIZE && (pfn & ((psize >> PAGE_SHIFT) - 1))) goto up_err;',
    ['io'],
  ),
  d(
    'kvmppc_get_guest_page',
    'gp.huge',
    's = PAGE_SIZE; if (PageHuge(page)) { s <<= compound_order(hpage); if (s > psize && slot_is_aligned(memslot, s) && !(memslot->userspace_addr & (s - 1))) { start &= ~(s - 1); pgsize = s; page = hpage; } }',
  ),
  d('kvmppc_get_guest_page', 'gp.size', 'if (s < psize) goto out; /* -EINVAL */'),
  d(
    'kvmppc_get_guest_page',
    'gp.fill',
    'for (i = 0; i < npages; ++i) if (!physp[i]) { physp[i] = ((pfn + i) << PAGE_SHIFT) + got + is_io + pgorder; got = 0; }',
  ),
  d('kvmppc_h_remove', 'remove.index', 'if (pte_index >= (HPT_NPTEG << 3)) return H_PARAMETER;'),
  d(
    'kvmppc_h_remove',
    'remove.match',
    'if ((hpte[0] & HPTE_V_VALID) == 0 || ((flags & H_AVPN) && (hpte[0] & ~0x7fUL) != avpn) || ((flags & H_ANDCOND) && (hpte[0] & avpn) != 0)) return H_NOT_FOUND;',
  ),
  d(
    'kvmppc_h_remove',
    'remove.done',
    'gpr[4] = v = hpte[0] & ~HPTE_V_HVLOCK; gpr[5] = r = hpte[1]; hpte[0] = 0; return H_SUCCESS;',
  ),
  d('kvmppc_h_read', 'read.index', 'if (pte_index >= (HPT_NPTEG << 3)) return H_PARAMETER;'),
  d(
    'kvmppc_h_read',
    'read.entries',
    'if (flags & H_READ_4) { pte_index &= ~3; n = 4; } for each: r = hpte[1]; if (hpte[0] & HPTE_V_VALID) r = (flags & H_R_XLATE) ? rev[i].guest_rpte : hpte[1] | HPTE_R_RPN;',
  ),
  d('kvmppc_h_protect', 'protect.index', 'if (pte_index >= (HPT_NPTEG << 3)) return H_PARAMETER;'),
  d(
    'kvmppc_h_protect',
    'protect.match',
    'if ((hpte[0] & HPTE_V_VALID) == 0 || ((flags & H_AVPN) && (hpte[0] & ~0x7fUL) != avpn)) return H_NOT_FOUND;',
  ),
  d(
    'kvmppc_h_protect',
    'protect.done',
    'bits = PP0 from flags << 55, KEY_HI from flags << 48, PP|N|KEY_LO from flags; r = (r & ~mask) | bits in hpte[1] and rev->guest_rpte; return H_SUCCESS;',
  ),
  d('kvmppc_h_bulk_remove', 'bulk.end', 'req = flags >> 6; if (req == 3) break; /* end of list */'),
  d(
    'kvmppc_h_bulk_remove',
    'bulk.param',
    'if (req != 1 || flags == 3 || pte_index >= (HPT_NPTEG << 3)) { args[i * 2] = ((0xa0 | flags) << 56) + pte_index; ret = H_PARAMETER; break; }',
  ),
  d(
    'kvmppc_h_bulk_remove',
    'bulk.match',
    'found = VALID && (absolute || andcond: !(hp[0] & args[i * 2 + 1]) || AVPN: (hp[0] & ~0x7fUL) == args[i * 2 + 1]); if (!found) args[i * 2] = ((0x90 | flags) << 56) + pte_index;',
  ),
  d(
    'kvmppc_h_bulk_remove',
    'bulk.found',
    'flags |= (hp[1] >> 5) & 0x0c; args[i * 2] = ((0x80 | flags) << 56) + pte_index; hp[0] = 0;',
  ),
];

export const CHECK_BY_ID: ReadonlyMap<string, CheckDef> = new Map(CHECKS.map((c) => [c.id, c]));

/** One evaluated check: `ok` false means it decided a failure; `note` marks a silent fix-up. */
export interface Check {
  readonly id: string;
  readonly fn: HandlerFn;
  readonly ok: boolean;
  /** The values compared, in words. */
  readonly detail: string;
  /** Set where the check changed what the guest asked for (RAM made cacheable). */
  readonly note?: string;
  /** The result this check produced, when it ended the handler. */
  readonly result?: string;
}

export class Explainer {
  readonly checks: Check[] = [];
  add(id: string, ok: boolean, detail: string, extra?: { note?: string; result?: string }): void {
    const def = CHECK_BY_ID.get(id);
    if (!def) throw new Error(`unknown check ${id}`);
    this.checks.push({ id, fn: def.fn, ok, detail, ...extra });
  }
}

/**
 * The check that decided the outcome. For a failure it is the first failing check: the virtual-mode
 * path reports kvmppc_get_guest_page's own failure before its caller's "get_page failed", and the
 * root cause is the one a person wants. For a success, the last check.
 */
export function decidingCheck(checks: readonly Check[], succeeded: boolean): Check | undefined {
  if (!succeeded) for (const c of checks) if (!c.ok) return c;
  return checks[checks.length - 1];
}
