/** The name resolver: which names exist (unknownName) and what they resolve to at a stop (hcallResolver). */
import { test, describe } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { Engine } from '../../../src/core/engine';
import { hcallResolver, unknownName } from '../../../src/debug/context';
import { evaluateText } from '../../../src/debug/evaluate';
import { Expr, NONE } from '../../../src/debug/expr';
import { CONFORMANCE_DIR } from '../../helpers/paths';

const IO_BAR = path.join(CONFORMANCE_DIR, 'io-bar.hptrace');

/** An engine standing after the hcall on `line` of io-bar, and a resolver for it. */
function at(line: number) {
  const e = new Engine(IO_BAR, 'io');
  while (e.explore());
  const k = e.recordFromLine(line);
  e.seek(k + 1);
  return { e, k, r: hcallResolver(e, k, true, () => e.explain(k)) };
}

describe('unknownName', () => {
  test('known names and fields', () => {
    for (const n of [
      'hcall',
      'ptel',
      'ptel.WIMG',
      'pteh.V',
      'slot',
      'slot.io',
      'slot_phys.pfn',
      'out.r4',
      'hpte.guest_r',
      'r4',
    ])
      assert.equal(unknownName(n.split('.')), undefined, n);
  });

  test('unknown names and members are named, with what exists', () => {
    assert.equal(unknownName(['nosuch']), 'unknown name nosuch');
    assert.equal(
      unknownName(['ptel', 'Q']),
      `ptel has no field Q; it has ${unknownName(['ptel', 'Q'])!.split('it has ')[1]}`,
    );
    assert.match(unknownName(['ptel', 'Q'])!, /WIMG/);
    assert.match(unknownName(['slot', 'nope'])!, /^slot has no field nope; it has id, io/);
    assert.match(unknownName(['hpte', 'x'])!, /^hpte has no field x; it has v, r, guest_r/);
    assert.equal(unknownName(['hcall', 'anything']), 'hcall has no field anything');
    assert.match(unknownName(['a', 'b', 'c'])!, /^unknown name a\.b\.c/);
  });

  test('names from the object prototype are unknown (B6)', () => {
    for (const n of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])
      assert.equal(unknownName([n]), `unknown name ${n}`, n);
    assert.equal(unknownName(['constructor', 'x']), 'unknown name constructor.x');
    assert.match(unknownName(['ptel', 'constructor'])!, /^ptel has no field constructor/);
    assert.match(unknownName(['slot', 'toString'])!, /^slot has no field toString/);
  });
});

describe('hcallResolver', () => {
  test('resolves the hcall, its arguments and decoded fields after it ran', () => {
    const { e, r } = at(22);
    try {
      const v = (s: string) => Expr.parse(s).evaluate(r);
      assert.equal(v('hcall == H_ENTER'), 1n);
      assert.equal(v('ret == H_PARAMETER'), 1n);
      assert.equal(v('ptel'), 0x20001106an);
      assert.equal(v('ptel.WIMG'), 0xdn);
      assert.equal(v('pte_index'), 0x118n);
      assert.equal(v('line'), 22n);
      assert.equal(v('slot'), 1n);
      assert.notEqual(v('slot.io'), 0n);
    } finally {
      e.close();
    }
  });

  test('prototype names and members of simple names do not resolve (B6)', () => {
    const { e, r } = at(22);
    try {
      assert.equal(r(['toString']), undefined);
      assert.equal(r(['constructor', 'x']), undefined);
      assert.equal(r(['hcall', 'anything']), undefined);
      assert.equal(r(['ptel', 'constructor']), undefined);
      assert.throws(() => Expr.parse('hcall.anything').evaluate(r), /unknown name hcall\.anything/);
      // The console names the unknown member too.
      assert.throws(() => evaluateText('hcall.anything', 'watch', e.m, r), /hcall has no field anything/);
      assert.throws(() => evaluateText('constructor.x', 'repl', e.m, r), /unknown name constructor\.x/);
      assert.throws(() => evaluateText('toString', 'hover', e.m, r), /unknown name toString/);
    } finally {
      e.close();
    }
  });

  test('before the hcall ran (entry stop) the result names are NONE', () => {
    const e = new Engine(IO_BAR, 'io');
    try {
      while (e.explore());
      const k = e.recordFromLine(14);
      e.seek(k);
      const r = hcallResolver(e, k, false, () => null);
      assert.equal(r(['ret']), NONE);
      assert.equal(r(['out', 'r4']), NONE);
      assert.equal(r(['pte_index']), 0x100n);
    } finally {
      e.close();
    }
  });
});
