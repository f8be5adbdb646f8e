/**
 * What the editor features know about one version of a trace document: the parser's collect-all
 * result, the host-state errors a static pass over the configuration records finds, the machine
 * state at any line, and (on demand, for small files) the emulated result of every hcall.
 * No vscode import: hover, inlay hints, symbols and diagnostics are unit-tested through this.
 */
import { returnCodeName } from '../core/bits';
import { decidingCheck } from '../core/explain';
import { HcallResult } from '../core/handlers';
import { KernelVariant, Machine } from '../core/machine';
import { parseAll } from '../core/parser';
import { HcallRecord, TraceError, TraceRecord } from '../core/records';
import { applyRecord, divergenceDetails, diverged, outObject, resultUnknown } from '../core/replay';

export interface HcallOutcome {
  line: number;
  /** Return code name the guest sees, or null for hcalls the emulation passes over. */
  ret: string | null;
  /** The deciding check's words (for failures and fix-ups), or ''. */
  detail: string;
  out: Record<string, string>;
  madeCacheable: boolean;
  diverged: boolean;
  divergence: string[];
  slot: number;
  physIndex: number;
}

export class TraceModel {
  readonly records: TraceRecord[];
  readonly parseErrors: TraceError[];
  /** Records that parse but that the host state refuses (overlapping vma, unknown memslot …). */
  readonly validationErrors: TraceError[] = [];
  readonly byLine = new Map<number, TraceRecord>();
  /** Configuration and host records the machine accepted, in trace order. */
  private readonly setup: TraceRecord[] = [];
  private outcomes: Map<number, HcallOutcome> | null = null;

  constructor(
    readonly text: string,
    readonly file: string,
    readonly kernel: KernelVariant = 'io',
  ) {
    const r = parseAll(text, file);
    this.records = r.records;
    this.parseErrors = r.errors;
    const m = new Machine(kernel, file);
    for (const rec of this.records) {
      this.byLine.set(rec.line, rec);
      if (rec.kind === 'hcall' || rec.kind === 'header') continue;
      try {
        applyRecord(m, rec);
        this.setup.push(rec);
      } catch (e) {
        if (!(e instanceof TraceError)) throw e;
        this.validationErrors.push(e);
      }
    }
  }

  get errors(): TraceError[] {
    return [...this.parseErrors, ...this.validationErrors];
  }

  get hcalls(): HcallRecord[] {
    return this.records.filter((r): r is HcallRecord => r.kind === 'hcall');
  }

  /** The host as configured by the accepted records above `line` (hcalls are not run). */
  machineAt(line: number): Machine {
    const m = new Machine(this.kernel, this.file);
    for (const rec of this.setup) {
      if (rec.line >= line) break;
      applyRecord(m, rec);
    }
    return m;
  }

  private hostCache: Machine | null = null;
  /** The host after every configuration record: CPU, page size and HPT order are fixed by then. */
  host(): Machine {
    return (this.hostCache ??= this.machineAt(Number.POSITIVE_INFINITY));
  }

  /** Replays the whole trace once with explanations; later calls reuse the result. */
  replay(): Map<number, HcallOutcome> {
    if (this.outcomes) return this.outcomes;
    const out = new Map<number, HcallOutcome>();
    const m = new Machine(this.kernel, this.file);
    const accepted = new Set(this.setup);
    for (const rec of this.records) {
      if (rec.kind === 'header') continue;
      if (rec.kind !== 'hcall') {
        if (accepted.has(rec)) applyRecord(m, rec);
        continue;
      }
      const res = applyRecord(m, rec, true) as HcallResult;
      out.set(rec.line, outcomeOf(rec, res));
    }
    this.outcomes = out;
    return out;
  }

  get replayed(): boolean {
    return this.outcomes !== null;
  }
}

function outcomeOf(rec: HcallRecord, res: HcallResult): HcallOutcome {
  const checks = res.checks?.checks ?? [];
  const ok = res.ret === 0;
  const c = decidingCheck(checks, ok);
  let detail = '';
  if (res.ret !== null && !ok && c) detail = c.detail;
  else if (res.madeCacheable) detail = checks.find((x) => x.note)?.detail ?? 'made cacheable';
  return {
    line: rec.line,
    ret: res.ret === null ? (resultUnknown(rec, res) ? 'unknown' : null) : returnCodeName(res.ret),
    detail,
    out: outObject(res),
    madeCacheable: res.madeCacheable,
    diverged: diverged(rec, res),
    divergence: divergenceDetails(rec, res),
    slot: res.slot,
    physIndex: res.physIndex,
  };
}
