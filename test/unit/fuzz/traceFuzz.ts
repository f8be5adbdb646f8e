/**
 * The trace half of the fuzzing tier: generators of trace files (mutations of the repository's own
 * traces, and records built from the grammar) and the oracle every reader must pass on them. Used by
 * test/unit/fuzz/traces.test.ts (a short fixed-seed run in `npm test`) and scripts/fuzz.mjs (long runs).
 *
 * Oracle, for each generated file:
 *   - the CLI (its main(), in process; a sample also as a real process) exits 0, 1 or 2, never throws;
 *     exit 1 writes exactly one line `FILE:LINE:COL: message`, and no stack trace;
 *   - the strict streaming syntax check (firstSyntaxError, the CLI's byte path) and the editor's
 *     collecting parser (parseAll) find the same first syntax error;
 *   - the debugger's engine and the CLI stop at the same error, word for word, or both accept the file;
 *     that error is at or before the first syntax error, and on the same line it is that error;
 *   - the editor model (TraceModel) reports the same first error as the engine;
 *   - no message is unclear: empty, "undefined", "NaN", "[object", a dangling "one of", a JS error text.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { main } from '../../../src/cli/main';
import { Engine } from '../../../src/core/engine';
import { firstSyntaxError } from '../../../src/core/lines';
import { parseAll } from '../../../src/core/parser';
import { TraceError } from '../../../src/core/records';
import { TraceModel } from '../../../src/extension/traceModel';
import { CONFORMANCE_DIR, FIXTURES_DIR, ROOT } from '../../helpers/paths';
import { spawnNode } from '../../helpers/spawnNode';

export const CLI = path.join(ROOT, 'dist', 'cli.js');

/** The seed corpus: every trace the repository carries. */
export function corpus(): Buffer[] {
  const dirs = [CONFORMANCE_DIR, path.join(ROOT, 'examples'), FIXTURES_DIR];
  const out: Buffer[] = [];
  for (const d of dirs) {
    if (!fs.existsSync(d)) continue;
    for (const f of fs.readdirSync(d).sort()) if (f.endsWith('.hptrace')) out.push(fs.readFileSync(path.join(d, f)));
  }
  return out;
}

// ---- generators -----------------------------------------------------------------------------

const HUGE = [
  '0xffffffffffffffff',
  '0x10000000000000000',
  '18446744073709551615',
  '18446744073709551616',
  '9007199254740993',
  '0x20000000000000',
  '0xfff0000000000000',
  '99999999999999999999999',
  '-1',
  '0x',
  '0x-1',
  '1e3',
  '0b101',
  'NaN',
  '00000000000000000000000000000000001',
];
const WORDS = [
  'hptrace',
  'cpu',
  'host',
  'hpt',
  'vma',
  'munmap',
  'memslot',
  'hcall',
  'H_ENTER',
  'H_REMOVE',
  'H_READ',
  'H_PROTECT',
  'H_BULK_REMOVE',
  'H_SUCCESS',
  'H_PARAMETER',
  'H_TOO_HARD',
  '->',
  'page=64K',
  'page=4K',
  'page=16M',
  'delete',
  'anon',
  'pfnmap',
  'other',
  'cache=I',
  'cache=WIMG',
  'vcpu=3',
  '@1.5',
  'r4=0x1',
  '#',
  '=',
  'constructor',
  '__proto__',
  'toString',
];

