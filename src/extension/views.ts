/**
 * The Memslots and slot_phys tree views (in the Run and Debug side bar and in the hptrace
 * container). Both read SessionState; they are empty — and show their welcome text — when no
 * hptrace session is stopped.
 */
import * as vscode from 'vscode';
import { MemslotInfo, SlotPhysEntry } from '../debug/protocol';
import { SessionState } from './sessionState';
import { memslotText, slotPhysText } from './viewText';

export type MemslotNode =
  { kind: 'slot'; info: MemslotInfo } | { kind: 'field'; slot: number; label: string; value: string; full?: string };

export type SlotPhysNode =
  | { kind: 'slot'; slot: number; total: number; io: boolean }
  | { kind: 'entry'; slot: number; entry: SlotPhysEntry }
  | { kind: 'more'; slot: number };

function md(s: string): vscode.MarkdownString {
  const m = new vscode.MarkdownString(s);
  m.supportThemeIcons = true;
  return m;
}

export class MemslotsProvider implements vscode.TreeDataProvider<MemslotNode> {
  private readonly emitter = new vscode.EventEmitter<MemslotNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  /** Nodes of the current stop (stable identities for reveal()). */
  private slotNodes = new Map<number, MemslotNode>();

  constructor(private readonly store: SessionState) {
    store.onDidChange(() => {
      this.slotNodes.clear();
      this.emitter.fire(undefined);
    });
  }

  private slotNode(info: MemslotInfo): MemslotNode {
    let n = this.slotNodes.get(info.id);
    if (!n || (n.kind === 'slot' && n.info !== info)) this.slotNodes.set(info.id, (n = { kind: 'slot', info }));
    return n;
  }

  getChildren(el?: MemslotNode): MemslotNode[] {
    const st = this.store.state;
    if (!st) return [];
    if (!el) return st.memslots.map((info) => this.slotNode(info));
    if (el.kind !== 'slot') return [];
    const s = el.info;
    const b = s.backing;
    const rows: [string, string, string?][] = [
      ['base_gfn', s.baseGfn],
      ['npages', s.npages],
      ['gpa', `${s.gpaStart}–${s.gpaEnd}`],
      ['hva', s.hva],
      ['flags', s.flags],
      b
        ? [
            'backing',
            `${b.type}${b.type === 'pfnmap' ? ` cache=${b.cache ?? 'none'}` : ''}${b.type === 'anon' && b.pageSize ? ` page=${b.pageSize}` : ''} (line ${b.line})`,
            `${b.type} ${b.start}-${b.end}${b.type === 'pfnmap' ? ` pgoff=${b.pgoff ?? '0x0'} cache=${b.cache ?? 'none'}` : ''}${b.type === 'anon' && b.pageSize ? ` page=${b.pageSize}` : ''} (line ${b.line})`,
          ]
        : ['backing', 'no vma'],
      ['slot_phys', `${s.slotPhysCount} set${s.hasIo ? ', I/O' : ''}`],
    ];
    return rows.map(([label, value, full]) => ({ kind: 'field', slot: s.id, label, value, full }));
  }

  /** The node of the memslot the current hcall used, if any. */
  currentNode(): MemslotNode | undefined {
    const st = this.store.state;
    const info = st?.memslots.find((s) => s.id === st.current.slot);
    return info ? this.slotNode(info) : undefined;
  }

  getTreeItem(el: MemslotNode): vscode.TreeItem {
    if (el.kind === 'field') {
      const item = new vscode.TreeItem(el.label);
      item.description = el.value;
      item.tooltip = `${el.label}: ${el.full ?? el.value}`;
      item.contextValue = 'hptrace.copyable';
      return item;
    }
    const t = memslotText(el.info);
    const current = this.store.state?.current.slot === el.info.id;
    // The id changes with each stop, so the expansion follows the stop: the current hcall's
    // memslot open, the others closed.
    const item = new vscode.TreeItem(
      t.label,
      current ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = `memslot-${el.info.id}@${this.store.generation}`;
    item.description = t.description + (current ? ' ◀' : '');
    item.tooltip = md(t.tooltip + (current ? '\n\n◀ used by the current hcall' : ''));
    item.iconPath = new vscode.ThemeIcon(el.info.hasIo || el.info.backing?.type === 'pfnmap' ? 'plug' : 'database');
    item.contextValue = 'hptrace.copyable';
    return item;
  }

  getParent(): undefined {
    return undefined;
  }
}

export class SlotPhysProvider implements vscode.TreeDataProvider<SlotPhysNode> {
  private readonly emitter = new vscode.EventEmitter<SlotPhysNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  /** Nodes are rebuilt on each refresh; these keep identities stable for reveal(). */
  private slotNodes = new Map<number, SlotPhysNode>();
  private entryNodes = new Map<string, SlotPhysNode>();

