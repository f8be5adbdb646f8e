/**
 * Reader for trace format v1 and v2 (v2 adds the coverage and hpte records and `?` for unknown
 * arguments and results; docs/trace-format.md). One line at a time, so the CLI can stream gigabyte traces and the
 * debugger can re-read any line from its byte offset. Strict mode stops at the first error (the
 * caller catches the TraceError); parseAll collects every error for the editor.
 */
import {
  CACHE_MODES,
  CPUS,
  GENERIC_ARGS,
  hcallByNameOrUndefined,
  hcallByNum,
  HCALLS,
  returnCodeValue,
  RETURN_CODES,
} from './bits';
import { COVERAGE_REASONS, HcallRecord, TraceError, TraceRecord } from './records';
import { FAST_TEXT_MAX, newHcallRecord, parseHcallBytes, scratchBuf, utf8 } from './hcallBytes';
import {
  emptyTrace,
  HEADER_EXPECTED,
  isV2,
  lineTooLong,
  MAX_LINE_LENGTH,
  newParserState,
  ParserState,
} from './parseState';
import { parseNumberAt, scratchHi, scratchLo } from './u64';

// The reader's state and the fast path live in their own files; callers import them from here.
export {
  emptyTrace,
  FORMAT_VERSION,
  HEADER_EXPECTED,
  lineTooLong,
  MAX_LINE_LENGTH,
  newParserState,
} from './parseState';
export type { ParserState } from './parseState';
export { newHcallRecord, parseHcallBytes, reusableHcallRecord } from './hcallBytes';

const TWO32 = 4294967296;
const TWO64 = TWO32 * TWO32;

/** One whitespace-separated token of a line: [start, end) in 0-based columns, and its `=` if any. */
export interface Token {
  start: number;
  end: number;
  eq: number; // index of '=' or -1
  text: string;
}

/** Splits a line into tokens up to a `#` comment. Shared by the parser and the editor features. */
export function lexLine(text: string): Token[] {
  const toks: Token[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    if (c === 35) break; // '#'
    const start = i;
    let eq = -1;
    while (i < n) {
      c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 13 || c === 35) break;
      if (c === 61 && eq < 0) eq = i;
      i++;
    }
    toks.push({ start, end: i, eq, text: text.slice(start, i) });
  }
  return toks;
}

function show(s: string): string {
  const cut = s.length > 40 ? s.slice(0, 40) + '…' : s;
  return JSON.stringify(cut);
}

class LineCtx {
  constructor(
    readonly st: ParserState,
    readonly line: number,
    readonly text: string,
  ) {}
  fail(tok: Token | { start: number; end: number }, msg: string): never {
    throw new TraceError(this.st.file, this.line, tok.start + 1, Math.max(tok.end, tok.start + 1) + 1, msg);
  }
}

/** Parses a number token (or the value part of key=value) to hi/lo; fails with a position. */
function num(ctx: LineCtx, tok: Token, from: number, what: string): void {
  const r = parseNumberAt(ctx.text, from, tok.end);
  if (r === 0) return;
  const span = { start: from, end: tok.end };
  if (r === -2) ctx.fail(span, `${what}: ${show(ctx.text.slice(from, tok.end))} does not fit in 64 bits`);
  ctx.fail(
    span,
    `${what}: expected a number (0x-prefixed hex or decimal), found ${show(ctx.text.slice(from, tok.end))}`,
  );
}

/** A number that must be exact as a JS number (addresses, sizes, ids). */
function smallNum(ctx: LineCtx, tok: Token, from: number, what: string, max = Number.MAX_SAFE_INTEGER): number {
  num(ctx, tok, from, what);
  const v = scratchHi * TWO32 + scratchLo;
  if (scratchHi >= 0x200000 || v > max)
    ctx.fail(
      { start: from, end: tok.end },
      `${what}: ${show(ctx.text.slice(from, tok.end))} is out of range (at most ${max})`,
    );
  return v;
}

/**
 * An address or byte size: any 64-bit value (the format's numbers are 64-bit), as a JS number. Values
 * below 2^53 are exact anyway; above, a double is exact for every multiple of 4K (at most 52
 * significant bits), and the machine refuses any address or size that is not a multiple of the host
 * page (4K or 64K). So a value a double cannot hold exactly is refused here, with that reason, and
 * every accepted value is exact: no u64 arithmetic is needed downstream.
 */
