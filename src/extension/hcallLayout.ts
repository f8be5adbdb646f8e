/**
 * Where each argument of an hcall line sits, with its register name, so hover, inlay hints and
 * go-to-definition can point at one value. Uses the parser's lexLine, so columns match diagnostics.
 */
import { GENERIC_ARGS, hcallByNameOrUndefined, hcallByNum, HcallDef } from '../core/bits';
import { lexLine, Token } from '../core/parser';
import { parseU64, U64 } from '../core/u64';

export interface ValueTok {
  /** Argument or register name: `ptel`, `pte_index`, `r4` … */
  name: string;
  /** Columns (0-based, end exclusive) of the whole token and of its value part. */
  start: number;
  end: number;
  valueStart: number;
  value: U64 | undefined;
  /** `arg` for r4.. inputs, `out` for the recorded output registers after `->`. */
  role: 'arg' | 'out';
}

export interface HcallLayout {
  def: HcallDef | undefined;
  name: string;
  nameTok: Token;
  args: ValueTok[];
  ret: Token | undefined;
  outs: ValueTok[];
  /** Column just after the last token (before any comment). */
  end: number;
}

function valueTok(t: Token, name: string, role: ValueTok['role']): ValueTok {
  const valueStart = t.eq >= 0 ? t.eq + 1 : t.start;
  return { name, start: t.start, end: t.end, valueStart, value: parseU64(t.text.slice(valueStart - t.start)), role };
}

/** The layout of an `hcall` line, or undefined for any other line. Tolerates malformed lines. */
export function hcallLayout(text: string): HcallLayout | undefined {
  const toks = lexLine(text);
  if (toks.length < 2 || toks[0].text !== 'hcall') return undefined;
  let i = 1;
  if (toks[i].text.startsWith('@')) i++;
  if (i < toks.length && toks[i].text.startsWith('vcpu=')) i++;
  if (i >= toks.length) return undefined;
  const nameTok = toks[i++];
  let def = hcallByNameOrUndefined(nameTok.text);
  if (!def && /^\d/.test(nameTok.text)) {
    const n = parseU64(nameTok.text);
    if (n && n.hi === 0) def = hcallByNum(n.lo);
  }
  const names = def && def.emulated ? def.args : GENERIC_ARGS;
  const args: ValueTok[] = [];
  let positional = 0;
  for (; i < toks.length && toks[i].text !== '->'; i++) {
    const t = toks[i];
    const name = t.eq >= 0 ? t.text.slice(0, t.eq - t.start) : (names[positional++] ?? `arg${positional}`);
    args.push(valueTok(t, name, 'arg'));
  }
  let ret: Token | undefined;
  const outs: ValueTok[] = [];
  if (i < toks.length) {
    i++;
    ret = toks[i++];
    for (; i < toks.length; i++) {
      const t = toks[i];
      outs.push(valueTok(t, t.eq >= 0 ? t.text.slice(0, t.eq - t.start) : t.text, 'out'));
    }
  }
  return { def, name: def?.name ?? nameTok.text, nameTok, args, ret, outs, end: toks[toks.length - 1].end };
}

export function argValue(l: HcallLayout, name: string): U64 | undefined {
  return l.args.find((a) => a.name === name)?.value;
}

/** The value token under a column, if any. */
export function valueAt(l: HcallLayout, col: number): ValueTok | undefined {
  return [...l.args, ...l.outs].find((a) => col >= a.start && col <= a.end);
}

/** A `0x…` word inside a `#` comment under the column (comments may quote slot_phys values). */
export function commentHexAt(
  text: string,
  col: number,
): { start: number; end: number; value: U64; comment: string } | undefined {
  const hash = text.indexOf('#');
  if (hash < 0 || col < hash) return undefined;
  const re = /0[xX][0-9a-fA-F]+/g;
  const comment = text.slice(hash);
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index < hash) continue;
    const end = m.index + m[0].length;
    if (col >= m.index && col <= end) {
      const value = parseU64(m[0]);
      return value ? { start: m.index, end, value, comment } : undefined;
    }
  }
  return undefined;
}
