/**
 * The text of the inlay hints: a compact decoding after each HPTE word of an hcall, and the emulated
 * result after the hcall when the trace has been replayed. Pure, for the unit tests.
 */
import { NOT_EMULATED } from '../core/bits';
import { ctxOf, summarizeR, summarizeV } from '../core/decode';
import { Machine } from '../core/machine';
import { argValue, hcallLayout } from './hcallLayout';
import { HcallOutcome } from './traceModel';

export interface HintText {
  /** 0-based column the hint goes after. */
  col: number;
  label: string;
  kind: 'decode' | 'result';
  tooltip?: string;
}

const MAX_DETAIL = 90;

/** `⇒ H_PARAMETER: <deciding check>` (and `≠ recorded …` when the recording disagrees). */
export function resultLabel(o: HcallOutcome): string {
  if (o.ret === null) return `⇒ ${NOT_EMULATED}`;
  let s = `⇒ ${o.ret}`;
  if (o.detail) s += `: ${o.detail.length > MAX_DETAIL ? o.detail.slice(0, MAX_DETAIL - 1) + '…' : o.detail}`;
  else if (o.ret === 'H_SUCCESS' && o.out.r4 && Object.keys(o.out).length === 1) s += ` r4=${o.out.r4}`;
  if (o.diverged) s += '  ≠ recorded';
  return s;
}

/**
 * Hints for one line. `machine` supplies the CPU (for the 64K page encoding); `outcome` is the
 * replayed result of this line's hcall, or undefined when results are off or not computed.
 */
export function lineHints(
  text: string,
  machine: Pick<Machine, 'pageSize' | 'arch206'>,
  opts: { decode: boolean },
  outcome?: HcallOutcome,
): HintText[] {
  const l = hcallLayout(text);
  if (!l) return [];
  const hints: HintText[] = [];
  if (opts.decode && l.def?.name === 'H_ENTER') {
    const r = argValue(l, 'ptel');
    for (const a of l.args) {
      if (!a.value) continue;
      if (a.name === 'pteh')
        hints.push({ col: a.end, label: summarizeV(a.value, r, ctxOf(machine as Machine)), kind: 'decode' });
      if (a.name === 'ptel') hints.push({ col: a.end, label: summarizeR(a.value), kind: 'decode' });
    }
  }
  if (opts.decode && (l.def?.name === 'H_REMOVE' || l.def?.name === 'H_READ')) {
    for (const o of l.outs) {
      if (!o.value || !/^r\d+$/.test(o.name)) continue;
      const even = Number(o.name.slice(1)) % 2 === 0;
      hints.push({ col: o.end, label: even ? summarizeV(o.value) : summarizeR(o.value), kind: 'decode' });
    }
  }
  if (outcome) {
    const tip = [outcome.detail, ...outcome.divergence].filter(Boolean).join('\n');
    hints.push({ col: l.end, label: resultLabel(outcome), kind: 'result', tooltip: tip || undefined });
  }
  return hints;
}
