/**
 * evaluate for hover, watch and the debug console. Hovering a number decodes it as each kind of word;
 * hovering a name (ptel, pteh=0x…) resolves it against the current hcall. The console also takes
 * commands; the ones that move (find, goto) are run by the session.
 */
import { WordKind } from '../core/bits';
import {
  ctxOf,
  decodeWord,
  DecodeContext,
  DEFAULT_CONTEXT,
  summarizeR,
  summarizeSlotPhys,
  summarizeV,
} from '../core/decode';
import { Machine, hexn } from '../core/machine';
import { parseU64, u64, hexOf } from '../core/u64';
import { NAMES_HELP, unknownName } from './context';
import { Expr, ExprError, NONE, Resolver, showValue, Value } from './expr';
import { hptSlotNode, memslotNode } from './scopes';
import { group, leaf, VNode, wordNode } from './variables';

export const REPL_HELP = `commands:
  decode VALUE [v|r|slot_phys]   decode a 64-bit word (all three kinds without a kind)
  hpt INDEX                      show an HPT entry (host and guest view)
  memslot ID                     show a memory slot with its backing mapping and slot_phys
  find CONDITION                 run forward to the next hcall where CONDITION holds
  goto LINE                      jump to the hcall on a trace line (either direction)
  help                           this text
anything else is an expression, e.g. ptel.WIMG, slot.io, ret == H_PARAMETER
${NAMES_HELP}`;

// A Map, so that `constructor` or `toString` find nothing.
const KIND_OF_NAME = new Map<string, WordKind>([
  ['pteh', 'v'],
  ['avpn', 'v'],
  ['v', 'v'],
  ['ptel', 'r'],
  ['r', 'r'],
  ['slot_phys', 'slot_phys'],
]);

function toHiLo(v: bigint): { hi: number; lo: number } {
  const x = v & ((1n << 64n) - 1n);
  return { hi: Number(x >> 32n), lo: Number(x & 0xffffffffn) };
}

/** A number decoded as every kind of word, or as one kind. */
export function decodeNode(name: string, hi: number, lo: number, ctx: DecodeContext, kind?: WordKind): VNode {
  if (kind) return wordNode(name, hi, lo, kind, ctx, undefined);
  const w = u64(hi, lo);
  return group(
    name,
    `${hexOf(hi, lo)} = ${Number(BigInt(hi) * 4294967296n + BigInt(lo)) <= Number.MAX_SAFE_INTEGER ? hi * 4294967296 + lo : '(64-bit)'} — as v: ${summarizeV(w, undefined, ctx)} · as r: ${summarizeR(w)}`,
    () => [
      wordNode('as v (pteh)', hi, lo, 'v', ctx),
      wordNode('as r (ptel)', hi, lo, 'r', ctx),
      wordNode('as slot_phys', hi, lo, 'slot_phys', ctx),
    ],
  );
}

/** The result of an expression: decoded children when it names an HPTE word or slot_phys entry. */
export function valueNode(src: string, v: Value, ctx: DecodeContext): VNode {
  const kind = KIND_OF_NAME.get(src.trim());
  if (v === NONE || v < 0n || !kind) return leaf(src, showValue(v));
  const { hi, lo } = toHiLo(v);
  return wordNode(src, hi, lo, kind, ctx, src.trim());
}

export type ReplCommand =
  | { kind: 'find'; condition: string }
  | { kind: 'goto'; line: number }
  | { kind: 'node'; node: VNode }
  | { kind: 'text'; text: string };

/**
 * Parses and answers a console command or expression. `resolve` is the current hcall's names, or
 * null when nothing is loaded. Throws with a message for bad input.
 */
export function evaluateText(
  expr: string,
  context: string | undefined,
  m: Machine | null,
  resolve: Resolver | null,
): ReplCommand {
  const text = typeof expr === 'string' ? expr.trim() : '';
  const ctx: DecodeContext = m ? ctxOf(m) : DEFAULT_CONTEXT;
  if (context === 'repl') {
    const [cmd, ...rest] = text.split(/\s+/);
    const arg = rest.join(' ');
    switch (cmd) {
      case 'help':
        return { kind: 'text', text: REPL_HELP };
      case 'decode': {
        const [val, kind] = rest;
        const v = val ? parseU64(val) : undefined;
        if (!v) throw new Error('decode VALUE [v|r|slot_phys]: VALUE must be a 64-bit number');
        if (kind && !['v', 'r', 'slot_phys'].includes(kind)) throw new Error('decode: the kind is v, r or slot_phys');
        return { kind: 'node', node: decodeNode(val, v.hi, v.lo, ctx, kind as WordKind | undefined) };
      }
      case 'hpt': {
        if (!m) throw new Error('no trace is loaded');
        const v = parseU64(arg);
        if (!v || v.hi >= 0x200000) throw new Error('hpt INDEX: INDEX must be a number');
        const idx = v.hi * 4294967296 + v.lo;
        if (idx >= m.hptEntries)
          throw new Error(`hpt: index ${hexn(idx)} is beyond the HPT (${hexn(m.hptEntries)} entries)`);
        return { kind: 'node', node: hptSlotNode(m, idx, `HPT[${hexn(idx)}]`) };
      }
      case 'memslot': {
        if (!m) throw new Error('no trace is loaded');
        const id = Number(arg);
        const s = Number.isInteger(id) && id >= 0 && id < 32 ? m.memslots[id] : null;
        if (!s)
          throw new Error(
            `memslot ${arg}: no such slot now (slots: ${
              m.memslots
                .filter(Boolean)
                .map((x) => x!.id)
                .join(', ') || 'none'
            })`,
          );
        return { kind: 'node', node: memslotNode(m, s) };
      }
      case 'find':
        if (!arg) throw new Error('find CONDITION, e.g. find ret == H_PARAMETER && slot.io');
        return { kind: 'find', condition: arg };
      case 'goto': {
        // LINE is in the client's numbering (from 1, or from 0 for a client with linesStartAt1 false).
        const line = /^\d{1,15}$/.test(arg) ? Number(arg) : NaN;
        if (!Number.isSafeInteger(line)) throw new Error('goto LINE: LINE must be a line number');
        return { kind: 'goto', line };
      }
    }
  }
  if (context === 'hover') {
    // The editor sends the word under the pointer: a number, a name, or name=value.
    const kv = /^([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/.exec(text);
    if (kv) {
      const v = parseU64(kv[2]);
      if (!v) throw new Error(`not a number: ${kv[2]}`);
      return {
        kind: 'node',
        node: KIND_OF_NAME.has(kv[1])
          ? wordNode(kv[1], v.hi, v.lo, KIND_OF_NAME.get(kv[1])!, ctx)
          : decodeNode(kv[1], v.hi, v.lo, ctx),
      };
    }
    const n = parseU64(text);
    if (n) return { kind: 'node', node: decodeNode(text, n.hi, n.lo, ctx) };
  }
  const x = Expr.parse(text);
  for (const p of x.names()) {
    const why = unknownName(p);
    if (why) throw new ExprError(why);
  }
  if (!resolve) {
    const v = x.evaluate(() => undefined);
    return { kind: 'node', node: leaf(text, showValue(v)) };
  }
  return { kind: 'node', node: valueNode(text, x.evaluate(resolve), ctx) };
}

export { summarizeSlotPhys, decodeWord };
