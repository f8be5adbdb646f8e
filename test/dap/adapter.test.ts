/**
 * The debug adapter driven over DAP, as VS Code drives it: `node dist/debugAdapter.js` over stdio
 * through @vscode/debugadapter-testsupport's DebugClient. Build first (node scripts/build.mjs).
 */
import { test, describe, beforeEach, afterEach } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol } from '@vscode/debugprotocol';
import { CONFORMANCE_DIR } from '../helpers/paths';
import { spawnNode } from '../helpers/spawnNode';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const ADAPTER = path.join(ROOT, 'dist', 'debugAdapter.js');
const CONF = CONFORMANCE_DIR;
const IO_BAR = path.join(CONF, 'io-bar.hptrace');
const VCPUS = path.join(ROOT, 'test', 'fixtures', 'vcpus.hptrace');
const MALFORMED = path.join(ROOT, 'test', 'fixtures', 'malformed.hptrace');

let dc: DebugClient;

beforeEach(async () => {
  dc = new DebugClient('node', ADAPTER, 'hptrace');
  await dc.start();
});
afterEach(async () => {
  await dc.stop();
});

type Stopped = DebugProtocol.StoppedEvent;

/** initialize, launch, optional breakpoint setup, configurationDone; resolves with the first stop. */
async function launch(args: Record<string, unknown>, setup?: () => Promise<unknown>): Promise<Stopped> {
  const stopped = dc.waitForEvent('stopped') as Promise<Stopped>;
  await dc.initializeRequest({
    adapterID: 'hptrace',
    linesStartAt1: true,
    columnsStartAt1: true,
    pathFormat: 'path',
    supportsProgressReporting: true,
  });
  await dc.launchRequest(args as DebugProtocol.LaunchRequestArguments);
  if (setup) await setup();
  await dc.configurationDoneRequest();
  return stopped;
}

async function top(threadId = 1): Promise<DebugProtocol.StackFrame> {
  const st = await dc.stackTraceRequest({ threadId });
  return st.body.stackFrames[0];
}

/** Sends a motion request and waits for the stop it causes. */
async function move(req: () => Promise<unknown>): Promise<Stopped> {
  const stopped = dc.waitForEvent('stopped') as Promise<Stopped>;
  await req();
  return stopped;
}

