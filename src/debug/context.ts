/**
 * The names an expression can use about one hcall record (see NAMES_HELP), resolved against the
 * engine. The machine must be in the state the names describe: after the hcall for a stop or a
 * breakpoint check, before it at the entry stop (then the result names are NONE).
 */
import { FIELDS_BY_WORD, GENERIC_ARGS, hcallByNum, R, WordKind } from '../core/bits';
import { slotPhysEntry } from '../core/decode';
import { RET_UNKNOWN } from '../core/bits';
import { Engine, F, RET_NONE } from '../core/engine';
import { HcallResult, hptePageSize } from '../core/handlers';
import { HcallRecord } from '../core/records';
import { lowestBit } from '../core/u64';
import { NONE, Resolver, Value } from './expr';

export const NAMES_HELP = `names: hcall, line, index, vcpu; arguments by name (flags, pte_index, pteh, ptel, avpn, w0..w7) or register (r4..r11);
  fields of pteh/avpn (${FIELDS_BY_WORD.v.map((f) => f.name).join(' ')}) and ptel (${FIELDS_BY_WORD.r.map((f) => f.name).join(' ')} WIMG), shifted down to bit 0;
  psize; ret, recorded, diverged, made_cacheable, virtual_mode, emulated; out.r4..out.r11;
  slot (id) with slot.io slot.base_gfn slot.npages slot.hva slot.flags slot.index slot.gfn;
  slot_phys (the entry) with .pfn .order .io .GOT_PAGE .NO_CACHE .WRITETHRU; hpt_index, hpte.v hpte.r hpte.guest_r;
  page_size, hpt_order, arch206; constants: hcall names, return codes, hcall flags (H_EXACT …)`;

// Maps and Sets only: a name such as `constructor` or `toString` must not find Object.prototype's.
const WORD_OF = new Map<string, WordKind>([
  ['pteh', 'v'],
  ['avpn', 'v'],
  ['ptel', 'r'],
]);
const SLOT_FIELDS = ['id', 'io', 'base_gfn', 'npages', 'hva', 'flags', 'index', 'gfn'];
const SLOT_PHYS_EXTRA = ['pfn', 'io', 'value'];
const HPTE_FIELDS = ['v', 'r', 'guest_r'];
/** Names that take no `.field`. */
const SIMPLE = new Set([
  'hcall',
  'line',
  'index',
  'vcpu',
  'psize',
  'ret',
  'recorded',
  'diverged',
  'made_cacheable',
  'virtual_mode',
  'emulated',
  'hpt_index',
  'page_size',
  'hpt_order',
  'arch206',
]);
const ARGS = new Set([
  'flags',
  'pte_index',
  'pteh',
  'ptel',
  'avpn',
  'w0',
  'w1',
  'w2',
  'w3',
  'w4',
  'w5',
  'w6',
  'w7',
  ...GENERIC_ARGS,
]);

/** Why a dotted name can never resolve, or undefined when it is known (checked when a breakpoint is set). */
export function unknownName(path: readonly string[]): string | undefined {
  const [root, field, ...rest] = path;
  const bad = `unknown name ${path.join('.')}`;
  if (rest.length) return `${bad}: names have at most one field`;
  const word = WORD_OF.get(root);
  if (field === undefined)
    return SIMPLE.has(root) || ARGS.has(root) || root === 'slot' || root === 'slot_phys' ? undefined : bad;
  if (word)
    return fieldNames(word).includes(field)
      ? undefined
      : `${root} has no field ${field}; it has ${fieldNames(word).join(', ')}`;
  if (root === 'slot')
    return SLOT_FIELDS.includes(field) ? undefined : `slot has no field ${field}; it has ${SLOT_FIELDS.join(', ')}`;
  if (root === 'slot_phys')
    return fieldNames('slot_phys').concat(SLOT_PHYS_EXTRA).includes(field)
      ? undefined
      : `slot_phys has no field ${field}; it has ${fieldNames('slot_phys').concat(SLOT_PHYS_EXTRA).join(', ')}`;
  if (root === 'out')
    return GENERIC_ARGS.includes(field) ? undefined : `out has no field ${field}; it has ${GENERIC_ARGS.join(', ')}`;
  if (root === 'hpte')
    return HPTE_FIELDS.includes(field) ? undefined : `hpte has no field ${field}; it has ${HPTE_FIELDS.join(', ')}`;
  if (SIMPLE.has(root) || ARGS.has(root)) return `${root} has no field ${field}`;
  return bad;
}

const FIELD_NAMES = new Map<WordKind, string[]>();
function fieldNames(kind: WordKind): string[] {
  let n = FIELD_NAMES.get(kind);
  if (!n) {
    n = FIELDS_BY_WORD[kind].map((f) => f.name);
    if (kind === 'r') n.push('WIMG');
    FIELD_NAMES.set(kind, n);
  }
  return n;
}

