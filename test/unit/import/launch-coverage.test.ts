/**
 * The debugger says at launch whether an imported trace is partial and why: the real adapter
 * (dist/debugAdapter.js) over DAP, on a POWER7-style partial and a POWER9-style complete import.
 */
import { test, afterEach } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol } from '@vscode/debugprotocol';
import { importCaptures } from '../../../src/import/importer';
import { FIXTURES_DIR, ROOT } from '../../helpers/paths';

const cap = (f: string) => path.join(FIXTURES_DIR, 'captures', f);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-launch-cov-'));
let dc: DebugClient | null = null;
afterEach(async () => {
  await dc?.stop();
  dc = null;
});

/** Launches the adapter on a trace; returns every output event until the first stop. */
async function launchOutputs(trace: string): Promise<DebugProtocol.OutputEvent[]> {
  dc = new DebugClient('node', path.join(ROOT, 'dist', 'debugAdapter.js'), 'hptrace');
  await dc.start();
  const outputs: DebugProtocol.OutputEvent[] = [];
  dc.on('output', (e) => outputs.push(e as DebugProtocol.OutputEvent));
  const stopped = dc.waitForEvent('stopped');
  await dc.initializeRequest({ adapterID: 'hptrace', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  await dc.launchRequest({ trace, stopOnEntry: true } as DebugProtocol.LaunchRequestArguments);
  await dc.configurationDoneRequest();
  await stopped;
  return outputs;
}

test('launch on a POWER7-style import: an important message says the trace is partial and why', async () => {
  const out = path.join(tmp, 'p7.hptrace');
  importCaptures({ hcalls: cap('p7-ftrace.txt'), htab: cap('htab-start.txt'), set: ['host.cpu=power7'] }, out);
  const outs = await launchOutputs(out);
  const cov = outs.find((o) => /This trace is/.test(o.body.output));
  assert.ok(cov, outs.map((o) => o.body.output).join(''));
  assert.equal(cov.body.category, 'important');
  assert.match(cov.body.output, /PARTIAL.*real mode.*passed on to QEMU/s);
});

test('launch on a POWER9-style import: the console says the trace is complete', async () => {
  const out = path.join(tmp, 'p9.hptrace');
  importCaptures({ hcalls: cap('p9-trace-cmd.txt'), set: ['host.cpu=power9'] }, out);
  const outs = await launchOutputs(out);
  const cov = outs.find((o) => /This trace is/.test(o.body.output));
  assert.ok(cov);
  assert.equal(cov.body.category, 'console');
  assert.match(cov.body.output, /^This trace is COMPLETE/);
});

test('launch on a version 1 trace says nothing about coverage', async () => {
  const outs = await launchOutputs(path.join(ROOT, 'examples', '1-io-bar.hptrace'));
  assert.equal(outs.filter((o) => /This trace is/.test(o.body.output)).length, 0);
});

test('the debugger shows an unknown result as unknown: stop description, frame name and the result variable', async () => {
  const f = path.join(tmp, 'unknown.hptrace');
  fs.writeFileSync(
    f,
    'hptrace 2\ncoverage partial why=bulk-truncated\nhpt order=18\n' +
      'hcall vcpu=0 H_REMOVE 0x0 ? 0x0 -> H_SUCCESS\nhcall vcpu=0 H_READ 0x0 0x1\n',
  );
  await launchOutputs(f);
  const d = dc!;
  const stopped = d.waitForEvent('stopped');
  await d.nextRequest({ threadId: 1 });
  const ev = (await stopped) as DebugProtocol.StoppedEvent;
  assert.match(ev.body.description ?? '', /H_REMOVE → unknown/);
  const st = await d.stackTraceRequest({ threadId: 1 });
  assert.match(st.body.stackFrames[0].name, /H_REMOVE → unknown/);
  const scopes = await d.scopesRequest({ frameId: st.body.stackFrames[0].id });
  const found: string[] = [];
  for (const sc of scopes.body.scopes) {
    const vars = await d.variablesRequest({ variablesReference: sc.variablesReference });
    for (const v of vars.body.variables) if (v.name === 'result') found.push(v.value);
  }
  assert.deepEqual(found, ['unknown']);
});
