/**
 * The scopes shown at a stop: the hcall, its memslot, its slot_phys entry, its PTEG and the machine.
 * The machine is in the state after the hcall (before it at the entry stop), so the memslot, entry and
 * PTEG show what the hcall left behind.
 */
import { DebugProtocol } from '@vscode/debugprotocol';
import {
  CACHE_MODES,
  CPUS,
  hcallByNum,
  HCALL_FLAGS,
  flagMask,
  resultName,
  RET_NONE,
  RET_UNKNOWN,
  returnCodeName,
  V,
} from '../core/bits';
import { ctxOf, slotPhysEntry } from '../core/decode';
import { Engine, F } from '../core/engine';
import { decidingCheck } from '../core/explain';
import { HcallResult } from '../core/handlers';
import { hexn, Machine, Memslot, sizeName, Vma } from '../core/machine';
import { HcallRecord } from '../core/records';
import { divergenceDetails } from '../core/replay';
import { hexOf } from '../core/u64';
import { Explanation } from './explanation';
import { dataLabel, formatDataId } from './protocol';
import { group, leaf, VNode, wordNode } from './variables';

export interface StopView {
  e: Engine;
  pos: number;
  executed: boolean;
  /** The re-run result with checks (cached per stop). */
  full: () => HcallResult | null;
}

const WORD_ARGS: Record<string, 'v' | 'r'> = { pteh: 'v', avpn: 'v', ptel: 'r' };

export function hcallScope(s: StopView): VNode[] {
  const { e, pos } = s;
  if (pos < 0) return [leaf('hcall', '(the trace has no hcall)')];
  const rec = e.hcall(pos)!;
  const def = rec.number >= 0 ? hcallByNum(rec.number) : undefined;
  const ctx = ctxOf(e.m);
  const out: VNode[] = [leaf('hcall', `${rec.name} (${hexn(rec.number)})`, 'hcall'), leaf('line', rec.line, 'line')];
  if (rec.vcpu >= 0) out.push(leaf('vcpu', rec.vcpu, 'vcpu'));
  if (rec.time >= 0) out.push(leaf('time', `@${rec.time}`));
  const names = def && def.emulated ? def.args : ['r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11'];
  out.push(
    group('arguments', names.join(', '), () =>
      names.map((n, k) => {
        const hi = rec.argHi[k];
        const lo = rec.argLo[k];
        if (WORD_ARGS[n])
          return wordNode(
            n,
            hi,
            lo,
            WORD_ARGS[n],
            ctx,
            n,
            n === 'pteh' ? { hi: rec.argHi[3], lo: rec.argLo[3] } : undefined,
          );
        if (n === 'flags') return flagsNode(rec, hi, lo);
        return leaf(n, hexOf(hi, lo), n);
      }),
    ),
  );
  if (!s.executed) {
    out.push(leaf('result', '(not executed yet: stopped on entry, before this hcall)'));
  } else {
    out.push(...resultNodes(s, rec));
  }
  out.push(
    leaf(
      'recorded',
      rec.recorded === null
        ? '(none)'
        : returnCodeName(rec.recorded) + rec.recordedRegs.map((r) => ` r${r.reg}=${hexOf(r.hi, r.lo)}`).join(''),
      'recorded',
    ),
  );
  return out;
}

function flagsNode(rec: HcallRecord, hi: number, lo: number): VNode {
  const set = HCALL_FLAGS.filter((f) => {
    const m = flagMask(f.name);
    return (m.hi & hi) !== 0 || (m.lo & lo) !== 0;
  });
  return {
    name: 'flags',
    value: hexOf(hi, lo) + (set.length ? `  (${set.map((f) => f.name).join(' | ')})` : ''),
    evaluateName: 'flags',
    children: set.length
      ? () => set.map((f) => leaf(f.name, f.doc + (f.hcalls.includes(rec.name) ? '' : ` (not used by ${rec.name})`)))
      : undefined,
  };
}

