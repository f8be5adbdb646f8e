/**
 * The machine state of the active hptrace debug session as the views show it, fetched over DAP
 * custom requests (protocol.ts) after each stop. Stops come in bursts when the user holds F10, so
 * refreshes are throttled: at most one request chain in flight, and one more queued behind it.
 */
import * as vscode from 'vscode';
import {
  EVENT_STATE_CHANGED,
  MachineStateResponse,
  REQUEST_MACHINE_STATE,
  REQUEST_SLOT_PHYS,
  SlotPhysArgs,
  SlotPhysEntry,
  SlotPhysResponse,
} from '../debug/protocol';

export const DEBUG_TYPE = 'hptrace';
/** slot_phys entries fetched per request; the view offers "load more" beyond. */
export const SLOT_PHYS_PAGE = 200;
const THROTTLE_MS = 100;

export interface SlotEntries {
  total: number;
  entries: SlotPhysEntry[];
  /** Index to continue from for "load more", or -1 when everything is loaded. */
  next: number;
}

export class SessionState implements vscode.Disposable {
  session: vscode.DebugSession | undefined;
  state: MachineStateResponse | undefined;
  readonly slots = new Map<number, SlotEntries>();
  /** Bumped on every completed refresh (tests wait for it). */
  generation = 0;
  lastError = '';
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private inFlight = false;
  private queued = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly subs: vscode.Disposable[] = [];

  constructor() {
    this.subs.push(
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
        if (e.session.type === DEBUG_TYPE && e.event === EVENT_STATE_CHANGED) this.requestRefresh(e.session);
      }),
      vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (m: { type?: string; event?: string }) => {
            if (m.type === 'event' && m.event === 'stopped') this.requestRefresh(session);
          },
        }),
      }),
      vscode.debug.onDidTerminateDebugSession((s) => {
        if (s === this.session) this.clear();
      }),
      vscode.debug.onDidChangeActiveDebugSession((s) => {
        if (s && s.type === DEBUG_TYPE && s !== this.session) this.requestRefresh(s);
      }),
      this.changed,
    );
  }

  get active(): boolean {
    return !!this.session && !!this.state;
  }

  clear(): void {
    this.session = undefined;
    this.state = undefined;
    this.slots.clear();
    this.generation++;
    void vscode.commands.executeCommand('setContext', 'hptrace.stopped', false);
    this.changed.fire();
  }

  requestRefresh(session: vscode.DebugSession): void {
    this.session = session;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, THROTTLE_MS);
  }

  async refresh(): Promise<void> {
    if (this.inFlight) {
      this.queued = true;
      return;
    }
    const session = this.session;
    if (!session) return;
    this.inFlight = true;
    try {
      const state = (await session.customRequest(REQUEST_MACHINE_STATE)) as MachineStateResponse;
      const slots = new Map<number, SlotEntries>();
      for (const s of state.memslots) {
        if (s.slotPhysCount === 0) continue;
        const first = await this.fetch(session, { slot: s.id, start: 0, count: SLOT_PHYS_PAGE });
        // Make sure the entry the current hcall used is loaded, so the view can reveal it.
        if (
          state.current.slot === s.id &&
          state.current.physIndex >= 0 &&
          first.next >= 0 &&
          state.current.physIndex >= first.next
        ) {
          const around = await this.fetch(session, {
            slot: s.id,
            start: state.current.physIndex,
            count: SLOT_PHYS_PAGE,
          });
          first.entries.push(...around.entries);
          first.next = around.next;
        }
        slots.set(s.id, first);
      }
      if (session !== this.session) return;
      this.state = state;
      this.slots.clear();
      for (const [k, v] of slots) this.slots.set(k, v);
      this.lastError = '';
      void vscode.commands.executeCommand('setContext', 'hptrace.stopped', true);
    } catch (e) {
      this.lastError = e instanceof Error ? e.message : String(e);
    } finally {
      this.inFlight = false;
      this.generation++;
      this.changed.fire();
      if (this.queued) {
        this.queued = false;
        void this.refresh();
      }
    }
  }

  private async fetch(session: vscode.DebugSession, args: SlotPhysArgs): Promise<SlotEntries> {
    const r = (await session.customRequest(REQUEST_SLOT_PHYS, args)) as SlotPhysResponse;
    const entries = r.entries;
    const last = entries.length ? entries[entries.length - 1].index : -1;
    const more = entries.length === (args.count ?? SLOT_PHYS_PAGE) && last >= 0;
    return { total: r.total, entries, next: more ? last + 1 : -1 };
  }

  /** Loads the next page of one slot's entries (the view's "load more"). */
  async loadMore(slot: number): Promise<void> {
    const cur = this.slots.get(slot);
    if (!this.session || !cur || cur.next < 0) return;
    const more = await this.fetch(this.session, { slot, start: cur.next, count: SLOT_PHYS_PAGE });
    cur.entries.push(...more.entries);
    cur.next = more.next;
    this.changed.fire();
  }

  /** Every non-zero entry of every slot, for the JSON export. */
  async allSlotPhys(): Promise<Record<number, SlotPhysEntry[]>> {
    const out: Record<number, SlotPhysEntry[]> = {};
    if (!this.session || !this.state) return out;
    for (const s of this.state.memslots) {
      const all: SlotPhysEntry[] = [];
      let start = 0;
      for (;;) {
        const page = await this.fetch(this.session, { slot: s.id, start, count: 4096 });
        all.push(...page.entries);
        if (page.next < 0) break;
        start = page.next;
      }
      out[s.id] = all;
    }
    return out;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subs.forEach((s) => s.dispose());
  }
}
