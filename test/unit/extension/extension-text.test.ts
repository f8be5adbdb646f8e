/** The extension's pure builders: hover Markdown, inlay hint text, outline, go-to-definition, view text, diagnostics. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { definitionTargets } from '../../../src/extension/definitionTargets';
import { decodeValueMarkdown, hoverAt, slotPhysMarkdown } from '../../../src/extension/hoverText';
import { lineHints, resultLabel } from '../../../src/extension/inlayText';
import { buildSymbols, HCALL_GROUP } from '../../../src/extension/symbolTree';
import { TraceModel } from '../../../src/extension/traceModel';
import { memslotText, slotPhysText } from '../../../src/extension/viewText';
import { cacheFlagsOk } from '../../../src/extension/backing';
import { R } from '../../../src/core/bits';
import { u64 } from '../../../src/core/u64';

function findRoot(dir: string): string {
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}
const fixtures = path.join(findRoot(__dirname), 'test/fixtures');
const ioBarText = fs.readFileSync(path.join(fixtures, 'ext-io-bar.hptrace'), 'utf8');
const lines = ioBarText.split('\n');
const lineOf = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
const model = new TraceModel(ioBarText, 'ext-io-bar.hptrace');

function hover(needle: string, token: string) {
  const n = lineOf(needle);
  const text = lines[n - 1];
  const col = text.indexOf(token) + 1;
  return hoverAt(model, n, col, text);
}

test('hover on a ptel: the r table, page size, guest address, memslot, backing and a WIMG that fails the I/O check', () => {
  const h = hover('ptel=0x20001106a', '0x20001106a');
  assert.ok(h);
  const md = h.markdown;
  assert.match(md, /\*\*HPTE second doubleword \(r\)\*\* `0x20001106a`/);
  assert.match(md, /\| field \| bits \| value \| meaning \|/);
  assert.match(md, /\| RPN \| 59:12 \| `0x200011` \| address 0x200011000 \|/);
  assert.match(md, /\| W \| 6 \| `0x1` \| write-through \|/);
  assert.match(md, /\| I \| 5 \| `0x1` \| cache-inhibited \|/);
  assert.match(md, /\| M \| 4 \| `0x0` \| — \|/);
  assert.match(md, /Page size of the pair .*\*\*64K\*\*/);
  assert.match(md, /\*\*guest address\*\*: `0x200010000`/);
  assert.match(md, new RegExp(`\\*\\*memslot 1\\*\\* \\(line ${lineOf('memslot 1 ')}\\)`));
  assert.match(md, /pfnmap, cache=I \(I\/O\)/);
  assert.match(md, /`WI-G` on an I\/O slot with cache bits I: ❌ fails hpte_cache_flags_ok → H_PARAMETER/);
  // The hover covers the value, not the key.
  const text = lines[lineOf('ptel=0x20001106a') - 1];
  assert.equal(h.start, text.indexOf('0x20001106a'));
  assert.equal(h.end, h.start + '0x20001106a'.length);
});

test('hover on a ptel that matches the BAR cache bits passes; RAM made cacheable is flagged', () => {
  assert.match(
    hover('ptel=0x20001102a', '0x20001102a')!.markdown,
    /`-I-G` on an I\/O slot with cache bits I: ✅ passes/,
  );
  const ram = hover('ptel=0x201102a', '0x201102a')!.markdown;
  assert.match(ram, /anon, 16M pages \(RAM\)/);
  assert.match(ram, /on RAM: ⚠️ not M: the kernel makes the mapping cacheable/);
  assert.match(hover('ptel=0x400001012', '0x400001012')!.markdown, /none holds this gfn → H_ENTER returns H_PARAMETER/);
});

test('hover on a pteh: the v table and the page size of the pair', () => {
  const md = hover('pteh=0x4000000000001005', '0x4000000000001005')!.markdown;
  assert.match(md, /\*\*HPTE first doubleword \(v\)\*\* `0x4000000000001005` — 1T L V/);
  assert.match(md, /\| SSIZE \| 63:62 \| `0x1` \| 1T segment \|/);
  assert.match(md, /\| L \| 2 \| `0x1` \| large page \|/);
  assert.match(md, /\| V \| 0 \| `0x1` \| valid \|/);
  assert.match(md, /\*\*16M\*\*/);
});

test('hover on flags, pte_index, the hcall name; nothing on a keyword', () => {
  assert.match(hover('flags=0x8000000000', '0x8000000000')!.markdown, /H_EXACT \| 24 \| 1/);
  assert.match(hover('pte_index=0x4000', '0x4000')!.markdown, /beyond the 0x4000 HPTEs \(hpt order 18\) → H_PARAMETER/);
  assert.match(hover('ptel=0x1000192', 'H_ENTER')!.markdown, /\*\*H_ENTER\*\* \(hcall 0x8\): insert an HPTE/);
  const text = lines[lineOf('ptel=0x1000192') - 1];
  assert.equal(hoverAt(model, lineOf('ptel=0x1000192'), 1, text), undefined);
});