  constructor(private readonly store: SessionState) {
    store.onDidChange(() => {
      this.slotNodes.clear();
      this.entryNodes.clear();
      this.emitter.fire(undefined);
    });
  }

  private slotNode(slot: number): SlotPhysNode {
    let n = this.slotNodes.get(slot);
    if (!n) {
      const info = this.store.state?.memslots.find((s) => s.id === slot);
      n = { kind: 'slot', slot, total: this.store.slots.get(slot)?.total ?? 0, io: !!info?.hasIo };
      this.slotNodes.set(slot, n);
    }
    return n;
  }

  private entryNode(slot: number, entry: SlotPhysEntry): SlotPhysNode {
    const key = `${slot}:${entry.index}`;
    let n = this.entryNodes.get(key);
    if (!n) this.entryNodes.set(key, (n = { kind: 'entry', slot, entry }));
    return n;
  }

  getChildren(el?: SlotPhysNode): SlotPhysNode[] {
    const st = this.store.state;
    if (!st) return [];
    if (!el) return st.memslots.filter((s) => s.slotPhysCount > 0).map((s) => this.slotNode(s.id));
    if (el.kind !== 'slot') return [];
    const e = this.store.slots.get(el.slot);
    if (!e) return [];
    const kids = e.entries.map((x) => this.entryNode(el.slot, x));
    if (e.next >= 0) kids.push({ kind: 'more', slot: el.slot });
    return kids;
  }

  getParent(el: SlotPhysNode): SlotPhysNode | undefined {
    return el.kind === 'slot' ? undefined : this.slotNode(el.slot);
  }

  /** The node of the entry the current hcall used, if it is loaded. */
  currentNode(): SlotPhysNode | undefined {
    const cur = this.store.state?.current;
    if (!cur || cur.slot < 0 || cur.physIndex < 0) return undefined;
    const entry = this.store.slots.get(cur.slot)?.entries.find((x) => x.index === cur.physIndex);
    return entry ? this.entryNode(cur.slot, entry) : undefined;
  }

  getTreeItem(el: SlotPhysNode): vscode.TreeItem {
    const st = this.store.state;
    if (el.kind === 'slot') {
      // Only the slot of the current hcall opens (ids change with each stop, so this holds at
      // every stop): a RAM slot's hundreds of entries do not push the entry in question away.
      const current = st?.current.slot === el.slot;
      const item = new vscode.TreeItem(
        `slot ${el.slot}`,
        current ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
      );
      item.id = `slotphys-${el.slot}@${this.store.generation}`;
      item.description = `${el.io ? 'I/O · ' : ''}${el.total} set${current ? ' ◀' : ''}`;
      item.tooltip = `slot_phys of memslot ${el.slot}: ${el.total} entries set${el.io ? ', I/O (pfnmap) pages' : ''}`;
      item.iconPath = new vscode.ThemeIcon(el.io ? 'plug' : 'database');
      return item;
    }
    if (el.kind === 'more') {
      const item = new vscode.TreeItem('Load more…');
      item.command = { command: 'hptrace.loadMoreSlotPhys', title: 'Load more', arguments: [el.slot] };
      return item;
    }
    const current = !!st && st.current.slot === el.slot && st.current.physIndex === el.entry.index;
    const t = slotPhysText(el.slot, el.entry, st?.pageSize ?? 65536, current);
    const item = new vscode.TreeItem(t.label);
    item.id = `slotphys-${el.slot}-${el.entry.index}@${this.store.generation}`;
    item.description = t.description;
    item.tooltip = md(t.tooltip);
    item.contextValue = 'hptrace.slotPhysEntry';
    item.iconPath = current
      ? new vscode.ThemeIcon(
          'debug-stackframe',
          new vscode.ThemeColor('debugIcon.breakpointCurrentStackframeForeground'),
        )
      : new vscode.ThemeIcon(el.entry.io ? 'circle-outline' : 'circle-small-filled');
    return item;
  }
}

/** The copy text of any node of either view. */
export function copyTextOf(node: MemslotNode | SlotPhysNode): string {
  if (node.kind === 'field') return node.value;
  if (node.kind === 'entry') return node.entry.value;
  if (node.kind === 'slot' && 'info' in node) return memslotText(node.info).copy;
  return '';
}
