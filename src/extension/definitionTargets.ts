/**
 * Go to definition from an hcall's address (H_ENTER ptel) to the memslot line that holds it and the
 * vma line that backs it, and from a memslot's hva to its vma — using the host state at that line.
 */
import { lexLine } from '../core/parser';
import { parseU64 } from '../core/u64';
import { backingOf } from './backing';
import { argValue, hcallLayout, valueAt } from './hcallLayout';
import { TraceModel } from './traceModel';

export interface DefinitionTarget {
  /** 1-based line of the defining record. */
  line: number;
  what: 'memslot' | 'vma';
  /** 0-based columns of the origin token (for the link's underline). */
  originStart: number;
  originEnd: number;
}

export function definitionTargets(model: TraceModel, lineNo: number, col: number, text: string): DefinitionTarget[] {
  const l = hcallLayout(text);
  if (l) {
    const t = valueAt(l, col);
    if (!t || !t.value || t.role !== 'arg' || l.def?.name !== 'H_ENTER' || (t.name !== 'ptel' && t.name !== 'pteh'))
      return [];
    const r = argValue(l, 'ptel');
    if (!r) return [];
    const b = backingOf(model.machineAt(lineNo), argValue(l, 'pteh'), r);
    const out: DefinitionTarget[] = [];
    if (b.slot) out.push({ line: b.slot.line, what: 'memslot', originStart: t.valueStart, originEnd: t.end });
    if (b.vma) out.push({ line: b.vma.line, what: 'vma', originStart: t.valueStart, originEnd: t.end });
    return out;
  }
  const toks = lexLine(text);
  if (toks[0]?.text !== 'memslot') return [];
  const hvaTok = toks.find((t) => t.text.startsWith('hva=') && col >= t.start && col <= t.end);
  const hva = hvaTok && parseU64(hvaTok.text.slice(4));
  if (!hvaTok || !hva) return [];
  const m = model.machineAt(lineNo);
  const v = m.findVma(hva.hi * 4294967296 + hva.lo);
  return v && v.start <= hva.hi * 4294967296 + hva.lo
    ? [{ line: v.line, what: 'vma', originStart: hvaTok.eq + 1, originEnd: hvaTok.end }]
    : [];
}
