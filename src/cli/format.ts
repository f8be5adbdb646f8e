/** Argument formatting for the CLI table: named arguments, with the HPTE words summarised. */
import { GENERIC_ARGS, hcallByNum } from '../core/bits';
import { summarizeR, summarizeV } from '../core/decode';
import { HcallRecord } from '../core/records';
import { hexOf, u64 } from '../core/u64';

export function formatArgs(rec: HcallRecord): string {
  const def = rec.number >= 0 ? hcallByNum(rec.number) : undefined;
  const names = def && def.emulated ? def.args : GENERIC_ARGS;
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) {
    if (!def?.emulated && rec.argHi[i] === 0 && rec.argLo[i] === 0) continue;
    const v = (rec.unknownArgs ?? 0) & (1 << i) ? '?' : hexOf(rec.argHi[i], rec.argLo[i]); // format 2: unknown
    if (names[i] === 'flags' && v === '0x0') continue;
    parts.push(`${names[i]}=${v}`);
  }
  if (def?.name === 'H_ENTER') {
    const v = u64(rec.argHi[2], rec.argLo[2]);
    const r = u64(rec.argHi[3], rec.argLo[3]);
    parts.push(`[${summarizeV(v, r)} | ${summarizeR(r)}]`);
  }
  return parts.join(' ');
}
