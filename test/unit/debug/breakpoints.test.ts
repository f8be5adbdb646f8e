/** Breakpoint guards (conditions, hit counts, log messages), the registry's filters and data ids. */
import { test, describe } from 'node:test';
import * as assert from 'node:assert/strict';
import { dataBreakpoint, dataIdOfExpression } from '../../../src/debug/breakpoints/data';
import { parseBreakOn } from '../../../src/debug/breakpoints/exceptions';
import { makeGuard, parseHit } from '../../../src/debug/breakpoints/guards';
import { Breakpoints, hcallOf } from '../../../src/debug/breakpoints/registry';
import { dataLabel, formatDataId, parseDataId } from '../../../src/debug/protocol';

describe('guards', () => {
  test('hit counts: N means >= N, and the comparison forms', () => {
    const t = (s: string) => [1, 2, 3, 4, 6].filter(parseHit(s));
    assert.deepEqual(t('3'), [3, 4, 6]);
    assert.deepEqual(t('== 3'), [3]);
    assert.deepEqual(t('> 3'), [4, 6]);
    assert.deepEqual(t('<= 2'), [1, 2]);
    assert.deepEqual(t('< 2'), [1]);
    assert.deepEqual(t('% 2'), [2, 4, 6]);
    assert.throws(() => parseHit('% 0'), /hit count % 0/);
    assert.throws(() => parseHit('often'), /hit count "often": expected N/);
    assert.throws(() => parseHit('9'.repeat(400)), /expected N/);
  });

  test('conditions are parsed and their names checked when set', () => {
    assert.ok(makeGuard('ptel.I && slot.io').condition);
    assert.throws(() => makeGuard('ptel.Q'), /ptel has no field Q/);
    assert.throws(() => makeGuard('toString'), /unknown name toString/);
    assert.throws(() => makeGuard('1 +'), /ends too early/);
    assert.equal(makeGuard('  ').condition, undefined);
  });

  test('log messages: every {expression} is checked, and the message is bounded', () => {
    assert.equal(makeGuard(undefined, undefined, 'w={ptel.WIMG}').logMessage, 'w={ptel.WIMG}');
    assert.throws(() => makeGuard(undefined, undefined, '{nosuch}'), /unknown name nosuch/);
    assert.throws(() => makeGuard(undefined, undefined, '{1}'.repeat(100)), /more than 64/);
  });

  test('odd types from a client are ignored, not crashes', () => {
    const g = makeGuard(42 as never, {} as never, [] as never);
    assert.deepEqual(g, { hits: 0 });
  });
});

describe('registry', () => {
  test('exception filters: defaults, seeded by breakOn, replaced by the client', () => {
    const b = new Breakpoints();
    assert.deepEqual(
      b.exceptions.map((x) => x.filter),
      ['H_PARAMETER', 'divergence'],
    );
    b.seedExceptions(['H_PTEG_FULL', 'H_PARAMETER']);
    assert.deepEqual(
      b.exceptions.map((x) => x.filter),
      ['H_PARAMETER', 'divergence', 'H_PTEG_FULL'],
    );
    b.setExceptions([]);
    assert.deepEqual(b.exceptions, []);
  });

  test('breakOn takes a list or one name, and names what it does not know', () => {
    assert.deepEqual(parseBreakOn('H_PARAMETER'), ['H_PARAMETER']);
    assert.deepEqual(parseBreakOn(['divergence']), ['divergence']);
    assert.deepEqual(parseBreakOn(undefined), []);
    assert.throws(() => parseBreakOn('H'), /unknown breakOn filter "H"; expected H_PARAMETER, failure/);
    assert.throws(() => parseBreakOn(['H_PARAMETER', 7]), /unknown breakOn filter 7/);
    assert.throws(() => parseBreakOn({}), /"breakOn" must be a list/);
  });

  test('function breakpoints by hcall name or number', () => {
    assert.equal(hcallOf('H_ENTER'), 8);
    assert.equal(hcallOf(' 0x8 '), 8);
    assert.throws(() => hcallOf('H_NOPE'), /unknown hcall "H_NOPE"/);
    assert.throws(() => hcallOf('constructor'), /unknown hcall "constructor"/);
  });
});

describe('data breakpoint ids (protocol.ts)', () => {
  test('format and parse are inverse; labels read like the expressions', () => {
    for (const w of [
      { kind: 'hpt' as const, index: 0x41 },
      { kind: 'slot_phys' as const, slot: 1, index: 0x10 },
    ])
      assert.deepEqual(parseDataId(formatDataId(w)), w);
    assert.equal(formatDataId({ kind: 'hpt', index: 65 }), 'hpt:65');
    assert.equal(formatDataId({ kind: 'slot_phys', slot: 0, index: 16 }), 'slot_phys:0:16');
    assert.equal(dataLabel({ kind: 'slot_phys', slot: 0, index: 16 }), 'slot_phys[0][0x10]');
    assert.equal(parseDataId('hpt:x'), undefined);
    assert.equal(parseDataId('slot_phys:1'), undefined);
  });

  test('an expression names a data id; a bad id is refused with its text', () => {
    assert.deepEqual(dataIdOfExpression('HPT[0x41]'), { dataId: 'hpt:65', description: 'HPT[0x41]' });
    assert.deepEqual(dataIdOfExpression(' slot_phys[1][16] '), {
      dataId: 'slot_phys:1:16',
      description: 'slot_phys[1][0x10]',
    });
    assert.equal(dataIdOfExpression('ptel'), undefined);
    assert.equal(dataBreakpoint(3, 'hpt:65').label, 'HPT[0x41]');
    assert.throws(() => dataBreakpoint(3, 'mem:1'), /unknown data id mem:1/);
  });
});
