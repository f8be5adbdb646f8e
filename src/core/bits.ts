/**
 * The one table of kernel facts: HPTE doubleword fields, slot_phys low bits, hcall numbers and
 * arguments, return codes and hcall flags, as in book3s HV KVM right after the seed commit
 * (arch/powerpc/include/asm/mmu-hash64.h, kvm_host.h, hvcall.h). Decoders, formatters, the hover,
 * inlay hints, views, the CLI and the generated grammar all derive from these arrays.
 */
import { bitRange, U64, u64 } from './u64';

export type WordKind = 'v' | 'r' | 'slot_phys';

export interface BitField {
  /** Short name shown in decodings (AVPN, WIMG members, PP …). */
  readonly name: string;
  readonly word: WordKind;
  /** The kernel macro, where the kernel has one. */
  readonly macro: string;
  readonly mask: U64;
  readonly title: string;
  readonly doc: string;
}

const field = (word: WordKind, name: string, macro: string, mask: U64, title: string, doc: string): BitField => ({
  name,
  word,
  macro,
  mask,
  title,
  doc,
});
const low = (m: number): U64 => u64(0, m);

/** First doubleword (pteh / v), high bits first. */
export const HPTE_V_FIELDS: readonly BitField[] = [
  field('v', 'SSIZE', 'HPTE_V_SSIZE', u64(0xc0000000, 0), 'segment size', '0 = 256M segment, 1 = 1T segment'),
  field(
    'v',
    'AVPN',
    'HPTE_V_AVPN',
    u64(0x3fffffff, 0xffffff80),
    'abbreviated virtual page number',
    'compared by H_AVPN matches',
  ),
  field(
    'v',
    'HVLOCK',
    'HPTE_V_HVLOCK',
    low(0x40),
    'KVM lock',
    "KVM's software lock bit; H_ENTER clears 0x60 from the guest's value",
  ),
  field('v', 'SW', '', low(0x20), 'software bit', 'cleared by H_ENTER along with HVLOCK'),
  field('v', 'BOLTED', 'HPTE_V_BOLTED', low(0x10), 'bolted', 'software: bolted entry'),
  field('v', 'LOCK', 'HPTE_V_LOCK', low(0x08), 'lock', 'software lock (host)'),
  field('v', 'L', 'HPTE_V_LARGE', low(0x04), 'large page', 'size comes from the LP bits of the second doubleword'),
  field('v', 'H', 'HPTE_V_SECONDARY', low(0x02), 'secondary hash', 'entry is in the secondary hash group'),
  field('v', 'V', 'HPTE_V_VALID', low(0x01), 'valid', 'the entry is valid'),
];

/** Second doubleword (ptel / r), high bits first. */
export const HPTE_R_FIELDS: readonly BitField[] = [
  field('r', 'PP0', 'HPTE_R_PP0', u64(0x80000000, 0), 'page protection bit 0', 'extra page-protection bit'),
  field('r', 'TS', 'HPTE_R_TS', u64(0x40000000, 0), 'tag set', ''),
  field('r', 'KEY_HI', 'HPTE_R_KEY_HI', u64(0x30000000, 0), 'storage key (high)', ''),
  field(
    'r',
    'RPN',
    'HPTE_R_RPN',
    u64(0x0fffffff, 0xfffff000),
    'real page number',
    "the guest's guest-physical address as given; the host real address once H_ENTER rewrote it; low bits hold LP for large pages",
  ),
  field('r', 'KEY_LO', 'HPTE_R_KEY_LO', low(0xe00), 'storage key (low)', ''),
  field('r', 'R', 'HPTE_R_R', low(0x100), 'referenced', ''),
  field('r', 'C', 'HPTE_R_C', low(0x80), 'changed', ''),
  field('r', 'W', 'HPTE_R_W', low(0x40), 'write-through', 'WIMG: W'),
  field('r', 'I', 'HPTE_R_I', low(0x20), 'cache-inhibited', 'WIMG: I'),
  field('r', 'M', 'HPTE_R_M', low(0x10), 'memory coherence', 'WIMG: M'),
  field('r', 'G', 'HPTE_R_G', low(0x08), 'guarded', 'WIMG: G'),
  field('r', 'N', 'HPTE_R_N', low(0x04), 'no-execute', ''),
  field('r', 'PP', 'HPTE_R_PP', low(0x03), 'page protection', ''),
];

