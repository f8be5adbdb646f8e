/**
 * The Markdown of the trace hover: bit tables of HPTE words and slot_phys entries (from decode.ts)
 * and, for an H_ENTER's ptel, what backs the address as configured up to that line. Pure text, so
 * the extension host and the unit tests see the same thing.
 */
import { BULK, flagMask, HCALL_FLAGS, HcallDef, NOT_EMULATED, RETURN_CODES, WordKind } from '../core/bits';
import {
  ctxOf,
  decodeWord,
  DecodeContext,
  pageSizeOf,
  slotPhysPfn,
  summarizeR,
  summarizeV,
  wimgString,
} from '../core/decode';
import { coverageMessage } from '../core/coverage';
import { hexn, Machine, sizeName } from '../core/machine';
import { and, hex, isZero, parseU64, U64 } from '../core/u64';
import { backingOf, cacheBitsName, cacheFlagsOk } from './backing';
import { argValue, commentHexAt, hcallLayout, HcallLayout, valueAt, ValueTok } from './hcallLayout';
import { TraceModel } from './traceModel';

const KIND_TITLE: Record<WordKind, string> = {
  v: 'HPTE first doubleword (v)',
  r: 'HPTE second doubleword (r)',
  slot_phys: 'slot_phys entry',
};

const esc = (s: string) => s.replace(/\|/g, '\\|');