test('hover on a slot_phys value in a comment, and the slot_phys decoding', () => {
  const text = '# slot_phys[1][0x1] = 0x2000100a1';
  const h = hoverAt(model, 3, text.indexOf('0x2000100a1') + 2, text);
  assert.ok(h);
  assert.match(h.markdown, /\*\*slot_phys entry\*\* `0x2000100a1`/);
  assert.match(h.markdown, /\| GOT_PAGE \| 7 \| `0x1` \| holds the page reference \|/);
  assert.match(h.markdown, /\| NO_CACHE \| 5 \| `0x1` \| cache-inhibited \|/);
  assert.match(h.markdown, /\| WRITETHRU \| 6 \| `0x0` \| — \|/);
  assert.match(h.markdown, /\| ORDER \| 4:0 \| `0x1` \|/);
  assert.match(h.markdown, /\| pfn \| 63:16 \| `0x20001` \|/);
  assert.match(slotPhysMarkdown(u64(0, 0), 65536), /not instantiated yet/);
});

test('hover shows the emulated result once the model was replayed', () => {
  const m = new TraceModel(ioBarText, 'x');
  m.replay();
  const n = lineOf('ptel=0x20001106a');
  const text = lines[n - 1];
  const h = hoverAt(m, n, text.indexOf('0x20001106a') + 1, text)!;
  assert.match(
    h.markdown,
    /\*\*Emulated result\*\*: H_PARAMETER — guest WIMG WI-G: W=1 I=1 does not match the slot's cache bits I/,
  );
});

test('decodeValueMarkdown: v, r and slot_phys readings; junk is refused', () => {
  const all = decodeValueMarkdown('0x2000100a1', 'all')!;
  assert.match(all, /HPTE first doubleword/);
  assert.match(all, /HPTE second doubleword/);
  assert.match(all, /slot_phys entry/);
  assert.equal(decodeValueMarkdown('0xZZ', 'all'), undefined);
  assert.match(decodeValueMarkdown('4096', 'r')!, /`0x1000`/);
});

test('hpte_cache_flags_ok mirror: RAM wants M, I/O wants W|I equal to the slot bits, SAO counts as M on ARCH_206', () => {
  assert.equal(cacheFlagsOk(R.M, 0, true), true);
  assert.equal(cacheFlagsOk(R.I | R.G, 0, true), false);
  assert.equal(cacheFlagsOk(R.I | R.G, R.I, true), true);
  assert.equal(cacheFlagsOk(R.I | R.M, R.I, true), true);
  assert.equal(cacheFlagsOk(R.W | R.I | R.M, R.I | R.W, true), false);
  assert.equal(cacheFlagsOk(R.W | R.I | R.M, R.I | R.W, false), true);
  assert.equal(cacheFlagsOk(R.W | R.I | R.M, 0, true), true);
});

test('inlay hints: decodings after pteh and ptel, and the emulated result at the end', () => {
  const n = lineOf('ptel=0x20001106a');
  const text = lines[n - 1];
  const out = model.replay().get(n)!;
  const hints = lineHints(text, model.host(), { decode: true }, out);
  assert.deepEqual(
    hints.map((h) => h.label),
    [
      '64K 1T L V',
      'RPN 0x200011000 WIMG WI-G PP 2',
      "⇒ H_PARAMETER: guest WIMG WI-G: W=1 I=1 does not match the slot's cache bits I",
    ],
  );
  assert.equal(hints[0].col, text.indexOf('0x4000000000004085') + '0x4000000000004085'.length);
  assert.equal(hints[2].col, text.length);
  assert.deepEqual(
    lineHints(text, model.host(), { decode: false }).map((h) => h.label),
    [],
  );
  assert.deepEqual(lineHints('vma 0x0-0x10000 anon', model.host(), { decode: true }), []);
});

test('result labels: success with r4, divergence marked, not emulated', () => {
  const o = model.replay();
  assert.equal(resultLabel(o.get(lineOf('ptel=0x1000192'))!), '⇒ H_SUCCESS r4=0x100');
  assert.match(resultLabel(o.get(lineOf('ptel=0x1021012'))!), /^⇒ H_SUCCESS r4=0x130 {2}≠ recorded$/);
  assert.match(resultLabel(o.get(lineOf('ptel=0x201102a'))!), /^⇒ H_SUCCESS: .*made cacheable/);
  assert.equal(
    resultLabel({
      line: 1,
      ret: null,
      detail: '',
      out: {},
      madeCacheable: false,
      diverged: false,
      divergence: [],
      slot: -1,
      physIndex: -1,
    }),
    '⇒ not emulated',
  );
});