/** Low bits of a kvm->arch.slot_phys[][] entry (kvm_host.h); the rest is pfn << PAGE_SHIFT. */
export const SLOT_PHYS_FIELDS: readonly BitField[] = [
  field(
    'slot_phys',
    'GOT_PAGE',
    'KVMPPC_GOT_PAGE',
    low(0x80),
    'holds the page reference',
    'only the first entry filled from one pinned page',
  ),
  field(
    'slot_phys',
    'WRITETHRU',
    'KVMPPC_PAGE_WRITETHRU',
    low(0x40),
    'write-through',
    "the seed's new bit (= HPTE_R_W): mapping is write-through",
  ),
  field(
    'slot_phys',
    'NO_CACHE',
    'KVMPPC_PAGE_NO_CACHE',
    low(0x20),
    'cache-inhibited',
    "the seed's new bit (= HPTE_R_I): mapping is no-cache",
  ),
  field('slot_phys', 'ORDER', 'KVMPPC_PAGE_ORDER_MASK', low(0x1f), 'order', 'log2 of the backing page in host pages'),
];

export const FIELDS_BY_WORD: Readonly<Record<WordKind, readonly BitField[]>> = {
  v: HPTE_V_FIELDS,
  r: HPTE_R_FIELDS,
  slot_phys: SLOT_PHYS_FIELDS,
};

/** Mask constants used by the handlers, as (hi, lo) halves, taken from the tables above. */
function maskOf(fields: readonly BitField[], name: string): U64 {
  const f = fields.find((x) => x.name === name);
  if (!f) throw new Error(`no field ${name}`);
  return f.mask;
}
export const V = {
  VALID: maskOf(HPTE_V_FIELDS, 'V').lo,
  LARGE: maskOf(HPTE_V_FIELDS, 'L').lo,
  HVLOCK: maskOf(HPTE_V_FIELDS, 'HVLOCK').lo,
  /** H_ENTER clears HVLOCK and the software bit below it from the guest's pteh (`pteh &= ~0x60UL`). */
  ENTER_CLEAR: maskOf(HPTE_V_FIELDS, 'HVLOCK').lo | maskOf(HPTE_V_FIELDS, 'SW').lo,
  /** Low bits that `(v & ~0x7fUL) != avpn` ignores. */
  AVPN_IGNORE: 0x7f,
} as const;
export const R = {
  PP0_HI: maskOf(HPTE_R_FIELDS, 'PP0').hi,
  KEY_HI_HI: maskOf(HPTE_R_FIELDS, 'KEY_HI').hi,
  RPN: maskOf(HPTE_R_FIELDS, 'RPN'),
  KEY_LO: maskOf(HPTE_R_FIELDS, 'KEY_LO').lo,
  R: maskOf(HPTE_R_FIELDS, 'R').lo,
  C: maskOf(HPTE_R_FIELDS, 'C').lo,
  W: maskOf(HPTE_R_FIELDS, 'W').lo,
  I: maskOf(HPTE_R_FIELDS, 'I').lo,
  M: maskOf(HPTE_R_FIELDS, 'M').lo,
  G: maskOf(HPTE_R_FIELDS, 'G').lo,
  N: maskOf(HPTE_R_FIELDS, 'N').lo,
  PP: maskOf(HPTE_R_FIELDS, 'PP').lo,
  WIMG: 0x78,
} as const;
export const SLOT_PHYS = {
  ORDER_MASK: maskOf(SLOT_PHYS_FIELDS, 'ORDER').lo,
  NO_CACHE: maskOf(SLOT_PHYS_FIELDS, 'NO_CACHE').lo,
  WRITETHRU: maskOf(SLOT_PHYS_FIELDS, 'WRITETHRU').lo,
  GOT_PAGE: maskOf(SLOT_PHYS_FIELDS, 'GOT_PAGE').lo,
} as const;

