/**
 * An hcall's explanation as something to step through: each handler function becomes a read-only
 * source (served by sourceReference) with one check of CHECKS per line, annotated with what this hcall
 * made of it; the deciding check is marked. The call stack follows the kernel: kvmppc_get_guest_page
 * and the second kvmppc_h_enter pass run under kvmppc_virtmode_h_enter.
 */
import { Check, CHECKS, decidingCheck, HandlerFn } from '../core/explain';
import { HcallResult } from '../core/handlers';
import { KernelVariant } from '../core/machine';

const FILES: Record<HandlerFn, string> = {
  kvmppc_h_enter: 'book3s_hv_rm_mmu.c',
  kvmppc_virtmode_h_enter: 'book3s_64_mmu_hv.c',
  kvmppc_get_guest_page: 'book3s_64_mmu_hv.c',
  kvmppc_h_remove: 'book3s_hv_rm_mmu.c',
  kvmppc_h_read: 'book3s_hv_rm_mmu.c',
  kvmppc_h_protect: 'book3s_hv_rm_mmu.c',
  kvmppc_h_bulk_remove: 'book3s_hv_rm_mmu.c',
};

export interface ExplainFrame {
  fn: HandlerFn;
  line: number;
}

export class Explanation {
  readonly checks: readonly Check[];
  readonly deciding: Check | undefined;
  cursor = 0;
  private readonly texts = new Map<HandlerFn, string>();

  constructor(
    readonly record: number,
    readonly traceLine: number,
    readonly hcallName: string,
    res: HcallResult,
    readonly kernel: KernelVariant,
  ) {
    this.checks = res.checks?.checks ?? [];
    this.deciding = decidingCheck(this.checks, res.ret === 0);
  }

  get current(): Check {
    return this.checks[this.cursor];
  }

  private defs(fn: HandlerFn) {
    return CHECKS.filter((c) => c.fn === fn && (!c.variants || c.variants.includes(this.kernel)));
  }

  /** 1-based line of a check in its function's source (line 1 is the header). */
  lineOf(id: string, fn: HandlerFn): number {
    return 2 + this.defs(fn).findIndex((c) => c.id === id);
  }

  /** Frames for the current check, innermost first. */
  frames(): ExplainFrame[] {
    const c = this.current;
    const out: ExplainFrame[] = [{ fn: c.fn, line: this.lineOf(c.id, c.fn) }];
    const before = this.checks.slice(0, this.cursor);
    if (c.fn === 'kvmppc_get_guest_page')
      out.push({ fn: 'kvmppc_virtmode_h_enter', line: this.lineOf('virt.get_page', 'kvmppc_virtmode_h_enter') });
    else if (c.fn === 'kvmppc_h_enter' && before.some((x) => x.fn === 'kvmppc_virtmode_h_enter'))
      out.push({ fn: 'kvmppc_virtmode_h_enter', line: this.lineOf('virt.retry', 'kvmppc_virtmode_h_enter') });
    return out;
  }

  /** The annotated source of one handler for this hcall. */
  text(fn: HandlerFn): string {
    const cached = this.texts.get(fn);
    if (cached) return cached;
    const lines = [
      `/* ${fn} (${FILES[fn]}, kernel ${this.kernel}) — ${this.hcallName} at trace line ${this.traceLine}; ✓ passed, ✗ failed, · not reached, ▶ decided */`,
    ];
    for (const def of this.defs(fn)) {
      const evals = this.checks.filter((c) => c.id === def.id);
      const decides = this.deciding && this.deciding.id === def.id;
      const mark = decides ? '▶' : evals.length === 0 ? '·' : evals.some((c) => !c.ok) ? '✗' : '✓';
      let note = evals
        .map((c, k) => (evals.length > 1 ? `pass ${k + 1}: ` : '') + c.detail + (c.note ? ` [${c.note}]` : ''))
        .join(' | ');
      if (decides && this.deciding!.result) note += `  <== decides ${this.deciding!.result}`;
      lines.push(`${mark} ${def.code}${note ? '    // ' + note : ''}`);
    }
    const t = lines.join('\n') + '\n';
    this.texts.set(fn, t);
    return t;
  }

  /** "kvmppc_h_enter: guest WIMG … (decides H_PARAMETER)" for stop descriptions. */
  describe(c: Check = this.current): string {
    return `${c.ok ? '✓' : '✗'} ${c.fn}: ${c.detail}${c.result ? ` → ${c.result}` : ''}${this.deciding === c ? ' (deciding check)' : ''}`;
  }
}