const big = (hi: number, lo: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const bool = (x: boolean): bigint => (x ? 1n : 0n);

function field(word: bigint, kind: WordKind, name: string): Value {
  if (name === 'WIMG') return (word & BigInt(R.WIMG)) >> 3n;
  const f = FIELDS_BY_WORD[kind].find((x) => x.name === name);
  if (!f) return undefined as never;
  return (word & big(f.mask.hi, f.mask.lo)) >> BigInt(lowestBit(f.mask));
}

/**
 * Names for hcall record i. `full` lazily gives the re-run result (output registers); it is asked
 * for only when an expression uses out.*.
 */
export function hcallResolver(e: Engine, i: number, executed: boolean, full: () => HcallResult | null): Resolver {
  let rec: HcallRecord | null | undefined;
  const getRec = () => (rec === undefined ? (rec = e.hcall(i)) : rec);
  const m = e.m;
  const fl = e.flags(i);
  const slotId = e.slot(i);
  const phys = e.physIndex(i);
  const arg = (name: string): Value => {
    const r = getRec();
    if (!r) return NONE;
    let k = GENERIC_ARGS.indexOf(name);
    if (k < 0) {
      const def = r.number >= 0 ? hcallByNum(r.number) : undefined;
      k = def && def.emulated ? def.args.indexOf(name) : -1;
      if (k < 0) return NONE;
    }
    return big(r.argHi[k], r.argLo[k]);
  };
  const physEntry = () => {
    const s = slotId >= 0 ? m.memslots[slotId] : null;
    return s && phys >= 0 ? slotPhysEntry(s.physp.get(phys, 0), s.physp.get(phys, 1), m.pageShift) : null;
  };
  const physValue = (): Value => {
    const s = slotId >= 0 ? m.memslots[slotId] : null;
    if (!s || phys < 0) return NONE;
    return big(s.physp.get(phys, 0), s.physp.get(phys, 1));
  };
  const res = (v: () => Value): Value => (executed && fl & F.HCALL ? v() : NONE);
  return (path) => {
    // Names that can never resolve are errors (they name what is unknown), whatever the record.
    if (unknownName(path)) return undefined;
    const [root, sub] = path;
    const word = WORD_OF.get(root);
    if (word || ARGS.has(root)) {
      const v = arg(root);
      if (sub === undefined || v === NONE) return v;
      return word ? field(v, word, sub) : undefined;
    }
    switch (root) {
      case 'hcall':
        return fl & F.HCALL ? BigInt(e.hcallNumber(i)) : NONE;
      case 'line':
        return BigInt(e.line(i));
      case 'index':
        return BigInt(i);
      case 'vcpu':
        return fl & F.HCALL ? BigInt(e.vcpu(i)) : NONE;
      case 'psize': {
        const r = getRec();
        if (!r || r.name !== 'H_ENTER') return NONE;
        return BigInt(hptePageSize(r.argLo[2], r.argLo[3], m.arch206));
      }
      case 'ret':
        return res(() => (e.ret(i) === RET_NONE || e.ret(i) === RET_UNKNOWN ? NONE : BigInt(e.ret(i))));
      case 'recorded': {
        const r = getRec();
        return r && r.recorded !== null ? BigInt(r.recorded) : NONE;
      }
      case 'diverged':
        return res(() => bool((fl & F.DIVERGED) !== 0));
      case 'made_cacheable':
        return res(() => bool((fl & F.MADE_CACHEABLE) !== 0));
      case 'virtual_mode':
        return res(() => bool((fl & F.VIRTUAL_MODE) !== 0));
      case 'emulated':
        return bool((fl & F.EMULATED) !== 0);
      case 'out': {
        if (!executed) return NONE;
        const k = GENERIC_ARGS.indexOf(sub ?? '');
        const r = full();
        if (!r || k < 0 || k >= r.outCount) return NONE;
        return big(r.outHi[k], r.outLo[k]);
      }
      case 'slot': {
        if (slotId < 0) return NONE;
        const s = m.memslots[slotId];
        switch (sub) {
          case undefined:
          case 'id':
            return BigInt(slotId);
          case 'index':
            return phys < 0 ? NONE : BigInt(phys);
          case 'io': {
            const d = physEntry();
            return d ? BigInt(d.io) : NONE;
          }
        }
        if (!s) return NONE;
        if (sub === 'base_gfn') return BigInt(s.baseGfn);
        if (sub === 'npages') return BigInt(s.npages);
        if (sub === 'hva') return BigInt(s.userspaceAddr);
        if (sub === 'flags') return BigInt(s.flags);
        if (sub === 'gfn') return phys < 0 ? NONE : BigInt(s.baseGfn + phys);
        return undefined;
      }
      case 'slot_phys': {
        const v = physValue();
        if (sub === undefined || sub === 'value' || v === NONE) return v;
        if (sub === 'pfn') return BigInt(physEntry()!.pfn);
        if (sub === 'io') return BigInt(physEntry()!.io);
        return field(v, 'slot_phys', sub);
      }
      case 'hpt_index':
        return e.hptIndex(i) < 0 ? NONE : BigInt(e.hptIndex(i));
      case 'hpte': {
        const h = e.hptIndex(i);
        if (h < 0) return NONE;
        const w = sub === 'v' ? 0 : sub === 'r' ? 2 : sub === 'guest_r' ? 4 : -1;
        if (w < 0) return undefined;
        return big(m.hptWord(h, w), m.hptWord(h, w + 1));
      }
      case 'page_size':
        return BigInt(m.pageSize);
      case 'hpt_order':
        return BigInt(m.hptOrder);
      case 'arch206':
        return bool(m.arch206);
    }
    return undefined;
  };
}
