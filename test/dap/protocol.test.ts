/**
 * DAP conformance as seen from clients that are not VS Code: a 0-based client, a client that sends
 * only the required initialize arguments, exception filters turned off after a launch's breakOn,
 * exception stops without breakpoint ids, and what the adapter reads before a launch.
 */
import { test, describe, beforeEach, afterEach } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol } from '@vscode/debugprotocol';
import { CONFORMANCE_DIR, ROOT } from '../helpers/paths';

const ADAPTER = path.join(ROOT, 'dist', 'debugAdapter.js');
const IO_BAR = path.join(CONFORMANCE_DIR, 'io-bar.hptrace');

let dc: DebugClient;
let outputs: DebugProtocol.OutputEvent[];

beforeEach(async () => {
  dc = new DebugClient('node', ADAPTER, 'hptrace');
  dc.defaultTimeout = 4000;
  await dc.start();
  outputs = [];
  dc.on('output', (e: DebugProtocol.OutputEvent) => outputs.push(e));
});
afterEach(async () => {
  await dc.stop();
});

type Stopped = DebugProtocol.StoppedEvent;

async function move(req: () => Promise<unknown>): Promise<Stopped> {
  const stopped = dc.waitForEvent('stopped') as Promise<Stopped>;
  await req();
  return stopped;
}

