/**
 * Stepping semantics, driven on the runtime directly (no DAP): the entry stop stands BEFORE the first
 * hcall, every other stop AFTER its hcall; stepping back from the first hcall returns to the entry
 * state; running past the last hcall stops on it; step in walks the checks and leaves at either end.
 */
import { test, describe, beforeEach, afterEach } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { H_PARAMETER } from '../../../src/core/bits';
import { Runtime, StopEvent } from '../../../src/debug/runtime/runtime';
import { ProgressReport, runSliced } from '../../../src/debug/runtime/slices';
import { Expr } from '../../../src/debug/expr';
import { makeGuard } from '../../../src/debug/breakpoints/guards';
import { CONFORMANCE_DIR } from '../../helpers/paths';

const IO_BAR = path.join(CONFORMANCE_DIR, 'io-bar.hptrace');
// io-bar's hcall lines; the first H_PARAMETER is on line 22, the last hcall on line 36.
const HCALL_LINES = [14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36];

let rt: Runtime;
let stops: StopEvent[];
let outputs: string[];

beforeEach(() => {
  rt = new Runtime();
  stops = [];
  outputs = [];
  rt.on('stop', (s) => stops.push(s));
  rt.on('output', (o) => outputs.push(o.text));
});
afterEach(() => rt.close());

/** Where the runtime stands: the line of its hcall and whether that hcall has run. */
function at(): { line: number; executed: boolean } {
  return { line: rt.engine().line(rt.pos), executed: rt.executed };
}

function lastStop(): StopEvent {
  assert.ok(stops.length, 'a stop was reported');
  return stops[stops.length - 1];
}

function launch(stopOnEntry = true, breakOn: string[] = []): void {
  rt.open(IO_BAR, 'io', breakOn);
  rt.start(stopOnEntry);
}

