/** H_ENTER, check by check, named after the kernel conditions (book3s_hv_rm_mmu.c / book3s_64_mmu_hv.c). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IO_SETUP, Rig } from '../../helpers/trace';

const enter = (idx: string, pteh: string, ptel: string, flags = '0x0') =>
  `hcall H_ENTER flags=${flags} pte_index=${idx} pteh=${pteh} ptel=${ptel}`;

test('hpte_page_size: L with LP bits that encode nothing -> H_PARAMETER', () => {
  const r = new Rig(IO_SETUP).call(enter('0x0', '0x4000000000001005', '0x1002012'));
  assert.equal(r.name, 'H_PARAMETER');
  assert.equal(r.decided, 'enter.psize');
});

test('hpte_page_size: without CPU_FTR_ARCH_206 the 64K encoding is invalid, with it 64K', () => {
  const setup = IO_SETUP.replace('cpu power7', 'cpu ppc970');
  assert.equal(new Rig(setup).call(enter('0x0', '0x4000000000001005', '0x1001012')).decided, 'enter.psize');
  const ok = new Rig(IO_SETUP).call(enter('0x0', '0x4000000000001005', '0x1001012'));
  assert.equal(ok.name, 'H_SUCCESS');
  assert.match(ok.checks!.checks[0].detail, /64K/);
});

test('builtin_gfn_to_memslot: no memslot holds the gfn -> H_PARAMETER', () => {
  const r = new Rig(IO_SETUP).call(enter('0x0', '0x4000000000001005', '0x400001012'));
  assert.equal(r.name, 'H_PARAMETER');
  assert.equal(r.decided, 'enter.memslot');
  assert.match(r.detail, /no memslot holds gfn 0x40000/);
});

test('KVM_MEMSLOT_INVALID: a slot being invalidated is not usable -> H_PARAMETER', () => {
  const rig = new Rig(
    IO_SETUP + 'vma 0x10000000-0x11000000 anon\nmemslot 2 gpa=0x400000000 size=16M hva=0x10000000 flags=0x2\n',
  );
  const r = rig.call(enter('0x0', '0x4000000000001005', '0x400001012'));
  assert.equal(r.decided, 'enter.memslot');
  assert.match(r.detail, /invalidated/);
});

test('slot_is_aligned: a 16M page in a slot whose base_gfn is not 16M-aligned -> H_PARAMETER', () => {
  const rig = new Rig(
    IO_SETUP + 'vma 0x20000000-0x22000000 anon page=16M\nmemslot 2 gpa=0x300010000 size=16M hva=0x20000000\n',
  );
  const r = rig.call(enter('0x0', '0x4000000000001005', '0x301000010'));
  assert.equal(r.name, 'H_PARAMETER');
  assert.equal(r.decided, 'enter.aligned');
});

test('slot_phys entry 0 -> H_TOO_HARD -> virtual mode fills it; the next H_ENTER stays in real mode', () => {
  const rig = new Rig(IO_SETUP);
  const a = rig.call(enter('0x100', '0x4000000000001005', '0x1000192'));
  assert.equal(a.name, 'H_SUCCESS');
  assert.equal(a.virtualMode, true);
  assert.ok(a.checkIds.includes('virt.get_page'));
  const b = rig.call(enter('0x108', '0x4000000000002005', '0x1231192'));
  assert.equal(b.virtualMode, false);
  assert.equal(rig.out(b, 0), '0x108');
});

test('kvmppc_get_guest_page: a hugetlbfs page fills the whole 16M run, GOT_PAGE on the first entry only', () => {
  const rig = new Rig(IO_SETUP);
  rig.call(enter('0x100', '0x4000000000001005', '0x1231192'));
  assert.equal(rig.slotPhys(0, 0x100), '0x1001000088');
  assert.equal(rig.slotPhys(0, 0x123), '0x1001230008');
  assert.equal(rig.slotPhys(0, 0x1ff), '0x1001ff0008');
  assert.equal(rig.slotPhys(0, 0x200), undefined);
});

test('kvmppc_get_guest_page: huge page but userspace_addr not aligned to it -> only the 64K page, order 0', () => {
  const rig = new Rig(`host page=64K
hpt order=18
vma 0x7fff00000000-0x7fff10000000 anon page=16M pfn=0x100000
memslot 0 gpa=0x0 size=64K hva=0x7fff00010000
`);
  const r = rig.call(enter('0x0', '0x4000000000001005', '0x1012'));
  assert.equal(r.name, 'H_SUCCESS');
  assert.equal(rig.slotPhys(0, 0), '0x1000010080');
});

test('kvmppc_get_guest_page: backing page smaller than the HPTE page (s < psize) -> -EINVAL -> H_PARAMETER', () => {
  const rig = new Rig(
    'host page=64K\nhpt order=18\nvma 0x10000000-0x12000000 anon\nmemslot 0 gpa=0x0 size=32M hva=0x10000000\n',
  );
  const r = rig.call(enter('0x0', '0x4000000000001005', '0x1000010'));
  assert.equal(r.name, 'H_PARAMETER');
  assert.equal(r.decided, 'gp.size', 'the root cause inside kvmppc_get_guest_page decides');
  assert.ok(r.checkIds.includes('gp.size'));
  assert.equal(r.checks!.checks.find((c) => c.id === 'gp.size')!.ok, false);
});

test('pte_size < psize: a 16M HPTE over a slot_phys entry filled for a 64K page -> H_PARAMETER', () => {
  const rig = new Rig(
    'host page=64K\nhpt order=18\nvma 0x10000000-0x12000000 anon\nmemslot 0 gpa=0x0 size=32M hva=0x10000000\n',
  );
  assert.equal(rig.call(enter('0x0', '0x4000000000001005', '0x1001012')).name, 'H_SUCCESS');
  const r = rig.call(enter('0x8', '0x4000000000002005', '0x1000010'));
  assert.equal(r.name, 'H_PARAMETER');
  assert.equal(r.decided, 'enter.pte_size');
});

test('virtual mode still H_TOO_HARD (4K guest page on 64K host pages) -> H_RESOURCE', () => {
  const rig = new Rig(
    'host page=64K\nhpt order=18\nvma 0x10000000-0x11000000 anon\nmemslot 0 gpa=0x0 size=16M hva=0x10000000\n',
  );
  const r = rig.call(enter('0x0', '0x4000000000001001', '0x5012'));
  assert.equal(r.name, 'H_RESOURCE');
  assert.equal(r.decided, 'virt.retry');
});

test('VM_PFNMAP path: pfn from vm_pgoff, cache bits from vm_page_prot, no GOT_PAGE', () => {
  const rig = new Rig(IO_SETUP);
  const r = rig.call(enter('0x118', '0x4000000000004005', '0x20001102a'));
  assert.equal(r.name, 'H_SUCCESS');
  assert.equal(rig.slotPhys(1, 1), '0x2000010020');
  const e = rig.hpt(0x118)!;
  assert.deepEqual(e, { index: 0x118, v: '0x4000000000004005', r: '0x200001102a', guest_r: '0x20001102a' });
});

test('VM_PFNMAP path: cache=IW keeps both NO_CACHE and WRITETHRU', () => {
  const rig = new Rig(
    'cpu ppc970\nhost page=4K\nhpt order=18\nvma 0x30000000-0x30010000 pfnmap pgoff=0x90000 cache=IW\nmemslot 1 gpa=0x80000000 size=64K hva=0x30000000\n',
  );
  assert.equal(rig.call(enter('0x20', '0x4000000000000e01', '0x8000306a')).name, 'H_SUCCESS');
  assert.equal(rig.slotPhys(1, 3), '0x90003060');
});

test('VM_PFNMAP path: the page must lie inside the vma (start + psize > vm_end) -> H_PARAMETER', () => {
  const rig = new Rig(
    'host page=64K\nhpt order=18\nvma 0x50000000-0x50800000 pfnmap pgoff=0x4000 cache=I\nmemslot 1 gpa=0x200000000 size=16M hva=0x50000000\n',
  );
  const r = rig.call(enter('0x8', '0x4000000000000305', '0x20000002a'));
  assert.equal(r.name, 'H_PARAMETER');
  assert.equal(r.checks!.checks.find((c) => c.id === 'gp.vma')!.ok, false);
  assert.match(r.checks!.checks.find((c) => c.id === 'gp.vma')!.detail, /ends past the vma end/);
});

test('VM_PFNMAP path: a large page needs a pfn aligned to it -> H_PARAMETER', () => {
  const rig = new Rig(
    'host page=64K\nhpt order=18\nvma 0x40000000-0x42000000 pfnmap pgoff=0x1001 cache=I\nmemslot 0 gpa=0x100000000 size=32M hva=0x40000000\n',
  );
  const r = rig.call(enter('0x0', '0x4000000000000105', '0x10000002a'));
  assert.equal(r.name, 'H_PARAMETER');
  assert.equal(r.checks!.checks.find((c) => c.id === 'gp.pfn_align')!.ok, false);
});

test('a mapping that is neither pinnable nor VM_PFNMAP fails in kvmppc_get_guest_page', () => {
  const rig = new Rig(
    'host page=64K\nhpt order=18\nvma 0x60000000-0x60100000 other\nmemslot 2 gpa=0x300000000 size=1M hva=0x60000000\n',
  );
  const r = rig.call(enter('0x10', '0x4000000000000605', '0x30000102a'));
  assert.equal(r.name, 'H_PARAMETER');
  assert.match(r.checks!.checks.find((c) => c.id === 'gp.vma')!.detail, /not VM_PFNMAP/);
});

test('hpte_cache_flags_ok, I/O slot: WIMG must match the slot cache bits (W|I vs I) -> H_PARAMETER', () => {
  const rig = new Rig(IO_SETUP);
  const r = rig.call(enter('0x118', '0x4000000000004085', '0x20001106a'));
  assert.equal(r.name, 'H_PARAMETER');
  assert.equal(r.decided, 'enter.wimg');
  assert.match(r.detail, /W=1 I=1 does not match the slot's cache bits I/);
});

test('hpte_cache_flags_ok, I/O slot: a cacheable mapping of an I/O page is refused', () => {
  const r = new Rig(IO_SETUP).call(enter('0x118', '0x4000000000004105', '0x200011012'));
  assert.equal(r.decided, 'enter.wimg');
});

test('hpte_cache_flags_ok: SAO (W|I|M) counts as M on ARCH_206: refused on I/O, accepted as-is on RAM', () => {
  const rig = new Rig(IO_SETUP);
  assert.equal(rig.call(enter('0x118', '0x4000000000004185', '0x200021072')).decided, 'enter.wimg');
  const ram = rig.call(enter('0x120', '0x4000000000005005', '0x3001072'));
  assert.equal(ram.name, 'H_SUCCESS');
  assert.equal(ram.madeCacheable, false);
  assert.equal(rig.hpt(0x120)!.r, '0x1003001072');
});

test('RAM slot, guest asks for I|G: silently made cacheable (W, I, G cleared, M set), guest view kept', () => {
  const rig = new Rig(IO_SETUP);
  const r = rig.call(enter('0x110', '0x4000000000003005', '0x201102a'));
  assert.equal(r.name, 'H_SUCCESS');
  assert.equal(r.madeCacheable, true);
  assert.equal(r.checks!.checks.find((c) => c.id === 'enter.wimg')!.note, 'made cacheable');
  assert.deepEqual(rig.hpt(0x110), { index: 0x110, v: '0x4000000000003005', r: '0x1002011012', guest_r: '0x201102a' });
});

test('SAO on PPC970 is not special: RAM mapped W|I|M is made cacheable', () => {
  const rig = new Rig(
    'cpu ppc970\nhost page=4K\nhpt order=18\nvma 0x20000000-0x22000000 anon page=16M\nmemslot 0 gpa=0x0 size=32M hva=0x20000000\n',
  );
  const r = rig.call(enter('0x10', '0x4000000000000c01', '0x7072'));
  assert.equal(r.madeCacheable, true);
  assert.equal(rig.hpt(0x10)!.r, '0x20007012');
});

test('pre-io kernel: the old WIMG rule (M or W|I|M only) refuses I|G on RAM', () => {
  const rig = new Rig(IO_SETUP, 'pre-io');
  const r = rig.call(enter('0x110', '0x4000000000003005', '0x201102a'));
  assert.equal(r.name, 'H_PARAMETER');
  assert.equal(r.decided, 'enter.wimg_old');
  assert.equal(rig.call(enter('0x120', '0x4000000000005005', '0x3001072')).name, 'H_SUCCESS');
});

test('pre-io kernel: no VM_PFNMAP path, an I/O BAR page cannot be entered', () => {
  const rig = new Rig(IO_SETUP, 'pre-io');
  const r = rig.call(enter('0x118', '0x4000000000004005', '0x20001102a'));
  assert.equal(r.name, 'H_PARAMETER');
  assert.ok(r.checkIds.includes('gp.gup_old'));
  assert.equal(rig.slotPhys(1, 1), undefined);
});

test('pte_index >= HPT_NPTEG << 3 -> H_PARAMETER, checked after the WIMG check', () => {
  const rig = new Rig(IO_SETUP);
  const r = rig.call(enter('0x4000', '0x4000000000007005', '0x1001012'));
  assert.equal(r.decided, 'enter.index');
  const first = rig.call(enter('0x4000', '0x4000000000004085', '0x20001106a'));
  assert.equal(first.decided, 'enter.wimg');
});

test('pte_index range follows hpt order= (order 24: 2^20 entries)', () => {
  const rig = new Rig(IO_SETUP.replace('hpt order=18', 'hpt order=24'));
  assert.equal(rig.call(enter('0x4000', '0x4000000000007005', '0x1001012')).name, 'H_SUCCESS');
  assert.equal(rig.call(enter('0x100000', '0x4000000000007005', '0x1001012')).decided, 'enter.index');
});

test('PTEG search: takes the first free slot of the group, H_PTEG_FULL when all 8 are valid', () => {
  const rig = new Rig(IO_SETUP);
  const got: string[] = [];
  for (let i = 0; i < 8; i++)
    got.push(rig.out(rig.call(enter('0x43', `0x40000000000${(i + 1).toString(16)}0005`, `0x1${i}1012`)), 0));
  assert.deepEqual(got, ['0x40', '0x41', '0x42', '0x43', '0x44', '0x45', '0x46', '0x47']);
  const full = rig.call(enter('0x40', '0x4000000000090005', '0x1081012'));
  assert.equal(full.name, 'H_PTEG_FULL');
  assert.equal(full.decided, 'enter.slot');
});

test('H_EXACT: the given slot must be free (taken -> H_PTEG_FULL), no search', () => {
  const rig = new Rig(IO_SETUP);
  rig.call(enter('0x40', '0x4000000000010005', '0x1001012'));
  const taken = rig.call(enter('0x40', '0x4000000000020005', '0x1011012', '0x8000000000'));
  assert.equal(taken.name, 'H_PTEG_FULL');
  const exact = rig.call(enter('0x46', '0x4000000000020005', '0x1011012', '0x8000000000'));
  assert.equal(rig.out(exact, 0), '0x46');
});

test('insert: pteh loses 0x60 and gains V; ptel keeps PP0 and bits below psize and takes the host address', () => {
  const rig = new Rig(IO_SETUP);
  rig.call(enter('0x100', '0x40000000000010e4', '0x8000000001231192'));
  assert.deepEqual(rig.hpt(0x100), {
    index: 0x100,
    v: '0x4000000000001085',
    r: '0x8000001001231192',
    guest_r: '0x8000000001231192',
  });
});

test('hcalls the emulation does not model are passed over', () => {
  const rig = new Rig(IO_SETUP);
  const r = rig.call('hcall H_CEDE');
  assert.equal(r.ret, null);
  assert.equal(rig.call('hcall 0x2c r4=0x1').ret, null);
});