function addrNum(ctx: LineCtx, tok: Token, from: number, what: string): number {
  num(ctx, tok, from, what);
  const k = 11 - Math.clz32(scratchHi); // low bits of lo that a double cannot keep (when > 0)
  if (k > 0 && (scratchLo & ((1 << k) - 1)) !== 0)
    ctx.fail(
      { start: from, end: tok.end },
      `${what}: ${show(ctx.text.slice(from, tok.end))} is not aligned to a host page (4K or 64K)`,
    );
  return scratchHi * TWO32 + scratchLo;
}

/** A size: a number with an optional K, M or G suffix (powers of 1024), below 2^64. */
function size(ctx: LineCtx, tok: Token, from: number, what: string): number {
  const last = ctx.text.charCodeAt(tok.end - 1);
  let mult = 1;
  if (last === 75) mult = 1024;
  else if (last === 77) mult = 1024 * 1024;
  else if (last === 71) mult = 1024 * 1024 * 1024;
  if (mult === 1) return addrNum(ctx, tok, from, what);
  const sub: Token = { start: tok.start, end: tok.end - 1, eq: tok.eq, text: tok.text };
  const v = addrNum(ctx, sub, from, what) * mult; // times a power of two: exact
  if (v >= TWO64) ctx.fail({ start: from, end: tok.end }, `${what}: size out of range (at most 64 bits)`);
  return v;
}

function range(ctx: LineCtx, tok: Token): { start: number; end: number } {
  const dash = ctx.text.indexOf('-', tok.start);
  if (dash < 0 || dash >= tok.end) ctx.fail(tok, `expected an address range START-END, found ${show(tok.text)}`);
  const a = addrNum(ctx, { ...tok, end: dash }, tok.start, 'range start');
  const b = addrNum(ctx, tok, dash + 1, 'range end');
  if (b <= a) ctx.fail(tok, `empty range: the end must be above the start`);
  return { start: a, end: b };
}

/** Collects key=value tokens, refusing unknown and duplicate keys. */
function fields(
  ctx: LineCtx,
  toks: Token[],
  from: number,
  allowed: readonly string[],
  rec: string,
): Map<string, Token> {
  const map = new Map<string, Token>();
  for (let i = from; i < toks.length; i++) {
    const t = toks[i];
    if (allowed.length === 0) ctx.fail(t, `${rec}: takes no fields, found ${show(t.text)}`);
    if (t.eq < 0) ctx.fail(t, `${rec}: expected key=value (one of ${allowed.join(', ')}), found ${show(t.text)}`);
    const key = t.text.slice(0, t.eq - t.start);
    if (!allowed.includes(key))
      ctx.fail(
        { start: t.start, end: t.eq },
        `${rec}: unknown field ${show(key)}; expected one of ${allowed.join(', ')}`,
      );
    if (map.has(key)) ctx.fail({ start: t.start, end: t.eq }, `${rec}: duplicate field ${show(key)}`);
    map.set(key, t);
  }
  return map;
}

const KEYWORDS = ['hptrace', 'cpu', 'host', 'hpt', 'vma', 'munmap', 'memslot', 'coverage', 'hpte', 'hcall'];

/**
 * Parses one line. Returns null for blank and comment lines. Throws TraceError for anything else
 * that is not a valid record, naming what was expected.
 */
export function parseLine(st: ParserState, lineNo: number, text: string): TraceRecord | null {
  // Well-formed hcall lines (nearly all of a big trace) take the byte scanner; anything it does not
  // accept (other records, errors, odd spellings) goes to the general parser, which words the errors.
  if (st.sawHeader && text.length <= FAST_TEXT_MAX && text.charCodeAt(0) === 104 && text.startsWith('hcall')) {
    const n = utf8.encodeInto(text, scratchBuf).written;
    if (n < scratchBuf.length) {
      const rec = newHcallRecord();
      if (parseHcallBytes(st, lineNo, scratchBuf, 0, n, rec) === 1) return rec;
    }
  }
  return parseLineGeneric(st, lineNo, text);
}

