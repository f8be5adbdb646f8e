#!/usr/bin/env node
// `npm run bench`: how fast hptrace is on big traces (issue 5). Prints one figure per line on
// standard output, `NAME: VALUE`, and its progress and side notes on standard error.
//
//   node scripts/bench.mjs              1M- and 10M-hcall traces (suffixes _1m and _10m)
//   node scripts/bench.mjs --quick      100k and 1M (suffixes _100k and _1m), in under two minutes
//   node scripts/bench.mjs --hcalls N   one trace of N hcalls in both roles (a smoke run)
//   options: --runs K (timed runs of each CLI measurement, default 3), --steps K (timed DAP steps,
//            default 7), --no-adapter (adapter figures n/a), --cache DIR
//
// Traces come from scripts/gen.mjs (seed 1) and are cached outside the repository, in
// $HPTRACE_BENCH_CACHE or ~/.cache/hptrace-bench, keyed by the hcall count and a hash of gen.mjs
// (a changed generator makes new traces).
//
// What is measured (wall clock, on whatever else the machine is doing: run it on a quiet machine):
//   floor_s_*            a Node process that reads the trace in 4 MiB chunks, decodes it with a
//                        StringDecoder and splits it into lines, nothing else (median of --runs)
//   replay_s_*           `hptrace replay FILE --quiet` (dist/cli.js), process start to exit (median)
//   replay_ratio_*       replay_s / floor_s
//   cli_rss_mb_*         peak RSS of that replay (process.resourceUsage().maxRSS, via a --require hook)
//   first_stop_entry_ms  through the real debug adapter (dist/debugAdapter.js over DAP, a new
//                        process each time): launch request sent -> the first stop is on screen
//                        (stopped event, then threads, stackTrace and scopes answered), stopOnEntry;
//                        median of 3 (fewer if --steps is smaller)
//   first_stop_param_ms  the same with stopOnEntry false and breakOn ['H_PARAMETER']: running to the
//                        first H_PARAMETER
//   next_ms, stepback_ms, goto_end_ms, reverse_continue_ms
//                        at the far end of the big trace, after it has been read once (the first
//                        goto to the last line reads and indexes the whole trace; that time goes to
//                        standard error as a note). Request sent -> stop on screen, as above; median
//                        of --steps. goto_end: from the first hcall to the last line (gotoTargets +
//                        goto). stepback/next: one hcall back/forward from the end. reverse_continue:
//                        from the last line back to the nearest H_PARAMETER.
//   goto_max_ms          (an addition to the issue's list) the slowest of 12 gotos between lines
//                        scattered over the big trace: a jump's cost depends on how far its target
//                        is from a checkpoint, so the end alone is not the worst case.
//   adapter_rss_mb_*     peak RSS (VmHWM) of the adapter process after all of that on the big trace
//   index_s_*            that first goto to the last line: the adapter's first full read of the big
//                        trace (with progress events), from the request to the stop on screen
//   index_ratio_*        index_s / replay_s of the same trace
//   grammar_us_per_line  µs per line for the TextMate grammar (syntaxes/) to tokenize a 20000-hcall
//                        trace (--hcalls N: that trace) as VS Code does (scripts/bench-grammar.mjs,
//                        which also compares two grammar files; median of 3 passes, ~1 s)
//
// `--huge` (opt-in, not part of npm test) does the same on a 100M-hcall trace (~9.5 GB, generated
// once into the cache; a few minutes): floor_s_100m, replay_s_100m, replay_ratio_100m (one run each
// unless --runs), first_stop_param_ms_100m, index_s_100m, next_ms_100m, stepback_ms_100m,
// goto_max_ms_100m, continue_full_s_100m (a new session: from the entry stop, continue with the
// H_PARAMETER filter under a condition that never holds, to the end of the trace),
// adapter_rss_mb_100m (the larger of the two sessions' peaks).
//
// Adding figures: call figure(NAME, VALUE) (or ctx.figure from another script; see the end of this
// file for where a one-line hook goes).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { cachedTrace, defaultBenchCache, median } from './bench-lib.mjs';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const argv = process.argv.slice(2);

