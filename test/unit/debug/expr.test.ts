/** The expression language: defined 64-bit arithmetic, bounds on every operation and on size and depth. */
import { test, describe } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  Expr,
  interpolate,
  MAX_DEPTH,
  MAX_SOURCE,
  NONE,
  Resolver,
  showValue,
  templateParts,
  wrap64,
} from '../../../src/debug/expr';

const none: Resolver = () => undefined;
const ev = (src: string, r: Resolver = none) => Expr.parse(src).evaluate(r);
const show = (src: string, r: Resolver = none) => showValue(ev(src, r));
const M64 = (1n << 64n) - 1n;

describe('expr: arithmetic wraps modulo 2^64', () => {
  test('C precedence and the kernel constants', () => {
    assert.equal(ev('1 + 2 * 3'), 7n);
    assert.equal(ev('(1 + 2) * 3'), 9n);
    assert.equal(ev('1 << 4 | 1'), 17n);
    assert.equal(ev('H_PARAMETER'), -4n);
    assert.equal(ev('H_ENTER'), 8n);
    assert.equal(ev('1 == 1 && 2 > 1'), 1n);
  });

  test('results above 2^64-1 wrap to the unsigned word', () => {
    assert.equal(ev('0xffffffffffffffff + 1'), 0n);
    assert.equal(ev('0xffffffffffffffff + 2'), 1n);
    assert.equal(ev('0x8000000000000000 * 2'), 0n);
    assert.equal(ev('0x100000000 * 0x100000000'), 0n);
    assert.equal(ev('1 << 63'), 1n << 63n);
    assert.equal(ev('3 << 63'), 1n << 63n);
    assert.equal(ev('~0'), M64);
  });

  test("negative results stay negative while they fit in two's complement", () => {
    assert.equal(ev('0 - 1'), -1n);
    assert.equal(ev('-4'), -4n);
    assert.equal(show('-4'), '-4');
    assert.equal(ev('-0x8000000000000000'), -(1n << 63n));
    assert.equal(ev('-0x8000000000000000 - 1'), (1n << 63n) - 1n); // wraps
    assert.equal(ev('-1 & 0xff'), 0xffn);
  });

  test('== compares 64-bit words, < compares values', () => {
    assert.equal(ev('-1 == 0xffffffffffffffff'), 1n);
    assert.equal(ev('-1 != ~0'), 0n);
    assert.equal(ev('-1 < 0'), 1n);
    assert.equal(ev('H_PARAMETER < 0'), 1n);
  });

  test('shift counts outside 0..63 are errors that name the operator', () => {
    assert.throws(() => ev('1 << 64'), /shift count 64 is out of range for << \(0\.\.63\)/);
    assert.throws(() => ev('1 >> -1'), /shift count -1 is out of range for >>/);
    assert.equal(ev('0x8000000000000000 >> 63'), 1n);
    assert.equal(ev('-8 >> 1'), -4n);
  });

  test('division by zero is an error naming the operator', () => {
    assert.throws(() => ev('1 / 0'), /division by zero \(\/\)/);
    assert.throws(() => ev('1 % 0'), /division by zero \(%\)/);
    assert.equal(ev('-7 / 2'), -3n);
  });

  test('wrap64 is the identity on the value range and reduces everything else', () => {
    for (const x of [0n, 1n, -1n, M64, -(1n << 63n)]) assert.equal(wrap64(x), x);
    assert.equal(wrap64(1n << 64n), 0n);
    assert.equal(wrap64(-(1n << 64n)), 0n);
    assert.equal(wrap64((1n << 200n) + 5n), 5n);
  });

  test('NONE is falsy and spreads through arithmetic', () => {
    const r: Resolver = (p) => (p[0] === 'ptel' ? NONE : undefined);
    assert.equal(ev('ptel + 1', r), NONE);
    assert.equal(ev('ptel == 0', r), 0n);
    assert.equal(ev('ptel != 0', r), 1n);
    assert.equal(show('ptel', r), '(none)');
  });

  test('numbers beyond 64 bits are refused', () => {
    assert.throws(() => ev('0x10000000000000000'), /not a 64-bit number/);
    assert.throws(() => ev('0xffffffffffffffffG'), /not a 64-bit number/);
    assert.equal(ev('16M'), 16n * 1024n * 1024n);
  });
});

describe('expr: bounds', () => {
  test('huge shifts answer at once instead of allocating (B1)', () => {
    const t0 = performance.now();
    assert.throws(() => ev('1 >> -1000000000'), /out of range for >>/);
    assert.throws(() => ev('1 << 1000000000'), /out of range for <</);
    assert.ok(performance.now() - t0 < 1000);
    assert.match(interpolate('x={1 >> -200000000}', none), /^x=<shift count -200000000 is out of range for >>/);
  });

  test('repeated multiplication stays within 64 bits', () => {
    const src = Array.from({ length: 150 }, () => '0xffffffffffffffff').join(' * ');
    const v = ev(src) as bigint;
    assert.ok(v >= -(1n << 63n) && v <= M64);
  });

  test('expression size and nesting depth are bounded', () => {
    assert.throws(() => Expr.parse('1+'.repeat(MAX_SOURCE) + '1'), /characters long; at most 4096/);
    assert.throws(() => Expr.parse('('.repeat(MAX_DEPTH + 1) + '1' + ')'.repeat(MAX_DEPTH + 1)), /nests too deeply/);
    assert.throws(() => Expr.parse('-'.repeat(MAX_DEPTH + 1) + '1'), /nests too deeply/);
    assert.equal(ev('('.repeat(MAX_DEPTH) + '1' + ')'.repeat(MAX_DEPTH)), 1n);
  });

  test('log messages are bounded in length and in the number of expressions', () => {
    assert.throws(() => templateParts('{1}'.repeat(65)), /more than 64 \{expressions\}/);
    assert.throws(() => templateParts('x'.repeat(20000)), /at most 16384/);
    assert.deepEqual(templateParts('a{b}c'), ['a', { expr: 'b' }, 'c']);
    assert.equal(interpolate('{1}'.repeat(65), none), '<the log message has more than 64 {expressions}>');
  });
});

describe('expr: names', () => {
  test('an unknown name is an error that names it; prototype names are not names (B6)', () => {
    assert.throws(() => ev('nosuchname'), /unknown name nosuchname/);
    assert.throws(() => ev('toString'), /unknown name toString/);
    assert.throws(() => ev('constructor.x'), /unknown name constructor\.x/);
    assert.throws(() => ev('__proto__'), /unknown name __proto__/);
    assert.throws(() => ev('hasOwnProperty + 1'), /unknown name hasOwnProperty/);
  });

  test('names() lists the names that are not constants', () => {
    assert.deepEqual(Expr.parse('ptel.I && ret == H_PARAMETER || true').names(), [['ptel', 'I'], ['ret']]);
  });
});