/** parseLine without the fast path for hcall lines: token by token, every record kind and error. */
export function parseLineGeneric(st: ParserState, lineNo: number, text: string): TraceRecord | null {
  if (text.length > MAX_LINE_LENGTH) throw lineTooLong(st.file, lineNo, text.length);
  const toks = lexLine(text);
  if (toks.length === 0) return null;
  const ctx: LineCtx = new LineCtx(st, lineNo, text);
  const kw = toks[0];
  if (!st.sawHeader) {
    if (kw.text !== 'hptrace') ctx.fail(kw, `${HEADER_EXPECTED}, found ${show(kw.text)}`);
  }
  switch (kw.text) {
    case 'hptrace': {
      if (st.sawHeader) ctx.fail(kw, 'the header "hptrace 1" may appear only once, as the first record');
      if (toks.length !== 2) ctx.fail(toks[1] ?? { start: kw.end, end: kw.end + 1 }, 'expected "hptrace 1"');
      const v = smallNum(ctx, toks[1], toks[1].start, 'format version');
      if (v !== 1 && v !== 2) ctx.fail(toks[1], `unsupported format version ${v}; this reader knows versions 1 and 2`);
      st.sawHeader = true;
      st.version = v;
      return { kind: 'header', line: lineNo, version: v };
    }
    case 'cpu': {
      configOrder(ctx, kw);
      if (toks.length !== 2)
        ctx.fail(
          toks[2] ?? { start: kw.end, end: kw.end + 1 },
          `expected "cpu NAME" with NAME one of ${CPUS.map((c) => c.name).join(', ')}`,
        );
      const c = CPUS.find((x) => x.name === toks[1].text);
      if (!c)
        ctx.fail(toks[1], `unknown cpu ${show(toks[1].text)}; expected one of ${CPUS.map((x) => x.name).join(', ')}`);
      return { kind: 'cpu', line: lineNo, cpu: c.name, arch206: c.arch206 };
    }
    case 'host': {
      configOrder(ctx, kw);
      if (st.sawHostObject) ctx.fail(kw, 'the host page size must be set before the first vma or memslot record');
      const f = fields(ctx, toks, 1, ['page'], 'host');
      const t = f.get('page');
      if (!t) ctx.fail({ start: kw.end, end: kw.end + 1 }, 'host: expected page=4K or page=64K');
      const v = size(ctx, t, t.eq + 1, 'host page');
      if (v !== 4096 && v !== 65536) ctx.fail({ start: t.eq + 1, end: t.end }, 'host page: expected 4K or 64K');
      return { kind: 'host', line: lineNo, col: t.start + 1, endCol: t.end + 1, pageShift: v === 4096 ? 12 : 16 };
    }
    case 'hpt': {
      configOrder(ctx, kw);
      if (st.sawHpte) ctx.fail(kw, 'the HPT order must be set before the first hpte record');
      const f = fields(ctx, toks, 1, ['order'], 'hpt');
      const t = f.get('order');
      if (!t) ctx.fail({ start: kw.end, end: kw.end + 1 }, 'hpt: expected order=N');
      const v = smallNum(ctx, t, t.eq + 1, 'hpt order');
      if (v < 18 || v > 46)
        ctx.fail(
          { start: t.eq + 1, end: t.end },
          `hpt order: expected 18..46 (log2 of the HPT size in bytes), found ${v}`,
        );
      return { kind: 'hpt', line: lineNo, order: v };
    }
    case 'vma': {
      st.sawHostObject = true;
      if (toks.length < 3)
        ctx.fail(toks[1] ?? { start: kw.end, end: kw.end + 1 }, 'expected "vma START-END anon|pfnmap|other [fields]"');
      const r = range(ctx, toks[1]);
      const ty = toks[2].text;
      const base = {
        kind: 'vma' as const,
        line: lineNo,
        col: toks[1].start + 1,
        endCol: toks[1].end + 1,
        start: r.start,
        end: r.end,
        pageSize: 0,
        pfn: -1,
        pgoff: 0,
        cache: 0,
      };
      if (ty === 'anon') {
        const f = fields(ctx, toks, 3, ['page', 'pfn'], 'vma anon');
        const p = f.get('page');
        const pf = f.get('pfn');
        const pageSize = p ? size(ctx, p, p.eq + 1, 'page') : 0;
        if (p && (pageSize & (pageSize - 1)) !== 0 && !isPow2(pageSize))
          ctx.fail({ start: p.eq + 1, end: p.end }, 'page: expected a power of two');
        return { ...base, type: 'anon', pageSize, pfn: pf ? smallNum(ctx, pf, pf.eq + 1, 'pfn') : -1 };
      }
      if (ty === 'pfnmap') {
        const f = fields(ctx, toks, 3, ['pgoff', 'cache'], 'vma pfnmap');
        const pg = f.get('pgoff');
        const ca = f.get('cache');
        let cache = 0;
        if (ca) {
          const name = text.slice(ca.eq + 1, ca.end);
          const m = CACHE_MODES.find((x) => x.name === name);
          if (!m)
            ctx.fail(
              { start: ca.eq + 1, end: ca.end },
              `cache: expected one of ${CACHE_MODES.map((x) => x.name).join(', ')}, found ${show(name)}`,
            );
          cache = m.bits;
        }
        return { ...base, type: 'pfnmap', pgoff: pg ? smallNum(ctx, pg, pg.eq + 1, 'pgoff') : 0, cache };
      }
      if (ty === 'other') {
        fields(ctx, toks, 3, [], 'vma other');
        return { ...base, type: 'other' };
      }
      return ctx.fail(toks[2], `vma: expected the mapping kind anon, pfnmap or other, found ${show(ty)}`);
    }
    case 'munmap': {
      st.sawHostObject = true;
      if (toks.length !== 2) ctx.fail(toks[2] ?? { start: kw.end, end: kw.end + 1 }, 'expected "munmap START-END"');
      const r = range(ctx, toks[1]);
      return {
        kind: 'munmap',
        line: lineNo,
        col: toks[1].start + 1,
        endCol: toks[1].end + 1,
        start: r.start,
        end: r.end,
      };
    }
    case 'memslot': {
      st.sawHostObject = true;
      if (toks.length < 3)
        ctx.fail(
          toks[1] ?? { start: kw.end, end: kw.end + 1 },
          'expected "memslot ID gfn=… npages=… hva=…", "memslot ID gpa=… size=… hva=…" or "memslot ID delete"',
        );
      const id = smallNum(ctx, toks[1], toks[1].start, 'memslot id', 31);
      const base = {
        kind: 'memslot' as const,
        line: lineNo,
        col: toks[1].start + 1,
        endCol: toks[1].end + 1,
        id,
        gfn: -1,
        npages: -1,
        gpa: -1,
        size: -1,
        hva: 0,
        flags: 0,
      };
      if (toks[2].text === 'delete') {
        if (toks.length > 3) ctx.fail(toks[3], 'memslot delete takes no fields');
        return { ...base, delete: true };
      }
      const f = fields(ctx, toks, 2, ['gfn', 'npages', 'gpa', 'size', 'hva', 'flags'], 'memslot');
      const g = (k: string) => f.get(k);
      const hva = g('hva');
      if (!hva)
        ctx.fail({ start: toks[toks.length - 1].end, end: toks[toks.length - 1].end + 1 }, 'memslot: missing hva=');
      const rec = { ...base, delete: false, hva: addrNum(ctx, hva, hva.eq + 1, 'hva') };
      const fl = g('flags');
      if (fl) rec.flags = smallNum(ctx, fl, fl.eq + 1, 'flags', 0xffffffff);
      const byFrames = g('gfn') || g('npages');
      const byBytes = g('gpa') || g('size');
      if (byFrames && byBytes) ctx.fail(byBytes, 'memslot: give either gfn= and npages= or gpa= and size=, not both');
      if (byFrames) {
        const gf = g('gfn');
        const np = g('npages');
        if (!gf || !np) ctx.fail(byFrames, 'memslot: gfn= and npages= go together');
        rec.gfn = smallNum(ctx, gf, gf.eq + 1, 'gfn');
        rec.npages = smallNum(ctx, np, np.eq + 1, 'npages');
        if (rec.npages < 1) ctx.fail({ start: np.eq + 1, end: np.end }, 'npages: must be at least 1');
      } else if (byBytes) {
        const gp = g('gpa');
        const sz = g('size');
        if (!gp || !sz) ctx.fail(byBytes, 'memslot: gpa= and size= go together');
        rec.gpa = addrNum(ctx, gp, gp.eq + 1, 'gpa');
        rec.size = size(ctx, sz, sz.eq + 1, 'size');
        if (rec.size < 1) ctx.fail({ start: sz.eq + 1, end: sz.end }, 'size: must be at least one host page');
      } else {
        ctx.fail({ start: toks[1].end, end: toks[1].end + 1 }, 'memslot: missing gfn=/npages= or gpa=/size=');
      }
      return rec;
    }
    case 'coverage':
      return parseCoverage(ctx, toks);
    case 'hpte':
      return parseHpte(ctx, toks);
    case 'hcall': {
      st.sawHcall = true;
      return parseHcall(ctx, toks);
    }
    default:
      return ctx.fail(kw, `unknown record ${show(kw.text)}; expected one of ${KEYWORDS.join(', ')}`);
  }
}

