/** Trace format version 2: coverage and hpte records, `?` arguments and `-> ?` results, through parser, replay, engine and editor model. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { coverageMessage, launchCoverageNote, readCoverage, resultLabel } from '../../../src/core/coverage';
import { Engine, F } from '../../../src/core/engine';
import { parseAll, parseStrict } from '../../../src/core/parser';
import { HcallRecord } from '../../../src/core/records';
import { TraceModel } from '../../../src/extension/traceModel';
import { hoverAt } from '../../../src/extension/hoverText';
import { replayText } from '../../helpers/captures';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-v2-'));
const SETUP = `host page=64K
hpt order=18
vma 0x7fff00000000-0x7fff10000000 anon page=16M pfn=0x100000
memslot 0 gpa=0x0 size=256M hva=0x7fff00000000
`;
const firstError = (text: string) => parseAll(text, 't.hptrace').errors[0]?.message;

test('version 1 files read unchanged; version 2 syntax in them is refused with its position', () => {
  assert.equal(parseStrict('hptrace 1\n' + SETUP + 'hcall H_READ 0x0 0x40\n', 't').length, 6);
  assert.match(
    firstError('hptrace 1\nhcall H_READ 0x0 ?\n')!,
    /^t\.hptrace:2:18: an unknown argument "\?" needs format version 2/,
  );
  assert.match(
    firstError('hptrace 1\nhcall H_READ 0x0 0x1 -> ?\n')!,
    /^t\.hptrace:2:25: an unknown result "-> \?" needs format version 2/,
  );
  assert.match(
    firstError('hptrace 1\ncoverage complete\n')!,
    /^t\.hptrace:2:1: the coverage record needs format version 2/,
  );
  assert.match(
    firstError('hptrace 1\nhpte 0x1 v=0x1 r=0x0\n')!,
    /^t\.hptrace:2:1: the hpte record needs format version 2/,
  );
  assert.match(firstError('hptrace 3\n')!, /unsupported format version 3; this reader knows versions 1 and 2/);
});

test('coverage record: complete|partial, known reasons, once, before any hpte and hcall', () => {
  const recs = parseStrict('hptrace 2\ncoverage partial why=real-mode,no-outputs from=ftrace,htab host=power7\n', 't');
  assert.deepEqual(recs[1], {
    kind: 'coverage',
    line: 2,
    coverage: 'partial',
    why: ['real-mode', 'no-outputs'],
    from: ['ftrace', 'htab'],
    host: 'power7',
  });
  assert.match(
    firstError('hptrace 2\ncoverage maybe\n')!,
    /:2:10: coverage: expected "complete" or "partial", found "maybe"/,
  );
  assert.match(
    firstError('hptrace 2\ncoverage partial why=real-mode,bored\n')!,
    /:2:32: coverage why: unknown reason "bored"/,
  );
  assert.match(
    firstError('hptrace 2\ncoverage partial host=power10\n')!,
    /:2:23: coverage host: expected power7, power8, power9/,
  );
  assert.match(
    firstError('hptrace 2\ncoverage partial\ncoverage complete\n')!,
    /:3:1: the coverage record may appear only once/,
  );
  assert.match(
    firstError('hptrace 2\nhcall H_READ 0x0 0x1\ncoverage complete\n')!,
    /:3:1: the coverage record must come before the first hpte and hcall/,
  );
});

test('hpte record: loads an entry as starting state; H_READ and H_REMOVE see it; refused in the wrong place', () => {
  const t =
    'hptrace 2\n' +
    SETUP +
    'hpte 0x40 v=0x4000000000010005 r=0x100000000190 guest_r=0x190\n' +
    'hcall H_READ flags=0x0 pte_index=0x40 -> H_SUCCESS r4=0x4000000000010005\n' +
    'hcall H_REMOVE flags=0x0 pte_index=0x40 avpn=0x0 -> H_SUCCESS\n' +
    'hcall H_REMOVE flags=0x0 pte_index=0x40 avpn=0x0 -> H_NOT_FOUND\n';
  const r = replayText(t);
  assert.deepEqual(r.results, ['H_SUCCESS', 'H_SUCCESS', 'H_NOT_FOUND']);
  assert.equal(r.diverged, 0);
  assert.match(
    firstError('hptrace 2\nhcall H_READ 0x0 0x1\nhpte 0x1 v=0x1 r=0x0\n')!,
    /:3:1: hpte records load the starting state: they must come before the first hcall/,
  );
  assert.match(firstError('hptrace 2\nhpte 0x1 v=0x4 r=0x0\n')!, /:2:12: hpte v: the entry is not valid/);
  assert.match(firstError('hptrace 2\nhpte 0x1 v=0x41 r=0x0\n')!, /HVLOCK/);
  assert.match(firstError('hptrace 2\nhpte 0x1 v=0x1\n')!, /hpte: missing field r=/);
  assert.match(
    firstError('hptrace 2\nhpte 0x1 v=0x1 r=0x0\nhpt order=20\n')!,
    /:3:1: the HPT order must be set before the first hpte record/,
  );
  assert.throws(
    () => replayText('hptrace 2\nhpt order=18\nhpte 0x4000 v=0x1 r=0x0\n'),
    /:3:6: hpte index 0x4000 is beyond the 0x4000 HPTEs of hpt order 18/,
  );
  assert.throws(
    () => replayText('hptrace 2\nhpte 0x7 v=0x1 r=0x0\nhpte 0x7 v=0x1 r=0x0\n'),
    /:3:6: HPT entry 0x7 is already loaded/,
  );
});

test('unknown arguments: an hcall that needs one is not run (result unknown, no state change, no divergence)', () => {
  const t =
    'hptrace 2\n' +
    SETUP +
    'hcall H_ENTER flags=0x0 pte_index=0x40 pteh=0x4000000000010005 ptel=? -> H_SUCCESS\n' +
    'hcall H_READ flags=0x0 pte_index=0x40 -> H_SUCCESS\n' +
    'hcall H_REMOVE 0x0 ? 0x0 -> H_NOT_FOUND\n';
  const recs = parseStrict(t, 't');
  assert.equal((recs[5] as HcallRecord).unknownArgs, 1 << 3);
  assert.equal((recs[7] as HcallRecord).unknownArgs, 1 << 1);
  const r = replayText(t);
  assert.deepEqual(r.results, ['unknown', 'H_SUCCESS', 'unknown']);
  assert.equal(r.diverged, 0);
  // the H_READ sees an empty entry: the unknown H_ENTER wrote nothing
  const model = new TraceModel(t, 't.hptrace');
  const out = model.replay();
  assert.deepEqual(out.get(7)!.out, { r4: '0x0', r5: '0x0' });
  assert.equal(out.get(6)!.ret, 'unknown');
  assert.equal(out.get(6)!.diverged, false);
  // hover on the `?` says unknown, not a number
  const line = t.split('\n')[5];
  const h = hoverAt(model, 6, line.indexOf('?'), line)!;
  assert.match(h.markdown, /\*\*ptel\*\*: unknown/);
});

test('H_BULK_REMOVE with w4..w7 unknown: known pairs run; the result is unknown unless the call ended before them', () => {
  const t =
    'hptrace 2\n' +
    SETUP +
    'hcall H_ENTER flags=0x0 pte_index=0x40 pteh=0x4000000000010005 ptel=0x110 -> H_SUCCESS\n' +
    'hcall H_ENTER flags=0x0 pte_index=0x48 pteh=0x4000000000010005 ptel=0x110 -> H_SUCCESS\n' +
    'hcall H_BULK_REMOVE w0=0x4000000000000040 w1=0x0 w2=0xc000000000000000 w3=0x0 w4=? w5=? w6=? w7=? -> H_SUCCESS\n' +
    'hcall H_BULK_REMOVE w0=0x4000000000000048 w1=0x0 w2=0x4000000000000050 w3=0x0 w4=? w5=? w6=? w7=? -> H_SUCCESS\n' +
    'hcall H_READ flags=0x0 pte_index=0x48\n' +
    'hcall H_BULK_REMOVE w0=0x4000000000100000 w1=0x0 w2=0x0 w3=0x0 w4=? w5=? w6=? w7=? -> H_PARAMETER\n';
  const r = replayText(t);
  // pair 0 ends the first (known), the second runs two pairs and then is unknown, the third fails in pair 0
  assert.deepEqual(r.results, ['H_SUCCESS', 'H_SUCCESS', 'H_SUCCESS', 'unknown', 'H_SUCCESS', 'H_PARAMETER']);
  const model = new TraceModel(t, 't.hptrace');
  // the known pair of the unknown call did remove entry 0x48: H_READ sees v = 0
  assert.equal(model.replay().get(10)!.out.r4, '0x0');
  // registers from the first unknown pair on are not shown as values
  assert.deepEqual(Object.keys(model.replay().get(8)!.out), ['r4', 'r5', 'r6', 'r7']);
  assert.deepEqual(model.replay().get(9)!.out, {});
});

test('-> ? is an unknown recorded result: never a divergence, "unknown" in JSON', () => {
  assert.match(firstError('hptrace 2\nhcall H_READ 0x0 0x1 -> ? r4=0x0\n')!, /takes no recorded registers/);
  const t = 'hptrace 2\n' + SETUP + 'hcall H_READ flags=0x0 pte_index=0x40 -> ?\n';
  const rec = parseStrict(t, 't')[5] as HcallRecord;
  assert.equal(rec.recorded, null);
  assert.equal(rec.resultUnknown, true);
  assert.equal(replayText(t).diverged, 0);
});

test('the engine flags unknown results; the debugger label says unknown; a re-read record keeps its ?', () => {
  const f = path.join(tmp, 'unknown.hptrace');
  fs.writeFileSync(
    f,
    'hptrace 2\ncoverage partial why=host-unknown,bulk-truncated from=perf\n' +
      SETUP +
      'hcall H_BULK_REMOVE w0=0x4000000000000048 w1=0x0 w2=0x4000000000000050 w3=0x0 w4=? w5=? w6=? w7=?\nhcall H_READ 0x0 0x1\n',
  );
  const e = new Engine(f);
  try {
    e.ensure(100);
    const bulk = e.recordAtLine(7);
    const read = e.recordAtLine(8);
    assert.ok(e.flags(bulk) & F.UNKNOWN);
    assert.equal(e.flags(read) & F.UNKNOWN, 0);
    assert.equal(resultLabel(e, bulk), 'unknown');
    assert.equal(resultLabel(e, read), 'H_SUCCESS');
    e.record(read); // moves the cache away
    assert.equal((e.record(bulk) as HcallRecord).unknownArgs, 0xf0);
  } finally {
    e.close();
  }
  const note = launchCoverageNote(f)!;
  assert.equal(note.partial, true);
  assert.match(note.text, /^This trace is PARTIAL: .*not given.*first two pairs.*\(Imported from perf\.\)$/);
});

test('readCoverage: null for version 1 and for a version 2 trace without one; message for complete', () => {
  const v1 = path.join(tmp, 'v1.hptrace');
  fs.writeFileSync(v1, 'hptrace 1\nhcall H_READ 0x0 0x1\n');
  assert.equal(readCoverage(v1), null);
  const v2 = path.join(tmp, 'v2.hptrace');
  fs.writeFileSync(v2, 'hptrace 2\nhcall H_READ 0x0 0x1\ncoverage complete\n');
  assert.equal(readCoverage(v2), null);
  assert.equal(readCoverage(path.join(tmp, 'missing.hptrace')), null);
  assert.equal(
    coverageMessage({
      kind: 'coverage',
      line: 2,
      coverage: 'complete',
      why: ['virtual-mode'],
      from: ['trace-cmd'],
      host: 'power9',
    }),
    'This trace is COMPLETE: it holds every HPT hcall the guest made while the capture ran. The host (POWER9 path) runs the HPT hcalls in virtual mode, so every one of them passed the kvm_hcall tracepoints. (Imported from trace-cmd; host power9.)',
  );
});

test('hover on the coverage record says what the capture holds', () => {
  const t = 'hptrace 2\ncoverage partial why=real-mode from=ftrace host=power7  # imported\n';
  const model = new TraceModel(t, 't.hptrace');
  const h = hoverAt(model, 2, 3, t.split('\n')[1])!;
  assert.match(h.markdown, /^This trace is PARTIAL: .*real mode/);
  assert.equal(hoverAt(model, 2, t.split('\n')[1].indexOf('imported'), t.split('\n')[1]), undefined);
});