// ---- floor mode: the child process that only reads and splits lines --------------------------------
if (argv[0] === '--floor') {
  const fd = fs.openSync(argv[1], 'r');
  const buf = Buffer.allocUnsafe(4 << 20);
  const dec = new StringDecoder('utf8');
  let carry = '';
  let lines = 0;
  let chars = 0;
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    const text = carry + (n > 0 ? dec.write(buf.subarray(0, n)) : dec.end());
    let s = 0;
    for (;;) {
      const e = text.indexOf('\n', s);
      if (e < 0) break;
      chars += text.slice(s, e).length; // the line as a string, as a reader would hand it on
      lines++;
      s = e + 1;
    }
    carry = text.slice(s);
    if (n === 0) break;
  }
  if (carry.length) lines++;
  process.stdout.write(`${lines} lines ${chars} chars\n`);
  process.exit(0);
}

// ---- options ------------------------------------------------------------------------------------
function usage(msg) {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write(
    'usage: node scripts/bench.mjs [--quick | --hcalls N | --huge] [--runs K] [--steps K] [--no-adapter] [--cache DIR]\n',
  );
  process.exit(2);
}
let quick = false;
let huge = false;
let only = 0;
let runs = 3;
let steps = 7;
let adapter = true;
let cache = defaultBenchCache();
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const num = () => {
    const v = Number(argv[++i]);
    if (!Number.isInteger(v) || v < 1) usage(`${a} needs a positive integer`);
    return v;
  };
  if (a === '--quick') quick = true;
  else if (a === '--huge') huge = true;
  else if (a === '--hcalls') only = num();
  else if (a === '--runs') runs = num();
  else if (a === '--steps') steps = num();
  else if (a === '--no-adapter') adapter = false;
  else if (a === '--cache') cache = argv[++i] ?? usage('--cache needs a directory');
  else usage(`unknown argument ${a}`);
}
const small = only || (quick ? 100_000 : 1_000_000);
const big = only || (quick ? 1_000_000 : 10_000_000);
const SEED = 1;

const label = (n) => (n % 1_000_000 === 0 ? `${n / 1_000_000}m` : n % 1000 === 0 ? `${n / 1000}k` : String(n));
const note = (s) => process.stderr.write(`bench: ${s}\n`);
const figure = (name, value) => process.stdout.write(`${name}: ${value}\n`);
const fmt = (x, digits) => x.toFixed(digits);
/** One named figure, or `n/a (why)` when it could not be measured. */
const figureOr = (name, value, digits, why) =>
  figure(name, value === undefined || value === null || !Number.isFinite(value) ? `n/a (${why})` : fmt(value, digits));

// ---- traces -------------------------------------------------------------------------------------
fs.mkdirSync(cache, { recursive: true });