/** One edit of a trace's bytes. Kept as data so fast-check can shrink a failing list of them. */
export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'byte'; at: number; value: number }
  | { op: 'cut'; at: number; len: number }
  | { op: 'insert'; at: number; bytes: number[] }
  | { op: 'dropLine'; line: number }
  | { op: 'dupLine'; line: number }
  | { op: 'swapLines'; a: number; b: number }
  | { op: 'swapTokens'; a: number; b: number }
  | { op: 'token'; at: number; text: string }
  | { op: 'longLine'; line: number; len: number; ch: string }
  | { op: 'crlf' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({
    op: fc.constant('byte' as const),
    at: fc.nat(),
    value: fc.constantFrom(0, 10, 13, 32, 35, 61, 45, 0xff, 0xc3, 0xe2),
  }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.array(fc.nat(255), { minLength: 1, maxLength: 12 }),
  }),
  fc.record({ op: fc.constant('dropLine' as const), line: fc.nat() }),
  fc.record({ op: fc.constant('dupLine' as const), line: fc.nat() }),
  fc.record({ op: fc.constant('swapLines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ op: fc.constant('swapTokens' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ op: fc.constant('token' as const), at: fc.nat(), text: fc.constantFrom(...HUGE, ...WORDS) }),
  fc.record({
    op: fc.constant('longLine' as const),
    line: fc.nat(),
    len: fc.constantFrom(65536, 65537, 70000, 200000, 1_100_000),
    ch: fc.constantFrom('0', ' ', '€', '😀', '#'),
  }),
  fc.record({ op: fc.constant('crlf' as const) }),
);

/** A short list of mutations (what a mutated trace is: a seed and these). */
export const mutationList: fc.Arbitrary<Mutation[]> = fc.array(mutation, { minLength: 1, maxLength: 6 });

function splitLines(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let s = 0;
  for (;;) {
    const e = b.indexOf(10, s);
    if (e < 0) {
      out.push(b.subarray(s));
      return out;
    }
    out.push(b.subarray(s, e));
    s = e + 1;
  }
}
const joinLines = (ls: Buffer[]) => Buffer.concat(ls.flatMap((l, k) => (k ? [Buffer.from('\n'), l] : [l])));

/** Token spans [start, end) of a buffer (separators: space, tab, line break). */
function tokens(b: Buffer): [number, number][] {
  const out: [number, number][] = [];
  let i = 0;
  while (i < b.length) {
    while (i < b.length && (b[i] === 32 || b[i] === 9 || b[i] === 10)) i++;
    const s = i;
    while (i < b.length && b[i] !== 32 && b[i] !== 9 && b[i] !== 10) i++;
    if (i > s) out.push([s, i]);
  }
  return out;
}

export function applyMutation(b: Buffer, m: Mutation): Buffer {
  const n = b.length;
  switch (m.op) {
    case 'flip':
      if (!n) return b;
      b = Buffer.from(b);
      b[m.at % n] ^= 1 << m.bit;
      return b;
    case 'byte':
      if (!n) return Buffer.from([m.value]);
      b = Buffer.from(b);
      b[m.at % n] = m.value;
      return b;
    case 'cut': {
      if (!n) return b;
      const at = m.at % n;
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(n, at + m.len))]);
    }
    case 'insert': {
      const at = n ? m.at % (n + 1) : 0;
      return Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    }
    case 'dropLine': {
      const ls = splitLines(b);
      ls.splice(m.line % ls.length, 1);
      return joinLines(ls);
    }
    case 'dupLine': {
      const ls = splitLines(b);
      const k = m.line % ls.length;
      ls.splice(k, 0, ls[k]);
      return joinLines(ls);
    }
    case 'swapLines': {
      const ls = splitLines(b);
      const a = m.a % ls.length;
      const c = m.b % ls.length;
      [ls[a], ls[c]] = [ls[c], ls[a]];
      return joinLines(ls);
    }
    case 'swapTokens': {
      const ts = tokens(b);
      if (ts.length < 2) return b;
      let [x, y] = [ts[m.a % ts.length], ts[m.b % ts.length]];
      if (x[0] === y[0]) return b;
      if (x[0] > y[0]) [x, y] = [y, x];
      return Buffer.concat([
        b.subarray(0, x[0]),
        b.subarray(y[0], y[1]),
        b.subarray(x[1], y[0]),
        b.subarray(x[0], x[1]),
        b.subarray(y[1]),
      ]);
    }
    case 'token': {
      const ts = tokens(b);
      if (!ts.length) return Buffer.from(m.text);
      const [s, e] = ts[m.at % ts.length];
      // Replace the value part of key=value when there is one, else the whole token.
      const eq = b.subarray(s, e).indexOf(61);
      const from = eq >= 0 && !m.text.includes('=') ? s + eq + 1 : s;
      return Buffer.concat([b.subarray(0, from), Buffer.from(m.text), b.subarray(e)]);
    }
    case 'longLine': {
      const ls = splitLines(b);
      const k = m.line % (ls.length + 1);
      const text = m.ch === '#' ? '#' + 'x'.repeat(m.len - 1) : 'hcall H_READ ' + m.ch.repeat(m.len);
      ls.splice(k, 0, Buffer.from(text));
      return joinLines(ls);
    }
    case 'crlf':
      return Buffer.from(b.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
  }
}