function needV2(ctx: LineCtx, tok: { start: number; end: number }, what: string): void {
  if (!isV2(ctx.st)) ctx.fail(tok, `${what} needs format version 2 (the header "hptrace 2"); this file is version 1`);
}

const COVERAGE_HOSTS = ['power7', 'power8', 'power9'];

/** `coverage complete|partial [why=CODE,…] [from=KIND,…] [host=power7|power8|power9]` (format 2). */
function parseCoverage(ctx: LineCtx, toks: Token[]): TraceRecord {
  const st = ctx.st;
  const kw = toks[0];
  needV2(ctx, kw, 'the coverage record');
  if (st.sawCoverage) ctx.fail(kw, 'the coverage record may appear only once');
  if (st.sawHcall || st.sawHpte) ctx.fail(kw, 'the coverage record must come before the first hpte and hcall record');
  const what = toks[1];
  if (!what || (what.text !== 'complete' && what.text !== 'partial'))
    ctx.fail(
      what ?? { start: kw.end, end: kw.end + 1 },
      `coverage: expected "complete" or "partial"${what ? `, found ${show(what.text)}` : ''}`,
    );
  const f = fields(ctx, toks, 2, ['why', 'from', 'host'], 'coverage');
  const list = (key: string): string[] => {
    const t = f.get(key);
    if (!t) return [];
    const items = ctx.text.slice(t.eq + 1, t.end).split(',');
    let at = t.eq + 1;
    for (const it of items) {
      if (!/^[a-z0-9][a-z0-9-]*$/.test(it))
        ctx.fail(
          { start: at, end: at + Math.max(it.length, 1) },
          `coverage ${key}: expected a comma-separated list of lower-case words, found ${show(it)}`,
        );
      if (key === 'why' && !COVERAGE_REASONS.some((r) => r.code === it))
        ctx.fail(
          { start: at, end: at + it.length },
          `coverage why: unknown reason ${show(it)}; expected ${COVERAGE_REASONS.map((r) => r.code).join(', ')}`,
        );
      at += it.length + 1;
    }
    return items;
  };
  const why = list('why');
  const from = list('from');
  const ht = f.get('host');
  const host = ht ? ctx.text.slice(ht.eq + 1, ht.end) : '';
  if (ht && !COVERAGE_HOSTS.includes(host))
    ctx.fail(
      { start: ht.eq + 1, end: ht.end },
      `coverage host: expected ${COVERAGE_HOSTS.join(', ')}, found ${show(host)}`,
    );
  st.sawCoverage = true;
  return { kind: 'coverage', line: ctx.line, coverage: what.text as 'complete' | 'partial', why, from, host };
}