async function scopeVars(frameId: number): Promise<Map<string, DebugProtocol.Variable[]>> {
  const scopes = await dc.scopesRequest({ frameId });
  const out = new Map<string, DebugProtocol.Variable[]>();
  for (const s of scopes.body.scopes)
    out.set(s.name, (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables);
  return out;
}

function v(vars: DebugProtocol.Variable[], name: string): DebugProtocol.Variable {
  const x = vars.find((y) => y.name === name);
  assert.ok(x, `variable ${name} in ${vars.map((y) => y.name).join(', ')}`);
  return x;
}

async function gotoLine(line: number, source = IO_BAR): Promise<Stopped> {
  const t = await dc.gotoTargetsRequest({ source: { path: source }, line });
  assert.equal(t.body.targets.length, 1);
  return move(() => dc.gotoRequest({ threadId: 1, targetId: t.body.targets[0].id }));
}

describe('hptrace debug adapter over DAP', () => {
  test('launch stops on entry before the first hcall executes', async () => {
    const s = await launch({ trace: IO_BAR, stopOnEntry: true });
    assert.equal(s.body.reason, 'entry');
    assert.match(s.body.description!, /before the first hcall \(line 14\)/);
    const f = await top(s.body.threadId);
    assert.equal(f.line, 14);
    assert.equal(path.resolve(f.source!.path!), IO_BAR);
    const vars = await scopeVars(f.id);
    assert.match(v(vars.get('hcall')!, 'result').value, /not executed/);
    const th = await dc.threadsRequest();
    assert.deepEqual(
      th.body.threads.map((t) => t.name),
      ['vcpu 0'],
    );
  });

  test('continue stops on H_PARAMETER with the deciding check in the stop and in exceptionInfo', async () => {
    await launch({ trace: IO_BAR });
    const s = await move(() => dc.continueRequest({ threadId: 1 }));
    assert.equal(s.body.reason, 'exception');
    assert.equal((await top()).line, 22);
    assert.match(s.body.description!, /^H_PARAMETER: guest WIMG WI-G: W=1 I=1 does not match the slot's cache bits I/);
    const info = await dc.exceptionInfoRequest({ threadId: 1 });
    assert.equal(info.body.exceptionId, 'H_PARAMETER');
    assert.match(
      info.body.description!,
      /H_ENTER \(line 22\) returned H_PARAMETER; deciding check kvmppc_h_enter \(enter\.wimg\): guest WIMG WI-G: W=1 I=1 does not match/,
    );
    assert.equal(info.body.details!.typeName, 'H_ENTER');
    // Without stopOnEntry the first stop is the first H_PARAMETER too.
  });

  test('stopOnEntry false runs to the first default exception; divergence is on by default', async () => {
    const s = await launch({ trace: IO_BAR, stopOnEntry: false }, () =>
      dc.setExceptionBreakpointsRequest({ filters: ['divergence'] }),
    );
    assert.equal(s.body.reason, 'exception');
    assert.equal((await top()).line, 36);
    assert.match(
      s.body.description!,
      /diverged from the recording: return code: recorded H_PARAMETER, emulated H_SUCCESS/,
    );
  });

  test('step back and reverse continue reach the previous hit', async () => {
    await launch({ trace: IO_BAR });
    await move(() => dc.continueRequest({ threadId: 1 })); // 22
    await move(() => dc.continueRequest({ threadId: 1 })); // 24
    assert.equal((await top()).line, 24);
    let s = await move(() => dc.stepBackRequest({ threadId: 1 }));
    assert.equal((await top()).line, 22);
    assert.equal(s.body.reason, 'step');
    s = await move(() => dc.nextRequest({ threadId: 1 }));
    assert.equal((await top()).line, 24);
    await move(() => dc.continueRequest({ threadId: 1 })); // 26
    await move(() => dc.continueRequest({ threadId: 1 })); // 30
    assert.equal((await top()).line, 30);
    s = await move(() => dc.reverseContinueRequest({ threadId: 1 }));
    assert.equal(s.body.reason, 'exception');
    assert.equal((await top()).line, 26);
    // The state after line 26: its result is H_PARAMETER, HPT[0x118] holds line 20's entry.
    const vars = await scopeVars((await top()).id);
    assert.equal(v(vars.get('hcall')!, 'result').value, 'H_PARAMETER');
    // Back past every hit reaches the entry state; stepping back there stays there.
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    s = await move(() => dc.reverseContinueRequest({ threadId: 1 }));
    assert.equal(s.body.reason, 'entry');
    assert.equal((await top()).line, 14);
  });

  test('goto jumps forwards and backwards (gotoTargets + goto)', async () => {
    await launch({ trace: IO_BAR });
    let s = await gotoLine(34);
    assert.equal(s.body.reason, 'goto');
    let f = await top();
    assert.equal(f.line, 34);
    assert.equal(v((await scopeVars(f.id)).get('hcall')!, 'result').value, 'H_PTEG_FULL');
    s = await gotoLine(16);
    f = await top();
    assert.equal(f.line, 16);
    const vars = await scopeVars(f.id);
    assert.equal(v(vars.get('hcall')!, 'result').value, 'H_SUCCESS');
    const pteg = vars.get('PTEG')!;
    assert.match(v(pteg, '[0x108] ←').value, /^valid v 0x4000000000002005/);
    // HPT[0x110] (written at line 18) is not there yet after line 16.
    assert.equal((await dc.evaluateRequest({ expression: 'hpt 0x110', context: 'repl' })).body.result, 'empty');
    // A comment line targets the next hcall.
    const t = await dc.gotoTargetsRequest({ source: { path: IO_BAR }, line: 27 });
    assert.equal(t.body.targets[0].line, 28);
  });

  test('a data breakpoint on an HPT slot finds its writers by reverse continue', async () => {
    await launch({ trace: VCPUS }, () => dc.setExceptionBreakpointsRequest({ filters: [] }));
    const th = await dc.threadsRequest();
    assert.deepEqual(
      th.body.threads.map((t) => t.id),
      [1, 2],
    );
    // At line 8 (vcpu 1), take the data id from the PTEG scope's variable for slot 0x41.
    let s = await gotoLine(8, VCPUS);
    assert.equal(s.body.threadId, 2);
    const f = await top(2);
    const scopes = await dc.scopesRequest({ frameId: f.id });
    const pteg = scopes.body.scopes.find((x) => x.name === 'PTEG')!;
    await dc.variablesRequest({ variablesReference: pteg.variablesReference });
    const info = await dc.dataBreakpointInfoRequest({ variablesReference: pteg.variablesReference, name: '[0x41] ←' });
    assert.equal(info.body.dataId, 'hpt:65');
    // By expression too.
    assert.equal((await dc.dataBreakpointInfoRequest({ name: 'hpt[0x41]' })).body.dataId, 'hpt:65');
    assert.equal((await dc.dataBreakpointInfoRequest({ name: 'ptel' })).body.dataId, null);
    const set = await dc.setDataBreakpointsRequest({
      breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }],
    });
    assert.ok(set.body.breakpoints[0].verified);
    await gotoLine(13, VCPUS);
    s = await move(() => dc.reverseContinueRequest({ threadId: 1 }));
    assert.equal(s.body.reason, 'data breakpoint');
    assert.equal((await top(s.body.threadId)).line, 12);
    assert.match(s.body.description!, /HPT\[0x41\] changed: written by H_ENTER at line 12/);
    s = await move(() => dc.reverseContinueRequest({ threadId: 1 }));
    assert.equal((await top(s.body.threadId)).line, 10);
    s = await move(() => dc.reverseContinueRequest({ threadId: 1 }));
    assert.equal((await top(s.body.threadId)).line, 8);
    // Forwards: the removal at line 10 is the next change (the failed H_REMOVE at 11 writes nothing).
    s = await move(() => dc.continueRequest({ threadId: 1 }));
    assert.equal((await top(s.body.threadId)).line, 10);
    // The other vcpu's thread shows its latest earlier hcall.
    const other = await dc.stackTraceRequest({ threadId: 1 });
    assert.equal(other.body.stackFrames[0].line, 9);
  });

  test('conditional, hit-count and log-point breakpoints', async () => {
    await launch({ trace: IO_BAR }, async () => {
      await dc.setExceptionBreakpointsRequest({ filters: [] });
      const fb = await dc.setFunctionBreakpointsRequest({
        breakpoints: [{ name: 'H_ENTER', condition: 'ptel.I && slot.io && ret == H_SUCCESS' }, { name: 'H_NOPE' }],
      });
      assert.ok(fb.body.breakpoints[0].verified);
      assert.ok(!fb.body.breakpoints[1].verified);
      const lb = await dc.setBreakpointsRequest({
        source: { path: IO_BAR },
        breakpoints: [
          { line: 16, logMessage: 'entered at {out.r4}, WIMG {ptel.WIMG}' },
          { line: 13 },
          { line: 30, condition: 'ptel.Q' },
          { line: 32, condition: 'pte_index >= 0x4000 && ret == H_PARAMETER' },
        ],
      });
      assert.deepEqual(
        lb.body.breakpoints.map((b) => b.verified),
        [true, false, false, true],
      );
      assert.match(lb.body.breakpoints[2].message!, /ptel has no field Q/);
    });
    const log = dc.assertOutput('console', 'entered at 0x108, WIMG 0x2');
    let s = await move(() => dc.continueRequest({ threadId: 1 }));
    await log;
    assert.equal(s.body.reason, 'function breakpoint');
    assert.equal((await top()).line, 20); // line 18 has ptel.I but its slot is RAM; 22 fails
    s = await move(() => dc.continueRequest({ threadId: 1 }));
    assert.equal((await top()).line, 32);
    assert.equal(s.body.reason, 'breakpoint');
    // Hit counts: the third H_ENTER from the entry.
    await dc.setBreakpointsRequest({ source: { path: IO_BAR }, breakpoints: [] });
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'H_ENTER', hitCondition: '== 3' }] });
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    // Counting goes both ways: backwards from 32 the third H_ENTER is line 26.
    s = await move(() => dc.reverseContinueRequest({ threadId: 1 }));
    assert.equal((await top()).line, 26);
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await move(() => dc.reverseContinueRequest({ threadId: 1 })); // to the entry
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'H_ENTER', hitCondition: '== 3' }] }); // a fresh counter
    s = await move(() => dc.continueRequest({ threadId: 1 }));
    assert.equal((await top()).line, 18);
    // Exception filter with a condition: H_PARAMETER only where no memslot holds the address.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc.setExceptionBreakpointsRequest({
      filters: [],
      filterOptions: [{ filterId: 'H_PARAMETER', condition: 'slot == 0 || !(slot >= 0)' }],
    });
    s = await move(() => dc.continueRequest({ threadId: 1 }));
    assert.equal((await top()).line, 30);
  });

  test('variables of every scope', async () => {
    await launch({ trace: IO_BAR });
    await move(() => dc.continueRequest({ threadId: 1 })); // line 22, memslot 1 (the BAR)
    const f = await top();
    const vars = await scopeVars(f.id);
    assert.deepEqual([...vars.keys()], ['hcall', 'memslot', 'slot_phys entry', 'PTEG', 'machine']);
    const h = vars.get('hcall')!;
    assert.equal(v(h, 'hcall').value, 'H_ENTER (0x8)');
    assert.equal(v(h, 'result').value, 'H_PARAMETER');
    assert.equal(v(h, 'recorded').value, 'H_PARAMETER');
    assert.match(v(h, 'deciding check').value, /kvmppc_h_enter: guest WIMG WI-G/);
    const args = (await dc.variablesRequest({ variablesReference: v(h, 'arguments').variablesReference })).body
      .variables;
    const ptel = v(args, 'ptel');
    assert.match(ptel.value, /^0x20001106a {2}\(RPN 0x200011000 WIMG WI-G PP 2\)/);
    const fields = (await dc.variablesRequest({ variablesReference: ptel.variablesReference })).body.variables;
    assert.match(v(fields, 'I').value, /^0x1 {2}cache-inhibited/);
    assert.equal(v(fields, 'I').evaluateName, 'ptel.I');
    const ms = vars.get('memslot')!;
    assert.equal(v(ms, 'id').value, '1');
    assert.match(v(ms, 'backing vma').value, /pfnmap pgoff 0x200000 cache=I/);
    const sp = v(ms, 'slot_phys');
    assert.equal(sp.indexedVariables, 16);
    const page = (
      await dc.variablesRequest({ variablesReference: sp.variablesReference, filter: 'indexed', start: 1, count: 2 })
    ).body.variables;
    assert.equal(page.length, 2);
    assert.match(page[0].value, /^gfn 0x20001: 0x2000010020 /);
    const e = vars.get('slot_phys entry')!;
    assert.equal(v(e, 'pfn').value, '0x200001');
    assert.match(v(e, 'io').value, /^I /);
    const pteg = vars.get('PTEG')!;
    assert.equal(pteg.length, 8);
    assert.match(v(pteg, '[0x118] ←').value, /^valid v 0x4000000000004005/);
    const kids = (await dc.variablesRequest({ variablesReference: v(pteg, '[0x118] ←').variablesReference })).body
      .variables;
    assert.deepEqual(
      kids.map((k) => k.name),
      ['v', 'r (host)', 'r (guest view)'],
    );
    const m = vars.get('machine')!;
    assert.match(v(m, 'cpu').value, /^power7/);
    assert.equal(v(m, 'host page size').value, '64K');
    assert.match(v(m, 'HPT size').value, /order 18: 256K, 0x4000 entries/);
    assert.equal(v(m, 'HPT entries').indexedVariables, 0x4000);
    const counts = (await dc.variablesRequest({ variablesReference: v(m, 'results so far').variablesReference })).body
      .variables;
    assert.deepEqual(
      counts.map((c) => `${c.name}=${c.value}`),
      ['H_SUCCESS=4', 'H_PARAMETER=1'],
    );
    // The extension's custom request.
    const st = await dc.customRequest('hptrace.machineState');
    assert.equal(st.body.line, 22);
    assert.equal(st.body.memslots.length, 2);
    assert.equal(st.body.memslots[1].backing.cache, 'I');
    const phys = await dc.customRequest('hptrace.slotPhys', { slot: 0 });
    assert.equal(phys.body.entries[0].order, 8);
  });

  test('step into the explanation, through the checks, and out', async () => {
    await launch({ trace: IO_BAR });
    await move(() => dc.continueRequest({ threadId: 1 })); // line 22
    let s = await move(() => dc.stepInRequest({ threadId: 1 }));
    let st = await dc.stackTraceRequest({ threadId: 1 });
    assert.equal(st.body.stackFrames[0].name, 'kvmppc_h_enter');
    assert.equal(st.body.stackFrames[1].line, 22);
    assert.match(s.body.description!, /kvmppc_h_enter: psize = 64K/);
    const ref = st.body.stackFrames[0].source!.sourceReference!;
    assert.ok(ref > 0);
    const src = await dc.sourceRequest({ sourceReference: ref, source: { sourceReference: ref } });
    const lines = src.body.content.split('\n');
    const decided = lines.findIndex((l) => l.startsWith('▶'));
    assert.match(
      lines[decided],
      /hpte_cache_flags_ok.*does not match the slot's cache bits I {2}<== decides H_PARAMETER/,
    );
    for (let k = 0; k < 20 && !/decid/.test(s.body.description!); k++)
      s = await move(() => dc.nextRequest({ threadId: 1 }));
    assert.match(s.body.description!, /✗ kvmppc_h_enter: guest WIMG .* → H_PARAMETER \(deciding check\)/);
    assert.equal((await top()).line, decided + 1);
    await move(() => dc.stepOutRequest({ threadId: 1 }));
    st = await dc.stackTraceRequest({ threadId: 1 });
    assert.equal(st.body.stackFrames.length, 1);
    assert.equal(st.body.stackFrames[0].line, 22);
  });

  test('evaluate: hover decodes numbers and names; watch and console', async () => {
    await launch({ trace: IO_BAR });
    await move(() => dc.continueRequest({ threadId: 1 })); // line 22
    let r = await dc.evaluateRequest({ expression: '0x20001106a', context: 'hover' });
    assert.match(r.body.result, /as r: RPN 0x200011000 WIMG WI-G/);
    assert.ok(r.body.variablesReference > 0);
    r = await dc.evaluateRequest({ expression: 'ptel', context: 'hover' });
    assert.match(r.body.result, /^0x20001106a/);
    r = await dc.evaluateRequest({ expression: 'pteh=0x4000000000004085', context: 'hover' });
    assert.match(r.body.result, /1T L V/);
    r = await dc.evaluateRequest({ expression: 'ret == H_PARAMETER && slot.io', context: 'watch' });
    assert.equal(r.body.result, '0x1');
    r = await dc.evaluateRequest({ expression: 'decode 0x2000000020 slot_phys', context: 'repl' });
    assert.match(r.body.result, /pfn 0x200000 order 0 NO_CACHE/);
    r = await dc.evaluateRequest({ expression: 'hpt 0x118', context: 'repl' });
    assert.match(r.body.result, /^valid v 0x4000000000004005/);
    r = await dc.evaluateRequest({ expression: 'memslot 1', context: 'repl' });
    assert.match(r.body.result, /gpa 0x200000000/);
    const stopped = dc.waitForEvent('stopped');
    r = await dc.evaluateRequest({ expression: 'find ret == H_PTEG_FULL', context: 'repl' });
    assert.equal(r.body.result, 'found at line 34');
    await stopped;
    assert.equal((await top()).line, 34);
    const back = dc.waitForEvent('stopped');
    r = await dc.evaluateRequest({ expression: 'goto 18', context: 'repl' });
    await back;
    assert.equal((await top()).line, 18);
    r = await dc.evaluateRequest({ expression: 'made_cacheable', context: 'watch' });
    assert.equal(r.body.result, '0x1');
  });

  test('a malformed trace fails the launch with file:line:col, and the adapter stays usable', async () => {
    await dc.initializeRequest({
      adapterID: 'hptrace',
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: 'path',
    });
    const out = dc.waitForEvent('output');
    await assert.rejects(
      dc.launchRequest({ trace: MALFORMED } as DebugProtocol.LaunchRequestArguments),
      (err: Error) => {
        assert.match(err.message, /malformed\.hptrace:8:35: H_ENTER pte_index: expected a number/);
        return true;
      },
    );
    const ev = await out;
    assert.match(ev.body.output, /malformed\.hptrace:8:35:/);
    await assert.rejects(dc.nextRequest({ threadId: 1 }), /no trace is loaded/);
    assert.equal((await dc.threadsRequest()).body.threads.length, 1);
    // A good launch on the same adapter still works.
    const stopped = dc.waitForEvent('stopped');
    await dc.launchRequest({ trace: IO_BAR } as DebugProtocol.LaunchRequestArguments);
    await dc.configurationDoneRequest();
    await stopped;
    assert.equal((await top()).line, 14);
  });

  test('bad requests get error responses and the adapter keeps answering', async () => {
    await dc.initializeRequest({ adapterID: 'hptrace', pathFormat: 'path' });
    await assert.rejects(dc.nextRequest({ threadId: 1 }), /no trace is loaded/);
    await assert.rejects(dc.stackTraceRequest({ threadId: 1 }), /no trace is loaded/);
    await assert.rejects(dc.launchRequest({} as DebugProtocol.LaunchRequestArguments), /"trace".*is required/);
    await assert.rejects(
      dc.launchRequest({ trace: '/nonexistent.hptrace' } as DebugProtocol.LaunchRequestArguments),
      /Error: \/nonexistent\.hptrace: no such file$/,
    );
    const stopped = dc.waitForEvent('stopped');
    await dc.launchRequest({ trace: IO_BAR } as DebugProtocol.LaunchRequestArguments);
    await dc.configurationDoneRequest();
    await stopped;
    await assert.rejects(dc.variablesRequest({ variablesReference: 987654 }), /unknown variablesReference/);
    await assert.rejects(dc.gotoRequest({ threadId: 1, targetId: 123456 }), /unknown target/);
    await assert.rejects(dc.evaluateRequest({ expression: 'ptel +', context: 'watch' }), /ends too early/);
    await assert.rejects(
      dc.evaluateRequest({ expression: 'nosuchname == 1', context: 'watch' }),
      /unknown name nosuchname/,
    );
    await assert.rejects(dc.evaluateRequest({ expression: 'decode zz', context: 'repl' }), /64-bit number/);
    await assert.rejects(dc.scopesRequest({ frameId: 4242 }), /unknown frameId/);
    await assert.rejects(dc.sourceRequest({ sourceReference: 77 }), /unknown sourceReference/);
    await assert.rejects(dc.exceptionInfoRequest({ threadId: 1 }), /not stopped on an exception/);
    await assert.rejects(dc.customRequest('hptrace.slotPhys', { slot: 9 }), /no memslot 9/);
    await assert.rejects(dc.customRequest('hptrace.nope'), /unknown request/);
    const gt = await dc.gotoTargetsRequest({ source: { path: IO_BAR }, line: 999 });
    assert.deepEqual(gt.body.targets, []);
    // Still fine.
    const s = await move(() => dc.nextRequest({ threadId: 1 }));
    assert.equal(s.body.reason, 'step');
    assert.equal((await top()).line, 14);
    const s2 = await move(() => dc.nextRequest({ threadId: 1 }));
    assert.equal(s2.body.description, 'H_ENTER → H_SUCCESS');
    assert.equal((await top()).line, 16);
    const bl = await dc.customRequest('breakpointLocations', { source: { path: IO_BAR }, line: 12, endLine: 17 });
    assert.deepEqual(bl.body.breakpoints, [{ line: 14 }, { line: 16 }]);
  });

  test('restart goes back to the entry stop with a fresh replay', async () => {
    await launch({ trace: IO_BAR });
    await move(() => dc.continueRequest({ threadId: 1 }));
    const s = await move(() => dc.restartRequest({ arguments: { trace: IO_BAR } as never }));
    assert.equal(s.body.reason, 'entry');
    assert.equal((await top()).line, 14);
  });

  test('reading a long trace for a goto reports progress and can be cancelled, then resumed', async () => {
    // A trace long enough that reading it to the end takes well over the 300 ms progress threshold.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-dap-'));
    const big = path.join(dir, 'big.hptrace');
    const g = spawnNode([path.join(ROOT, 'scripts', 'gen.mjs'), '--hcalls', '400000', '--seed', '3', '--out', big]);
    assert.equal(g.status, 0, g.stderr);
    const lines = fs.readFileSync(big, 'utf8').split('\n');
    let lastLine = lines.length;
    while (!lines[lastLine - 1].startsWith('hcall')) lastLine--;
    await launch({ trace: big, stopOnEntry: true });
    const started = dc.waitForEvent('progressStart') as Promise<DebugProtocol.ProgressStartEvent>;
    const ended = dc.waitForEvent('progressEnd');
    const targets = dc.gotoTargetsRequest({ source: { path: big }, line: lastLine });
    const p = await started;
    assert.equal(p.body.cancellable, true);
    assert.match(p.body.title, /Reading the trace/);
    await dc.customRequest('cancel', { progressId: p.body.progressId });
    await assert.rejects(targets, /cancelled: the trace has been read up to line \d+/);
    await ended;
    // The session is still at its entry stop and answers.
    assert.equal((await top()).line, 25);
    // Asked again, the read goes on from where it stopped and finds the last line.
    const again = await dc.gotoTargetsRequest({ source: { path: big }, line: lastLine });
    assert.equal(again.body.targets.length, 1);
    const s = await move(() => dc.gotoRequest({ threadId: 1, targetId: again.body.targets[0].id }));
    assert.equal(s.body.reason, 'goto');
    assert.equal((await top()).line, lastLine);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