/** Return codes (hvcall.h) and KVM's internal H_TOO_HARD. */
export const RETURN_CODES: readonly { readonly name: string; readonly value: number; readonly doc: string }[] = [
  { name: 'H_SUCCESS', value: 0, doc: 'success' },
  { name: 'H_BUSY', value: 1, doc: 'busy, retry' },
  { name: 'H_HARDWARE', value: -1, doc: 'hardware error' },
  { name: 'H_FUNCTION', value: -2, doc: 'function not supported' },
  { name: 'H_PRIVILEGE', value: -3, doc: 'caller not privileged' },
  { name: 'H_PARAMETER', value: -4, doc: 'parameter invalid, out of range or conflicting' },
  { name: 'H_BAD_MODE', value: -5, doc: 'illegal MSR value' },
  { name: 'H_PTEG_FULL', value: -6, doc: 'the PTEG (or the exact slot) is full' },
  { name: 'H_NOT_FOUND', value: -7, doc: 'PTE was not found' },
  { name: 'H_RESERVED_DABR', value: -8, doc: 'DABR address is reserved by the hypervisor' },
  { name: 'H_NO_MEM', value: -9, doc: 'no memory' },
  { name: 'H_AUTHORITY', value: -10, doc: 'no authority' },
  { name: 'H_PERMISSION', value: -11, doc: 'permission denied' },
  { name: 'H_DROPPED', value: -12, doc: 'dropped' },
  {
    name: 'H_RESOURCE',
    value: -16,
    doc: 'resource error (also what the guest gets when virtual mode still finds H_TOO_HARD)',
  },
  { name: 'H_TOO_HARD', value: 9999, doc: 'KVM-internal: retry in virtual mode; never reaches the guest' },
];

export const H = Object.fromEntries(RETURN_CODES.map((c) => [c.name, c.value])) as Readonly<Record<string, number>>;
export const H_SUCCESS = 0;
export const H_PARAMETER = -4;
export const H_PTEG_FULL = -6;
export const H_NOT_FOUND = -7;
export const H_RESOURCE = -16;
export const H_TOO_HARD = 9999;

const codeNames = new Map(RETURN_CODES.map((c) => [c.value, c.name]));
const codeValues = new Map(RETURN_CODES.map((c) => [c.name, c.value]));
export function returnCodeName(v: number): string {
  return codeNames.get(v) ?? `H_UNKNOWN(${v})`;
}

/**
 * The one "no result" value: a record with no return code (an hcall the emulation passes over, or a
 * record that is not an hcall). The engine's per-record result column stores it as RET_NONE; the
 * handlers return null for it. resultName turns either into text.
 */
export const RET_NONE = 0x7fffffff;
export const NOT_EMULATED = 'not emulated';
/**
 * Format 2: the engine's result column value of an hcall whose result is unknown (it needed an
 * argument the capture does not hold): neither a return code nor "not emulated".
 */
export const RET_UNKNOWN = 0x7ffffffe;

/** An hcall's result as text: its return code's name, "not emulated" (RET_NONE / null) or "unknown". */
export function resultName(ret: number | null | undefined): string {
  if (ret === RET_UNKNOWN) return 'unknown';
  return ret === null || ret === undefined || ret === RET_NONE ? NOT_EMULATED : returnCodeName(ret);
}

export function returnCodeValue(name: string): number | undefined {
  return codeValues.get(name);
}

export interface HcallDef {
  readonly name: string;
  readonly number: number;
  /** Argument names in register order from r4 on. */
  readonly args: readonly string[];
  /** Whether the emulation models this hcall (others are passed over). */
  readonly emulated: boolean;
  readonly doc: string;
}

