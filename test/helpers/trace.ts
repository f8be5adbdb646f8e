/** Test helpers: build a machine from trace text and run hcalls through it. */
import { executeHcall, HcallResult } from '../../src/core/handlers';
import { KernelVariant, Machine } from '../../src/core/machine';
import { parseLine, newParserState, ParserState } from '../../src/core/parser';
import { applyRecord, finalState } from '../../src/core/replay';
import { HcallRecord } from '../../src/core/records';
import { returnCodeName } from '../../src/core/bits';
import { decidingCheck } from '../../src/core/explain';

export class Rig {
  readonly m: Machine;
  private readonly st: ParserState;
  private line = 0;
  constructor(setup: string, kernel: KernelVariant = 'io') {
    this.m = new Machine(kernel, 'test.hptrace');
    this.st = newParserState('test.hptrace');
    this.feed('hptrace 1\n' + setup);
  }
  feed(text: string): HcallResult[] {
    const out: HcallResult[] = [];
    for (const l of text.split('\n')) {
      const rec = parseLine(this.st, ++this.line, l);
      if (!rec) continue;
      const r = applyRecord(this.m, rec, true);
      if (r) out.push(r);
    }
    return out;
  }
  /** Runs one hcall line; returns the result with its return code name and deciding check. */
  call(line: string): HcallResult & { name: string; decided: string; detail: string; checkIds: string[] } {
    const rec = parseLine(this.st, ++this.line, line) as HcallRecord;
    const r = executeHcall(this.m, rec, true);
    const checks = r.checks!.checks;
    const c = decidingCheck(checks, r.ret === 0);
    return Object.assign(r, {
      name: r.ret === null ? 'null' : returnCodeName(r.ret),
      decided: c?.id ?? '',
      detail: c?.detail ?? '',
      checkIds: checks.map((x) => x.id),
    });
  }
  out(r: HcallResult, i: number): string {
    return '0x' + (BigInt(r.outHi[i]) * 2n ** 32n + BigInt(r.outLo[i])).toString(16);
  }
  hpt(index: number): { index: number; v: string; r: string; guest_r: string } | undefined {
    return finalState(this.m).hpt.find((e) => e.index === index);
  }
  slotPhys(slot: number, index: number): string | undefined {
    return finalState(this.m).slot_phys.find((e) => e.slot === slot && e.index === index)?.value;
  }
}

/** 64K host pages, order 18 HPT, RAM in 16M huge pages at gpa 0, a cache-inhibited BAR at 0x200000000. */
export const IO_SETUP = `cpu power7
host page=64K
hpt order=18
vma 0x7fff00000000-0x7fff10000000 anon page=16M pfn=0x100000
memslot 0 gpa=0x0 size=256M hva=0x7fff00000000
vma 0x3fff80000000-0x3fff80100000 pfnmap pgoff=0x200000 cache=I
memslot 1 gpa=0x200000000 size=1M hva=0x3fff80000000
`;
