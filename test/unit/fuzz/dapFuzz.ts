/**
 * The DAP half of the fuzzing tier: random request sequences against the real adapter process
 * (`node dist/debugAdapter.js` over stdio, as the extension runs it when not inline).
 *
 * Oracle, for each sequence: every request gets exactly one response, within 5 s; no response names a
 * request that was not sent; the adapter does not exit (until the client closes it after the
 * sequence); its memory stays under 1 GB.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ChildProcess, spawn } from 'child_process';
import fc from 'fast-check';
import { ROOT } from '../../helpers/paths';
import { NODE_GUARD_FLAGS } from '../../helpers/spawnNode';
import { applyMutation, checkParameters, corpus, FuzzRun, Mutation } from './traceFuzz';

export const ADAPTER = path.join(ROOT, 'dist', 'debugAdapter.js');
export const RESPONSE_TIMEOUT_MS = 5000;
export const RSS_LIMIT_MB = 1024;

export interface DapStats {
  sequences: number;
  requests: number;
  responses: number;
  errorResponses: number;
  crashes: number;
  hangs: number;
  duplicates: number;
  maxRssMb: number;
}

/** All counters at zero. */
export function newDapStats(): DapStats {
  return {
    sequences: 0,
    requests: 0,
    responses: 0,
    errorResponses: 0,
    crashes: 0,
    hangs: 0,
    duplicates: 0,
    maxRssMb: 0,
  };
}

interface Pending {
  command: string;
  sentAt: number;
  timer: NodeJS.Timeout;
  done: (r: { ok: boolean; message?: string } | 'timeout') => void;
}

/** A minimal DAP client over a child's stdio: Content-Length framing, one pending entry per request. */
class Client {
  readonly proc: ChildProcess;
  private buf = Buffer.alloc(0);
  private seq = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly answered = new Set<number>();
  private readonly timedOut = new Set<number>();
  readonly problems: string[] = [];
  exited: string | null = null;
  closing = false;

  constructor(
    private readonly stats: DapStats,
    nodeArgs: string[] = [],
  ) {
    this.proc = spawn(process.execPath, [...NODE_GUARD_FLAGS, ...nodeArgs, ADAPTER], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc.stdout!.on('data', (d: Buffer) => this.data(d));
    this.proc.stderr!.on('data', () => {});
    this.proc.stdin!.on('error', () => {});
    this.proc.on('exit', (code, signal) => {
      this.exited = `exit ${code} ${signal ?? ''}`.trim();
      if (!this.closing) {
        this.stats.crashes++;
        this.problems.push(`adapter exited (${this.exited}) during the sequence`);
      }
      for (const p of this.pending.values()) p.done({ ok: false, message: 'adapter gone' });
    });
  }

  private data(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const h = this.buf.indexOf('\r\n\r\n');
      if (h < 0) return;
      const m = /Content-Length: *(\d+)/i.exec(this.buf.subarray(0, h).toString('latin1'));
      if (!m) {
        this.problems.push(`bad header ${JSON.stringify(this.buf.subarray(0, h).toString('latin1').slice(0, 100))}`);
        this.buf = this.buf.subarray(h + 4);
        continue;
      }
      const len = Number(m[1]);
      if (this.buf.length < h + 4 + len) return;
      const body = this.buf.subarray(h + 4, h + 4 + len).toString('utf8');
      this.buf = this.buf.subarray(h + 4 + len);
      let msg: { type?: string; request_seq?: number; success?: boolean; message?: string; command?: string };
      try {
        msg = JSON.parse(body);
      } catch {
        this.problems.push(`not JSON: ${body.slice(0, 100)}`);
        continue;
      }
      if (msg.type !== 'response') continue;
      const rs = msg.request_seq ?? -1;
      if (this.answered.has(rs)) {
        this.stats.duplicates++;
        this.problems.push(`second response to request ${rs} (${msg.command})`);
        continue;
      }
      const p = this.pending.get(rs);
      if (!p && this.timedOut.has(rs)) {
        this.answered.add(rs);
        this.problems.push(`response to request ${rs} (${msg.command}) came after ${RESPONSE_TIMEOUT_MS} ms`);
        continue;
      }
      if (!p) {
        this.problems.push(`response to a request never sent: ${rs} (${msg.command})`);
        continue;
      }
      this.answered.add(rs);
      this.pending.delete(rs);
      clearTimeout(p.timer);
      this.stats.responses++;
      if (!msg.success) this.stats.errorResponses++;
      p.done({ ok: !!msg.success, message: msg.message });
    }
  }

