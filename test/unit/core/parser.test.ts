/** The trace reader: records, and positioned errors that say what was expected. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAll, parseStrict } from '../../../src/core/parser';
import { HcallRecord, TraceError } from '../../../src/core/records';

function err(text: string): TraceError {
  try {
    parseStrict(text, 'f.hptrace');
  } catch (e) {
    assert.ok(e instanceof TraceError, String(e));
    return e;
  }
  assert.fail('expected an error');
}

test('named and positional hcall arguments, time stamp, vcpu, recorded result', () => {
  const recs = parseStrict(
    'hptrace 1\nhcall @1234.5 vcpu=1 H_ENTER 0x0 0x1f8 0x4000c0de00001005 0x2000000190 -> H_SUCCESS r4=0x1f9\nhcall 0x4 flags=0 pte_index=0x1f9 avpn=0x0\n',
    'f',
  );
  const h = recs[1] as HcallRecord;
  assert.equal(h.name, 'H_ENTER');
  assert.equal(h.time, 1234.5);
  assert.equal(h.vcpu, 1);
  assert.equal(h.argHi[2], 0x4000c0de);
  assert.equal(h.argLo[2], 0x00001005);
  assert.equal(h.recorded, 0);
  assert.deepEqual(h.recordedRegs, [{ reg: 4, hi: 0, lo: 0x1f9 }]);
  assert.equal((recs[2] as HcallRecord).name, 'H_REMOVE');
});

test('sizes with K/M/G, decimal numbers, comments and CRLF', () => {
  const recs = parseStrict('hptrace 1\r\n# c\r\nmemslot 1 gpa=0x200000000 size=64K hva=1048576 # trailing\r\n', 'f');
  const m = recs[1] as { size: number; hva: number };
  assert.equal(m.size, 65536);
  assert.equal(m.hva, 1048576);
});

test('missing header', () => {
  const e = err('cpu power7\n');
  assert.equal(e.line, 1);
  assert.equal(e.col, 1);
  assert.match(e.message, /^f\.hptrace:1:1: expected the header "hptrace 1"/);
});

test('bad number: position of the value and what was expected', () => {
  const e = err('hptrace 1\nhcall H_ENTER flags=0x0 pte_index=0x1g pteh=0x1 ptel=0x2\n');
  assert.equal(e.line, 2);
  assert.equal(e.col, 35);
  assert.match(e.detail, /expected a number/);
});

test('number wider than 64 bits', () => {
  assert.match(
    err('hptrace 1\nhcall H_READ flags=0x10000000000000000 pte_index=0\n').detail,
    /does not fit in 64 bits/,
  );
  assert.match(
    err('hptrace 1\nhcall H_READ flags=18446744073709551616 pte_index=0\n').detail,
    /does not fit in 64 bits/,
  );
  assert.doesNotThrow(() => parseStrict('hptrace 1\nhcall H_READ flags=18446744073709551615 pte_index=0\n', 'f'));
});

test('unknown keyword', () => {
  const e = err('hptrace 1\nvmx 0x0-0x1000 anon\n');
  assert.equal(e.col, 1);
  assert.match(e.detail, /unknown record "vmx"; expected one of hptrace, cpu/);
});

test('duplicate field', () => {
  const e = err('hptrace 1\nmemslot 0 gfn=0x0 npages=0x10 hva=0x0 gfn=0x1\n');
  assert.equal(e.col, 39);
  assert.match(e.detail, /duplicate field "gfn"/);
});

test('hcall names are case-sensitive; arguments must all be given', () => {
  assert.match(err('hptrace 1\nhcall h_enter 0 0 0 0\n').detail, /upper case/);
  assert.match(err('hptrace 1\nhcall H_ENTER flags=0 pte_index=0 pteh=0x1\n').detail, /missing argument ptel/);
  assert.match(err('hptrace 1\nhcall H_READ 0 0 0\n').detail, /too many arguments/);
});

test('configuration after the first hcall is refused', () => {
  assert.match(err('hptrace 1\nhcall H_READ 0 0\ncpu ppc970\n').detail, /before the first hcall/);
});

test('binary garbage gives a positioned error, not a crash', () => {
  const e = err('hptrace 1\n\u0000\u0001\u00ff\ufffd garbage\n');
  assert.equal(e.line, 2);
  assert.match(e.detail, /unknown record/);
});

test('a 1 MB line is refused with its position before any work on it', () => {
  const e = err('hptrace 1\nhcall H_READ ' + 'x'.repeat(1 << 20) + '\n');
  assert.equal(e.line, 2);
  assert.equal(e.detail, `line is ${(1 << 20) + 13} characters long (limit 65536)`);
});

test('collect-all mode reports every bad line and keeps the good records', () => {
  const r = parseAll('hptrace 1\nfoo\nhcall H_READ 0 0\nhcall H_READ 0 zz\nhcall H_READ 0 1 -> H_NOPE\n', 'f');
  assert.deepEqual(
    r.errors.map((e) => e.line),
    [2, 4, 5],
  );
  assert.equal(r.records.length, 2);
  assert.match(r.errors[2].detail, /expected a return code name/);
});

test('empty trace', () => {
  assert.match(err('').detail, /empty trace/);
});