const hex = (n: bigint | number) => '0x' + n.toString(16);
const num: fc.Arbitrary<string> = fc.oneof(
  fc.nat(0xffff).map(hex),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(hex),
  fc.nat(1000).map(String),
  fc.constantFrom(...HUGE),
);
const addr: fc.Arbitrary<string> = fc.oneof(
  fc.nat(0x3fff).map((p) => hex(p * 0x10000)),
  fc.bigInt({ min: 0n, max: (1n << 48n) - 1n }).map((p) => hex(p * 0x10000n)),
  num,
);
const range = fc.tuple(addr, addr).map(([a, b]) => `${a}-${b}`);
const sizeTok = fc.oneof(num, fc.constantFrom('4K', '64K', '16M', '1G', '256M', '1M', '3K', '0K', '16777216G'));

/** Records built from the grammar (valid ones and near misses). */
const record: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'hptrace 1',
    'hptrace 2',
    'hptrace',
    '# comment',
    '',
    '   ',
    'cpu power7',
    'cpu ppc970',
    'cpu power9',
  ),
  sizeTok.map((s) => `host page=${s}`),
  fc.integer({ min: 10, max: 50 }).map((o) => `hpt order=${o}`),
  fc
    .tuple(
      range,
      fc.constantFrom('anon', 'pfnmap', 'other', 'weird'),
      fc.subarray(['page=16M', 'page=64K', 'pfn=0x100', 'pgoff=0x10', 'cache=I', 'cache=WIMG', 'cache=W']),
    )
    .map(([r, k, f]) => `vma ${r} ${k} ${f.join(' ')}`.trim()),
  range.map((r) => `munmap ${r}`),
  fc
    .tuple(
      fc.nat(40),
      fc.oneof(
        fc.tuple(addr, sizeTok).map(([g, s]) => `gpa=${g} size=${s}`),
        fc.tuple(num, num).map(([g, n]) => `gfn=${g} npages=${n}`),
        fc.constant('delete'),
      ),
      addr,
    )
    .map(([id, what, hva]) => (what === 'delete' ? `memslot ${id} delete` : `memslot ${id} ${what} hva=${hva}`)),
  fc
    .tuple(
      fc.constantFrom('H_ENTER', 'H_REMOVE', 'H_READ', 'H_PROTECT', 'H_BULK_REMOVE', 'H_CEDE', '0x8', '4', 'H_lower'),
      fc.array(num, { maxLength: 9 }),
      fc.option(
        fc.tuple(
          fc.constantFrom('H_SUCCESS', 'H_PARAMETER', 'H_NOT_FOUND', 'H_PTEG_FULL', 'H_TOO_HARD', 'H_BOGUS'),
          fc.array(num, { maxLength: 3 }),
        ),
      ),
      fc.option(fc.nat(7)),
    )
    .map(([name, args, ret, vcpu]) => {
      const v = vcpu === null ? '' : `vcpu=${vcpu} `;
      const r = ret ? ` -> ${ret[0]} ${ret[1].map((x, k) => `r${4 + k}=${x}`).join(' ')}` : '';
      return `hcall ${v}${name} ${args.join(' ')}${r}`.trimEnd();
    }),
);

/** A file to test: mutations of a corpus trace, or a trace written from the grammar. */
export function traceArbitrary(seeds: Buffer[]): fc.Arbitrary<Buffer> {
  const mutated = fc.tuple(fc.nat(seeds.length - 1), mutationList).map(([k, ms]) => ms.reduce(applyMutation, seeds[k]));
  const generated = fc
    .tuple(fc.boolean(), fc.array(record, { maxLength: 25 }), fc.constantFrom('\n', '\r\n'))
    .map(([head, rs, nl]) => Buffer.from([...(head ? ['hptrace 1', 'host page=64K'] : []), ...rs].join(nl) + nl));
  const binary = fc
    .uint8Array({ maxLength: 300 })
    .map((b) => Buffer.concat([Buffer.from('hptrace 1\n'), Buffer.from(b)]));
  return fc.oneof(
    { arbitrary: mutated, weight: 6 },
    { arbitrary: generated, weight: 4 },
    { arbitrary: binary, weight: 1 },
  );
}

