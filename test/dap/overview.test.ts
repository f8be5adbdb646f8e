/**
 * The Trace Overview's custom requests through the real adapter (dist/debugAdapter.js over DAP):
 * pre-aggregated bins that agree with the conformance expectations, the PTEG map at the stop, the
 * first result of a kind (what a click on a bin jumps to), state and compare; the stop is unmoved.
 */
import { test, beforeEach, afterEach } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol } from '@vscode/debugprotocol';
import { CONFORMANCE_DIR, ROOT } from '../helpers/paths';
import { spawnNode } from '../helpers/spawnNode';

const ADAPTER = path.join(ROOT, 'dist', 'debugAdapter.js');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const IO_BAR = path.join(CONFORMANCE_DIR, 'io-bar.hptrace');
const PTEG_FULL = path.join(CONFORMANCE_DIR, 'pteg-full.hptrace');

let dc: DebugClient;
beforeEach(async () => {
  dc = new DebugClient('node', ADAPTER, 'hptrace');
  await dc.start();
});
afterEach(async () => {
  await dc.stop();
});

async function launch(trace: string): Promise<void> {
  const stopped = dc.waitForEvent('stopped');
  await dc.initializeRequest({ adapterID: 'hptrace', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  await dc.launchRequest({ trace, stopOnEntry: true } as DebugProtocol.LaunchRequestArguments);
  await dc.configurationDoneRequest();
  await stopped;
}

async function topLine(): Promise<number> {
  return (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].line;
}

function expected(trace: string): { line: number; ret: string | null; diverged: boolean }[] {
  return fs
    .readFileSync(trace.replace(/\.hptrace$/, '.expected.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((x) => 'line' in x);
}

test('hptrace.overview: bins by kind over the whole trace, as the conformance results say; the stop stays', async () => {
  await launch(IO_BAR);
  const before = await topLine();
  const r = (await dc.customRequest('hptrace.overview', { index: true, bins: 64 })).body;
  const want = expected(IO_BAR);
  assert.equal(r.complete, true);
  assert.equal(r.hcalls, want.length);
  const K = r.kinds.length;
  const total = (name: string) => r.totals[r.kinds.indexOf(name)];
  assert.equal(total('success'), want.filter((w) => w.ret === 'H_SUCCESS').length);
  assert.equal(total('H_PARAMETER'), want.filter((w) => w.ret === 'H_PARAMETER').length);
  assert.equal(total('diverged'), want.filter((w) => w.diverged).length);
  assert.ok(total('H_PARAMETER') > 0);
  // Each H_PARAMETER is in the bin whose line range holds it.
  for (const w of want.filter((x) => x.ret === 'H_PARAMETER')) {
    const b = r.edges.findIndex((e: number, i: number) => i < r.bins && w.line >= e && w.line < r.edges[i + 1]);
    assert.ok(r.counts[b * K + r.kinds.indexOf('H_PARAMETER')] >= 1, `line ${w.line} in bin ${b}`);
  }
  // Markers for the memslots and vmas of the set-up, one line a bin here.
  assert.deepEqual(
    r.markers.map((m: { kind: string; line: number }) => `${m.kind}@${m.line}`),
    ['vma@8', 'memslot@9', 'vma@10', 'memslot@11'],
  );
  // Bounded whatever the request: bins are capped.
  const big = (await dc.customRequest('hptrace.overview', { bins: 1e9 })).body;
  assert.ok(big.bins <= 4096 && big.counts.length === big.bins * K);
  assert.equal(await topLine(), before, 'the overview does not move the stop');
  await assert.rejects(dc.customRequest('hptrace.overview', { bins: 'many' }), /bins must be a number/);
});

test('hptrace.findKind + goto: a click on an H_PARAMETER bin stops on that line; ptegMap and compare follow', async () => {
  await launch(IO_BAR);
  const want = expected(IO_BAR);
  const firstParam = want.find((w) => w.ret === 'H_PARAMETER')!.line;
  const f = (await dc.customRequest('hptrace.findKind', { kind: 'H_PARAMETER', fromLine: 1, toLine: 1000 })).body;
  assert.equal(f.line, firstParam);
  const stopped = dc.waitForEvent('stopped');
  await dc.evaluateRequest({ expression: `goto ${f.line}`, context: 'repl' });
  await stopped;
  assert.equal(await topLine(), firstParam);
  const st = (await dc.customRequest('hptrace.machineState')).body;
  const p = (await dc.customRequest('hptrace.ptegMap', { cells: 64 })).body;
  assert.equal(p.cells, 64);
  assert.equal(
    p.valid.reduce((s: number, x: number) => s + x, 0),
    st.validHptes,
  );
  // State at the stop = the CLI's state after that line.
  const s = (await dc.customRequest('hptrace.state')).body;
  const cli = spawnNode([CLI, 'state', IO_BAR, '--at', String(s.line), '--json']);
  assert.deepEqual(s.final, JSON.parse(cli.stdout));
  // Compare the stop with the end of the trace: the same as the CLI's comparison.
  const c = (await dc.customRequest('hptrace.compare', { toLine: 1000 })).body;
  const cc = JSON.parse(spawnNode([CLI, 'compare', IO_BAR, '--from', String(s.line), '--to', '1000', '--json']).stdout);
  const { text, ...rest } = c;
  assert.deepEqual(rest, cc);
  assert.match(text, /HPT entries added: \d+/);
  assert.equal(await topLine(), firstParam, 'compare does not move the stop');
});

test('hptrace.ptegMap marks the PTEG that reached H_PTEG_FULL once that hcall has run', async () => {
  await launch(PTEG_FULL);
  const want = expected(PTEG_FULL);
  const full = want.find((w) => w.ret === 'H_PTEG_FULL');
  assert.ok(full, 'the trace has an H_PTEG_FULL');
  let p = (await dc.customRequest('hptrace.ptegMap', {})).body;
  assert.equal(
    p.pegFull.reduce((s: number, x: number) => s + x, 0),
    0,
  );
  const stopped = dc.waitForEvent('stopped');
  await dc.evaluateRequest({ expression: `goto ${full.line}`, context: 'repl' });
  await stopped;
  p = (await dc.customRequest('hptrace.ptegMap', {})).body;
  const cell = p.pegFull.findIndex((x: number) => x > 0);
  assert.ok(cell >= 0, 'a marked cell');
  assert.equal(p.max[cell], 8, 'the marked PTEG is full');
});