function resultNodes(s: StopView, rec: HcallRecord): VNode[] {
  const { e, pos } = s;
  const ret = e.ret(pos);
  const fl = e.flags(pos);
  const out: VNode[] = [
    leaf('result', ret === RET_NONE ? `(${resultName(ret)}: passed over)` : resultName(ret), 'ret'),
  ];
  if (ret === RET_NONE || ret === RET_UNKNOWN) return out;
  const res = s.full();
  const ctx = ctxOf(e.m);
  if (res && res.outCount) {
    out.push(
      group('output', Array.from({ length: res.outCount }, (_x, k) => `r${k + 4}`).join(' '), () =>
        Array.from({ length: res.outCount }, (_x, k) => {
          const name = `r${k + 4}`;
          // H_READ returns (v, r) pairs; decode them as such.
          if (rec.name === 'H_READ')
            return wordNode(name, res.outHi[k], res.outLo[k], k % 2 ? 'r' : 'v', ctx, `out.${name}`);
          if (rec.name === 'H_REMOVE')
            return wordNode(name, res.outHi[k], res.outLo[k], k === 0 ? 'v' : 'r', ctx, `out.${name}`);
          return leaf(name, hexOf(res.outHi[k], res.outLo[k]), `out.${name}`);
        }),
      ),
    );
  }
  if (res?.checks) {
    const c = decidingCheck(res.checks.checks, res.ret === 0);
    if (c) out.push(leaf('deciding check', `${c.fn}: ${c.detail}`));
  }
  out.push(leaf('diverged', (fl & F.DIVERGED) !== 0, 'diverged'));
  if (fl & F.DIVERGED && res) out.push(leaf('divergence', divergenceDetails(rec, res).join('; ')));
  if (fl & F.MADE_CACHEABLE)
    out.push(
      leaf(
        'made cacheable',
        'true: the guest asked for a non-cacheable RAM mapping and got a cacheable one',
        'made_cacheable',
      ),
    );
  if (fl & F.VIRTUAL_MODE)
    out.push(leaf('virtual mode', 'true: the real-mode handler said H_TOO_HARD', 'virtual_mode'));
  return out;
}

function vmaNode(name: string, v: Vma | null): VNode {
  if (!v) return leaf(name, '(no mapping)');
  const cache = CACHE_MODES.find((c) => c.bits === v.cache)?.name ?? hexn(v.cache);
  const what =
    v.type === 'anon'
      ? `anon ${sizeName(v.pageSize)} pages pfn ${hexn(v.pfn)}`
      : v.type === 'pfnmap'
        ? `pfnmap pgoff ${hexn(v.pgoff)} cache=${cache}`
        : 'other';
  return group(name, `${hexn(v.start)}-${hexn(v.end)} ${what}`, () => {
    const k = [leaf('start', hexn(v.start)), leaf('end', hexn(v.end)), leaf('type', v.type), leaf('line', v.line)];
    if (v.type === 'anon') k.push(leaf('page size', sizeName(v.pageSize)), leaf('pfn', hexn(v.pfn)));
    if (v.type === 'pfnmap') k.push(leaf('pgoff', hexn(v.pgoff)), leaf('cache', cache));
    return k;
  });
}

export function slotPhysNode(m: Machine, s: Memslot, index: number, name = `[${hexn(index)}]`): VNode {
  const hi = s.physp.get(index, 0);
  const lo = s.physp.get(index, 1);
  const node = wordNode(name, hi, lo, 'slot_phys', ctxOf(m), `slot_phys`);
  if (hi === 0 && lo === 0) node.value = '0x0  (not instantiated)';
  node.value = `gfn ${hexn(s.baseGfn + index)}: ${node.value}`;
  const watch = { kind: 'slot_phys' as const, slot: s.id, index };
  node.dataId = formatDataId(watch);
  node.dataDescription = dataLabel(watch);
  return node;
}

export function memslotNode(m: Machine, s: Memslot, name = `memslot ${s.id}`): VNode {
  const gpa = s.baseGfn * m.pageSize;
  return group(name, `gpa ${hexn(gpa)}-${hexn(gpa + s.npages * m.pageSize)} hva ${hexn(s.userspaceAddr)}`, () =>
    memslotChildren(m, s),
  );
}