/** `hpte INDEX v=… r=… [guest_r=…]`: an HPT entry as starting state (format 2). */
function parseHpte(ctx: LineCtx, toks: Token[]): TraceRecord {
  const st = ctx.st;
  const kw = toks[0];
  needV2(ctx, kw, 'the hpte record');
  if (st.sawHcall) ctx.fail(kw, 'hpte records load the starting state: they must come before the first hcall');
  const it = toks[1];
  if (!it || it.eq >= 0)
    ctx.fail(it ?? { start: kw.end, end: kw.end + 1 }, 'expected "hpte INDEX v=… r=… [guest_r=…]"');
  const index = smallNum(ctx, it, it.start, 'hpte index');
  const f = fields(ctx, toks, 2, ['v', 'r', 'guest_r'], 'hpte');
  const word = (key: string): [number, number] => {
    const t = f.get(key);
    if (!t) return ctx.fail({ start: kw.start, end: kw.end }, `hpte: missing field ${key}=`);
    num(ctx, t, t.eq + 1, `hpte ${key}`);
    return [scratchHi, scratchLo];
  };
  const [vHi, vLo] = word('v');
  const vt = f.get('v')!;
  if ((vLo & 1) === 0)
    ctx.fail(
      { start: vt.eq + 1, end: vt.end },
      'hpte v: the entry is not valid (bit 0x1); only valid entries are loaded',
    );
  if (vLo & 0x40)
    ctx.fail({ start: vt.eq + 1, end: vt.end }, 'hpte v: the HVLOCK bit (0x40) is set; a dump masks it off');
  const [rHi, rLo] = word('r');
  const [gHi, gLo] = f.has('guest_r') ? word('guest_r') : [rHi, rLo];
  st.sawHpte = true;
  return { kind: 'hpte', line: ctx.line, col: it.start + 1, endCol: it.end + 1, index, vHi, vLo, rHi, rLo, gHi, gLo };
}