async function top(): Promise<DebugProtocol.StackFrame> {
  return (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
}

function locations(
  args: DebugProtocol.BreakpointLocationsArguments,
): Promise<DebugProtocol.BreakpointLocationsResponse> {
  return dc.customRequest('breakpointLocations', args) as Promise<DebugProtocol.BreakpointLocationsResponse>;
}

async function launchAfter(args: Record<string, unknown>, setup?: () => Promise<unknown>): Promise<Stopped> {
  const stopped = dc.waitForEvent('stopped') as Promise<Stopped>;
  await dc.launchRequest(args as DebugProtocol.LaunchRequestArguments);
  if (setup) await setup();
  await dc.configurationDoneRequest();
  return stopped;
}

const zeroBased = {
  adapterID: 'hptrace',
  linesStartAt1: false,
  columnsStartAt1: false,
  pathFormat: 'path',
} as DebugProtocol.InitializeRequestArguments;

describe('DAP conformance for other clients', () => {
  test('a 0-based client sees 0-based lines and columns everywhere, and its requests are read as 0-based', async () => {
    await dc.initializeRequest(zeroBased);
    // io-bar's hcalls are on (1-based) lines 14, 16 … 36; the first H_PARAMETER on line 22.
    const bl = await locations({ source: { path: IO_BAR }, line: 12, endLine: 15 });
    assert.deepEqual(bl.body.breakpoints, [{ line: 13 }, { line: 15 }]);
    const sb = await dc.setBreakpointsRequest({
      source: { path: IO_BAR },
      breakpoints: [{ line: 21 }, { line: 17, logMessage: 'at {line}' }, { line: 14 }],
    });
    assert.deepEqual(
      sb.body.breakpoints.map((b) => [b.line, b.verified]),
      [
        [21, true],
        [17, true],
        [14, false], // 1-based 15 is a comment
      ],
    );
    const entry = await launchAfter({ trace: IO_BAR });
    assert.equal(entry.body.reason, 'entry');
    let f = await top();
    assert.equal(f.line, 13);
    assert.equal(f.column, 0);
    const hit = await move(() => dc.continueRequest({ threadId: 1 }));
    assert.equal(hit.body.reason, 'breakpoint');
    assert.deepEqual(hit.body.hitBreakpointIds, [sb.body.breakpoints[0].id]);
    assert.equal((await top()).line, 21);
    // The log point's output names its line in the client's numbering; its text is the engine's line.
    const log = outputs.find((o) => o.body.output.startsWith('at '));
    assert.ok(log, 'log point output');
    assert.equal(log.body.output, 'at 0x12\n');
    assert.equal(log.body.line, 17);
    assert.equal(log.body.column, 0);
    const gt = await dc.gotoTargetsRequest({ source: { path: IO_BAR }, line: 28 }); // 1-based 29: a comment
    assert.equal(gt.body.targets.length, 1);
    assert.equal(gt.body.targets[0].line, 29);
    await move(() => dc.gotoRequest({ threadId: 1, targetId: gt.body.targets[0].id }));
    f = await top();
    assert.equal(f.line, 29);
    const stopped = dc.waitForEvent('stopped');
    const r = await dc.evaluateRequest({ expression: 'goto 15', context: 'repl' });
    await stopped;
    assert.equal(r.body.result, 'at line 15');
    assert.equal((await top()).line, 15);
    assert.equal((await dc.evaluateRequest({ expression: 'line', context: 'watch' })).body.result, '0x10');
  });

  test('a client that sends only the required initialize arguments (adapterID) works, 1-based', async () => {
    const init = await dc.initializeRequest({ adapterID: 'hptrace' } as DebugProtocol.InitializeRequestArguments);
    assert.equal(init.success, true);
    assert.equal(init.body?.supportsStepBack, true);
    const s = await launchAfter({ trace: IO_BAR });
    assert.equal(s.body.reason, 'entry');
    const f = await top();
    assert.equal(f.line, 14);
    assert.equal(f.column, 1);
  });

  test('breakOn only seeds the filters: clearing them afterwards runs to the end', async () => {
    await dc.initializeRequest(zeroBased);
    await launchAfter({ trace: IO_BAR, breakOn: ['H_PARAMETER', 'H_PTEG_FULL'] }, () =>
      dc.setExceptionBreakpointsRequest({ filters: [] }),
    );
    const s = await move(() => dc.continueRequest({ threadId: 1 }));
    assert.equal(s.body.reason, 'step');
    assert.match(s.body.description!, /^End of trace/);
    assert.equal((await top()).line, 35);
  });

  test('breakOn as one string is a filter; an unknown one is named', async () => {
    await dc.initializeRequest({ adapterID: 'hptrace' } as DebugProtocol.InitializeRequestArguments);
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    const entry = await launchAfter({ trace: IO_BAR, breakOn: 'H_PTEG_FULL' });
    assert.equal(entry.body.reason, 'entry');
    const s = await move(() => dc.continueRequest({ threadId: 1 }));
    assert.equal(s.body.reason, 'exception');
    assert.equal((await top()).line, 34);
    await assert.rejects(
      dc.restartRequest({ arguments: { trace: IO_BAR, breakOn: 'H_PARAM' } as never }),
      /unknown breakOn filter "H_PARAM"; expected H_PARAMETER, failure, H_PTEG_FULL/,
    );
  });

  test('an exception stop carries no hitBreakpointIds the client was never given', async () => {
    await dc.initializeRequest({ adapterID: 'hptrace' } as DebugProtocol.InitializeRequestArguments);
    await launchAfter({ trace: IO_BAR, breakOn: ['H_PARAMETER'] });
    const s = await move(() => dc.continueRequest({ threadId: 1 }));
    assert.equal(s.body.reason, 'exception');
    assert.equal(s.body.hitBreakpointIds, undefined);
    assert.equal((await dc.exceptionInfoRequest({ threadId: 1 })).body.exceptionId, 'H_PARAMETER');
  });

  test('before a launch, breakpoints on files that are not traces answer at once and read nothing', async () => {
    await dc.initializeRequest({ adapterID: 'hptrace' } as DebugProtocol.InitializeRequestArguments);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-dap-'));
    const secret = path.join(dir, 'notes.txt');
    fs.writeFileSync(secret, 'hcall-like secretword\nhcall H_ENTER secret line two\n');
    try {
      const HEADER = 'expected the header "hptrace 1" or "hptrace 2" as the first record';
      const why: [string, string | RegExp][] = [
        ['/etc/passwd', new RegExp(`^/etc/passwd:\\d+:\\d+: ${HEADER}$`)],
        ['/dev/zero', '/dev/zero: not a regular file'],
        [dir, `${dir}: is a directory`],
        [secret, `${secret}:1:1: ${HEADER}`],
      ];
      for (const [p, message] of why) {
        const t0 = Date.now();
        const sb = await dc.setBreakpointsRequest({ source: { path: p }, breakpoints: [{ line: 1 }, { line: 2 }] });
        const bl = await locations({ source: { path: p }, line: 1, endLine: 100 });
        assert.ok(Date.now() - t0 < 2000, `${p} answered promptly`);
        assert.deepEqual(
          sb.body.breakpoints.map((b) => b.verified),
          [false, false],
          p,
        );
        // The CLI's message for the same file (FILE: why, or the parser's header error), never its content.
        if (typeof message === 'string') assert.equal(sb.body.breakpoints[0].message, message);
        else assert.match(sb.body.breakpoints[0].message!, message);
        assert.doesNotMatch(JSON.stringify(sb.body), /root|secret/);
        assert.deepEqual(bl.body.breakpoints, [], p);
      }
      // Launching on a file that is not a trace does not quote it either.
      await assert.rejects(
        dc.launchRequest({ trace: secret } as DebugProtocol.LaunchRequestArguments),
        (err: Error) => {
          assert.equal(err.message, `${secret}:1:1: ${HEADER}`);
          assert.doesNotMatch(err.message, /secretword|hcall-like/);
          return true;
        },
      );
      await assert.rejects(
        dc.launchRequest({ trace: '/dev/zero' } as DebugProtocol.LaunchRequestArguments),
        /Error: \/dev\/zero: not a regular file$/,
      );
      assert.ok(!outputs.some((o) => /secretword|root:/.test(o.body.output)));
      // A real trace before the launch is read as before.
      const ok = await locations({ source: { path: IO_BAR }, line: 12, endLine: 17 });
      assert.deepEqual(ok.body.breakpoints, [{ line: 14 }, { line: 16 }]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('a goto or find typed in the console sends continued before its stop (evaluate does not imply running)', async () => {
  await dc.initializeRequest({ adapterID: 'hptrace' } as DebugProtocol.InitializeRequestArguments);
  await launchAfter({ trace: IO_BAR, stopOnEntry: true });
  const order: string[] = [];
  dc.on('continued', () => order.push('continued'));
  dc.on('stopped', (e: Stopped) => order.push(`stopped:${e.body.reason}`));
  const stopped = dc.waitForEvent('stopped') as Promise<Stopped>;
  await dc.evaluateRequest({ expression: 'goto 34', context: 'repl' });
  assert.equal((await stopped).body.reason, 'goto');
  assert.deepEqual(order, ['continued', 'stopped:goto']);
});
