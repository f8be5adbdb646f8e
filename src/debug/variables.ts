/**
 * Variable trees built lazily: a node's children (or its pages, for the big tables) are computed
 * only when the client expands it. References live until the next resume, as DAP requires.
 */
import { DebugProtocol } from '@vscode/debugprotocol';
import { WordKind } from '../core/bits';
import { decodeWord, DecodeContext, summarizeR, summarizeSlotPhys, summarizeV } from '../core/decode';
import { hexOf, u64 } from '../core/u64';

export interface VNode {
  name: string;
  value: string;
  type?: string;
  evaluateName?: string;
  children?: () => VNode[];
  /** A table paged by the client (indexedVariables); get(start, count) gives one page. */
  indexed?: { count: number; get: (start: number, count: number) => VNode[] };
  /** Set on entries a data breakpoint can watch ("hpt:INDEX", "slot_phys:SLOT:INDEX"). */
  dataId?: string;
  dataDescription?: string;
}

export class VarStore {
  private nodes = new Map<number, VNode>();
  private next = 1;
  private dataIds = new Map<string, { dataId: string; description: string }>();

  clear(): void {
    this.nodes.clear();
    this.dataIds.clear();
    // References keep growing across stops so a stale one never names a new node.
  }

  add(node: VNode): number {
    const ref = this.next++;
    this.nodes.set(ref, node);
    return ref;
  }

  has(ref: number): boolean {
    return this.nodes.has(ref);
  }

  variables(ref: number, args: DebugProtocol.VariablesArguments): DebugProtocol.Variable[] {
    const node = this.nodes.get(ref);
    if (!node) throw new Error(`unknown variablesReference ${ref} (references last until the next resume)`);
    let kids: VNode[];
    if (node.indexed && args.filter !== 'named') {
      const start = args.start ?? 0;
      const count = Math.min(args.count ?? node.indexed.count - start, node.indexed.count - start, 1000);
      kids = count > 0 ? node.indexed.get(start, count) : [];
    } else if (node.children && args.filter !== 'indexed') kids = node.children();
    else kids = [];
    return kids.map((k) => this.toDap(ref, k));
  }

  toDap(parent: number, k: VNode): DebugProtocol.Variable {
    const v: DebugProtocol.Variable = { name: k.name, value: k.value, variablesReference: 0 };
    if (k.type) v.type = k.type;
    if (k.evaluateName) v.evaluateName = k.evaluateName;
    if (k.children || k.indexed) v.variablesReference = this.add(k);
    if (k.indexed) v.indexedVariables = k.indexed.count;
    if (k.dataId)
      this.dataIds.set(`${parent}\u0000${k.name}`, { dataId: k.dataId, description: k.dataDescription ?? k.name });
    v.presentationHint = { attributes: ['readOnly'] };
    return v;
  }

  dataIdOf(parent: number, name: string): { dataId: string; description: string } | undefined {
    return this.dataIds.get(`${parent}\u0000${name}`);
  }
}

export function leaf(name: string, value: string | number | boolean, evaluateName?: string): VNode {
  return { name, value: typeof value === 'number' ? String(value) : String(value), evaluateName };
}

export function group(name: string, value: string, children: () => VNode[]): VNode {
  return { name, value, children };
}

/** A 64-bit word shown as hex, its decoded fields as children. */
export function wordNode(
  name: string,
  hi: number,
  lo: number,
  kind: WordKind,
  ctx: DecodeContext,
  evaluateName?: string,
  pair?: { hi: number; lo: number },
): VNode {
  const w = u64(hi, lo);
  const summary =
    kind === 'v'
      ? summarizeV(w, pair ? u64(pair.hi, pair.lo) : undefined, ctx)
      : kind === 'r'
        ? summarizeR(w)
        : summarizeSlotPhys(w, ctx.pageSize);
  return {
    name,
    value: `${hexOf(hi, lo)}  (${summary})`,
    evaluateName,
    children: () =>
      decodeWord(w, kind, ctx).map((f) => ({
        name: f.field.name,
        value: `${hexOf(f.value.hi, f.value.lo)}  ${f.meaning}`,
        type: `bits ${f.bits}`,
        evaluateName: evaluateName ? `${evaluateName}.${f.field.name}` : undefined,
      })),
  };
}