function isPow2(n: number): boolean {
  return n > 0 && Number.isInteger(Math.log2(n));
}

function configOrder(ctx: LineCtx, kw: Token): void {
  if (ctx.st.sawHcall) ctx.fail(kw, `machine configuration ("${kw.text}") must come before the first hcall`);
}

const RET_NAMES = RETURN_CODES.filter((c) => c.name !== 'H_TOO_HARD').map((c) => c.name);

function parseHcall(ctx: LineCtx, toks: Token[]): HcallRecord {
  let i = 1;
  let time = -1;
  let vcpu = -1;
  if (i < toks.length && ctx.text.charCodeAt(toks[i].start) === 64) {
    const t = toks[i];
    const s = ctx.text.slice(t.start + 1, t.end);
    time = /^\d+(\.\d+)?$/.test(s) ? Number(s) : NaN;
    if (!Number.isFinite(time))
      ctx.fail(t, `expected a time stamp @SECONDS (e.g. @1234.567890), found ${show(t.text)}`);
    i++;
  }
  if (i < toks.length && toks[i].text.startsWith('vcpu=')) {
    const t = toks[i];
    vcpu = smallNum(ctx, t, t.eq + 1, 'vcpu', 0xffffffff);
    i++;
  }
  if (i >= toks.length)
    ctx.fail(
      { start: toks[toks.length - 1].end, end: toks[toks.length - 1].end + 1 },
      `hcall: expected an hcall name (${HCALLS.map((h) => h.name).join(', ')}, …) or number`,
    );
  const nt = toks[i++];
  let name = nt.text;
  let number = -1;
  let def = hcallByNameOrUndefined(name);
  const c0 = ctx.text.charCodeAt(nt.start);
  if (def) number = def.number;
  else if (c0 >= 48 && c0 <= 57) {
    number = smallNum(ctx, nt, nt.start, 'hcall number', 0xffffffff);
    def = hcallByNum(number);
    name = def ? def.name : '0x' + number.toString(16);
  } else if (!/^H_[A-Z0-9_]+$/.test(name)) {
    ctx.fail(
      nt,
      `hcall: expected an hcall name such as H_ENTER (upper case, as in the kernel) or a number, found ${show(name)}`,
    );
  }
  const argNames = def && def.emulated ? def.args : GENERIC_ARGS;
  const argHi = [0, 0, 0, 0, 0, 0, 0, 0];
  const argLo = [0, 0, 0, 0, 0, 0, 0, 0];
  const seen = [false, false, false, false, false, false, false, false];
  let positional = 0;
  let named = false;
  let argCount = 0;
  let unknownArgs = 0;
  let resultUnknown = false;
  for (; i < toks.length; i++) {
    const t = toks[i];
    if (t.text === '->') break;
    let slot: number;
    let from: number;
    if (t.eq >= 0) {
      const key = ctx.text.slice(t.start, t.eq);
      slot = argNames.indexOf(key);
      if (slot < 0)
        ctx.fail(
          { start: t.start, end: t.eq },
          `${name}: unknown argument ${show(key)}; expected ${argNames.join(', ')}`,
        );
      if (seen[slot]) ctx.fail({ start: t.start, end: t.eq }, `${name}: duplicate argument ${show(key)}`);
      from = t.eq + 1;
      named = true;
    } else {
      if (named) ctx.fail(t, `${name}: positional arguments must come before named ones`);
      if (positional >= argNames.length) ctx.fail(t, `${name}: too many arguments; it takes ${argNames.join(', ')}`);
      slot = positional++;
      from = t.start;
    }
    if (t.end - from === 1 && ctx.text.charCodeAt(from) === 63) {
      // `?`: a value the capture does not hold
      needV2(ctx, { start: from, end: t.end }, 'an unknown argument "?"');
      unknownArgs |= 1 << slot;
      argHi[slot] = 0;
      argLo[slot] = 0;
    } else {
      num(ctx, t, from, `${name} ${argNames[slot]}`);
      argHi[slot] = scratchHi;
      argLo[slot] = scratchLo;
    }
    seen[slot] = true;
    argCount++;
  }
  if (def && def.emulated) {
    for (let k = 0; k < argNames.length; k++) {
      if (!seen[k]) {
        const at = i < toks.length ? toks[i] : { start: toks[toks.length - 1].end, end: toks[toks.length - 1].end + 1 };
        ctx.fail(at, `${name}: missing argument ${argNames[k]}; it takes ${argNames.join(' ')}`);
      }
    }
  }
  let recorded: number | null = null;
  const recordedRegs: { reg: number; hi: number; lo: number }[] = [];
  if (i < toks.length) {
    const arrow = toks[i++];
    if (i >= toks.length) ctx.fail(arrow, `expected a return code after "->" (${RET_NAMES.slice(0, 4).join(', ')}, …)`);
    const rt = toks[i++];
    if (rt.text === '?') {
      needV2(ctx, rt, 'an unknown result "-> ?"');
      if (i < toks.length) ctx.fail(toks[i], 'an unknown result "-> ?" takes no recorded registers');
      resultUnknown = true;
    }
    const v = resultUnknown ? 0 : returnCodeValue(rt.text);
    if (v === undefined || rt.text === 'H_TOO_HARD')
      ctx.fail(rt, `expected a return code name (${RET_NAMES.join(', ')}), found ${show(rt.text)}`);
    recorded = resultUnknown ? null : v;
    for (; i < toks.length; i++) {
      const t = toks[i];
      const key = t.eq >= 0 ? ctx.text.slice(t.start, t.eq) : '';
      const reg = GENERIC_ARGS.indexOf(key);
      if (reg < 0) ctx.fail(t, `expected a recorded output register r4=…r11=, found ${show(t.text)}`);
      if (recordedRegs.some((x) => x.reg === reg + 4))
        ctx.fail({ start: t.start, end: t.eq }, `duplicate recorded register ${key}`);
      num(ctx, t, t.eq + 1, key);
      recordedRegs.push({ reg: reg + 4, hi: scratchHi, lo: scratchLo });
    }
  }
  const rec: HcallRecord = {
    kind: 'hcall',
    line: ctx.line,
    time,
    vcpu,
    name,
    number,
    argHi,
    argLo,
    argCount,
    recorded,
    recordedRegs,
  };
  if (unknownArgs) rec.unknownArgs = unknownArgs;
  if (resultUnknown) rec.resultUnknown = true;
  return rec;
}

