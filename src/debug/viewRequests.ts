/**
 * The custom requests the extension's views ask (src/debug/protocol.ts names them): the machine at
 * the current stop and pages of slot_phys. Each is a handler in CUSTOM_REQUESTS, which the session
 * dispatches by command name; a new custom request is one more entry (registerCustomRequest).
 */
import { CACHE_MODES, CPUS, resultName, RET_NONE } from '../core/bits';
import { slotPhysEntry, slotPhysIsIo } from '../core/decode';
import { Engine } from '../core/engine';
import { hexn } from '../core/machine';
import { hexOf } from '../core/u64';
import {
  MachineStateResponse,
  MemslotInfo,
  REQUEST_MACHINE_STATE,
  REQUEST_SLOT_PHYS,
  SlotPhysArgs,
  SlotPhysResponse,
} from './protocol';
import type { Runtime } from './runtime/runtime';

/** What a custom request may read: the engine (idle), the current position and the runtime itself. */
export interface CustomRequestContext {
  engine(): Engine;
  pos: number;
  executed: boolean;
  runtime: Runtime;
}

/** A handler returns the response body, or a promise of it (a request that reads the trace on first). */
export type CustomHandler = (ctx: CustomRequestContext, args: unknown) => unknown;

export const CUSTOM_REQUESTS = new Map<string, CustomHandler>();

export function registerCustomRequest(command: string, handler: CustomHandler): void {
  CUSTOM_REQUESTS.set(command, handler);
}

export function machineState(ctx: CustomRequestContext): MachineStateResponse {
  const e = ctx.engine();
  const m = e.m;
  const pos = ctx.pos;
  const memslots: MemslotInfo[] = m.memslots
    .filter((s): s is NonNullable<typeof s> => !!s)
    .map((s) => {
      const v = m.vmaHolding(s.userspaceAddr);
      const gpa = s.baseGfn * m.pageSize;
      const io = s.physp.scan((_i, w, b) => slotPhysIsIo(w[b + 1]), 0, 1).length > 0;
      return {
        id: s.id,
        baseGfn: hexn(s.baseGfn),
        npages: hexn(s.npages),
        gpaStart: hexn(gpa),
        gpaEnd: hexn(gpa + s.npages * m.pageSize),
        hva: hexn(s.userspaceAddr),
        flags: hexn(s.flags),
        line: s.line,
        backing: v
          ? {
              type: v.type,
              start: hexn(v.start),
              end: hexn(v.end),
              ...(v.type === 'anon' ? { pageSize: v.pageSize, pfn: hexn(v.pfn) } : {}),
              ...(v.type === 'pfnmap'
                ? { pgoff: hexn(v.pgoff), cache: CACHE_MODES.find((c) => c.bits === v.cache)?.name ?? 'none' }
                : {}),
              line: v.line,
            }
          : null,
        slotPhysCount: s.physp.nonZeroCount,
        hasIo: io,
      };
    });
  const rec = pos >= 0 ? e.hcall(pos) : null;
  return {
    record: pos,
    line: pos >= 0 ? e.line(pos) : 0,
    // ret is null before the hcall ran and for an hcall the emulation passes over.
    hcall: rec
      ? { name: rec.name, ret: ctx.executed && e.ret(pos) !== RET_NONE ? resultName(e.ret(pos)) : null, line: rec.line }
      : null,
    cpu: (CPUS.find((c) => c.arch206 === m.arch206)?.name ?? 'power7') as 'power7' | 'ppc970',
    kernel: m.kernel,
    pageSize: m.pageSize,
    hptOrder: m.hptOrder,
    validHptes: m.validHptes,
    memslots,
    current:
      pos >= 0
        ? { slot: e.slot(pos), physIndex: e.physIndex(pos), hptIndex: e.hptIndex(pos) }
        : { slot: -1, physIndex: -1, hptIndex: -1 },
  };
}

export function slotPhys(ctx: CustomRequestContext, a: unknown): SlotPhysResponse {
  const args = (a ?? {}) as SlotPhysArgs;
  const m = ctx.engine().m;
  const s = Number.isInteger(args.slot) && args.slot >= 0 ? m.memslots[args.slot] : null;
  if (!s) throw new Error(`hptrace.slotPhys: no memslot ${args.slot}`);
  const start = Number.isSafeInteger(args.start) ? Math.max(0, args.start!) : 0;
  const count = Number.isSafeInteger(args.count) ? Math.max(0, Math.min(args.count!, 100000)) : 256;
  const idx = s.physp.scan((_i, w, b) => w[b] !== 0 || w[b + 1] !== 0, start, count);
  return {
    slot: s.id,
    total: s.physp.nonZeroCount,
    entries: idx.map((i) => {
      const hi = s.physp.get(i, 0);
      const lo = s.physp.get(i, 1);
      const d = slotPhysEntry(hi, lo, m.pageShift);
      return {
        index: i,
        gfn: hexn(s.baseGfn + i),
        value: hexOf(hi, lo),
        pfn: hexn(d.pfn),
        order: d.order,
        flags: d.flags,
        io: d.io !== 0,
      };
    }),
  };
}

registerCustomRequest(REQUEST_MACHINE_STATE, machineState);
registerCustomRequest(REQUEST_SLOT_PHYS, slotPhys);
