/** The real debug adapter (dist/debugAdapter.js) driven over DAP, as VS Code drives it. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol } from '@vscode/debugprotocol';

const root = path.resolve(__dirname, '..', '..', '..');
const adapter = path.join(root, 'dist', 'debugAdapter.js');
const conf = path.resolve(root, '..', 'shared', 'conformance');
const IO_BAR = path.join(conf, 'io-bar.hptrace');
const RRP = path.join(conf, 'remove-read-protect.hptrace');
const MALFORMED = path.join(root, 'test', 'fixtures', 'dap-malformed.hptrace');

async function start(): Promise<DebugClient> {
  const dc = new DebugClient(process.execPath, adapter, 'hptrace');
  await dc.start();
  return dc;
}

async function launch(dc: DebugClient, args: Record<string, unknown>, exceptionFilters?: string[]): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped', 5000) as Promise<DebugProtocol.StoppedEvent>;
  await dc.initializeRequest({ adapterID: 'hptrace', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true, supportsProgressReporting: false } as DebugProtocol.InitializeRequestArguments);
  const init = dc.waitForEvent('initialized', 5000);
  await dc.launch(args as DebugProtocol.LaunchRequestArguments);
  await init;
  if (exceptionFilters) await dc.setExceptionBreakpointsRequest({ filters: exceptionFilters });
  await dc.configurationDoneRequest();
  return stopped;
}

async function topLine(dc: DebugClient): Promise<number> {
  const st = await dc.stackTraceRequest({ threadId: 1 });
  return st.body.stackFrames[st.body.stackFrames.length - 1].line;
}

async function next(dc: DebugClient, req: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped', 5000) as Promise<DebugProtocol.StoppedEvent>;
  await req();
  return stopped;
}

async function scopeVars(dc: DebugClient, scope: string): Promise<DebugProtocol.Variable[]> {
  const sc = await dc.scopesRequest({ frameId: 1 });
  const s = sc.body.scopes.find((x) => x.name === scope);
  assert.ok(s, `scope ${scope} in ${sc.body.scopes.map((x) => x.name).join(', ')}`);
  return (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables;
}

describe('hptrace debug adapter over DAP', () => {
  let dc: DebugClient;
  before(async () => {
    dc = await start();
  });
  after(async () => {
    await dc.stop();
  });

  it('stops on entry at the first hcall, before it runs', async () => {
    const ev = await launch(dc, { trace: IO_BAR, stopOnEntry: true }, ['H_PARAMETER']);
    assert.equal(ev.body.reason, 'entry');
    assert.equal(await topLine(dc), 14);
    const hcall = await scopeVars(dc, 'hcall');
    assert.match(hcall.find((v) => v.name === 'result')!.value, /not executed yet/);
  });

  it('continue stops on the first H_PARAMETER with the right line and exception info', async () => {
    const ev = await next(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.equal(ev.body.reason, 'exception');
    assert.equal(await topLine(dc), 22);
    const info = await dc.exceptionInfoRequest({ threadId: 1 });
    assert.equal(info.body.exceptionId, 'H_PARAMETER');
    assert.match(info.body.description!, /H_ENTER → H_PARAMETER at line 22: guest WIMG WI-G: W=1 I=1 does not match the slot's cache bits I/);
  });

  it('variables: the hcall scope decodes ptel; memslot, slot_phys, PTEG and machine scopes', async () => {
    const hcall = await scopeVars(dc, 'hcall');
    const args = hcall.find((v) => v.name === 'arguments')!;
    const argv = (await dc.variablesRequest({ variablesReference: args.variablesReference })).body.variables;
    const ptel = argv.find((v) => v.name === 'ptel')!;
    assert.match(ptel.value, /^0x20001106a .*WIMG WI-G/);
    const fields = (await dc.variablesRequest({ variablesReference: ptel.variablesReference })).body.variables;
    assert.match(fields.find((f) => f.name === 'I')!.value, /0x1 +cache-inhibited/);
    assert.match(fields.find((f) => f.name === 'RPN')!.value, /address 0x200011000/);
    const slot = await scopeVars(dc, 'memslot');
    assert.equal(slot.find((v) => v.name === 'id')!.value, '1');
    const sp = await scopeVars(dc, 'slot_phys');
    assert.match(sp.find((v) => v.name === 'io')!.value, /I \(I\/O mapping\)/);
    const pteg = await scopeVars(dc, 'PTEG');
    assert.equal(pteg.length, 8);
    assert.match(pteg[0].value, /valid v 0x4000000000004005/);
    const machine = await scopeVars(dc, 'machine');
    assert.match(machine.find((v) => v.name === 'HPT')!.value, /0x4000 entries/);
    const hpt = machine.find((v) => v.name === 'HPT entries')!;
    assert.equal(hpt.indexedVariables, 0x4000);
    const page = (await dc.variablesRequest({ variablesReference: hpt.variablesReference, filter: 'indexed', start: 0x118, count: 2 })).body.variables;
    assert.equal(page.length, 2);
    assert.match(page[0].value, /valid v 0x4000000000004005/);
  });

  it('evaluate for hover decodes a hex value and resolves names', async () => {
    const hex = await dc.evaluateRequest({ expression: '0x20001106a', context: 'hover' });
    assert.match(hex.body.result, /as r: RPN 0x200011000 WIMG WI-G PP 2/);
    const ptel = await dc.evaluateRequest({ expression: 'ptel', context: 'hover', frameId: 1 });
    assert.match(ptel.body.result, /^0x20001106a +\(RPN/);
    const cond = await dc.evaluateRequest({ expression: 'ptel.I && slot.io', context: 'watch', frameId: 1 });
    assert.equal(cond.body.result, '0x1');
  });

  it('continue to the next H_PARAMETER, step back, and reverse continue to the previous hit', async () => {
    await next(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.equal(await topLine(dc), 24);
    await next(dc, () => dc.stepBackRequest({ threadId: 1 }));
    assert.equal(await topLine(dc), 22);
    await next(dc, () => dc.nextRequest({ threadId: 1 }));
    await next(dc, () => dc.nextRequest({ threadId: 1 }));
    assert.equal(await topLine(dc), 26);
    const ev = await next(dc, () => dc.customRequest('reverseContinue', { threadId: 1 }));
    assert.equal(ev.body.reason, 'exception');
    assert.equal(await topLine(dc), 24);
  });

  it('jumps to a line with gotoTargets + goto, forwards and backwards', async () => {
    const t = await dc.gotoTargetsRequest({ source: { path: IO_BAR }, line: 34 });
    assert.equal(t.body.targets.length, 1);
    await next(dc, () => dc.gotoRequest({ threadId: 1, targetId: t.body.targets[0].id }));
    assert.equal(await topLine(dc), 34);
    const back = await dc.gotoTargetsRequest({ source: { path: IO_BAR }, line: 16 });
    await next(dc, () => dc.gotoRequest({ threadId: 1, targetId: back.body.targets[0].id }));
    assert.equal(await topLine(dc), 16);
    assert.deepEqual((await dc.gotoTargetsRequest({ source: { path: IO_BAR }, line: 15 })).body.targets, []);
  });

  it('step into an hcall walks its checks; the deciding check is a served source line', async () => {
    const t = await dc.gotoTargetsRequest({ source: { path: IO_BAR }, line: 22 });
    await next(dc, () => dc.gotoRequest({ threadId: 1, targetId: t.body.targets[0].id }));
    await next(dc, () => dc.stepInRequest({ threadId: 1 }));
    let st = await dc.stackTraceRequest({ threadId: 1 });
    assert.equal(st.body.stackFrames.length, 2);
    assert.equal(st.body.stackFrames[0].name, 'kvmppc_h_enter');
    const ref = st.body.stackFrames[0].source!.sourceReference!;
    const src = await dc.sourceRequest({ sourceReference: ref });
    assert.match(src.body.content, /hpte_page_size/);
    let guardSteps = 0;
    while (!st.body.stackFrames[0].name.endsWith('✗') && guardSteps++ < 20) {
      await next(dc, () => dc.stepInRequest({ threadId: 1 }));
      st = await dc.stackTraceRequest({ threadId: 1 });
    }
    const lines = src.body.content.split('\n');
    assert.match(lines[st.body.stackFrames[0].line - 1], /hpte_cache_flags_ok/);
    await next(dc, () => dc.stepOutRequest({ threadId: 1 }));
    st = await dc.stackTraceRequest({ threadId: 1 });
    assert.equal(st.body.stackFrames.length, 1);
  });

  it('answers bad requests with errors and stays usable', async () => {
    await assert.rejects(dc.variablesRequest({ variablesReference: 99999 }), /unknown variablesReference/);
    await assert.rejects(dc.gotoRequest({ threadId: 1, targetId: 12345 }), /unknown target/);
    await assert.rejects(dc.evaluateRequest({ expression: 'ptel +* (', context: 'repl', frameId: 1 }));
    await assert.rejects(dc.customRequest('hptrace.slotPhys', { slot: 17 }), /no memslot 17/);
    await assert.rejects(dc.customRequest('frobnicate'));
    const st = await dc.customRequest('hptrace.machineState');
    assert.equal(st.body.memslots.length, 2);
    assert.equal(await topLine(dc), 22);
  });
});

describe('breakpoints over DAP', () => {
  it('conditional and hit-count line breakpoints, function breakpoints', async () => {
    const dc = await start();
    try {
      await dc.initializeRequest({ adapterID: 'hptrace', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true } as DebugProtocol.InitializeRequestArguments);
      await dc.launch({ trace: IO_BAR, stopOnEntry: false } as DebugProtocol.LaunchRequestArguments);
      const bps = await dc.setBreakpointsRequest({ source: { path: IO_BAR }, breakpoints: [{ line: 14, condition: 'ptel.I' }, { line: 20, condition: 'slot.io && ret == H_SUCCESS' }, { line: 15 }] });
      assert.deepEqual(bps.body.breakpoints.map((b) => b.verified), [true, true, false]);
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'H_ENTER', hitCondition: '11' }] });
      await dc.setExceptionBreakpointsRequest({ filters: [] });
      const first = dc.waitForEvent('stopped', 5000) as Promise<DebugProtocol.StoppedEvent>;
      await dc.configurationDoneRequest();
      const ev = await first;
      assert.equal(ev.body.reason, 'breakpoint');
      assert.equal(await topLine(dc), 20, 'line 14 has ptel.I = 0, line 20 matches');
      const ev2 = await next(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(ev2.body.reason, 'function breakpoint');
      assert.equal(await topLine(dc), 34, 'the 11th H_ENTER');
    } finally {
      await dc.stop();
    }
  });

  it('a data breakpoint on an HPT slot is found by reverse continue', async () => {
    const dc = await start();
    try {
      await launch(dc, { trace: RRP, stopOnEntry: true }, []);
      const t = await dc.gotoTargetsRequest({ source: { path: RRP }, line: 31 });
      await next(dc, () => dc.gotoRequest({ threadId: 1, targetId: t.body.targets[0].id }));
      const info = await dc.dataBreakpointInfoRequest({ name: 'hpt:130' });
      assert.equal(info.body.dataId, 'hpt:130');
      await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: 'hpt:130' }] });
      const ev = await next(dc, () => dc.customRequest('reverseContinue', { threadId: 1 }));
      assert.equal(ev.body.reason, 'data breakpoint');
      assert.equal(await topLine(dc), 28, 'the H_BULK_REMOVE that removed 0x82');
      await next(dc, () => dc.customRequest('reverseContinue', { threadId: 1 }));
      assert.equal(await topLine(dc), 9, 'the H_ENTER that wrote it');
    } finally {
      await dc.stop();
    }
  });

  it('a malformed trace fails the launch with file:line:col, and the adapter still answers', async () => {
    const dc = await start();
    try {
      await dc.initializeRequest({ adapterID: 'hptrace', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true } as DebugProtocol.InitializeRequestArguments);
      await assert.rejects(dc.launch({ trace: MALFORMED } as DebugProtocol.LaunchRequestArguments), /dap-malformed\.hptrace:6:35: H_ENTER pte_index: expected a number/);
      await assert.rejects(dc.nextRequest({ threadId: 1 }), /no trace is loaded/);
      const th = await dc.threadsRequest();
      assert.equal(th.body.threads.length, 1);
    } finally {
      await dc.stop();
    }
  });
});