/** The cached trace of n hcalls, generated on first use; with its line facts (for goto). */
function trace(n) {
  let t0 = 0;
  const file = cachedTrace(root, cache, n, SEED, (f) => {
    note(`generating ${label(n)} hcalls into ${f} …`);
    t0 = Date.now();
  });
  if (t0) note(`generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const metaFile = file + '.json';
  let meta;
  try {
    meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
  } catch {
    meta = lineFacts(file);
    fs.writeFileSync(metaFile, JSON.stringify(meta));
  }
  return { file, n, bytes: fs.statSync(file).size, ...meta };
}

/** Line numbers of the first and last hcall lines. */
function lineFacts(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(4 << 20);
  let line = 1;
  let firstHcall = 0;
  let lastHcall = 0;
  let atLineStart = true;
  let carry = Buffer.alloc(0);
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    const chunk = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
    let s = 0;
    for (;;) {
      if (atLineStart && chunk.length - s < 6) break; // need "hcall " to decide
      if (atLineStart && chunk.toString('latin1', s, s + 6) === 'hcall ') {
        if (!firstHcall) firstHcall = line;
        lastHcall = line;
      }
      const e = chunk.indexOf(10, s);
      if (e < 0) {
        atLineStart = false;
        s = chunk.length;
        break;
      }
      line++;
      atLineStart = true;
      s = e + 1;
    }
    carry = Buffer.from(chunk.subarray(s));
  }
  fs.closeSync(fd);
  return { firstHcall, lastHcall };
}

// ---- CLI runs -----------------------------------------------------------------------------------
const rssHook = path.join(cache, 'rss-hook.cjs');
fs.writeFileSync(
  rssHook,
  "process.on('exit', () => { try { require('fs').writeFileSync(process.env.HPTRACE_BENCH_RSS_OUT, String(process.resourceUsage().maxRSS)); } catch {} });\n",
);
const rssOut = path.join(cache, `rss-${process.pid}.txt`);

/** Runs node with args; wall seconds from spawn to exit and peak RSS in MB. */
function timeNode(args) {
  try {
    fs.unlinkSync(rssOut);
  } catch {
    /* none yet */
  }
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--require', rssHook, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, HPTRACE_BENCH_RSS_OUT: rssOut },
    maxBuffer: 16 << 20,
  });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0)
    throw new Error(`node ${args.join(' ')} failed (exit ${r.status}): ${String(r.stderr).slice(0, 500)}`);
  let rss = NaN;
  try {
    rss = Number(fs.readFileSync(rssOut, 'utf8')) / 1024;
  } catch {
    /* no figure */
  }
  return { secs, rss };
}

const cli = path.join(root, 'dist', 'cli.js');
if (!fs.existsSync(cli)) usage('dist/cli.js is missing: run `npm run build` first');

function cliFigures(t) {
  const floor = [];
  const replay = [];
  const rss = [];
  note(`${label(t.n)}: floor and replay, ${runs} run(s) each (${(t.bytes / 1048576).toFixed(0)} MiB) …`);
  for (let k = 0; k < runs; k++) {
    floor.push(timeNode([path.join(root, 'scripts', 'bench.mjs'), '--floor', t.file]).secs);
    const r = timeNode([cli, 'replay', t.file, '--quiet']);
    replay.push(r.secs);
    rss.push(r.rss);
  }
  note(
    `${label(t.n)}: floor runs ${floor.map((x) => x.toFixed(2)).join(' ')} s, replay runs ${replay.map((x) => x.toFixed(2)).join(' ')} s`,
  );
  return { floor: median(floor), replay: median(replay), rss: Math.max(...rss) };
}

// ---- a small DAP client -------------------------------------------------------------------------
class Dap {
  constructor(child) {
    this.child = child;
    this.seq = 1;
    this.pending = new Map();
    this.events = [];
    this.waiters = [];
    this.buf = Buffer.alloc(0);
    this.exited = null;
    child.stdout.on('data', (d) => this.data(d));
    child.on('exit', (code, sig) => {
      this.exited = `the adapter exited (${sig ?? code})`;
      for (const p of this.pending.values()) p.reject(new Error(this.exited));
      for (const w of this.waiters) w.reject(new Error(this.exited));
      this.pending.clear();
      this.waiters = [];
    });
  }

  data(d) {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const h = this.buf.indexOf('\r\n\r\n');
      if (h < 0) return;
      const m = /Content-Length: *(\d+)/i.exec(this.buf.toString('ascii', 0, h));
      if (!m) throw new Error('DAP: a message without Content-Length');
      const len = Number(m[1]);
      if (this.buf.length < h + 4 + len) return;
      const msg = JSON.parse(this.buf.toString('utf8', h + 4, h + 4 + len));
      this.buf = this.buf.subarray(h + 4 + len);
      this.message(msg);
    }
  }

  message(msg) {
    if (msg.type === 'response') {
      const p = this.pending.get(msg.request_seq);
      if (!p) return;
      this.pending.delete(msg.request_seq);
      if (msg.success) p.resolve(msg);
      else p.reject(new Error(`${msg.command}: ${msg.message ?? 'failed'}`));
    } else if (msg.type === 'event') {
      const k = this.waiters.findIndex((w) => w.name === msg.event);
      if (k >= 0) {
        const [w] = this.waiters.splice(k, 1);
        clearTimeout(w.timer);
        w.resolve(msg);
      } else this.events.push(msg);
    } else if (msg.type === 'request') {
      // reverse requests (runInTerminal …): refuse
      this.send({
        type: 'response',
        request_seq: msg.seq,
        command: msg.command,
        success: false,
        message: 'not supported by the bench',
      });
    }
  }

  send(obj) {
    const body = Buffer.from(JSON.stringify({ seq: this.seq++, ...obj }), 'utf8');
    this.child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.child.stdin.write(body);
  }

  request(command, args, timeoutMs = 60_000) {
    if (this.exited) return Promise.reject(new Error(this.exited));
    const seq = this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`${command}: no response in ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(seq, {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.send({ type: 'request', command, arguments: args });
    });
  }

  /** The next event of that name (queued ones first). */
  event(name, timeoutMs = 60_000) {
    const k = this.events.findIndex((e) => e.event === name);
    if (k >= 0) return Promise.resolve(this.events.splice(k, 1)[0]);
    if (this.exited) return Promise.reject(new Error(this.exited));
    return new Promise((resolve, reject) => {
      const w = { name, resolve, reject, timer: null };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no ${name} event in ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  drop(name) {
    this.events = this.events.filter((e) => e.event !== name);
  }
}

const adapterJs = path.join(root, 'dist', 'debugAdapter.js');

async function startAdapter() {
  // HPTRACE_BENCH_ADAPTER_NODE_ARGS: extra node options for the adapter (e.g. --cpu-prof).
  const extra = (process.env.HPTRACE_BENCH_ADAPTER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, adapterJs], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  const dap = new Dap(child);
  dap.stderr = () => stderr;
  await dap.request('initialize', {
    clientID: 'hptrace-bench',
    adapterID: 'hptrace',
    linesStartAt1: true,
    columnsStartAt1: true,
    pathFormat: 'path',
    supportsProgressReporting: false,
  });
  return dap;
}

async function stopAdapter(dap) {
  try {
    await dap.request('disconnect', {}, 5000);
  } catch {
    /* gone already */
  }
  dap.child.kill();
}

/** After a stopped event: what VS Code asks before it shows the stop. Returns the top frame's line. */
async function showStop(dap, ev) {
  await dap.request('threads', {});
  const st = await dap.request('stackTrace', { threadId: ev.body.threadId ?? 1, startFrame: 0, levels: 20 });
  const top = st.body.stackFrames[0];
  if (top) await dap.request('scopes', { frameId: top.id });
  return top ? top.line : -1;
}

/** Milliseconds from sending `command` to the stop being shown. */
async function timedStop(dap, command, args, timeoutMs = 60_000) {
  dap.drop('stopped');
  const t0 = process.hrtime.bigint();
  await dap.request(command, args, timeoutMs);
  const ev = await dap.event('stopped', timeoutMs);
  const line = await showStop(dap, ev);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, line, ev };
}

/** launch + configuration until the first stop is shown; ms from the launch request. */
async function firstStop(t, launchArgs) {
  const dap = await startAdapter();
  try {
    const filters = launchArgs.breakOn ?? [];
    const t0 = process.hrtime.bigint();
    const launched = dap.request('launch', { trace: t.file, kernel: 'io', ...launchArgs }, 600_000);
    await dap.event('initialized', 600_000);
    await dap.request('setExceptionBreakpoints', { filters });
    await dap.request('configurationDone', {});
    await launched;
    const ev = await dap.event('stopped', 600_000);
    const line = await showStop(dap, ev);
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, line, reason: ev.body.reason };
  } finally {
    await stopAdapter(dap);
  }
}

function vmHwmMb(pid) {
  try {
    const m = /VmHWM:\s*(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

async function adapterFigures(tSmall, tBig) {
  const out = {};
  const entry = [];
  const param = [];
  for (let k = 0; k < Math.min(3, steps); k++) {
    const a = await firstStop(tSmall, { stopOnEntry: true, breakOn: ['H_PARAMETER'] });
    entry.push(a.ms);
    const b = await firstStop(tSmall, { stopOnEntry: false, breakOn: ['H_PARAMETER'] });
    if (b.reason !== 'exception')
      note(`first_stop_param: stopped for "${b.reason}" at line ${b.line}, expected an H_PARAMETER stop`);
    param.push(b.ms);
  }
  out.entry = median(entry);
  out.param = median(param);
  note(
    `${label(tSmall.n)}: first stop on entry ${entry.map((x) => x.toFixed(0)).join(' ')} ms, at the first H_PARAMETER ${param.map((x) => x.toFixed(0)).join(' ')} ms`,
  );

  Object.assign(out, await bigSession(tBig));
  return out;
}

/** Launches on a big trace, reads it whole with a goto to its end, then times steps and jumps there. */
async function bigSession(tBig) {
  const out = {};
  const dap = await startAdapter();
  try {
    const launched = dap.request(
      'launch',
      { trace: tBig.file, kernel: 'io', stopOnEntry: true, breakOn: ['H_PARAMETER'] },
      600_000,
    );
    await dap.event('initialized', 600_000);
    await dap.request('setExceptionBreakpoints', { filters: ['H_PARAMETER'] });
    await dap.request('configurationDone', {});
    await launched;
    await showStop(dap, await dap.event('stopped', 600_000));
    const source = { path: tBig.file, name: path.basename(tBig.file) };
    const gotoLine = async (line, timeoutMs = 60_000) => {
      dap.drop('stopped');
      const t0 = process.hrtime.bigint();
      const tg = await dap.request('gotoTargets', { source, line }, timeoutMs);
      const target = tg.body.targets[0];
      if (!target) throw new Error(`gotoTargets: no target on line ${line}`);
      await dap.request('goto', { threadId: 1, targetId: target.id }, timeoutMs);
      const ev = await dap.event('stopped', timeoutMs);
      const at = await showStop(dap, ev);
      if (at < line) note(`goto line ${line} stopped at line ${at}`);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    note(`${label(tBig.n)}: the first goto to the last line (line ${tBig.lastHcall}) reads the whole trace …`);
    const cold = await gotoLine(tBig.lastHcall, 1_800_000);
    note(`${label(tBig.n)}: first goto to the end (reads and indexes the trace): ${(cold / 1000).toFixed(1)} s`);
    out.index = cold / 1000;
    const gotos = [];
    for (let k = 0; k < steps; k++) {
      await gotoLine(tBig.firstHcall);
      gotos.push(await gotoLine(tBig.lastHcall));
    }
    out.gotoEnd = median(gotos);
    // Jumps between scattered points (not only to the end): the worst one is what a user may hit.
    const anywhere = [];
    for (let k = 0; k < 12; k++) {
      const frac = (((k * 7) % 12) + 0.5) / 12;
      anywhere.push(await gotoLine(Math.max(tBig.firstHcall, Math.round(tBig.lastHcall * frac))));
    }
    out.gotoMax = Math.max(...anywhere);
    note(`${label(tBig.n)}: goto to 12 scattered lines ${anywhere.map((x) => x.toFixed(1)).join(' ')} ms`);
    const backs = [];
    for (let k = 0; k < steps; k++) backs.push((await timedStop(dap, 'stepBack', { threadId: 1 })).ms);
    out.stepBack = median(backs);
    const nexts = [];
    for (let k = 0; k < steps; k++) nexts.push((await timedStop(dap, 'next', { threadId: 1 })).ms);
    out.next = median(nexts);
    const revs = [];
    for (let k = 0; k < steps; k++) {
      await gotoLine(tBig.lastHcall);
      const r = await timedStop(dap, 'reverseContinue', { threadId: 1 }, 600_000);
      if (r.ev.body.reason !== 'exception') note(`reverseContinue stopped for "${r.ev.body.reason}" at line ${r.line}`);
      revs.push(r.ms);
    }
    out.reverse = median(revs);
    note(
      `${label(tBig.n)}: goto end ${gotos.map((x) => x.toFixed(1)).join(' ')} ms; stepBack ${backs.map((x) => x.toFixed(1)).join(' ')} ms; next ${nexts.map((x) => x.toFixed(1)).join(' ')} ms; reverseContinue ${revs.map((x) => x.toFixed(1)).join(' ')} ms`,
    );
    out.rss = vmHwmMb(dap.child.pid);
  } catch (e) {
    throw new Error(`${e.message}${dap.stderr() ? `; adapter stderr: ${dap.stderr().trim().slice(-300)}` : ''}`);
  } finally {
    await stopAdapter(dap);
  }
  return out;
}

/** A new session: from the entry stop, continue to the end with a condition that never holds. */
async function continueFull(t) {
  const dap = await startAdapter();
  try {
    const launched = dap.request('launch', { trace: t.file, kernel: 'io', stopOnEntry: true }, 600_000);
    await dap.event('initialized', 600_000);
    await dap.request('setExceptionBreakpoints', {
      filters: [],
      filterOptions: [{ filterId: 'H_PARAMETER', condition: 'ret != H_PARAMETER' }],
    });
    await dap.request('configurationDone', {});
    await launched;
    await showStop(dap, await dap.event('stopped', 600_000));
    const r = await timedStop(dap, 'continue', { threadId: 1 }, 7_200_000);
    if (r.line < t.lastHcall) note(`continue stopped at line ${r.line}, not at the end (${t.lastHcall})`);
    return { secs: r.ms / 1000, rss: vmHwmMb(dap.child.pid) };
  } finally {
    await stopAdapter(dap);
  }
}

// ---- run ----------------------------------------------------------------------------------------
if (huge) {
  // The 100M-hcall figures only (the issue's `--huge`): CLI once unless --runs, then two adapter sessions.
  const HUGE = 100_000_000;
  const t = trace(HUGE);
  const L = label(HUGE);
  if (!argv.includes('--runs')) runs = 1;
  const f = cliFigures(t);
  figure(`floor_s_${L}`, fmt(f.floor, 3));
  figure(`replay_s_${L}`, fmt(f.replay, 3));
  figure(`replay_ratio_${L}`, fmt(f.replay / f.floor, 2));
  figure(`cli_rss_mb_${L}`, fmt(f.rss, 0));
  let why = adapter ? '' : 'skipped with --no-adapter';
  let a = null;
  let c = null;
  if (adapter) {
    try {
      const p = await firstStop(t, { stopOnEntry: false, breakOn: ['H_PARAMETER'] });
      figure(`first_stop_param_ms_${L}`, fmt(p.ms, 1));
      a = await bigSession(t);
      c = await continueFull(t);
    } catch (e) {
      why = `adapter: ${String(e.message).replace(/\s+/g, ' ').slice(0, 300)}`;
      note(why);
    }
  }
  if (!a && !c) figure(`first_stop_param_ms_${L}`, `n/a (${why})`);
  figureOr(`index_s_${L}`, a?.index, 2, why);
  figureOr(`index_ratio_${L}`, a ? a.index / f.replay : NaN, 2, why);
  figureOr(`next_ms_${L}`, a?.next, 1, why);
  figureOr(`stepback_ms_${L}`, a?.stepBack, 1, why);
  figureOr(`goto_end_ms_${L}`, a?.gotoEnd, 1, why);
  figureOr(`goto_max_ms_${L}`, a?.gotoMax, 1, why);
  figureOr(`reverse_continue_ms_${L}`, a?.reverse, 1, why);
  figureOr(`continue_full_s_${L}`, c?.secs, 1, why || 'the continue session failed');
  figureOr(`adapter_rss_mb_${L}`, Math.max(a?.rss ?? NaN, c?.rss ?? NaN), 0, why || 'no VmHWM');
} else {
  const S = label(small);
  const B = label(big);
  const tSmall = trace(small);
  const tBig = big === small ? tSmall : trace(big);

  for (const t of big === small ? [tSmall] : [tSmall, tBig]) {
    const f = cliFigures(t);
    figure(`floor_s_${label(t.n)}`, fmt(f.floor, 3));
    figure(`replay_s_${label(t.n)}`, fmt(f.replay, 3));
    figure(`replay_ratio_${label(t.n)}`, fmt(f.replay / f.floor, 2));
    t.replay = f.replay;
    if (t === tBig) t.cliRss = f.rss;
  }

  if (!only) await (await import('./bench-import.mjs')).benchImport({ root, cache, runs, note, figure, timeNode }); // import_ratio_1m (issue 13)

  let a = null;
  let why = '';
  if (!adapter) why = 'skipped with --no-adapter';
  else if (!fs.existsSync(adapterJs)) why = 'dist/debugAdapter.js is missing: the adapter is not built';
  else {
    try {
      a = await adapterFigures(tSmall, tBig);
    } catch (e) {
      why = `adapter: ${String(e.message).replace(/\s+/g, ' ').slice(0, 300)}`;
      note(why);
    }
  }
  figureOr(`first_stop_entry_ms_${S}`, a?.entry, 1, why);
  figureOr(`first_stop_param_ms_${S}`, a?.param, 1, why);
  figureOr(`next_ms_${B}`, a?.next, 1, why);
  figureOr(`stepback_ms_${B}`, a?.stepBack, 1, why);
  figureOr(`goto_end_ms_${B}`, a?.gotoEnd, 1, why);
  figureOr(`reverse_continue_ms_${B}`, a?.reverse, 1, why);
  figureOr(`goto_max_ms_${B}`, a?.gotoMax, 1, why);
  figureOr(`index_s_${B}`, a?.index, 2, why);
  figureOr(`index_ratio_${B}`, a ? a.index / tBig.replay : NaN, 2, why);
  figureOr(`cli_rss_mb_${B}`, tBig.cliRss, 0, 'no maxRSS from the replay process');
  figureOr(`adapter_rss_mb_${B}`, a?.rss, 0, why || 'no /proc/PID/status VmHWM on this system');

  // Other scripts' figures: one line each (figure(NAME, VALUE) prints one, note(TEXT) a side note).
  if (adapter) await (await import('./bench-overview.mjs')).overviewBench({ traces: [tSmall, tBig].filter((t, i, a) => a.indexOf(t) === i), figure, note, label }); // prettier-ignore
  await (await import('./bench-grammar.mjs')).benchGrammar({ root, figure, note, trace, hcalls: only || 20_000 }); // grammar_us_per_line
  await (await import('./bench-ui.mjs')).benchUi({ figure, note, trace }); // editor figures in a real VS Code (issue 12)
}

try {
  fs.unlinkSync(rssOut);
} catch {
  /* none */
}