describe('runtime stepping', () => {
  test('entry stop stands before the first hcall; next runs it; step back returns to entry', () => {
    launch();
    assert.deepEqual(at(), { line: 14, executed: false });
    assert.equal(lastStop().reason, 'entry');
    assert.match(lastStop().description, /before the first hcall \(line 14\) executes/);
    // Before the first hcall, the machine holds no HPTE yet.
    assert.equal(rt.engine().m.validHptes, 0);
    rt.next();
    assert.deepEqual(at(), { line: 14, executed: true });
    assert.equal(rt.engine().m.validHptes, 1);
    assert.match(lastStop().description, /^H_ENTER → H_SUCCESS/);
    rt.next();
    assert.deepEqual(at(), { line: 16, executed: true });
    rt.stepBack();
    assert.deepEqual(at(), { line: 14, executed: true });
    rt.stepBack();
    assert.deepEqual(at(), { line: 14, executed: false });
    assert.equal(lastStop().reason, 'entry');
    assert.match(lastStop().description, /^Stepped back to the start/);
    assert.equal(rt.engine().m.validHptes, 0);
    rt.stepBack();
    assert.match(lastStop().description, /^Already at the start of the trace/);
    assert.deepEqual(at(), { line: 14, executed: false });
  });

  test('next walks every hcall in order and stops on the last one at the end of the trace', () => {
    launch();
    const seen: number[] = [];
    for (let k = 0; k < HCALL_LINES.length; k++) {
      rt.next();
      seen.push(at().line);
    }
    assert.deepEqual(seen, HCALL_LINES);
    rt.next();
    assert.match(lastStop().description, /^End of trace/);
    assert.deepEqual(at(), { line: 36, executed: true });
  });

  test('continue stops after an H_PARAMETER (a default filter) with no breakpoint id', async () => {
    launch();
    assert.equal(await rt.continue(), 'line 22');
    assert.deepEqual(at(), { line: 22, executed: true });
    const s = lastStop();
    assert.equal(s.reason, 'exception');
    assert.equal(s.exception?.exceptionId, 'H_PARAMETER');
    assert.equal(s.hitIds, undefined, 'exception filters have no id the client was given');
    assert.equal(rt.engine().ret(rt.pos), H_PARAMETER);
  });

  test('reverse continue finds the previous hit and then the entry state', async () => {
    launch();
    await rt.continue(); // 22
    await rt.continue(); // 24
    assert.equal(at().line, 24);
    await rt.reverseContinue();
    assert.deepEqual(at(), { line: 22, executed: true });
    assert.equal(await rt.reverseContinue(), 'start');
    assert.deepEqual(at(), { line: 14, executed: false });
    assert.match(lastStop().description, /^Reached the start of the trace/);
  });

  test('running past the last hcall stops on it ("end of trace"), so one can go back', async () => {
    launch();
    rt.bps.setExceptions([]);
    assert.equal(await rt.continue(), 'end');
    assert.deepEqual(at(), { line: 36, executed: true });
    assert.match(lastStop().description, /^End of trace: the last hcall \(line 36\) has run/);
    rt.stepBack();
    assert.deepEqual(at(), { line: 34, executed: true });
  });

  test('a launch breakOn seeds the filters; setting the filters afterwards replaces them', async () => {
    rt.bps.setExceptions([]); // the client turned every filter off before the launch
    launch(true, ['H_PTEG_FULL']);
    assert.equal(await rt.continue(), 'line 34'); // not 22: H_PARAMETER stays off
    rt.open(IO_BAR, 'io', ['H_PARAMETER']); // a restart seeds again
    rt.start(true);
    rt.bps.setExceptions([]); // and the client turns everything off
    assert.equal(await rt.continue(), 'end');
  });

  test('goto jumps both ways to the state after the target hcall', async () => {
    launch();
    const k30 = await rt.recordForLine(30);
    rt.goto(k30);
    assert.deepEqual(at(), { line: 30, executed: true });
    assert.equal(lastStop().reason, 'goto');
    const k16 = await rt.recordForLine(15); // a comment line means the next hcall
    rt.goto(k16);
    assert.deepEqual(at(), { line: 16, executed: true });
    assert.equal(rt.engine().m.validHptes, 2);
    assert.throws(() => rt.goto(0), /goto: unknown target/); // record 0 is the header, not an hcall
  });

  test('step in walks the checks of the current hcall; step out and stepping past the end leave', async () => {
    launch();
    await rt.continue(); // 22, H_PARAMETER
    rt.stepIn();
    const x = rt.expl;
    assert.ok(x, 'inside the explanation');
    assert.equal(x.cursor, 0);
    rt.next();
    assert.equal(rt.expl?.cursor, 1);
    rt.stepBack();
    assert.equal(rt.expl?.cursor, 0);
    rt.stepBack(); // before the first check: back at the trace level, same position
    assert.equal(rt.expl, null);
    assert.match(lastStop().description, /^Back in the trace/);
    assert.deepEqual(at(), { line: 22, executed: true });
    rt.stepIn();
    rt.stepOut();
    assert.equal(rt.expl, null);
    assert.deepEqual(at(), { line: 22, executed: true });
    rt.stepOut();
    assert.match(lastStop().description, /^Already at the trace level/);
  });

  test('a line breakpoint with a condition, a hit count and a log point', async () => {
    launch();
    const bps = rt.bps;
    bps.setExceptions([]);
    const lb = (line: number, cond?: string, hit?: string, log?: string) =>
      bps.lines.set(line, { id: bps.newId(), kind: 'line', guard: makeGuard(cond, hit, log), label: `l${line}`, line });
    lb(16, 'pte_index == 0x999'); // never holds
    lb(18, undefined, undefined, 'ptel={ptel} wimg={ptel.WIMG}');
    lb(20, 'slot.io != 0', '2'); // holds, but the hit count wants the second time
    const id26 = bps.newId();
    bps.lines.set(26, { id: id26, kind: 'line', guard: makeGuard('ret == H_PARAMETER'), label: 'l26', line: 26 });
    assert.equal(await rt.continue(), 'line 26');
    assert.deepEqual(lastStop().hitIds, [id26]);
    assert.deepEqual(outputs, ['ptel=0x201102a wimg=0x5']);
  });

  test('find runs to the first hcall where a condition holds', async () => {
    launch();
    assert.equal(await rt.find(Expr.parse('pte_index == 0x120')), 'line 28');
    assert.deepEqual(at(), { line: 28, executed: true });
    assert.equal(await rt.find(Expr.parse('pte_index == 0x999')), 'end');
  });

  test('motion while a run is going on is refused; pause stops the run at the last hcall', async () => {
    // A trace long enough that a run takes several slices.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-rt-'));
    const file = path.join(dir, 'long.hptrace');
    const head = fs.readFileSync(IO_BAR, 'utf8').split('\n').slice(0, 11).join('\n');
    const body = Array.from(
      { length: 200000 },
      (_x, k) =>
        `hcall H_ENTER flags=0x0 pte_index=0x${(0x100 + (k % 64) * 8).toString(16)} pteh=0x4000000000001005 ptel=0x1000192`,
    ).join('\n');
    fs.writeFileSync(file, head + '\n' + body + '\n');
    try {
      rt.open(file, 'io', []);
      rt.start(true);
      rt.bps.setExceptions([]);
      const running = rt.continue();
      assert.equal(rt.running, true);
      assert.throws(() => rt.next(), /the replay is running/);
      rt.pause();
      assert.equal(await running, 'paused');
      assert.equal(rt.running, false);
      assert.equal(lastStop().reason, 'pause');
      assert.equal(rt.executed, true);
      assert.ok(rt.engine().isHcall(rt.pos));
    } finally {
      rt.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('runSliced (the one time-slice / progress / cancel helper)', () => {
  test('yields between slices, reports progress start/update/end, stops when interrupted', async () => {
    let units = 0;
    const reports: ProgressReport[] = [];
    let stop = false;
    setTimeout(() => (stop = true), 450);
    const r = await runSliced(
      {
        slice: (overdue) => {
          while (!overdue()) units++;
          return undefined;
        },
        status: () => ({ title: 'T', message: `${units}`, percentage: 0 }),
        interrupted: () => (stop ? 'cancel' : null),
      },
      (p) => reports.push(p),
    );
    assert.deepEqual(r, { interrupted: 'cancel' });
    assert.equal(reports[0].kind, 'start');
    assert.equal(reports[0].title, 'T');
    assert.equal(reports[reports.length - 1].kind, 'end');
    assert.ok(reports.every((p) => p.id === reports[0].id));
  });

  test('a short piece of work reports no progress and returns its result', async () => {
    const reports: ProgressReport[] = [];
    const r = await runSliced(
      { slice: () => 42, status: () => ({ title: '', message: '', percentage: 0 }), interrupted: () => null },
      (p) => reports.push(p),
    );
    assert.deepEqual(r, { done: 42 });
    assert.equal(reports.length, 0);
  });
});