test('outline: configuration, host mappings, memory slots, hcalls', () => {
  const syms = buildSymbols(model.records);
  assert.deepEqual(
    syms.map((s) => s.name),
    ['Configuration', 'Host mappings', 'Memory slots', 'Hcalls'],
  );
  assert.deepEqual(
    syms[0].children.map((c) => `${c.name}: ${c.detail}`),
    ['hptrace: format 1', 'cpu: power7', 'host page: 64K', 'hpt order: 18 (0x4000 HPTEs)'],
  );
  assert.deepEqual(
    syms[2].children.map((c) => c.name),
    ['memslot 0', 'memslot 1'],
  );
  assert.equal(syms[3].children.length, 12);
  assert.equal(syms[3].children[4].detail, '-> H_PARAMETER');
  assert.equal(syms[3].line, lineOf('ptel=0x1000192'));
});

test('outline of a big trace groups the hcalls', () => {
  const text = 'hptrace 1\n' + Array.from({ length: 2500 }, (_, i) => `hcall H_READ 0x0 ${i}`).join('\n');
  const syms = buildSymbols(new TraceModel(text, 'big').records);
  const h = syms.find((s) => s.name === 'Hcalls')!;
  assert.equal(h.detail, '2500');
  assert.deepEqual(
    h.children.map((c) => c.name),
    [`hcalls 1–${HCALL_GROUP}`, `hcalls ${HCALL_GROUP + 1}–${2 * HCALL_GROUP}`, `hcalls ${2 * HCALL_GROUP + 1}–2500`],
  );
  assert.equal(h.children[0].children.length, HCALL_GROUP);
});

test('go to definition: from a ptel to its memslot and vma lines; from a memslot hva to its vma', () => {
  const n = lineOf('ptel=0x20001106a');
  const text = lines[n - 1];
  const t = definitionTargets(model, n, text.indexOf('0x20001106a') + 1, text);
  assert.deepEqual(
    t.map((x) => [x.what, x.line]),
    [
      ['memslot', lineOf('memslot 1 ')],
      ['vma', lineOf('pfnmap pgoff=0x200000')],
    ],
  );
  assert.deepEqual(definitionTargets(model, n, 2, text), []);
  const ms = lineOf('memslot 0 ');
  const mt = lines[ms - 1];
  assert.deepEqual(
    definitionTargets(model, ms, mt.indexOf('hva=') + 5, mt).map((x) => [x.what, x.line]),
    [['vma', lineOf('anon page=16M')]],
  );
});

test('diagnostics: parser errors and host-state errors with exact columns', () => {
  const bad = fs.readFileSync(path.join(fixtures, 'ext-malformed.hptrace'), 'utf8');
  const m = new TraceModel(bad, 'ext-malformed.hptrace');
  const errs = m.errors.map((e) => `${e.line}:${e.col}-${e.endCol} ${e.detail}`);
  assert.equal(m.parseErrors.length, 3, errs.join('\n'));
  const l6 = bad.split('\n')[5];
  assert.match(
    errs[0],
    new RegExp(`^6:${l6.indexOf('colour') + 1}-${l6.indexOf('colour') + 7} memslot: unknown field "colour"`),
  );
  assert.match(errs[1], /^7:\d+-\d+ H_ENTER ptel: expected a number/);
  assert.match(errs[2], /^8:\d+-\d+ expected a return code name/);
  assert.equal(m.validationErrors.length, 1);
  assert.match(
    errs[3],
    /^5:5-34 vma 0x7fff08000000-0x7fff18000000 overlaps the live vma 0x7fff00000000-0x7fff10000000 from line 4/,
  );
  assert.equal(new TraceModel(ioBarText, 'ok').errors.length, 0);
});

test('view text: memslot and slot_phys items', () => {
  const t = memslotText({
    id: 1,
    baseGfn: '0x20000',
    npages: '0x10',
    gpaStart: '0x200000000',
    gpaEnd: '0x2000fffff',
    hva: '0x3fff80000000',
    flags: '0x0',
    line: 10,
    backing: { type: 'pfnmap', start: '0x3fff80000000', end: '0x3fff80100000', pgoff: '0x200000', cache: 'I', line: 9 },
    slotPhysCount: 1,
    hasIo: true,
  });
  assert.equal(t.label, 'memslot 1');
  assert.equal(t.description, '0x200000000 · I/O');
  assert.match(t.tooltip, /memslot 1\*\* \(line 10\) — I\/O/);
  assert.match(t.tooltip, /\| gpa \| `0x200000000`–`0x2000fffff` \|/);
  assert.match(t.tooltip, /\| cache bits \| I \|/);
  const e = slotPhysText(
    1,
    { index: 1, gfn: '0x20001', value: '0x200010021', pfn: '0x200010', order: 1, flags: ['NO_CACHE'], io: true },
    65536,
    true,
  );
  assert.equal(e.label, '[0x1] 0x200010021');
  assert.equal(e.description, 'NO_CACHE ◀');
  assert.match(e.tooltip, /gfn 0x20001 → pfn 0x200010, order 1 NO_CACHE, I\/O/);
  assert.match(e.tooltip, /\| NO_CACHE \| 5 \| `0x1` \| cache-inhibited \|/);
  assert.equal(e.copy, '0x200010021');
});