/** A field table: every field of the word with its bits, value and meaning. */
export function fieldTable(word: U64, kind: WordKind, ctx: DecodeContext): string {
  const rows = decodeWord(word, kind, ctx).map(
    (f) => `| ${f.field.name} | ${f.bits} | \`${hex(f.value)}\` | ${esc(f.meaning)} |`,
  );
  return ['| field | bits | value | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** A slot_phys value: pfn, order and the low flag bits. */
export function slotPhysMarkdown(x: U64, pageSize: number): string {
  const ctx: DecodeContext = { pageSize, arch206: true };
  const pfn = slotPhysPfn(x, pageSize);
  const lines = [
    `**slot_phys entry** \`${hex(x)}\` (host page ${sizeName(pageSize)})`,
    '',
    fieldTable(x, 'slot_phys', ctx),
  ];
  lines[2] += `\n| pfn | 63:${Math.log2(pageSize)} | \`0x${pfn.toString(16)}\` | host frame ${sizeName(pageSize)} pages |`;
  if (isZero(x)) lines.push('', '0: not instantiated yet (H_ENTER goes to virtual mode)');
  return lines.join('\n');
}

export function decodeMarkdown(x: U64, kind: WordKind, ctx: DecodeContext): string {
  if (kind === 'slot_phys') return slotPhysMarkdown(x, ctx.pageSize);
  const sum = kind === 'v' ? summarizeV(x) : summarizeR(x);
  return `**${KIND_TITLE[kind]}** \`${hex(x)}\` — ${sum}\n\n${fieldTable(x, kind, ctx)}`;
}

/** What backs ptel's guest address, and whether the WIMG bits pass the seed's check. */
export function backingMarkdown(m: Machine, v: U64 | undefined, r: U64): string {
  const b = backingOf(m, v, r);
  const out: string[] = [];
  out.push(`- **page size**: ${b.psize ? sizeName(b.psize) : 'invalid (L set, LP bits encode no size) → H_PARAMETER'}`);
  out.push(`- **guest address**: \`${hexn(b.gpa)}\` (gfn \`${hexn(b.gfn)}\` in ${sizeName(m.pageSize)} host pages)`);
  if (!b.slot) {
    out.push(`- **memslot**: none holds this gfn → H_ENTER returns H_PARAMETER`);
    return out.join('\n');
  }
  const s = b.slot;
  out.push(
    `- **memslot ${s.id}** (line ${s.line}): gfn \`${hexn(s.baseGfn)}\`–\`${hexn(s.baseGfn + s.npages - 1)}\`, entry \`slot_phys[${s.id}][${hexn(b.gfn - s.baseGfn)}]\`, hva \`${hexn(b.hva)}\``,
  );
  if (!b.vma) out.push(`- **backing**: no vma at that hva → kvmppc_get_guest_page fails → H_PARAMETER`);
  else {
    const v = b.vma;
    const what =
      v.type === 'anon'
        ? `anon, ${sizeName(v.pageSize)} pages (RAM)`
        : v.type === 'pfnmap'
          ? `pfnmap, cache=${cacheBitsName(v.cache)} (I/O)`
          : 'other (neither pinnable nor VM_PFNMAP)';
    out.push(`- **backing**: vma \`${hexn(v.start)}-${hexn(v.end)}\` ${what} (line ${v.line})`);
  }
  const wimg = wimgString(r.lo);
  if (m.kernel !== 'io') out.push(`- **WIMG** ${wimg}: kernel pre-io accepts only M or W|I|M`);
  else if (b.isIo) {
    const ok = cacheFlagsOk(r.lo, b.isIo, m.arch206);
    out.push(
      `- **WIMG** \`${wimg}\` on an I/O slot with cache bits ${cacheBitsName(b.isIo)}: ${ok ? '✅ passes hpte_cache_flags_ok' : '❌ fails hpte_cache_flags_ok → H_PARAMETER'}`,
    );
  } else {
    const ok = cacheFlagsOk(r.lo, 0, m.arch206);
    out.push(
      `- **WIMG** \`${wimg}\` on RAM: ${ok ? '✅ passes hpte_cache_flags_ok' : '⚠️ not M: the kernel makes the mapping cacheable (clears W, I, G; sets M)'}`,
    );
  }
  return out.join('\n');
}

function flagsMarkdown(x: U64, def: HcallDef | undefined): string {
  const set = HCALL_FLAGS.filter((f) => {
    const mk = flagMask(f.name);
    return !isZero(and(x, mk));
  });
  const rows = HCALL_FLAGS.filter((f) => !def || f.hcalls.includes(def.name)).map((f) => {
    const on = set.includes(f);
    return `| ${f.name} | ${f.ibmBit} | ${on ? '1' : '0'} | ${esc(f.doc)} |`;
  });
  const head = `**flags** \`${hex(x)}\`: ${set.length ? set.map((f) => f.name).join(' | ') : 'none set'}`;
  return rows.length ? `${head}\n\n| flag | IBM bit | set | meaning |\n|---|---|---|---|\n${rows.join('\n')}` : head;
}

function bulkWordMarkdown(x: U64, first: boolean): string {
  if (!first)
    return `**H_BULK_REMOVE match word** \`${hex(x)}\` (AVPN or andcond mask)\n\n${fieldTable(x, 'v', { pageSize: 65536, arch206: true })}`;
  const top = x.hi >>> 24;
  const type = top >>> 6;
  const mode = top & 3;
  const index = (x.hi & 0xffffff) * 4294967296 + x.lo;
  const typeName =
    type === BULK.TYPE_REQUEST
      ? 'request'
      : type === BULK.TYPE_END
        ? 'end of list'
        : type === 2
          ? 'response'
          : 'unused';
  let resp = '';
  if (type === 2)
    resp =
      (top & 0xf0) === BULK.RESP_FOUND
        ? ', found'
        : (top & 0xf0) === BULK.RESP_NOT_FOUND
          ? ', not found'
          : (top & 0xf0) === BULK.RESP_PARAM
            ? ', parameter error'
            : '';
  return `**H_BULK_REMOVE control word** \`${hex(x)}\`\n\n- type: ${type} (${typeName}${resp})\n- match mode: ${mode} (${BULK.MODES[mode]})\n- pte_index: \`${hexn(index)}\``;
}

function indexMarkdown(x: U64, m: Machine): string {
  const n = x.hi * 4294967296 + x.lo;
  const inRange = n < m.hptEntries;
  return `**pte_index** \`${hexn(n)}\`: PTEG \`${hexn(n - (n % 8))}\`, slot ${n % 8} of 8; ${inRange ? `within the ${hexn(m.hptEntries)} HPTEs` : `❌ beyond the ${hexn(m.hptEntries)} HPTEs (hpt order ${m.hptOrder}) → H_PARAMETER`}`;
}

/** The hover for an argument or recorded register of an hcall line. */
function valueMarkdown(model: TraceModel, lineNo: number, l: HcallLayout, t: ValueTok): string | undefined {
  const x = t.value;
  if (!x) return undefined;
  const m = model.machineAt(lineNo);
  const ctx = ctxOf(m);
  const name = l.def?.name;
  if (t.role === 'arg') {
    if (t.name === 'pteh' || t.name === 'ptel') {
      const v = argValue(l, 'pteh');
      const r = argValue(l, 'ptel');
      const parts: string[] = [decodeMarkdown(x, t.name === 'pteh' ? 'v' : 'r', ctx)];
      if (v && r) {
        const ps = pageSizeOf(v, r, m.arch206);
        parts.push(
          `Page size of the pair (${m.arch206 ? 'POWER7, ARCH_206' : 'no ARCH_206'}): **${ps ? sizeName(ps) : 'invalid'}** — ${summarizeV(v, r, ctx)}`,
        );
      }
      if (r && name === 'H_ENTER') parts.push(backingMarkdown(m, v, r));
      return parts.join('\n\n');
    }
    if (t.name === 'avpn')
      return decodeMarkdown(x, 'v', ctx).replace(
        '**HPTE first doubleword (v)**',
        '**avpn** (compared with the HPTE first doubleword)',
      );
    if (t.name === 'flags') return flagsMarkdown(x, l.def);
    if (t.name === 'pte_index') return indexMarkdown(x, m);
    if (name === 'H_BULK_REMOVE' && /^w\d$/.test(t.name)) return bulkWordMarkdown(x, Number(t.name[1]) % 2 === 0);
  } else {
    const reg = Number(t.name.slice(1));
    if (name === 'H_REMOVE' || name === 'H_READ')
      return decodeMarkdown(x, reg % 2 === 0 ? 'v' : 'r', ctx).replace('**', `**${t.name}: `);
    if (name === 'H_ENTER' && reg === 4) return indexMarkdown(x, m);
    if (name === 'H_BULK_REMOVE') return bulkWordMarkdown(x, reg % 2 === 0);
  }
  return `**${t.name}** \`${hex(x)}\` as an HPTE word: v ${summarizeV(x)}; r ${summarizeR(x)}`;
}

function outcomeMarkdown(model: TraceModel, lineNo: number): string {
  if (!model.replayed) return '';
  const o = model.replay().get(lineNo);
  if (!o) return '';
  let s = `**Emulated result**: ${o.ret ?? NOT_EMULATED}${o.detail ? ` — ${o.detail}` : ''}`;
  if (o.diverged) s += `\n\n**Diverges from the recording**: ${o.divergence.join('; ')}`;
  return s;
}

export interface HoverResult {
  markdown: string;
  start: number;
  end: number;
}

/** The hover at a 0-based column of a 1-based line, or undefined where there is nothing to say. */
export function hoverAt(model: TraceModel, lineNo: number, col: number, text: string): HoverResult | undefined {
  const cov = model.byLine.get(lineNo); // format 2: the coverage record says what the capture holds
  if (cov?.kind === 'coverage' && col < (text.indexOf('#') + 1 || text.length + 1))
    return { markdown: coverageMessage(cov), start: 0, end: text.indexOf('#') < 0 ? text.length : text.indexOf('#') };
  const c = commentHexAt(text, col);
  if (c) {
    // A value quoted in a comment: slot_phys when the comment says so, else all three readings.
    const m = model.machineAt(lineNo);
    if (/slot_phys|physp/i.test(c.comment))
      return { markdown: slotPhysMarkdown(c.value, m.pageSize), start: c.start, end: c.end };
    const ctx = ctxOf(m);
    return {
      markdown: [
        decodeMarkdown(c.value, 'v', ctx),
        decodeMarkdown(c.value, 'r', ctx),
        slotPhysMarkdown(c.value, m.pageSize),
      ].join('\n\n---\n\n'),
      start: c.start,
      end: c.end,
    };
  }
  const l = hcallLayout(text);
  if (!l) return undefined;
  const t = valueAt(l, col);
  if (t && col >= t.valueStart && text.slice(t.valueStart, t.end) === '?') {
    const unknown = `**${t.name}**: unknown — not in the capture this trace was imported from (format 2 \`?\`)`;
    return { markdown: unknown, start: t.valueStart, end: t.end };
  }
  if (t && col >= t.valueStart) {
    const md = valueMarkdown(model, lineNo, l, t);
    if (!md) return undefined;
    const extra = outcomeMarkdown(model, lineNo);
    return { markdown: extra ? `${md}\n\n---\n\n${extra}` : md, start: t.valueStart, end: t.end };
  }
  if (l.ret && col >= l.ret.start && col <= l.ret.end) {
    const rc = RETURN_CODES.find((c) => c.name === l.ret!.text);
    const doc =
      l.ret.text === '?'
        ? '**?**: the recorded result is unknown (the capture saw the call, not what the guest got)'
        : rc
          ? `**${rc.name}** (${rc.value}): ${rc.doc} — the recorded result`
          : `**${l.ret.text}**: not a return code`;
    const extra = outcomeMarkdown(model, lineNo);
    return { markdown: extra ? `${doc}\n\n${extra}` : doc, start: l.ret.start, end: l.ret.end };
  }
  if (col >= l.nameTok.start && col <= l.nameTok.end) {
    const doc = l.def
      ? `**${l.def.name}** (hcall 0x${l.def.number.toString(16)}): ${l.def.doc}${l.def.emulated ? '' : ' — not emulated, passed over'}\n\nArguments: ${l.def.args.join(', ') || 'r4..r11'}`
      : `**${l.name}**: not known to the emulation, passed over`;
    const extra = outcomeMarkdown(model, lineNo);
    return { markdown: extra ? `${doc}\n\n${extra}` : doc, start: l.nameTok.start, end: l.nameTok.end };
  }
  return undefined;
}

/** Markdown for a typed-in value read as v, r and slot_phys (or one of them); undefined if not a number. */
export function decodeValueMarkdown(text: string, as: WordKind | 'all', pageSize = 65536): string | undefined {
  const v = parseU64(text.trim().replace(/_/g, ''));
  if (!v) return undefined;
  const kinds: WordKind[] = as === 'all' ? ['v', 'r', 'slot_phys'] : [as];
  return kinds.map((k) => decodeMarkdown(v, k, { pageSize, arch206: true })).join('\n\n---\n\n');
}