export function memslotChildren(m: Machine, s: Memslot): VNode[] {
  const gpa = s.baseGfn * m.pageSize;
  return [
    leaf('id', s.id, 'slot.id'),
    leaf('base_gfn', hexn(s.baseGfn), 'slot.base_gfn'),
    leaf('npages', hexn(s.npages), 'slot.npages'),
    leaf('gpa', `${hexn(gpa)}-${hexn(gpa + s.npages * m.pageSize)}`),
    leaf('userspace_addr', hexn(s.userspaceAddr), 'slot.hva'),
    leaf('flags', hexn(s.flags), 'slot.flags'),
    leaf('line', s.line),
    vmaNode('backing vma', m.vmaHolding(s.userspaceAddr)),
    {
      name: 'slot_phys',
      value: `${s.npages} entries, ${s.physp.nonZeroCount} instantiated`,
      indexed: {
        count: s.npages,
        get: (start, count) => Array.from({ length: count }, (_x, k) => slotPhysNode(m, s, start + k)),
      },
    },
  ];
}

export function memslotScope(s: StopView): VNode[] {
  const id = s.pos >= 0 ? s.e.slot(s.pos) : -1;
  const slot = id >= 0 ? s.e.m.memslots[id] : null;
  if (!slot) return [leaf('memslot', id >= 0 ? `memslot ${id} (deleted)` : '(this hcall used no memslot)')];
  return memslotChildren(s.e.m, slot);
}

export function slotPhysScope(s: StopView): VNode[] {
  const id = s.pos >= 0 ? s.e.slot(s.pos) : -1;
  const idx = s.pos >= 0 ? s.e.physIndex(s.pos) : -1;
  const slot = id >= 0 ? s.e.m.memslots[id] : null;
  if (!slot || idx < 0) return [leaf('slot_phys', '(this hcall used no slot_phys entry)')];
  const m = s.e.m;
  const entry = slotPhysNode(m, slot, idx, `slot_phys[${id}][${hexn(idx)}]`);
  const d = slotPhysEntry(slot.physp.get(idx, 0), slot.physp.get(idx, 1), m.pageShift);
  return [
    entry,
    leaf('gfn', hexn(slot.baseGfn + idx), 'slot.gfn'),
    leaf('pfn', hexn(d.pfn), 'slot_phys.pfn'),
    leaf('order', `${d.order} (${sizeName(m.pageSize * 2 ** d.order)} backing page)`, 'slot_phys.order'),
    leaf('flags', d.flags.length ? d.flags.join(' | ') : '(none)'),
    leaf('io', d.io ? `${d.ioLetters} (I/O mapping)` : 'no (RAM)', 'slot.io'),
  ];
}

export function hptSlotNode(m: Machine, index: number, name = `[${hexn(index)}]`): VNode {
  const w = [0, 1, 2, 3, 4, 5].map((k) => m.hptWord(index, k));
  const ctx = ctxOf(m);
  const valid = (w[1] & V.VALID) !== 0;
  const value = w.every((x) => x === 0)
    ? 'empty'
    : `${valid ? 'valid' : 'invalid'} v ${hexOf(w[0], w[1])} r ${hexOf(w[2], w[3])}`;
  const watch = { kind: 'hpt' as const, index };
  return {
    name,
    value,
    dataId: formatDataId(watch),
    dataDescription: dataLabel(watch),
    children: () => [
      wordNode('v', w[0], w[1], 'v', ctx, undefined, { hi: w[2], lo: w[3] }),
      wordNode('r (host)', w[2], w[3], 'r', ctx),
      wordNode('r (guest view)', w[4], w[5], 'r', ctx),
    ],
  };
}

export function ptegScope(s: StopView): VNode[] {
  let h = s.pos >= 0 ? s.e.hptIndex(s.pos) : -1;
  if (h < 0 && s.pos >= 0) {
    // A failed H_ENTER touched no entry; its pte_index's group is still the one the guest meant.
    const rec = s.e.hcall(s.pos);
    const def = rec && rec.number >= 0 ? hcallByNum(rec.number) : undefined;
    const k = def?.emulated ? def.args.indexOf('pte_index') : -1;
    if (rec && k >= 0 && rec.argHi[k] === 0 && rec.argLo[k] < s.e.m.hptEntries) h = rec.argLo[k];
  }
  if (h < 0) return [leaf('PTEG', '(this hcall names no HPT entry)')];
  const g = h - (h % 8);
  return Array.from({ length: 8 }, (_x, k) => {
    const n = hptSlotNode(s.e.m, g + k);
    if (g + k === h) n.name += ' ←';
    return n;
  });
}