  send(command: string, args: unknown): Promise<{ ok: boolean; message?: string } | 'timeout'> {
    const seq = this.seq++;
    this.stats.requests++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        this.timedOut.add(seq);
        this.stats.hangs++;
        this.problems.push(
          `no response to ${command} #${seq} within ${RESPONSE_TIMEOUT_MS} ms: ${JSON.stringify(args).slice(0, 200)}`,
        );
        resolve('timeout');
      }, RESPONSE_TIMEOUT_MS);
      this.pending.set(seq, { command, sentAt: Date.now(), timer, done: resolve });
      const body = Buffer.from(JSON.stringify({ seq, type: 'request', command, arguments: args }), 'utf8');
      if (this.exited) {
        clearTimeout(timer);
        this.pending.delete(seq);
        resolve({ ok: false, message: 'adapter gone' });
        return;
      }
      this.proc.stdin!.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]));
    });
  }

  rssMb(): number {
    try {
      const s = fs.readFileSync(`/proc/${this.proc.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0) / 1024;
    } catch {
      return 0;
    }
  }

  close(): Promise<void> {
    this.closing = true;
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 2000);
      this.proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      this.proc.kill('SIGTERM');
    });
  }
}

// ---- generators -----------------------------------------------------------------------------

/** Ids as clients send them, right and wrong. */
const id: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 40 }), weight: 6 },
  { arbitrary: fc.constantFrom(-1, 1000, 2 ** 31, 2 ** 53, 0.5, 1e300, 'x', '1', null, {}, [], true), weight: 1 },
);
const lineNo: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 45 }), weight: 6 },
  { arbitrary: fc.constantFrom(-1, 1e9, 0.5, '3', null, 2 ** 53), weight: 1 },
);

/** Expressions: the language's names and operators, prototype names, junk, bounds. */
export const EXPRESSIONS = [
  'hpt[0]',
  'hpt[0x100].v',
  'slot_phys[0][0]',
  'slot_phys[1]',
  'ret',
  'hcall',
  'hcall.args',
  'hcall.anything',
  'r4',
  'pteh',
  'ptel & 0xfff',
  '1+2*3',
  '0x10 << 4',
  '1 << 63',
  '1 << 64',
  '-1',
  '~0',
  '(((((((((1)))))))))',
  '('.repeat(2000),
  'constructor',
  'constructor.x',
  'toString',
  '__proto__',
  'hasOwnProperty',
  '',
  ' ',
  '"',
  '{',
  '}',
  '0x' + 'f'.repeat(40),
  '99999999999999999999999999',
  '1/0',
  '1 % 0',
  'x'.repeat(5000),
  '1 >> -1000000000',
  '1 << 1000000000',
  '0xffffffffffffffff * 0xffffffffffffffff',
  'memslot[0]',
  'vma',
  '\u0000',
  '€',
];
const expression: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...EXPRESSIONS), weight: 4 },
  { arbitrary: fc.string({ maxLength: 24 }), weight: 1 },
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom(...EXPRESSIONS.slice(0, 12)),
        fc.constantFrom('+', '-', '*', '<<', '>>', '&', '|', '==', '!=', '<', '&&'),
        fc.constantFrom(...EXPRESSIONS.slice(0, 18)),
      )
      .map(([a, o, b]) => `${a} ${o} ${b}`),
    weight: 2,
  },
);

export type Step = { command: string; args: unknown; wait: boolean };

/** The path placeholder TRACE is replaced by the launched file when the sequence runs. */
const sourceArb = fc.oneof(
  { arbitrary: fc.constant({ path: 'TRACE' }), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      { path: 'OTHER' },
      { path: '/etc/hostname' },
      { path: '' },
      {},
      { sourceReference: 1 },
      { path: '/nonexistent/x.hptrace' },
      { path: '/dev/zero' },
    ),
    weight: 1,
  },
);

const FILTERS = ['H_PARAMETER', 'failure', 'H_PTEG_FULL', 'H_NOT_FOUND', 'divergence', 'made-cacheable', 'bogus', ''];

const request: fc.Arbitrary<Step> = fc
  .tuple(
    fc.oneof(
      fc.record({
        command: fc.constantFrom(
          'continue',
          'next',
          'stepIn',
          'stepOut',
          'stepBack',
          'reverseContinue',
          'pause',
          'exceptionInfo',
        ),
        args: fc.record({ threadId: id }),
      }),
      fc.record({ command: fc.constant('threads'), args: fc.constant({}) }),
      fc.record({
        command: fc.constant('stackTrace'),
        args: fc.record({
          threadId: id,
          startFrame: fc.option(id, { nil: undefined }),
          levels: fc.option(id, { nil: undefined }),
        }),
      }),
      fc.record({ command: fc.constant('scopes'), args: fc.record({ frameId: id }) }),
      fc.record({
        command: fc.constant('variables'),
        args: fc.record({
          variablesReference: id,
          start: fc.option(id, { nil: undefined }),
          count: fc.option(id, { nil: undefined }),
          filter: fc.option(fc.constantFrom('indexed', 'named', 'bogus'), { nil: undefined }),
        }),
      }),
      fc.record({
        command: fc.constant('evaluate'),
        args: fc.record({
          expression,
          frameId: fc.option(id, { nil: undefined }),
          context: fc.constantFrom('watch', 'repl', 'hover', 'clipboard', 'variables', 'bogus'),
        }),
      }),
      fc.record({
        command: fc.constant('setBreakpoints'),
        args: fc.record({
          source: sourceArb,
          breakpoints: fc.array(
            fc.record({
              line: lineNo,
              condition: fc.option(expression, { nil: undefined }),
              hitCondition: fc.option(fc.constantFrom('3', '>2', '%2', 'x', '-1', '1e9'), { nil: undefined }),
              logMessage: fc.option(
                expression.map((e) => `v={${e}}`),
                { nil: undefined },
              ),
            }),
            { maxLength: 4 },
          ),
        }),
      }),
      fc.record({
        command: fc.constant('setFunctionBreakpoints'),
        args: fc.record({
          breakpoints: fc.array(
            fc.record({
              name: fc.oneof(fc.constantFrom('H_ENTER', 'H_REMOVE', 'H_READ', 'h_enter', '0x8', '*'), expression),
              condition: fc.option(expression, { nil: undefined }),
            }),
            { maxLength: 3 },
          ),
        }),
      }),
      fc.record({
        command: fc.constant('setExceptionBreakpoints'),
        args: fc.record({ filters: fc.subarray(FILTERS) }),
      }),
      fc.record({
        command: fc.constant('dataBreakpointInfo'),
        args: fc.record({
          variablesReference: fc.option(id, { nil: undefined }),
          name: fc.oneof(fc.constantFrom('hpt:1', 'v', 'r', '0x100', 'slot_phys:0:1', '[0]'), expression),
        }),
      }),
      fc.record({
        command: fc.constant('setDataBreakpoints'),
        args: fc.record({
          breakpoints: fc.array(
            fc.record({
              dataId: fc.constantFrom(
                'hpt:1',
                'hpt:0x100',
                'hpt:-1',
                'hpt:1e99',
                'slot_phys:0:1',
                'slot_phys:99:0',
                'slot_phys:x',
                'bogus',
                '',
              ),
              accessType: fc.constantFrom('write', 'read', 'readWrite', 'bogus'),
              condition: fc.option(expression, { nil: undefined }),
            }),
            { maxLength: 3 },
          ),
        }),
      }),
      fc.record({
        command: fc.constant('breakpointLocations'),
        args: fc.record({ source: sourceArb, line: lineNo, endLine: fc.option(lineNo, { nil: undefined }) }),
      }),
      fc.record({ command: fc.constant('gotoTargets'), args: fc.record({ source: sourceArb, line: lineNo }) }),
      fc.record({ command: fc.constant('goto'), args: fc.record({ threadId: id, targetId: id }) }),
      fc.record({
        command: fc.constant('source'),
        args: fc.record({ sourceReference: id, source: fc.option(sourceArb, { nil: undefined }) }),
      }),
      fc.record({
        command: fc.constant('cancel'),
        args: fc.record({
          requestId: fc.option(id, { nil: undefined }),
          progressId: fc.option(fc.constantFrom('p', '1'), { nil: undefined }),
        }),
      }),
      fc.record({ command: fc.constant('hptrace.machineState'), args: fc.constant({}) }),
      fc.record({
        command: fc.constant('hptrace.slotPhys'),
        args: fc.record({
          slot: id,
          start: fc.option(id, { nil: undefined }),
          count: fc.option(id, { nil: undefined }),
        }),
      }),
      fc.record({
        command: fc.constantFrom(
          'setVariable',
          'setExpression',
          'completions',
          'stepInTargets',
          'loadedSources',
          'modules',
          'readMemory',
          'disassemble',
          'restartFrame',
          'attach',
          'frobnicate',
          'constructor',
          '__proto__',
          '',
        ),
        args: fc.oneof(
          fc.constant({}),
          fc.constant(null),
          fc.record({ frameId: id, name: fc.constant('x'), value: fc.constant('1'), expression: fc.constant('1') }),
        ),
      }),
      fc.record({
        command: fc.constant('restart'),
        args: fc.constantFrom({}, { arguments: { trace: 'TRACE' } }, { arguments: { trace: '/nonexistent' } }),
      }),
      fc.record({
        command: fc.constantFrom('terminate', 'configurationDone', 'initialize', 'launch'),
        args: fc.constant({ trace: 'TRACE', adapterID: 'hptrace' }),
      }),
    ),
    fc.boolean(),
  )
  .map(([r, wait]) => ({ command: r.command, args: r.args, wait }));

export interface Sequence {
  initialize: Record<string, unknown>;
  /** 'corpus:K', 'mutated' (with mutations), or a bogus path */
  trace:
    | { kind: 'corpus'; index: number }
    | { kind: 'mutated'; index: number; mutations: Mutation[] }
    | { kind: 'path'; path: string };
  launch: Record<string, unknown>;
  /** Requests sent after initialize and before launch (a client may set breakpoints first). */
  early: Step[];
  steps: Step[];
  /** Disconnect after this many steps (mid-run), or at the end. */
  disconnectAt: number | null;
}

export function sequenceArbitrary(seeds: number, mutations: fc.Arbitrary<Mutation[]>): fc.Arbitrary<Sequence> {
  return fc.record({
    initialize: fc.oneof(
      fc.constant({ adapterID: 'hptrace' }),
      fc.constant({
        adapterID: 'hptrace',
        linesStartAt1: true,
        columnsStartAt1: true,
        pathFormat: 'path',
        supportsProgressReporting: true,
      }),
      fc.constant({ adapterID: 'hptrace', linesStartAt1: false, columnsStartAt1: false, pathFormat: 'path' }),
      fc.constant({ adapterID: 'hptrace', pathFormat: 'uri' }),
    ),
    trace: fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('corpus' as const), index: fc.nat(seeds - 1) }), weight: 5 },
      {
        arbitrary: fc.record({ kind: fc.constant('mutated' as const), index: fc.nat(seeds - 1), mutations }),
        weight: 3,
      },
      {
        arbitrary: fc.record({
          kind: fc.constant('path' as const),
          path: fc.constantFrom('/nonexistent/x.hptrace', '/tmp', '', 'relative.hptrace', '/etc/hostname'),
        }),
        weight: 1,
      },
    ),
    launch: fc.record({
      stopOnEntry: fc.option(fc.boolean(), { nil: undefined }),
      kernel: fc.option(fc.constantFrom('io', 'pre-io', 'bogus'), { nil: undefined }),
      breakOn: fc.option(fc.oneof(fc.subarray(FILTERS), fc.constantFrom('H_PARAMETER', 'divergence')), {
        nil: undefined,
      }),
      noDebug: fc.option(fc.boolean(), { nil: undefined }),
    }),
    early: fc.array(request, { maxLength: 3 }),
    steps: fc.array(request, { maxLength: 25 }),
    disconnectAt: fc.option(fc.nat(25), { nil: null }),
  });
}

function substitute(v: unknown, trace: string, other: string): unknown {
  if (v === 'TRACE') return trace;
  if (v === 'OTHER') return other;
  if (Array.isArray(v)) return v.map((x) => substitute(x, trace, other));
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = substitute(x, trace, other);
    return o;
  }
  return v;
}

/**
 * Runs one sequence against a fresh adapter; returns the problems found (empty: all invariants held).
 * nodeArgs go to the adapter's node (a test may cap its heap, e.g. --max-old-space-size=512).
 */
export async function runSequence(
  s: Sequence,
  work: string,
  seedFiles: string[],
  stats: DapStats,
  nodeArgs: string[] = [],
): Promise<string[]> {
  stats.sequences++;
  let trace: string;
  if (s.trace.kind === 'corpus') trace = seedFiles[s.trace.index];
  else if (s.trace.kind === 'mutated') {
    trace = path.join(work, 'launched.hptrace');
    fs.writeFileSync(trace, s.trace.mutations.reduce(applyMutation, fs.readFileSync(seedFiles[s.trace.index])));
  } else trace = s.trace.path;
  const other = seedFiles[(seedFiles.indexOf(trace) + 1) % seedFiles.length];
  const c = new Client(stats, nodeArgs);
  const inflight: Promise<unknown>[] = [];
  try {
    const go = async (command: string, args: unknown, wait: boolean) => {
      const p = c.send(command, substitute(args, trace, other));
      inflight.push(p);
      if (wait) await p;
    };
    await go('initialize', s.initialize, true);
    for (const st of s.early) await go(st.command, st.args, st.wait);
    await go('launch', { type: 'hptrace', request: 'launch', trace, ...s.launch }, false);
    await go('configurationDone', {}, true);
    for (let k = 0; k < s.steps.length && !c.exited; k++) {
      if (s.disconnectAt === k) break;
      const st = s.steps[k];
      await go(st.command, st.args, st.wait);
      stats.maxRssMb = Math.max(stats.maxRssMb, c.rssMb());
    }
    await go('disconnect', { restart: false }, false);
    await Promise.all(inflight);
    const rss = c.rssMb();
    stats.maxRssMb = Math.max(stats.maxRssMb, rss);
    if (rss > RSS_LIMIT_MB) c.problems.push(`adapter RSS ${rss.toFixed(0)} MB over ${RSS_LIMIT_MB} MB`);
    if (c.exited && !c.closing && !c.problems.length) c.problems.push(`adapter exited (${c.exited})`);
  } finally {
    await c.close();
  }
  return c.problems;
}

/** The seed traces as files the adapter can open (conformance cases and examples). */
export function seedFiles(work: string): string[] {
  return corpus().map((b, k) => {
    const f = path.join(work, `seed${k}.hptrace`);
    fs.writeFileSync(f, b);
    return f;
  });
}

/**
 * Runs random sequences for about `ms` milliseconds from `seed`. A failure is shrunk by fast-check
 * and saved to saveDir as NAME.json (the sequence, with the launched trace beside it).
 */
export async function runDapFuzz(opts: {
  seed: number;
  ms: number;
  runs?: number;
  saveDir?: string;
  mutations: fc.Arbitrary<Mutation[]>;
}): Promise<FuzzRun<DapStats>> {
  const stats = newDapStats();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-dapfuzz-'));
  try {
    const files = seedFiles(work);
    // Problem counters as at the first failure: shrinking re-runs variants of the same problem.
    let firstFailure: DapStats | undefined;
    const r = await fc.check(
      fc.asyncProperty(sequenceArbitrary(files.length, opts.mutations), async (s) => {
        const problems = await runSequence(s, work, files, stats);
        if (problems.length) {
          firstFailure ??= { ...stats };
          throw new Error(problems.join('\n'));
        }
      }),
      checkParameters(opts),
    );
    if (!r.failed || !r.counterexample) return { stats, failure: null, seed: opts.seed };
    const at = firstFailure ?? stats;
    Object.assign(stats, { crashes: at.crashes, hangs: at.hangs, duplicates: at.duplicates });
    const s = r.counterexample[0];
    const message = r.errorInstance instanceof Error ? r.errorInstance.message : String(r.errorInstance);
    let saved: string | null = null;
    if (opts.saveDir) {
      fs.mkdirSync(opts.saveDir, { recursive: true });
      const name = `dap-seed${opts.seed}-${Date.now()}`;
      saved = path.join(opts.saveDir, name + '.json');
      let launched: string | undefined;
      if (s.trace.kind !== 'path') {
        launched = path.join(opts.saveDir, name + '.hptrace');
        const base = fs.readFileSync(files[s.trace.index]);
        fs.writeFileSync(launched, s.trace.kind === 'mutated' ? s.trace.mutations.reduce(applyMutation, base) : base);
      }
      fs.writeFileSync(
        saved,
        JSON.stringify(
          { seed: opts.seed, path: r.counterexamplePath, problems: message, launched, sequence: s },
          null,
          1,
        ),
      );
    }
    return { stats, failure: { message, saved }, seed: opts.seed };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
