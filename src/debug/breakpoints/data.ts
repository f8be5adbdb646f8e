/**
 * Data breakpoints: a watch on an HPT slot or a slot_phys entry that stops on the hcalls that write
 * it. Their ids are spelled by src/debug/protocol.ts (formatDataId / parseDataId) only.
 */
import { dataLabel, DataWatch, formatDataId, parseDataId } from '../protocol';
import { makeGuard } from './guards';
import { Bp } from './registry';

/** `hpt[0x100]`, `HPT[0x100]`, `slot_phys[0][0x10]` typed as an expression, as a data id. */
export function dataIdOfExpression(name: string): { dataId: string; description: string } | undefined {
  const num = (s: string) => (/^0x/i.test(s) ? parseInt(s, 16) : Number(s));
  let watch: DataWatch | undefined;
  let m = /^\s*hpt\s*\[\s*(0x[0-9a-f]{1,12}|\d{1,15})\s*\]\s*$/i.exec(name);
  if (m) watch = { kind: 'hpt', index: num(m[1]) };
  m ??= /^\s*slot_phys\s*\[\s*(\d{1,5})\s*\]\s*\[\s*(0x[0-9a-f]{1,12}|\d{1,15})\s*\]\s*$/i.exec(name);
  if (m && !watch) watch = { kind: 'slot_phys', slot: Number(m[1]), index: num(m[2]) };
  return watch ? { dataId: formatDataId(watch), description: dataLabel(watch) } : undefined;
}

/** A data breakpoint from a client's dataId; throws with the reason it cannot be set. */
export function dataBreakpoint(id: number, dataId: string, condition?: string, hitCondition?: string): Bp {
  const watch = typeof dataId === 'string' ? parseDataId(dataId) : undefined;
  if (!watch) throw new Error(`unknown data id ${String(dataId)}`);
  return { id, kind: 'data', guard: makeGuard(condition, hitCondition), label: dataLabel(watch), watch };
}