/** Result of reading a whole text in collect-all mode. */
export interface ParseResult {
  records: TraceRecord[];
  errors: TraceError[];
}

/** Splits text into lines (LF or CRLF) and parses each; keeps going after errors. */
export function parseAll(text: string, file: string, maxErrors = 1000): ParseResult {
  const st = newParserState(file);
  const records: TraceRecord[] = [];
  const errors: TraceError[] = [];
  let lineNo = 0;
  let pos = 0;
  const n = text.length;
  while (pos <= n && errors.length < maxErrors) {
    let e = text.indexOf('\n', pos);
    if (e < 0) e = n;
    lineNo++;
    const line = text.charCodeAt(e - 1) === 13 ? text.slice(pos, e - 1) : text.slice(pos, e);
    try {
      const r = parseLine(st, lineNo, line);
      if (r) records.push(r);
    } catch (err) {
      if (!(err instanceof TraceError)) throw err;
      errors.push(err);
      // A bad header would make every later line an error; treat the file as having one.
      st.sawHeader = true;
    }
    pos = e + 1;
  }
  if (!st.sawHeader && errors.length === 0) errors.push(emptyTrace(file));
  return { records, errors };
}

/** Strict mode: the records of a whole text, or the first error thrown. */
export function parseStrict(text: string, file: string): TraceRecord[] {
  const r = parseAll(text, file, 1);
  if (r.errors.length) throw r.errors[0];
  return r.records;
}