// ---- the oracle -------------------------------------------------------------------------------

/** Words that make a message unclear to a user. */
const UNCLEAR = [
  /undefined/,
  /\bNaN\b/,
  /\[object /,
  /one of\s*($|[,;.)])/,
  /Cannot read propert/,
  /is not a function/,
  /Maximum call stack/,
  /: *$/,
];

export function unclear(msg: string): boolean {
  // Text the message quotes from the input ("NaN", "undefined") is the user's, not the message's.
  const own = msg.replace(/"(?:[^"\\]|\\.)*"/g, '"…"');
  return !own.trim() || UNCLEAR.some((r) => r.test(own));
}

/** The inputs are small (the longest generated line is about 4 MB): a CLI over this has lost its bound. */
export const CLI_RSS_LIMIT_MB = 300;

export interface TraceStats {
  cases: number;
  cliProcesses: number;
  maxCliRssMb: number;
  failures: number;
  unclear: number;
}

const sameError = (a: TraceError | null, b: TraceError | null) => (a?.message ?? null) === (b?.message ?? null);
const before = (a: TraceError, b: TraceError) => a.line < b.line || (a.line === b.line && a.col < b.col);

/** Checks one file; throws an Error saying which invariant broke. */
export function checkTrace(file: string, bytes: Buffer, spawnCli: boolean, stats?: TraceStats): void {
  fs.writeFileSync(file, bytes);
  if (stats) stats.cases++;
  const text = bytes.toString('utf8');

  // the CLI, in process
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), outBytes: () => {} };
  const mode = bytes.length % 4;
  const args = [
    ['replay', file, '--json'],
    ['replay', file],
    ['replay', file, '--kernel', 'pre-io', '--quiet'],
    ['diff', file],
  ][mode];
  let code: number;
  try {
    code = main(args, io) as number;
  } catch (e) {
    throw new Error(`CLI ${args[0]} threw: ${(e as Error).stack}`);
  }
  const stderr = err.join('');
  if (code !== 0 && code !== 1 && code !== 2) throw new Error(`CLI exit ${code}`);
  if (code === 2) throw new Error(`CLI said bad usage for a file argument: ${stderr}`);
  if (code === 1) {
    const re = new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: [^\\n]+\\n$`);
    if (!re.test(stderr))
      throw new Error(`CLI exit 1 without one FILE:LINE:COL line: ${JSON.stringify(stderr.slice(0, 300))}`);
    if (unclear(stderr.slice(file.length))) {
      if (stats) stats.unclear++;
      throw new Error(`unclear message: ${stderr}`);
    }
  } else if (stderr) throw new Error(`CLI exit 0 with stderr ${JSON.stringify(stderr.slice(0, 300))}`);

  // the CLI as a process, now and then: the real exit status and stderr
  if (spawnCli) {
    if (stats) stats.cliProcesses++;
    // Its peak memory, written by a --require hook to a file beside the case (stderr stays the CLI's).
    const rssFile = file + '.rss';
    const hook = file + '.hook.cjs';
    fs.writeFileSync(
      hook,
      `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));`,
    );
    const r = spawnNode(['--require', hook, CLI, ...args], {
      maxBuffer: 256 << 20,
      timeout: 60000,
    });
    const rssMb = Number(fs.readFileSync(rssFile, 'utf8')) / 1024;
    if (stats) stats.maxCliRssMb = Math.max(stats.maxCliRssMb, rssMb);
    if (rssMb > CLI_RSS_LIMIT_MB) throw new Error(`CLI peak RSS ${rssMb.toFixed(0)} MB over ${CLI_RSS_LIMIT_MB} MB`);
    if (r.status !== code)
      throw new Error(
        `CLI process exit ${r.status} (${r.signal ?? ''}), in process ${code}: ${r.stderr.slice(0, 300)}`,
      );
    if (r.stderr !== stderr) throw new Error(`CLI process stderr differs: ${r.stderr.slice(0, 300)}`);
    if (/\n\s+at /.test(r.stderr)) throw new Error(`stack trace on stderr: ${r.stderr.slice(0, 300)}`);
  }

  // syntax: the streaming strict check and the editor's collecting parser
  const syn = firstSyntaxError(file);
  const all = parseAll(text, file);
  const col = all.errors[0] ?? null;
  if (!sameError(syn, col)) throw new Error(`strict syntax ${syn?.message} vs collecting parser ${col?.message}`);

  // the debugger's engine against the CLI
  const eng = new Engine(file, args[2] === '--kernel' ? 'pre-io' : 'io');
  let engErr: TraceError | null;
  try {
    while (eng.explore());
    engErr = eng.error;
  } catch (e) {
    throw new Error(`engine threw: ${(e as Error).stack}`);
  } finally {
    eng.close();
  }
  const cliMsg = code === 1 ? stderr.slice(0, -1) : null;
  if ((engErr?.message ?? null) !== cliMsg) throw new Error(`engine ${engErr?.message} vs CLI ${cliMsg}`);
  if (syn && !engErr) throw new Error(`engine accepts a file with a syntax error: ${syn.message}`);
  if (syn && engErr && (before(syn, engErr) || (syn.line === engErr.line && !sameError(syn, engErr))))
    throw new Error(`engine stops at ${engErr.message} but the first syntax error is ${syn.message}`);

  // the editor model: its first problem is the one the debugger stops at
  let model: TraceModel;
  try {
    model = new TraceModel(text, file);
  } catch (e) {
    throw new Error(`editor model threw: ${(e as Error).stack}`);
  }
  const first = model.errors.reduce<TraceError | null>((a, e) => (!a || before(e, a) ? e : a), null);
  if (!sameError(first, engErr))
    throw new Error(`editor model first problem ${first?.message} vs engine ${engErr?.message}`);
}

/** fast-check's run settings for a fuzz run: a seed, and runs until the time is up (or `runs`). */
export function checkParameters<T>(opts: { seed: number; ms: number; runs?: number }): fc.Parameters<T> {
  return {
    seed: opts.seed,
    numRuns: opts.runs ?? 1e9,
    interruptAfterTimeLimit: opts.ms,
    markInterruptAsFailure: false,
    endOnFailure: false,
  };
}

export interface FuzzRun<S> {
  stats: S;
  /** The shrunk counterexample's error, and where it was saved; null when nothing failed. */
  failure: { message: string; saved: string | null } | null;
  seed: number;
}

/**
 * Runs the trace property for about `ms` milliseconds (or `runs` cases) from `seed`. A failure is shrunk
 * by fast-check and saved to `saveDir` (when given) as NAME.hptrace with NAME.txt saying what broke.
 */
export function runTraceFuzz(opts: {
  seed: number;
  ms: number;
  runs?: number;
  saveDir?: string;
  spawnEvery?: number;
}): FuzzRun<TraceStats> {
  const stats: TraceStats = { cases: 0, cliProcesses: 0, maxCliRssMb: 0, failures: 0, unclear: 0 };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-fuzz-'));
  const file = path.join(work, 'case.hptrace');
  const every = opts.spawnEvery ?? 25;
  // Problem counters as at the first failure: shrinking re-runs variants of the same problem.
  let firstFailure: TraceStats | undefined;
  try {
    const r = fc.check(
      fc.property(traceArbitrary(corpus()), (b) => {
        try {
          checkTrace(file, b, stats.cases % every === 0, stats);
        } catch (e) {
          firstFailure ??= { ...stats };
          throw e;
        }
      }),
      checkParameters(opts),
    );
    if (!r.failed || !r.counterexample) return { stats, failure: null, seed: opts.seed };
    stats.unclear = (firstFailure ?? stats).unclear;
    stats.failures++;
    const bytes = r.counterexample[0];
    let message = r.errorInstance instanceof Error ? r.errorInstance.message : String(r.errorInstance);
    let saved: string | null = null;
    if (opts.saveDir) {
      fs.mkdirSync(opts.saveDir, { recursive: true });
      const name = `trace-seed${opts.seed}-${Date.now()}`;
      saved = path.join(opts.saveDir, name + '.hptrace');
      fs.writeFileSync(saved, bytes);
      // Run the oracle again on the saved file so the message names it.
      try {
        checkTrace(saved, bytes, true);
      } catch (e) {
        message = (e as Error).message;
      }
      fs.writeFileSync(
        path.join(opts.saveDir, name + '.txt'),
        `seed ${opts.seed}, path ${r.counterexamplePath}\n${message}\n`,
      );
    }
    return { stats, failure: { message, saved }, seed: opts.seed };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