/** Hcall results from the first record through the current position, by return code name. */
export function resultCounts(e: Engine, through: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i <= through && i < e.count; i++) {
    if (!e.isHcall(i)) continue;
    const r = e.ret(i);
    const k = r === RET_NONE ? `(${resultName(r)})` : resultName(r);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

export function machineScope(s: StopView): VNode[] {
  const { e } = s;
  const m = e.m;
  const through = s.executed ? s.pos : s.pos - 1;
  return [
    leaf(
      'cpu',
      `${CPUS.find((c) => c.arch206 === m.arch206)?.name ?? '?'}${m.arch206 ? ' (CPU_FTR_ARCH_206)' : ''}`,
      'arch206',
    ),
    leaf('kernel', `${m.kernel}${m.kernel === 'io' ? ' (with the seed commit)' : ' (before the seed commit)'}`),
    leaf('host page size', sizeName(m.pageSize), 'page_size'),
    leaf('HPT size', `order ${m.hptOrder}: ${sizeName(2 ** m.hptOrder)}, ${hexn(m.hptEntries)} entries`, 'hpt_order'),
    leaf('valid HPTEs', m.validHptes),
    leaf(
      'position',
      `record ${s.pos} (line ${s.pos >= 0 ? e.line(s.pos) : 0}); ${e.hcallCount} hcalls read so far${e.complete ? ' (whole trace)' : ''}`,
    ),
    group('results so far', 'counters by result', () =>
      [...resultCounts(e, through).entries()].map(([k, v]) => leaf(k, v)),
    ),
    group('memslots', `${m.memslots.filter(Boolean).length} slots`, () =>
      m.memslots.filter((x): x is Memslot => !!x).map((x) => memslotNode(m, x)),
    ),
    group('vmas', `${m.vmas.length} mappings`, () => m.vmas.map((v, k) => vmaNode(`[${k}]`, v))),
    {
      name: 'HPT entries',
      value: `${hexn(m.hptEntries)} entries (paged)`,
      indexed: {
        count: m.hptEntries,
        get: (start, count) => Array.from({ length: count }, (_x, k) => hptSlotNode(m, start + k)),
      },
    },
    leaf('debugger memory', `${(e.bytes / 1048576).toFixed(1)} MB for ${e.count} records`),
  ];
}

/** A scope of a stop: its name, its lazily built variables and its presentation hint. */
export interface ScopeDef {
  name: string;
  build: () => VNode[];
  hint?: DebugProtocol.Scope['presentationHint'];
}

/** The scopes of a frame: the current check (inside an explanation), the hcall's and the machine's. */
export function stopScopes(view: StopView, expl: Explanation | null): ScopeDef[] {
  const out: ScopeDef[] = [];
  if (expl) {
    const c = expl.current;
    const build = () => [
      leaf('check', c.id),
      leaf('function', c.fn),
      leaf('outcome', c.ok ? 'passed' : 'failed'),
      leaf('detail', c.detail),
      ...(c.result ? [leaf('result', c.result)] : []),
      ...(c.note ? [leaf('note', c.note)] : []),
      leaf('deciding', expl.deciding === c ? 'yes' : `no (deciding: ${expl.deciding?.id ?? '-'})`),
    ];
    out.push({ name: 'check', build, hint: 'locals' });
  }
  if (view.pos >= 0) {
    out.push({ name: 'hcall', build: () => hcallScope(view), hint: 'arguments' });
    out.push({ name: 'memslot', build: () => memslotScope(view) });
    out.push({ name: 'slot_phys entry', build: () => slotPhysScope(view) });
    out.push({ name: 'PTEG', build: () => ptegScope(view) });
  }
  out.push({ name: 'machine', build: () => machineScope(view), hint: 'registers' });
  return out;
}
