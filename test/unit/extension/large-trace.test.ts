/** Big traces in the editor: the skeleton model (hcall lines blanked), its survival across edits, the outline groups, the worker's check. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { hoverAt } from '../../../src/extension/hoverText';
import { lineHints } from '../../../src/extension/inlayText';
import { backgroundClear, backgroundHeld, holdBackground } from '../../../src/extension/backgroundGate';
import {
  hcallGroupsNode,
  isHcallLine,
  skeletonOf,
  skeletonOfText,
  skeletonSurvives,
} from '../../../src/extension/largeTrace';
import { TraceModel } from '../../../src/extension/traceModel';
import { applyEdits, check } from '../../../src/extension/traceWorker';

function findRoot(dir: string): string {
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}
const root = findRoot(__dirname);
const text = fs.readFileSync(path.join(root, 'test/fixtures/ext-io-bar.hptrace'), 'utf8');
const lines = text.split('\n');

test('skeleton: hcall lines blanked, line numbers kept, hcall lines listed', () => {
  const sk = skeletonOf(lines.length, (i) => lines[i]);
  const out = sk.text.split('\n');
  assert.equal(out.length, lines.length);
  const hcalls = lines.flatMap((l, i) => (/^\s*hcall\s/.test(l) ? [i + 1] : []));
  assert.ok(hcalls.length > 5);
  assert.deepEqual([...sk.hcallLines], hcalls);
  for (const n of hcalls) assert.equal(out[n - 1], '');
  for (let i = 0; i < lines.length; i++) if (!hcalls.includes(i + 1)) assert.equal(out[i], lines[i]);
  assert.ok(isHcallLine('  hcall @1 H_ENTER') && !isHcallLine('# hcall') && !isHcallLine('hcalls'));
});

test('skeleton model: same host, same hover and hints as the full model', () => {
  const full = new TraceModel(text, 'x');
  const sk = new TraceModel(skeletonOf(lines.length, (i) => lines[i]).text, 'x');
  assert.equal(sk.errors.length, full.errors.length);
  assert.deepEqual(sk.host().memslots, full.host().memslots);
  for (let n = 1; n <= lines.length; n++) {
    const l = lines[n - 1];
    if (!isHcallLine(l)) continue;
    for (const tok of l.matchAll(/0x[0-9a-f]+/g)) {
      const col = tok.index! + 1;
      assert.deepEqual(hoverAt(sk, n, col, l), hoverAt(full, n, col, l), `line ${n} col ${col}`);
    }
    assert.deepEqual(lineHints(l, sk.host(), { decode: true }), lineHints(l, full.host(), { decode: true }));
  }
});

test('skeleton survives edits inside hcall lines only', () => {
  const sk = skeletonOf(lines.length, (i) => lines[i]);
  const h = sk.hcallLines[0] - 1; // 0-based line of the first hcall
  const cfg = lines.findIndex((l) => l.startsWith('memslot'));
  const after = (i: number) => lines[i];
  assert.ok(skeletonSurvives([{ startLine: h, endLine: h, text: '0x1' }], sk.hcallLines, after));
  assert.ok(!skeletonSurvives([{ startLine: cfg, endLine: cfg, text: '1' }], sk.hcallLines, after), 'config line');
  assert.ok(!skeletonSurvives([{ startLine: h, endLine: h, text: 'x\ny' }], sk.hcallLines, after), 'new line');
  assert.ok(!skeletonSurvives([{ startLine: h, endLine: h + 1, text: '' }], sk.hcallLines, after), 'joins lines');
  const edited = (i: number) => (i === h ? 'memslot 9 gpa=0x0 size=1M hva=0x0' : lines[i]);
  assert.ok(!skeletonSurvives([{ startLine: h, endLine: h, text: 'm' }], sk.hcallLines, edited), 'hcall became config');
});

test('outline groups of a large trace: bounded, ranges of lines', () => {
  const many = Int32Array.from({ length: 200_000 }, (_, i) => 30 + i);
  const node = hcallGroupsNode(many)!;
  assert.equal(node.children.length, 200);
  assert.equal(node.children[0].name, 'hcalls 1–1000');
  assert.equal(node.children[0].detail, 'lines 30–1029');
  assert.equal(node.endLine, 30 + 199_999);
  const huge = hcallGroupsNode(Int32Array.from({ length: 10_000_000 }, (_, i) => i + 1))!;
  assert.ok(huge.children.length <= 500, `${huge.children.length} groups`);
  assert.equal(hcallGroupsNode(new Int32Array(0)), undefined);
});

test('worker check: the errors of the whole file as plain objects, from text or from a path', () => {
  const bad = path.join(root, 'test/fixtures/ext-malformed.hptrace');
  const fromPath = check({ id: 1, path: bad, file: bad, kernel: 'io' });
  const fromText = check({ id: 2, text: fs.readFileSync(bad, 'utf8'), file: bad, kernel: 'io' });
  assert.ok(fromPath.errors!.length > 0);
  assert.deepEqual(fromPath.errors, fromText.errors);
  assert.ok(fromPath.errors!.some((e) => e.line === 5 && e.col === 5 && e.source === 'host state'));
  assert.ok(fromPath.errors!.some((e) => e.source === 'parser'));
  assert.match(check({ id: 3, path: '/nonexistent/x.hptrace', file: 'x', kernel: 'io' }).failure!, /ENOENT/);
});

test('worker check: keeps the text and applies only the edits; a wrong length asks for a resync', () => {
  const file = 'kept.hptrace';
  const first = check({ id: 1, key: 'k', text, file, kernel: 'io' });
  assert.deepEqual(first.errors, []);
  // break one hcall line: "pte_index=0x..." -> "pte_index=zz"
  const at = text.indexOf('pte_index=0x') + 'pte_index='.length;
  const edit = { offset: at, length: 2, text: 'zz' };
  const edited = applyEdits(text, [edit]);
  const second = check({ id: 2, key: 'k', edits: [edit], length: edited.length, file, kernel: 'io' });
  const direct = check({ id: 3, text: edited, file, kernel: 'io' });
  assert.ok(second.errors!.length > 0);
  assert.deepEqual(second.errors, direct.errors);
  // undo it: back to no errors
  const undo = { offset: at, length: 2, text: '0x' };
  assert.deepEqual(check({ id: 4, key: 'k', edits: [undo], length: text.length, file, kernel: 'io' }).errors, []);
  assert.equal(check({ id: 5, key: 'k', edits: [], length: text.length + 1, file, kernel: 'io' }).resync, true);
  assert.equal(check({ id: 6, key: 'k', edits: [], length: text.length, file, kernel: 'io' }).resync, true, 'dropped');
  assert.equal(check({ id: 7, key: 'other', edits: [], file, kernel: 'io' }).resync, true);
  assert.equal(
    applyEdits('abcdef', [
      { offset: 4, length: 1, text: 'X' },
      { offset: 0, length: 2, text: '' },
    ]),
    'cdXf',
  );
});

test('skeleton from the whole text: the same as line by line (LF, CRLF, tabs, hcall look-alikes, no final newline)', () => {
  const odd = ['\thcall @9 H_READ', 'hcall', 'hcallx 1', '  # hcall', '', 'hcall\t@2 H_REMOVE', 'cpu power8'];
  for (const src of [text, text.replace(/\n/g, '\r\n'), odd.join('\n'), odd.join('\r\n') + '\r\n', '', 'hcall']) {
    const ls = src.split('\n').map((l) => l.replace(/\r$/, ''));
    const a = skeletonOf(ls.length, (i) => ls[i]);
    const b = skeletonOfText(src);
    assert.equal(b.text, a.text);
    assert.deepEqual([...b.hcallLines], [...a.hcallLines]);
  }
  assert.deepEqual([...skeletonOfText(odd.join('\n')).hcallLines], [1, 2, 6]);
});

test('background gate: held while a session starts, released when it stops or at the cap', async () => {
  let stop!: () => void;
  holdBackground(new Promise<void>((r) => (stop = r)), 10_000, 0);
  assert.ok(backgroundHeld());
  let ran = false;
  const waiting = backgroundClear().then(() => (ran = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(ran, false, 'the check waits while the session starts');
  stop();
  await waiting;
  assert.ok(ran && !backgroundHeld());
  holdBackground(new Promise(() => {}), 30, 0); // a session that never stops: the cap releases
  const t0 = Date.now();
  await backgroundClear();
  assert.ok(Date.now() - t0 >= 25 && !backgroundHeld());
});
