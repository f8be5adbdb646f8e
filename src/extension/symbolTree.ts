/**
 * The outline of a trace: configuration, host mappings, memory slots and hcalls. Big traces get
 * their hcalls in fixed-size groups so the outline stays usable with a million records.
 */
import { hexn, sizeName } from '../core/machine';
import { TraceRecord } from '../core/records';
import { returnCodeName } from '../core/bits';
import { hcallDisplayName } from '../core/replay';

export type SymbolKindName = 'namespace' | 'property' | 'struct' | 'field' | 'function' | 'event' | 'file';

export interface SymbolNode {
  name: string;
  detail: string;
  kind: SymbolKindName;
  /** 1-based first and last line the symbol covers. */
  line: number;
  endLine: number;
  children: SymbolNode[];
}

/** Hcalls listed one by one up to this many; beyond, grouped by this many per group. */
export const HCALL_GROUP = 1000;
/** Past this many hcalls the outline shows only the groups (children would cost too much). */
export const MAX_LISTED_HCALLS = 50000;

function group(name: string, kind: SymbolKindName, children: SymbolNode[], detail = `${children.length}`): SymbolNode {
  return { name, detail, kind, line: children[0].line, endLine: children[children.length - 1].endLine, children };
}

function leaf(name: string, detail: string, kind: SymbolKindName, line: number): SymbolNode {
  return { name, detail, kind, line, endLine: line, children: [] };
}

export function buildSymbols(records: readonly TraceRecord[]): SymbolNode[] {
  const config: SymbolNode[] = [];
  const vmas: SymbolNode[] = [];
  const slots: SymbolNode[] = [];
  const hcalls: SymbolNode[] = [];
  let hcallCount = 0;
  let firstHcall = 0;
  let lastHcall = 0;
  for (const r of records) {
    switch (r.kind) {
      case 'header':
        config.push(leaf('hptrace', `format ${r.version}`, 'file', r.line));
        break;
      case 'cpu':
        config.push(leaf('cpu', r.cpu, 'property', r.line));
        break;
      case 'host':
        config.push(leaf('host page', sizeName(2 ** r.pageShift), 'property', r.line));
        break;
      case 'hpt':
        config.push(leaf('hpt order', `${r.order} (${hexn(2 ** (r.order - 4))} HPTEs)`, 'property', r.line));
        break;
      case 'vma':
        vmas.push(leaf(`${hexn(r.start)}-${hexn(r.end)}`, r.type, 'struct', r.line));
        break;
      case 'munmap':
        vmas.push(leaf(`munmap ${hexn(r.start)}-${hexn(r.end)}`, '', 'event', r.line));
        break;
      case 'memslot': {
        const range = r.delete
          ? 'delete'
          : r.gfn >= 0
            ? `gfn ${hexn(r.gfn)} +${hexn(r.npages)}`
            : `gpa ${hexn(r.gpa)} ${sizeName(r.size)}`;
        slots.push(leaf(`memslot ${r.id}`, range, 'struct', r.line));
        break;
      }
      case 'hcall':
        if (hcallCount === 0) firstHcall = r.line;
        lastHcall = r.line;
        hcallCount++;
        if (hcallCount <= MAX_LISTED_HCALLS)
          hcalls.push(
            leaf(
              hcallDisplayName(r),
              r.recorded === null ? '' : `-> ${returnCodeName(r.recorded)}`,
              'function',
              r.line,
            ),
          );
        break;
    }
  }
  const out: SymbolNode[] = [];
  if (config.length) out.push(group('Configuration', 'namespace', config, ''));
  if (vmas.length) out.push(group('Host mappings', 'namespace', vmas));
  if (slots.length) out.push(group('Memory slots', 'namespace', slots));
  if (hcallCount) {
    let children = hcalls;
    if (hcallCount > HCALL_GROUP) {
      children = [];
      for (let i = 0; i < hcalls.length; i += HCALL_GROUP) {
        const part = hcalls.slice(i, i + HCALL_GROUP);
        children.push(
          group(
            `hcalls ${i + 1}–${i + part.length}`,
            'namespace',
            part,
            `lines ${part[0].line}–${part[part.length - 1].line}`,
          ),
        );
      }
    }
    const detail =
      hcallCount > MAX_LISTED_HCALLS ? `${hcallCount} (first ${MAX_LISTED_HCALLS} listed)` : `${hcallCount}`;
    out.push({ name: 'Hcalls', detail, kind: 'namespace', line: firstHcall, endLine: lastHcall, children });
  }
  return out;
}