export const HCALLS: readonly HcallDef[] = [
  { name: 'H_REMOVE', number: 0x04, args: ['flags', 'pte_index', 'avpn'], emulated: true, doc: 'remove an HPTE' },
  {
    name: 'H_ENTER',
    number: 0x08,
    args: ['flags', 'pte_index', 'pteh', 'ptel'],
    emulated: true,
    doc: 'insert an HPTE',
  },
  { name: 'H_READ', number: 0x0c, args: ['flags', 'pte_index'], emulated: true, doc: 'read one or four HPTEs' },
  { name: 'H_CLEAR_MOD', number: 0x10, args: [], emulated: false, doc: 'clear the C bit' },
  { name: 'H_CLEAR_REF', number: 0x14, args: [], emulated: false, doc: 'clear the R bit' },
  {
    name: 'H_PROTECT',
    number: 0x18,
    args: ['flags', 'pte_index', 'avpn'],
    emulated: true,
    doc: 'change the protection of an HPTE',
  },
  {
    name: 'H_BULK_REMOVE',
    number: 0x124,
    args: ['w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7'],
    emulated: true,
    doc: 'remove up to four HPTEs',
  },
];
export const GENERIC_ARGS: readonly string[] = ['r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11'];
const hcallByName = new Map(HCALLS.map((h) => [h.name, h]));
const hcallByNumber = new Map(HCALLS.map((h) => [h.number, h]));
export function hcallByNameOrUndefined(name: string): HcallDef | undefined {
  return hcallByName.get(name);
}
export function hcallByNum(n: number): HcallDef | undefined {
  return hcallByNumber.get(n);
}

/** hcall flags: bit numbers in IBM order (bit 0 = MSB), value 1 << (63 - n). */
export const HCALL_FLAGS: readonly {
  readonly name: string;
  readonly ibmBit: number;
  readonly doc: string;
  readonly hcalls: readonly string[];
}[] = [
  { name: 'H_EXACT', ibmBit: 24, doc: 'use exactly the slot given by pte_index', hcalls: ['H_ENTER'] },
  { name: 'H_R_XLATE', ibmBit: 25, doc: "return the guest's view of the second doubleword", hcalls: ['H_READ'] },
  { name: 'H_READ_4', ibmBit: 26, doc: 'read four entries from pte_index & ~3', hcalls: ['H_READ'] },
  { name: 'H_AVPN', ibmBit: 32, doc: 'match the AVPN given in avpn', hcalls: ['H_REMOVE', 'H_PROTECT'] },
  { name: 'H_ANDCOND', ibmBit: 33, doc: 'remove only if (v & avpn) == 0', hcalls: ['H_REMOVE'] },
];
export function flagMask(name: string): U64 {
  const f = HCALL_FLAGS.find((x) => x.name === name);
  if (!f) throw new Error(`no flag ${name}`);
  const b = 63 - f.ibmBit;
  return bitRange(b, b);
}
/** The flag bits as (hi, lo) halves for the handlers. */
export const FLAG = {
  H_EXACT_HI: flagMask('H_EXACT').hi,
  H_R_XLATE_HI: flagMask('H_R_XLATE').hi,
  H_READ_4_HI: flagMask('H_READ_4').hi,
  H_AVPN_LO: flagMask('H_AVPN').lo,
  H_ANDCOND_LO: flagMask('H_ANDCOND').lo,
} as const;

/** H_BULK_REMOVE request/response byte (the top byte of each pair's first word). */
export const BULK = {
  TYPE_REQUEST: 1,
  TYPE_END: 3,
  RESP_FOUND: 0x80,
  RESP_NOT_FOUND: 0x90,
  RESP_PARAM: 0xa0,
  MODES: ['absolute', 'andcond', 'AVPN', 'invalid'] as const,
} as const;

/** CPUs the trace format knows; ARCH_206 is CPU_FTR_ARCH_206 (POWER7). */
export const CPUS: readonly { readonly name: string; readonly arch206: boolean }[] = [
  { name: 'power7', arch206: true },
  { name: 'ppc970', arch206: false },
];

/** Cache attributes of a VM_PFNMAP mapping's vm_page_prot, as slot_phys keeps them (hpte_cache_bits). */
export const CACHE_MODES: readonly { readonly name: string; readonly bits: number }[] = [
  { name: 'none', bits: 0 },
  { name: 'I', bits: R.I },
  { name: 'W', bits: R.W },
  { name: 'IW', bits: R.I | R.W },
];
