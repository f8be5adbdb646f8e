/**
 * The replay's fast paths must not change a thing: the byte scanner for hcall lines (parseHcallBytes,
 * also behind parseLine) against the general parser on many generated lines, well-formed and not;
 * the byte line reader against the string one; the CLI's JSON writer against stepJson/finalJson.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HCALLS, RETURN_CODES } from '../../../src/core/bits';
import { executeHcall, reusableResult } from '../../../src/core/handlers';
import { firstSyntaxError, forEachLine, forEachLineBytes } from '../../../src/core/lines';
import { Machine } from '../../../src/core/machine';
import {
  newHcallRecord,
  newParserState,
  parseAll,
  parseHcallBytes,
  parseLine,
  parseLineGeneric,
  ParserState,
  reusableHcallRecord,
} from '../../../src/core/parser';
import { HcallRecord, TraceRecord } from '../../../src/core/records';
import { applyRecord, diverged, finalJson, stepJson } from '../../../src/core/replay';
import { ByteSink, writeFinal, writeStep } from '../../../src/cli/jsonOut';
import { CONFORMANCE_DIR } from '../../helpers/paths';

/** mulberry32 */
function rng(seed: number) {
  let a = seed >>> 0;
  const u32 = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  const int = (n: number) => Math.floor((u32() / 4294967296) * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const chance = (p: number) => u32() / 4294967296 < p;
  return { u32, int, pick, chance };
}

type R = ReturnType<typeof rng>;

function hexDigits(r: R, n: number): string {
  let s = '';
  for (let k = 0; k < n; k++) s += '0123456789abcdefABCDEF'[r.int(22)];
  return s;
}

function value(r: R): string {
  switch (r.int(16)) {
    case 0:
      return String(r.u32());
    case 1:
      return String(r.u32() * 4294967296 + r.u32()); // may exceed 2^53: decimal text of a double
    case 2:
      return '18446744073709551615';
    case 3:
      return '18446744073709551616';
    case 4:
      return '0x' + hexDigits(r, 17);
    case 5:
      return '0x000' + hexDigits(r, 16);
    case 6:
      return r.pick(['0x', '0X1f', 'zz', '', '-1', '1.5', '0x1g', '0xé', '1#2', '0x1=2', '00012', '0']);
    default:
      return (r.chance(0.1) ? '0X' : '0x') + hexDigits(r, 1 + r.int(16));
  }
}

const SEPS = [' ', ' ', ' ', '  ', '\t', ' \t ', '\r ', ' \r'];
const NAMES = [
  ...HCALLS.map((h) => h.name),
  'H_FOO',
  'h_enter',
  'H_ENTER=1',
  '0x8',
  '8',
  '0x124',
  '0x4',
  '0x999',
  '0x',
  'HCALL',
  'H_RÉAD',
];
const RETS = [...RETURN_CODES.map((c) => c.name), 'H_BOGUS', '0', 'H_SUCCESS=1'];

/** An hcall line: mostly well-formed, with every kind of small damage now and then. */
function hcallLine(r: R): string {
  const sep = () => (r.chance(0.9) ? ' ' : r.pick(SEPS));
  const parts: string[] = [];
  const lead = r.chance(0.05) ? r.pick([' ', '\t', '  ']) : '';
  parts.push(r.chance(0.03) ? r.pick(['hcal', 'Hcall', 'hcall#', 'hcalls']) : 'hcall');
  if (r.chance(0.2)) {
    parts.push(
      '@' +
        r.pick([
          String(r.u32()),
          `${r.u32()}.${r.int(1000000)}`,
          `${r.int(100000)}.${String(r.u32()).padStart(10, '0')}`,
          `${r.u32()}${r.u32()}.${r.u32()}`,
          '1.',
          '.5',
          '',
          '1e5',
          '0000.000',
          '1.2.3',
          '12345678901234567890.1',
          '1.' + '1'.repeat(25),
        ]),
    );
  }
  if (r.chance(0.5))
    parts.push(
      'vcpu=' + r.pick([String(r.int(8)), '0x10', '4294967295', '4294967296', '', 'abc', '1=2', '0x100000000']),
    );
  const name = r.chance(0.9) ? r.pick(HCALLS.map((h) => h.name)) : r.pick(NAMES);
  parts.push(name);
  const def = HCALLS.find((h) => h.name === name || (/^\d|^0x/.test(name) && h.number === Number(name)));
  const argNames = def && def.emulated ? def.args : ['r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11'];
  const n = def && def.emulated ? argNames.length : r.int(4);
  const order = argNames.slice(0, n);
  if (r.chance(0.2)) order.sort(() => r.int(3) - 1);
  const positional = r.chance(0.15) ? r.int(order.length + 1) : 0;
  order.forEach((a, k) => {
    if (r.chance(0.02)) return; // missing
    const v = r.chance(0.9) ? (r.chance(0.5) ? '0x' + hexDigits(r, 1 + r.int(16)).toLowerCase() : '0x0') : value(r);
    parts.push(k < positional ? v : `${r.chance(0.02) ? r.pick(['flag', 'FLAGS', 'r12', 'pte_index', 'w0']) : a}=${v}`);
    if (r.chance(0.01)) parts.push(`${a}=${v}`); // duplicate
  });
  if (r.chance(0.02)) parts.push(value(r)); // stray positional
  if (r.chance(0.4)) {
    parts.push(r.chance(0.97) ? '->' : r.pick(['-', '->x', '=>']));
    if (r.chance(0.97)) parts.push(r.chance(0.9) ? 'H_SUCCESS' : r.pick(RETS));
    const nregs = r.int(4);
    for (let k = 0; k < nregs; k++) {
      const reg = r.chance(0.95) ? `r${4 + r.int(8)}` : r.pick(['r3', 'r12', 'x', '']);
      parts.push(r.chance(0.97) ? `${reg}=${r.chance(0.8) ? '0x' + hexDigits(r, 1 + r.int(16)) : value(r)}` : reg);
    }
  }
  let line = lead + parts.map((p, k) => (k ? sep() : '') + p).join('');
  if (r.chance(0.05)) line += r.pick([' # a comment', '#x', ' # é ünïcode', '  ', '\r', '\t']);
  if (r.chance(0.01)) line = line.replace(/ /, ' é ');
  return line;
}

function generic(st: ParserState, lineNo: number, line: string): { rec?: TraceRecord | null; err?: string } {
  try {
    return { rec: parseLineGeneric(st, lineNo, line) };
  } catch (e) {
    return { err: (e as Error).message };
  }
}

function viaParseLine(st: ParserState, lineNo: number, line: string): { rec?: TraceRecord | null; err?: string } {
  try {
    return { rec: parseLine(st, lineNo, line) };
  } catch (e) {
    return { err: (e as Error).message };
  }
}

test('the hcall byte scanner accepts only what the general parser parses, to the same record', () => {
  const r = rng(5);
  const reused = reusableHcallRecord();
  let fast = 0;
  for (let k = 0; k < 60000; k++) {
    const line =
      k % 50 === 0
        ? r.pick(['', '   ', '# c', '\t# é', 'hptrace 1', 'cpu power7', 'memslot 0 delete', '\r'])
        : hcallLine(r);
    const sawHeader = k % 97 !== 0;
    const sawHcall = r.chance(0.5);
    const st1: ParserState = { ...newParserState('f'), sawHeader, sawHcall };
    const st2: ParserState = { ...st1 };
    const st3: ParserState = { ...st1 };
    const want = generic(st1, k + 1, line);
    const bytes = Buffer.from(`xx${line}yy`, 'utf8');
    const rec = k % 2 ? reused : newHcallRecord();
    const got = parseHcallBytes(st2, k + 1, bytes, 2, bytes.length - 2, rec);
    const ctx = `line ${JSON.stringify(line)}`;
    if (got === 1) {
      fast++;
      assert.equal(want.err, undefined, `${ctx}: fast path accepted what the parser refuses: ${want.err}`);
      assert.deepStrictEqual({ ...rec, recordedRegs: [...rec.recordedRegs] }, want.rec, ctx);
      assert.deepStrictEqual(st2, st1, ctx);
    } else if (got === 0) {
      assert.equal(want.rec, null, ctx);
    }
    // parseLine (fast path inside) gives the general parser's answer, record or error message
    const via = viaParseLine(st3, k + 1, line);
    assert.deepStrictEqual(via, want, ctx);
    assert.deepStrictEqual(st3, st1, ctx);
  }
  assert.ok(fast > 15000, `the fast path took ${fast} lines`);
});

test('time stamps come out exactly as Number() reads them', () => {
  const r = rng(9);
  const st = { ...newParserState('f'), sawHeader: true };
  const rec = newHcallRecord();
  for (let k = 0; k < 20000; k++) {
    const ip = String(r.u32() % 10 ** r.int(10));
    const fp = String(r.u32()).slice(0, r.int(11));
    const t = fp ? `${ip}.${fp}` : ip;
    const b = Buffer.from(`hcall @${t} H_READ 0x0 0x1`);
    const k2 = parseHcallBytes(st, 1, b, 0, b.length, rec);
    // up to 15 digits the scanner reads it itself; longer ones go to the general parser
    if (t.replace('.', '').length <= 15) assert.equal(k2, 1, t);
    if (k2 === 1) assert.equal(rec.time, Number(t), t);
  }
});

test("the byte line reader gives the string reader's lines, whatever the chunk boundaries", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-lines-'));
  const texts = [
    '',
    '\n',
    'a',
    'a\nb',
    'a\r\nb\r\n',
    'a\rb\n\r\n\r',
    'hcall é ünï\n' + 'x'.repeat(100) + '\n€€€\n\n',
    Buffer.from([0x68, 0x0a, 0xe2, 0x82, 0x0a, 0xff, 0xfe, 0x0d, 0x0a, 0xf0, 0x9f, 0x98, 0x80]),
    'line\n'.repeat(50) + 'y'.repeat(300) + '\nend',
  ];
  texts.forEach((t, k) => {
    const f = path.join(dir, `t${k}`);
    fs.writeFileSync(f, t);
    const want: [number, string][] = [];
    forEachLine(f, (l, n) => void want.push([n, l]));
    for (const chunk of [1, 2, 3, 7, 64, 1 << 20]) {
      const got: [number, string][] = [];
      forEachLineBytes(f, (b, s, e, n) => void got.push([n, b.toString('utf8', s, e)]), { chunk });
      assert.deepStrictEqual(got, want, `text ${k}, chunk ${chunk}`);
    }
  });
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the CLI JSON writer prints stepJson and finalJson byte for byte', () => {
  const conf = CONFORMANCE_DIR;
  const files = fs.existsSync(conf) ? fs.readdirSync(conf).filter((f) => f.endsWith('.hptrace')) : [];
  assert.ok(files.length > 0);
  for (const f of files) {
    for (const kernel of ['io', 'pre-io'] as const) {
      const m = new Machine(kernel, f);
      const st = newParserState(f);
      const want: string[] = [];
      const chunks: Buffer[] = [];
      const sink = new ByteSink((b) => chunks.push(Buffer.from(b)));
      const res = reusableResult();
      fs.readFileSync(path.join(conf, f), 'utf8')
        .split('\n')
        .forEach((l, k) => {
          const rec = parseLine(st, k + 1, l.replace(/\r$/, ''));
          if (!rec) return;
          if (rec.kind !== 'hcall') return void applyRecord(m, rec);
          const r = executeHcall(m, rec as HcallRecord, false, res);
          want.push(stepJson(rec as HcallRecord, r, diverged(rec as HcallRecord, r)));
          writeStep(sink, rec as HcallRecord, r, diverged(rec as HcallRecord, r));
        });
      want.push(finalJson(m));
      writeFinal(sink, m);
      assert.equal(m.validHptes, m.hpt.scan((_i, w, b) => (w[b + 1] & 1) !== 0).length, 'validHptes');
      assert.equal(Buffer.concat(chunks).toString('utf8'), want.join('\n') + '\n', `${f} --kernel ${kernel}`);
    }
  }
});

test('firstSyntaxError finds what parseAll finds first', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-syntax-'));
  const r = rng(11);
  const good = 'hptrace 1\ncpu power7\nhost page=64K\n# c\n';
  const cases = [
    '',
    '\n',
    'hptrace 1',
    good,
    good + 'hcall H_READ 0x0 0x1\r\n',
    'host page=64K\n',
    good + 'vma 0x0-0x10000 anon pfn=1 pfn=2\n',
  ];
  for (let k = 0; k < 300; k++)
    cases.push(good + Array.from({ length: 20 }, () => hcallLine(r)).join(r.chance(0.5) ? '\n' : '\r\n'));
  cases.forEach((text, k) => {
    const f = path.join(dir, `c${k}.hptrace`);
    fs.writeFileSync(f, text);
    const want = parseAll(fs.readFileSync(f, 'utf8'), f, 1).errors[0]?.message ?? null;
    assert.equal(firstSyntaxError(f)?.message ?? null, want, JSON.stringify(text.slice(0, 200)));
  });
  fs.rmSync(dir, { recursive: true, force: true });
});
